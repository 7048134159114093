// Package handler holds the queue's task handlers: structs holding their
// dependencies, safe to run twice. It is separate from package queue so the
// scan client can enqueue and ingest without linking OpenCV.
package handler

import (
	"runtime"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/blob"
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
}

// NewMux routes every task type to its handler; the same mux serves the
// asynq worker and the in-process queue.
func NewMux(d Deps) *asynq.ServeMux {
	readers := &Readers{DB: d.DB, Options: omr.DefaultOptions()}
	mux := asynq.NewServeMux()
	slots := d.ReadSlots
	if slots <= 0 {
		slots = runtime.NumCPU()
	}
	mux.Handle(queue.TypePageRead, &PageRead{DB: d.DB, Blobs: d.Blobs, Queue: d.Queue, Readers: readers, Reading: make(chan struct{}, slots)})
	mux.Handle(queue.TypeCardScore, &CardScore{DB: d.DB})
	mux.Handle(queue.TypeBatchReconcile, &BatchReconcile{DB: d.DB})
	return mux
}
