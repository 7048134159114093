package handler

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/store"
)

// Sweep queues again the work whose task was lost, so that nothing waits
// forever: pages still 'received' some time after they arrived (their
// page:read task went with a Redis that lost its last second, or was never
// queued), and cards whose score is due (the scoring task a reading queues
// after it commits went the same way, or the worker stopped between the
// two). Task ids keep a sweep from doubling work that is queued already;
// running it from several workers is harmless.
type Sweep struct {
	DB     *store.DB
	Queue  queue.Enqueuer
	Logger *slog.Logger
	Age    time.Duration // how long a page may wait for its reading, default 2 minutes
}

// Once queues what is due now and says how much it queued.
func (s *Sweep) Once(ctx context.Context) (pages, cards int, err error) {
	age := s.Age
	if age <= 0 {
		age = 2 * time.Minute
	}
	ids, err := store.UnreadPages(ctx, s.DB.Pool, age, 1000)
	if err != nil {
		return 0, 0, err
	}
	// A page still unread may have lost its reading after its task
	// completed (a failover of the database: readings commit without
	// waiting for the standby), so it is queued even if its id is kept.
	// Scorings commit durably; a card's id keeps its usual rule.
	enqueue := s.Queue.Enqueue
	if again, ok := s.Queue.(interface {
		EnqueueAgain(context.Context, *asynq.Task, ...asynq.Option) error
	}); ok {
		enqueue = again.EnqueueAgain
	}
	for _, id := range ids {
		task, opts := queue.NewPageReadTask(id)
		if err := enqueue(ctx, task, opts...); err != nil {
			return pages, cards, err
		}
		pages++
	}
	ids, err = store.CardsDueForScoring(ctx, s.DB.Pool, 1000)
	if err != nil {
		return pages, 0, err
	}
	for _, id := range ids {
		task, opts := queue.NewCardScoreTask(id)
		if err := s.Queue.Enqueue(ctx, task, opts...); err != nil {
			return pages, cards, err
		}
		cards++
	}
	return pages, cards, nil
}

// Run sweeps every interval until ctx ends.
func (s *Sweep) Run(ctx context.Context, every time.Duration) {
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pages, cards, err := s.Once(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("sweep for lost tasks failed", "err", err)
		case pages+cards > 0:
			// A card is normally found here only if it was just read;
			// a page only if its task was lost.
			logger.Debug("queued again", "pages", pages, "cards", cards)
		}
	}
}
