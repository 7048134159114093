// Package handler holds the queue's task handlers: structs holding their
// dependencies, safe to run twice. It is separate from package queue so the
// scan client can enqueue and ingest without linking OpenCV.
package handler

import (
	"runtime"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/metrics"
	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/store"
)

// Deps are what the handlers work with.
type Deps struct {
	DB    *store.DB
	Blobs blob.Store
	// Queue is where handlers enqueue follow-up tasks (scoring after reading).
	Queue queue.Enqueuer
	// ReadSlots is how many pages are read at once, whatever the worker's
	// concurrency; 0 means one per core.
	ReadSlots int
	// ReadMemory is the memory budget, in bytes, of the pages being read
	// at once (SAOYUE_READ_MEMORY): each page reserves what its header
	// says reading it will hold (omr.Cost) before it is decoded. 0 means
	// DefaultReadMemory.
	ReadMemory int64
	// Fonts the cards were printed with: the reader renders the blank card
	// with them.
	Fonts card.Fonts
}

// DefaultReadMemory holds two of the largest pages the reader accepts (an
// A3 card at 600 dpi colour, 487 MB) or dozens of ordinary ones (an A4
// page at 200 dpi grey holds 12 MB): a worker's reading never needs more
// than a gigabyte beyond its resident base (about 350 MB).
const DefaultReadMemory = 1 << 30

// NewMux routes every task type to its handler; the same mux serves the
// asynq worker and the in-process queue.
func NewMux(d Deps) *asynq.ServeMux {
	opts := omr.DefaultOptions()
	opts.Fonts = d.Fonts
	readers := &Readers{DB: d.DB, Options: opts}
	mux := asynq.NewServeMux()
	mux.Use(metrics.TaskMiddleware)
	slots := d.ReadSlots
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	budget := d.ReadMemory
	if budget <= 0 {
		budget = DefaultReadMemory
	}
	mux.Handle(queue.TypePageRead, &PageRead{DB: d.DB, Blobs: d.Blobs, Queue: d.Queue, Readers: readers,
		Reading: make(chan struct{}, slots), Memory: NewMemoryBudget(budget)})
	mux.Handle(queue.TypeCardScore, &CardScore{DB: d.DB})
	return mux
}
