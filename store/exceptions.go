package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/reading"
)

// ErrExceptionNotFound is returned for an unknown exception id.
var ErrExceptionNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这条异常"}

// Exception is something the machine could not decide, waiting for a
// person (DOMAIN rules 2-3). It stays in the register after resolution.
type Exception struct {
	ID          int64
	BatchID     *int64
	PageID      *int64
	CardID      *int64
	Kind        reading.Kind
	ItemNo      string
	Reason      string
	Detail      json.RawMessage
	Status      saoyue.ExceptionStatus
	Resolution  json.RawMessage
	RequestedBy *string
	ResolvedBy  *string
	ApprovedBy  *string
	CreatedAt   time.Time
	ResolvedAt  *time.Time

	RequestedByUserID *int64 // the signed-in account that asked for a change
	ApprovedByUserID  *int64 // the signed-in account that approved it
	RejectNote        string // the approver's note on the last rejection
	RejectedBy        *string
}

// AddException records an exception once: the same problem found again
// (a task run twice) is not a second row.
func AddException(ctx context.Context, q TxOrPool, e *Exception) error {
	if _, err := q.Exec(ctx, addExceptionSQL, exceptionArgs(e)...); err != nil {
		return fmt.Errorf("record exception %s: %w", e.Kind, err)
	}
	return nil
}

// queueException is AddException as part of a batch.
func queueException(b *pgx.Batch, e *Exception) {
	b.Queue(addExceptionSQL, exceptionArgs(e)...)
}

const addExceptionSQL = `
	INSERT INTO exceptions (batch_id, page_id, card_id, kind, item_no, reason, detail)
	VALUES ($1, $2, $3, $4, $5, $6, $7)
	ON CONFLICT (COALESCE(page_id, 0), COALESCE(card_id, 0), kind, item_no) DO NOTHING`

func exceptionArgs(e *Exception) []any {
	if e.Detail == nil {
		e.Detail = json.RawMessage(`{}`)
	}
	return []any{e.BatchID, e.PageID, e.CardID, e.Kind, e.ItemNo, e.Reason, e.Detail}
}

const exceptionColumns = `id, batch_id, page_id, card_id, kind, item_no, reason, detail, status, resolution,
	requested_by, resolved_by, approved_by, created_at, resolved_at,
	requested_by_user_id, approved_by_user_id, reject_note, rejected_by`

func scanException(r pgx.Row) (*Exception, error) {
	var e Exception
	err := r.Scan(&e.ID, &e.BatchID, &e.PageID, &e.CardID, &e.Kind, &e.ItemNo, &e.Reason, &e.Detail, &e.Status,
		&e.Resolution, &e.RequestedBy, &e.ResolvedBy, &e.ApprovedBy, &e.CreatedAt, &e.ResolvedAt,
		&e.RequestedByUserID, &e.ApprovedByUserID, &e.RejectNote, &e.RejectedBy)
	return &e, err
}

// ExceptionFilter selects exceptions; zero fields match everything.
type ExceptionFilter struct {
	ExamID   int64
	BatchID  int64
	SchoolID int64
	Status   saoyue.ExceptionStatus // "" for all; ExceptionUnresolved: not resolved
}

// Exceptions lists exceptions in the order they were found.
func Exceptions(ctx context.Context, q TxOrPool, f ExceptionFilter) ([]*Exception, error) {
	rows, err := q.Query(ctx, `
		SELECT `+exceptionColumns+` FROM exceptions e
		WHERE ($1 = 0 OR e.batch_id = $1)
		  AND ($2 = 0 OR e.batch_id IN (SELECT id FROM batches WHERE school_id = $2))
		  AND ($3 = 0 OR e.batch_id IN (SELECT id FROM batches WHERE exam_id = $3))
		  AND ($4 = '' OR e.status = $4 OR ($4 = 'unresolved' AND e.status <> 'resolved'))
		ORDER BY e.id`, f.BatchID, f.SchoolID, f.ExamID, f.Status)
	if err != nil {
		return nil, fmt.Errorf("list exceptions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Exception, error) { return scanException(r) })
}

// GetException returns one exception, locked for update when inside a
// transaction that asks for it.
func GetException(ctx context.Context, q TxOrPool, id int64, forUpdate bool) (*Exception, error) {
	sql := `SELECT ` + exceptionColumns + ` FROM exceptions WHERE id = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	e, err := scanException(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("exception %d: %w", id, ErrExceptionNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read exception %d: %w", id, err)
	}
	return e, nil
}

// SetExceptionState records a step of the resolution.
func SetExceptionState(ctx context.Context, q TxOrPool, e *Exception) error {
	_, err := q.Exec(ctx, `
		UPDATE exceptions SET status = $2, resolution = $3, requested_by = $4, requested_at = CASE WHEN $4::text IS NULL THEN NULL ELSE COALESCE(requested_at, now()) END,
			resolved_by = $5, approved_by = $6, resolved_at = CASE WHEN $2 = 'resolved' THEN now() END,
			requested_by_user_id = $7, approved_by_user_id = $8, reject_note = $9, rejected_by = $10
		WHERE id = $1`, e.ID, e.Status, e.Resolution, e.RequestedBy, e.ResolvedBy, e.ApprovedBy,
		e.RequestedByUserID, e.ApprovedByUserID, e.RejectNote, e.RejectedBy)
	if err != nil {
		return fmt.Errorf("update exception %d: %w", e.ID, err)
	}
	return nil
}
