package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/store"
)

// demoRoomBatch returns the first batch opened for a room and subject, or nil.
func demoRoomBatch(ctx context.Context, db *store.DB, examID, subjectID, roomID int64) (*store.Batch, error) {
	var id int64
	err := db.Pool.QueryRow(ctx, `SELECT id FROM batches WHERE exam_id = $1 AND subject_id = $2 AND room_id = $3 ORDER BY id LIMIT 1`,
		examID, subjectID, roomID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find batch of room %d: %w", roomID, err)
	}
	return store.GetBatch(ctx, db.Pool, id)
}

// demoObjectiveTotals is the mean and best objective total of a batch's
// cards of candidates who sat the exam.
func demoObjectiveTotals(ctx context.Context, db *store.DB, batchID, subjectID int64) (mean, best float64, err error) {
	err = db.Pool.QueryRow(ctx, `
		SELECT COALESCE(avg(t), 0), COALESCE(max(t), 0) FROM (
			SELECT sum(s.score)::float8 AS t FROM cards k JOIN item_scores s ON s.candidate_id = k.candidate_id AND s.subject_id = $2
			WHERE k.batch_id = $1 AND NOT k.absent AND s.source = 'omr' GROUP BY k.id) x`, batchID, subjectID).Scan(&mean, &best)
	if err != nil {
		return 0, 0, fmt.Errorf("objective totals of batch %d: %w", batchID, err)
	}
	return mean, best, nil
}

// demoTaskCount is how many marking tasks a subject has.
func demoTaskCount(ctx context.Context, db *store.DB, subjectID int64) (int, error) {
	var n int
	err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM marking_tasks t JOIN question_groups g ON g.id = t.group_id WHERE g.subject_id = $1`, subjectID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count marking tasks: %w", err)
	}
	return n, nil
}
