package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue/reading"
)

// AssignPageExamNo gives a page the candidate a person has identified:
// their card is found or created, the page joins it (unless the card has
// that page already), the back side and crops follow. It returns the card.
func AssignPageExamNo(ctx context.Context, tx pgx.Tx, pageID int64, examNo string) (int64, error) {
	var batchID, examID, subjectID int64
	var seq int
	var pageNo *int
	err := tx.QueryRow(ctx, `
		SELECT b.id, b.exam_id, b.subject_id, p.seq, p.page_no FROM pages p JOIN batches b ON b.id = p.batch_id WHERE p.id = $1`,
		pageID).Scan(&batchID, &examID, &subjectID, &seq, &pageNo)
	if err != nil {
		return 0, fmt.Errorf("read page %d: %w", pageID, err)
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
	if pageNo == nil {
		// The page code was unreadable: the person named the candidate,
		// so the page is the side that carries the exam number.
		if pageNo, err = identifyPage(ctx, tx, pageID, batchID, subjectID, seq, cardID); err != nil {
			return 0, err
		}
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

// identifyPage gives a page whose page code (QR) could not be read its
// template and page number, so that it can join a card: the template of
// the sides scanned next to it (or the subject's newest), and the first
// side, which carries the exam number, unless the card has it already and
// the next sheet is a later side of the same card.
func identifyPage(ctx context.Context, tx pgx.Tx, pageID, batchID, subjectID int64, seq int, cardID int64) (*int, error) {
	var templateID *int64
	var pageNo *int
	err := tx.QueryRow(ctx, `
		SELECT COALESCE(
			(SELECT template_id FROM pages WHERE batch_id = $1 AND template_id IS NOT NULL AND seq IN ($2 - 1, $2 + 1) ORDER BY seq DESC LIMIT 1),
			(SELECT id FROM templates WHERE subject_id = $3 ORDER BY version DESC, id DESC LIMIT 1)),
		CASE WHEN NOT EXISTS (SELECT 1 FROM pages WHERE card_id = $4 AND page_no = 1) THEN 1
		     ELSE (SELECT n.page_no - 1 FROM pages n WHERE n.batch_id = $1 AND n.seq = $2 + 1 AND n.page_no > 1
		           AND (n.card_id IS NULL OR n.card_id = $4)) END`,
		batchID, seq, subjectID, cardID).Scan(&templateID, &pageNo)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("identify page %d: %w", pageID, err)
	}
	if templateID == nil || pageNo == nil {
		return nil, fmt.Errorf("page %d: %w", pageID, ErrPageUnknown)
	}
	if _, err := tx.Exec(ctx, `UPDATE pages SET template_id = $2, page_no = $3 WHERE id = $1`, pageID, *templateID, *pageNo); err != nil {
		return nil, fmt.Errorf("identify page %d: %w", pageID, err)
	}
	return pageNo, nil
}

// Errors of AssignPageExamNo that a person can act on.
var (
	ErrNotInRoster   = errors.New("not in the roster")
	ErrDuplicatePage = errors.New("candidate already has this page")
	ErrPageUnknown   = errors.New("page code unreadable and the side cannot be told")
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
	var raw []byte
	err = q.QueryRow(ctx, `
		SELECT r.result->'exam_no', r.exam_no_barcode, r.exam_no_grid
		FROM read_results r WHERE r.page_id = $1`, pageID).Scan(&raw, &barcode, &grid)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", "", nil
	}
	if err != nil || raw == nil {
		return "", barcode, grid, err
	}
	var en reading.ExamNo
	if err := json.Unmarshal(raw, &en); err != nil {
		return "", "", "", fmt.Errorf("read the exam number of page %d: %w", pageID, err)
	}
	return en.Value, barcode, grid, nil
}
