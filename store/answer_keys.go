package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// KeyRow is one item of an answer key as stored.
type KeyRow struct {
	Form          string
	Item          int
	Kind          saoyue.ItemKind
	Answers       []string
	Points        float64
	PartialPoints float64
	Excluded      bool
}

// ReplaceKey swaps a subject's key for one form in one statement sequence
// of the caller's transaction, returning the key it replaced.
func ReplaceKey(ctx context.Context, tx pgx.Tx, subjectID int64, form string, rows []KeyRow) (old []KeyRow, err error) {
	old, err = keyRows(ctx, tx, subjectID, form)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM answer_keys WHERE subject_id = $1 AND form = $2`, subjectID, form); err != nil {
		return nil, fmt.Errorf("replace answer key: %w", err)
	}
	for _, r := range rows {
		if _, err := tx.Exec(ctx, `
			INSERT INTO answer_keys (subject_id, form, item_no, kind, answers, points, partial_points, excluded)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			subjectID, form, r.Item, r.Kind, r.Answers, r.Points, r.PartialPoints, r.Excluded); err != nil {
			return nil, fmt.Errorf("save answer key item %d: %w", r.Item, err)
		}
	}
	return old, nil
}

// Keys returns every form's key of a subject.
func Keys(ctx context.Context, q TxOrPool, subjectID int64) ([]KeyRow, error) {
	return keyRows(ctx, q, subjectID, "*")
}

const keyColumns = `form, item_no, kind, answers, points::float8, partial_points::float8, excluded`

// cardKeySQL is the answer key of a card's subject, every form.
const cardKeySQL = `SELECT ` + keyColumns + ` FROM answer_keys
	WHERE subject_id = (SELECT subject_id FROM cards WHERE id = $1) ORDER BY form, item_no`

func keyRows(ctx context.Context, q TxOrPool, subjectID int64, form string) ([]KeyRow, error) {
	rows, err := q.Query(ctx, `SELECT `+keyColumns+` FROM answer_keys
		WHERE subject_id = $1 AND ($2 = '*' OR form = $2) ORDER BY form, item_no`, subjectID, form)
	if err != nil {
		return nil, fmt.Errorf("read answer key: %w", err)
	}
	return collectKeyRows(rows)
}

func collectKeyRows(rows pgx.Rows) ([]KeyRow, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (KeyRow, error) {
		var k KeyRow
		err := r.Scan(&k.Form, &k.Item, &k.Kind, &k.Answers, &k.Points, &k.PartialPoints, &k.Excluded)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("read answer key: %w", err)
	}
	return out, nil
}

// KnowledgeRow is one item's 知识点 and abilities (双向细目表).
type KnowledgeRow struct {
	SubjectID int64
	Item      string // objective item number or question group code
	Knowledge []string
	Abilities []string
}

// SaveKnowledge stores the knowledge points and abilities of the given
// items of a subject, replacing what they had; an item with neither loses
// its row.
func SaveKnowledge(ctx context.Context, tx pgx.Tx, subjectID int64, rows []KnowledgeRow) error {
	for _, r := range rows {
		if len(r.Knowledge) == 0 && len(r.Abilities) == 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM item_knowledge WHERE subject_id = $1 AND item = $2`, subjectID, r.Item); err != nil {
				return fmt.Errorf("save knowledge points of item %s: %w", r.Item, err)
			}
			continue
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO item_knowledge (subject_id, item, knowledge, abilities) VALUES ($1, $2, $3, $4)
			ON CONFLICT (subject_id, item) DO UPDATE SET knowledge = EXCLUDED.knowledge, abilities = EXCLUDED.abilities`,
			subjectID, r.Item, nonNil(r.Knowledge), nonNil(r.Abilities))
		if err != nil {
			return fmt.Errorf("save knowledge points of item %s: %w", r.Item, err)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ReportKnowledge lists the knowledge points and abilities of every item
// of the exam.
func ReportKnowledge(ctx context.Context, q TxOrPool, examID int64) ([]KnowledgeRow, error) {
	rows, err := q.Query(ctx, `
		SELECT k.subject_id, k.item, k.knowledge, k.abilities
		FROM item_knowledge k JOIN subjects s ON s.id = k.subject_id
		WHERE s.exam_id = $1 ORDER BY k.subject_id, k.item`, examID)
	if err != nil {
		return nil, fmt.Errorf("read knowledge points: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (KnowledgeRow, error) {
		var k KnowledgeRow
		err := r.Scan(&k.SubjectID, &k.Item, &k.Knowledge, &k.Abilities)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("read knowledge points: %w", err)
	}
	return out, nil
}
