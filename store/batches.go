package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
)

// ErrBatchNotFound is returned for an unknown batch id.
var ErrBatchNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这个卡袋批次"}

// Batch is one bag of answer cards: one room's cards for one subject.
type Batch struct {
	ID            int64
	ExamID        int64
	SubjectID     int64
	SchoolID      int64
	RoomID        *int64
	ExpectedCards int
	Status        saoyue.BatchStatus
	CreatedBy     string
}

// CreateBatch opens a batch.
func CreateBatch(ctx context.Context, q TxOrPool, b *Batch) error {
	err := q.QueryRow(ctx, `
		INSERT INTO batches (exam_id, subject_id, school_id, room_id, expected_cards, created_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, status`,
		b.ExamID, b.SubjectID, b.SchoolID, b.RoomID, b.ExpectedCards, b.CreatedBy).Scan(&b.ID, &b.Status)
	if err != nil {
		return fmt.Errorf("create batch: %w", err)
	}
	return nil
}

// GetBatch returns one batch.
func GetBatch(ctx context.Context, q TxOrPool, id int64) (*Batch, error) {
	var b Batch
	err := q.QueryRow(ctx, `
		SELECT id, exam_id, subject_id, school_id, room_id, expected_cards, status, created_by
		FROM batches WHERE id = $1`, id).Scan(&b.ID, &b.ExamID, &b.SubjectID, &b.SchoolID, &b.RoomID, &b.ExpectedCards, &b.Status, &b.CreatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("batch %d: %w", id, ErrBatchNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load batch %d: %w", id, err)
	}
	return &b, nil
}
