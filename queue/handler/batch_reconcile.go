package handler

import (
	"context"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/store"
)

// BatchReconcile compares a batch with its room roster and records
// missing-side exceptions.
type BatchReconcile struct {
	DB *store.DB
}

func (h *BatchReconcile) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p queue.BatchReconcilePayload
	if err := queue.DecodePayload(t, &p); err != nil {
		return err
	}
	r, err := grading.Reconcile(ctx, h.DB, p.BatchID)
	if err != nil {
		return err
	}
	slog.Info("batch reconciled", "batch", r.BatchID, "expected", r.Expected, "scanned", r.Scanned,
		"missing", len(r.Missing), "extra", len(r.Extra), "open_exceptions", r.OpenExc)
	return nil
}
