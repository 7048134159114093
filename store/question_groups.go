package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// QuestionGroup is the unit of marking assignment: one or more answer
// boxes (sub-questions) marked together.
type QuestionGroup struct {
	ID        int64
	SubjectID int64
	Code      string
	Name      string
	MaxScore  float64
	Step      float64
	Mode      string
	Tolerance float64
	Subs      []SubQuestion
}

// SubQuestion is one answer box of a group with its own score.
type SubQuestion struct {
	Sub  string  `json:"sub"`
	Max  float64 `json:"max"`
	Step float64 `json:"step"`
}

// UpsertQuestionGroup creates the group or updates its scoring shape; the
// marking mode and tolerance set by the centre are kept.
func UpsertQuestionGroup(ctx context.Context, q TxOrPool, g *QuestionGroup) error {
	subs, err := json.Marshal(g.Subs)
	if err != nil {
		return err
	}
	err = q.QueryRow(ctx, `
		INSERT INTO question_groups (subject_id, code, name, max_score, step, subs)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (subject_id, code) DO UPDATE
		SET name = EXCLUDED.name, max_score = EXCLUDED.max_score, step = EXCLUDED.step, subs = EXCLUDED.subs
		RETURNING id, mode, tolerance::float8`, g.SubjectID, g.Code, g.Name, g.MaxScore, g.Step, subs).Scan(&g.ID, &g.Mode, &g.Tolerance)
	if err != nil {
		return fmt.Errorf("save question group %s: %w", g.Code, err)
	}
	return nil
}
