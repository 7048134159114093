package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
)

// ErrGroupNotFound is returned for an unknown question group.
var ErrGroupNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这个题组"}

// ErrSubjectNotFound is returned for a subject no exam has: an unknown
// subject id, or a subject code the exam does not have.
var ErrSubjectNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这场考试或这一学科"}

// MarkingGroup is a question group with everything marking needs: its
// score shape (sub-questions from the template) and its mode settings.
type MarkingGroup struct {
	ID           int64
	SubjectID    int64
	ExamID       int64
	Code         string
	Name         string
	MaxScore     float64
	Step         float64
	Mode         string // "1+0" or "2+1"
	Tolerance    float64
	FinalRule    string // "mean" of the agreeing pair, or "arbiter"'s score
	Compare      string // "gt": disagree when |a-b| > tolerance; "ge": when >=
	Arbiter      string // "marker": any third marker; "leader": only leaders
	RemarkShare  float64
	ControlShare float64
	Subs         []SubQuestion
}

const markingGroupColumns = `g.id, g.subject_id, s.exam_id, g.code, g.name, g.max_score::float8, g.step::float8,
	g.mode, g.tolerance::float8, g.final_rule, g.compare, g.arbiter,
	g.remark_share::float8, g.control_share::float8, g.subs`

func scanMarkingGroup(row pgx.Row) (*MarkingGroup, error) {
	var g MarkingGroup
	var subs []byte
	err := row.Scan(&g.ID, &g.SubjectID, &g.ExamID, &g.Code, &g.Name, &g.MaxScore, &g.Step,
		&g.Mode, &g.Tolerance, &g.FinalRule, &g.Compare, &g.Arbiter,
		&g.RemarkShare, &g.ControlShare, &subs)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(subs, &g.Subs); err != nil {
		return nil, fmt.Errorf("sub-questions of group %s: %w", g.Code, err)
	}
	return &g, nil
}

// GetMarkingGroup returns one group with its marking settings.
func GetMarkingGroup(ctx context.Context, q TxOrPool, id int64) (*MarkingGroup, error) {
	g, err := scanMarkingGroup(q.QueryRow(ctx, `
		SELECT `+markingGroupColumns+`
		FROM question_groups g JOIN subjects s ON s.id = g.subject_id
		WHERE g.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("question group %d: %w", id, ErrGroupNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read question group %d: %w", id, err)
	}
	return g, nil
}

// ListMarkingGroups returns a subject's groups in code order.
func ListMarkingGroups(ctx context.Context, q TxOrPool, subjectID int64) ([]MarkingGroup, error) {
	rows, err := q.Query(ctx, `
		SELECT `+markingGroupColumns+`
		FROM question_groups g JOIN subjects s ON s.id = g.subject_id
		WHERE g.subject_id = $1 ORDER BY g.id`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("list question groups: %w", err)
	}
	gs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MarkingGroup, error) {
		g, err := scanMarkingGroup(r)
		if err != nil {
			return MarkingGroup{}, err
		}
		return *g, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list question groups: %w", err)
	}
	return gs, nil
}

// UpdateMarkingSettings saves the mode and the 2+1 and QC settings of a group.
func UpdateMarkingSettings(ctx context.Context, q TxOrPool, g *MarkingGroup) error {
	tag, err := q.Exec(ctx, `
		UPDATE question_groups SET mode = $2, tolerance = $3, final_rule = $4, compare = $5,
			arbiter = $6, remark_share = $7, control_share = $8
		WHERE id = $1`, g.ID, g.Mode, g.Tolerance, g.FinalRule, g.Compare, g.Arbiter, g.RemarkShare, g.ControlShare)
	if err != nil {
		return fmt.Errorf("save marking settings of group %s: %w", g.Code, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("question group %d: %w", g.ID, ErrGroupNotFound)
	}
	return nil
}

// SubjectByCode finds a subject of an exam by the exam's and subject's codes.
func SubjectByCode(ctx context.Context, q TxOrPool, examCode, subjectCode string) (examID, subjectID int64, err error) {
	err = q.QueryRow(ctx, `
		SELECT e.id, s.id FROM subjects s JOIN exams e ON e.id = s.exam_id
		WHERE e.code = $1 AND s.code = $2`, examCode, subjectCode).Scan(&examID, &subjectID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, fmt.Errorf("subject %s of exam %s: %w", subjectCode, examCode, ErrSubjectNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("find subject %s of exam %s: %w", subjectCode, examCode, err)
	}
	return examID, subjectID, nil
}
