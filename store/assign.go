package store

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
)

// AssignPageExamNo gives a page the candidate a person has identified:
// their card is found or created, the page joins it (unless the card has
// that page already), the back side and crops follow. It returns the card.
func AssignPageExamNo(ctx context.Context, tx pgx.Tx, pageID int64, examNo string) (int64, error) {
	var batchID, examID, subjectID int64
	var pageNo *int
	err := tx.QueryRow(ctx, `
		SELECT b.id, b.exam_id, b.subject_id, p.page_no FROM pages p JOIN batches b ON b.id = p.batch_id WHERE p.id = $1`,
		pageID).Scan(&batchID, &examID, &subjectID, &pageNo)
	if err != nil {
		return 0, fmt.Errorf("read page %d: %w", pageID, err)
	}
	if pageNo == nil {
		return 0, fmt.Errorf("page %d was not recognised as a page of a card; rescan it", pageID)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7301, $1::int)`, batchID); err != nil {
		return 0, err
	}
	// A person's number obeys the reader's rule: not another school's
	// candidate, nor a withdrawn one.
	if err := CheckPageExamNo(ctx, tx, pageID, examNo); err != nil {
		return 0, err
	}
	var candidateID int64
	err = tx.QueryRow(ctx, `SELECT id FROM candidates WHERE exam_id = $1 AND exam_no = $2`, examID, examNo).Scan(&candidateID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("exam number %s is not in this exam's roster: %w", examNo, ErrNotInRoster)
	}
	if err != nil {
		return 0, err
	}
	var cardID int64
	if err := tx.QueryRow(ctx, `
		INSERT INTO cards (subject_id, candidate_id, batch_id) VALUES ($1, $2, $3)
		ON CONFLICT (subject_id, candidate_id) DO UPDATE SET subject_id = cards.subject_id
		RETURNING id`, subjectID, candidateID, batchID).Scan(&cardID); err != nil {
		return 0, fmt.Errorf("card for %s: %w", examNo, err)
	}
	var other int64
	err = tx.QueryRow(ctx, `SELECT id FROM pages WHERE card_id = $1 AND page_no = $2 AND id <> $3`, cardID, *pageNo, pageID).Scan(&other)
	if err == nil {
		return 0, fmt.Errorf("exam number %s already has page %d (page %d): %w", examNo, *pageNo, other, ErrDuplicatePage)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE pages SET card_id = $2, status = 'read' WHERE id = $1`, pageID, cardID); err != nil {
		return 0, err
	}
	// The whole bag: a person's answer may link sides anywhere in it.
	if _, err := linkBackSides(ctx, tx, batchID, math.MinInt32, math.MaxInt32); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `
		UPDATE crops SET card_id = p.card_id FROM pages p
		WHERE crops.page_id = p.id AND p.batch_id = $1 AND crops.card_id IS NULL AND p.card_id IS NOT NULL`, batchID); err != nil {
		return 0, err
	}
	return cardID, nil
}

// Errors of AssignPageExamNo that a person can act on.
var (
	ErrNotInRoster   = errors.New("not in the roster")
	ErrDuplicatePage = errors.New("candidate already has this page")
)

// SetAnswerOverride records an approved correction of an item's reading.
func SetAnswerOverride(ctx context.Context, q TxOrPool, cardID int64, item int, response, setBy, approvedBy string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO answer_overrides (card_id, item_no, response, set_by, approved_by) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (card_id, item_no) DO UPDATE SET response = EXCLUDED.response, set_by = EXCLUDED.set_by,
			approved_by = EXCLUDED.approved_by, set_at = now()`, cardID, item, response, setBy, approvedBy)
	if err != nil {
		return fmt.Errorf("save corrected answer: %w", err)
	}
	return nil
}

// PageExamNo is what the reader found on a page: the agreed number, and
// barcode and grid separately.
func PageExamNo(ctx context.Context, q TxOrPool, pageID int64) (value, barcode, grid string, err error) {
	err = q.QueryRow(ctx, `
		SELECT COALESCE(r.result->'exam_no'->>'value', ''), r.exam_no_barcode, r.exam_no_grid
		FROM read_results r WHERE r.page_id = $1`, pageID).Scan(&value, &barcode, &grid)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", "", nil
	}
	return value, barcode, grid, err
}
