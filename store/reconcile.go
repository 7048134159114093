package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// BatchCounts is the raw material of a batch's reconciliation.
type BatchCounts struct {
	Expected   int
	Pages      int
	Unreadable int // pages not read or refused
	Unlinked   int // pages read but without a card yet
	Cards      int
	Absent     int
	Violation  int
	Missing    []string // exam numbers of the room with no card in the batch
	Extra      []string // exam numbers with a card in the batch but seated elsewhere
	OpenExc    int
	Incomplete []int64 // cards with fewer pages than their template
}

// ReconcileBatch counts a batch against its room roster (DOMAIN rule 2).
// pagesPerCard is the number of sides of the subject's card.
func ReconcileBatch(ctx context.Context, q TxOrPool, batchID int64, pagesPerCard int) (*BatchCounts, error) {
	var c BatchCounts
	var roomID *int64
	var schoolID, examID int64
	err := q.QueryRow(ctx, `SELECT expected_cards, room_id, school_id, exam_id FROM batches WHERE id = $1`, batchID).
		Scan(&c.Expected, &roomID, &schoolID, &examID)
	if err != nil {
		return nil, fmt.Errorf("read batch %d: %w", batchID, err)
	}
	err = q.QueryRow(ctx, `
		SELECT count(*),
		       count(*) FILTER (WHERE status IN ('received', 'exception')),
		       count(*) FILTER (WHERE status = 'read' AND card_id IS NULL)
		FROM pages WHERE batch_id = $1`, batchID).Scan(&c.Pages, &c.Unreadable, &c.Unlinked)
	if err != nil {
		return nil, fmt.Errorf("count pages: %w", err)
	}
	err = q.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE absent), count(*) FILTER (WHERE violation)
		FROM cards WHERE batch_id = $1`, batchID).Scan(&c.Cards, &c.Absent, &c.Violation)
	if err != nil {
		return nil, fmt.Errorf("count cards: %w", err)
	}
	rows, err := q.Query(ctx, `
		SELECT c.exam_no FROM candidates c
		WHERE c.exam_id = $1 AND (($2::bigint IS NOT NULL AND c.room_id = $2)
		      OR ($2::bigint IS NULL AND c.room_id IN (SELECT id FROM rooms WHERE school_id = $3 AND exam_id = $1)))
		  AND NOT EXISTS (SELECT 1 FROM cards k WHERE k.candidate_id = c.id AND k.batch_id = $4)
		ORDER BY c.exam_no`, examID, roomID, schoolID, batchID)
	if err != nil {
		return nil, fmt.Errorf("find missing cards: %w", err)
	}
	if c.Missing, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `
		SELECT c.exam_no FROM cards k JOIN candidates c ON c.id = k.candidate_id
		WHERE k.batch_id = $1 AND NOT (($2::bigint IS NOT NULL AND c.room_id = $2)
		      OR ($2::bigint IS NULL AND c.room_id IN (SELECT id FROM rooms WHERE school_id = $3)))
		ORDER BY c.exam_no`, batchID, roomID, schoolID)
	if err != nil {
		return nil, fmt.Errorf("find extra cards: %w", err)
	}
	if c.Extra, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `
		SELECT k.id FROM cards k WHERE k.batch_id = $1 AND NOT k.absent
		  AND (SELECT count(*) FROM pages p WHERE p.card_id = k.id) < $2 ORDER BY k.id`, batchID, pagesPerCard)
	if err != nil {
		return nil, fmt.Errorf("find incomplete cards: %w", err)
	}
	if c.Incomplete, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return nil, err
	}
	if err := q.QueryRow(ctx, `SELECT count(*) FROM exceptions WHERE batch_id = $1 AND status <> 'resolved'`, batchID).Scan(&c.OpenExc); err != nil {
		return nil, err
	}
	return &c, nil
}
