package handler

import (
	"context"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/store"
)

// CardScore scores a card's objective items from the answer key.
type CardScore struct {
	DB *store.DB
}

func (h *CardScore) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p queue.CardScorePayload
	if err := queue.DecodePayload(t, &p); err != nil {
		return err
	}
	if p.IfDue {
		due, err := store.CardScoreDue(ctx, h.DB.Pool, p.CardID)
		if err != nil || !due {
			return err
		}
	}
	_, err := grading.ScoreCard(ctx, h.DB, p.CardID)
	return err
}
