package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// What the statistics report reads: the papers (answer keys and question
// groups), the candidates, absent and violation flags, and item scores.
// Package report turns these rows into grading's in-memory results.

// ReportSettings are an exam's report thresholds, fractions of each full
// score, the width of the score bands, and the settings of the grade
// bands, 名次段, 临界生 and the 三率一分 composite.
type ReportSettings struct {
	Pass      float64
	Excellent float64
	Low       float64
	BandWidth float64

	Good      float64   // 良好 line, fraction of the full score
	GradeMode string    // "score" or "percentile"
	GradeCuts []float64 // four descending cuts for A–D; empty = the mode's defaults
	TopN      []int     // 名次段: county top-N cut-offs
	Critical  float64   // 临界生: within this fraction of the full score of a line
	Composite []float64 // weights of mean rate, pass rate, excellent rate, 1 − low rate
}

// DefaultReportSettings apply to an exam nobody configured: pass 60%
// (DOMAIN rule 14), excellent 85%, low below 40%, bands of 10 points,
// 良好 75%, grades A–E by score at 85/75/60/40%, top 50/100/200/500,
// 临界生 within 5% of the full score, composite 0.4/0.2/0.2/0.2.
var DefaultReportSettings = ReportSettings{Pass: 0.6, Excellent: 0.85, Low: 0.4, BandWidth: 10,
	Good: 0.75, GradeMode: "score", TopN: []int{50, 100, 200, 500}, Critical: 0.05, Composite: []float64{0.4, 0.2, 0.2, 0.2}}

// GetReportSettings returns the exam's settings, or the defaults.
func GetReportSettings(ctx context.Context, q TxOrPool, examID int64) (ReportSettings, error) {
	s := DefaultReportSettings
	err := q.QueryRow(ctx, `
		SELECT pass_ratio::float8, excellent_ratio::float8, low_ratio::float8, band_width::float8,
		       good_ratio::float8, grade_mode, grade_cuts::float8[], top_n, critical_margin::float8, composite_weights::float8[]
		FROM report_settings WHERE exam_id = $1`, examID).Scan(&s.Pass, &s.Excellent, &s.Low, &s.BandWidth,
		&s.Good, &s.GradeMode, &s.GradeCuts, &s.TopN, &s.Critical, &s.Composite)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultReportSettings, nil
	}
	if err != nil {
		return s, fmt.Errorf("read report settings: %w", err)
	}
	return s, nil
}

// SetReportSettings stores the exam's settings; zero values of the newer
// settings take the defaults, except Good: 0 is stored and means the
// default 75% where it lies between the pass and excellent lines.
func SetReportSettings(ctx context.Context, q TxOrPool, examID int64, s ReportSettings) error {
	d := DefaultReportSettings
	if s.GradeMode == "" {
		s.GradeMode = d.GradeMode
	}
	if s.GradeCuts == nil {
		s.GradeCuts = []float64{}
	}
	if len(s.TopN) == 0 {
		s.TopN = d.TopN
	}
	if s.Critical == 0 {
		s.Critical = d.Critical
	}
	if len(s.Composite) == 0 {
		s.Composite = d.Composite
	}
	_, err := q.Exec(ctx, `
		INSERT INTO report_settings (exam_id, pass_ratio, excellent_ratio, low_ratio, band_width,
			good_ratio, grade_mode, grade_cuts, top_n, critical_margin, composite_weights)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (exam_id) DO UPDATE SET pass_ratio = EXCLUDED.pass_ratio,
			excellent_ratio = EXCLUDED.excellent_ratio, low_ratio = EXCLUDED.low_ratio, band_width = EXCLUDED.band_width,
			good_ratio = EXCLUDED.good_ratio, grade_mode = EXCLUDED.grade_mode, grade_cuts = EXCLUDED.grade_cuts,
			top_n = EXCLUDED.top_n, critical_margin = EXCLUDED.critical_margin, composite_weights = EXCLUDED.composite_weights`,
		examID, s.Pass, s.Excellent, s.Low, s.BandWidth, s.Good, s.GradeMode, s.GradeCuts, s.TopN, s.Critical, s.Composite)
	if err != nil {
		return fmt.Errorf("save report settings: %w", err)
	}
	return nil
}

// ReportKeyItem is one objective item of a subject's key, over all forms:
// the points are the largest of the forms, the answers those of the first
// form (forms A and B share item numbers).
type ReportKeyItem struct {
	SubjectID int64
	ItemNo    int
	Kind      saoyue.ItemKind
	Answers   []string
	Points    float64
	Excluded  bool // excluded in any form: the item counts for nobody
}

// ReportKeyItems lists the objective items of every subject of the exam
// by subject and item number.
func ReportKeyItems(ctx context.Context, q TxOrPool, examID int64) ([]ReportKeyItem, error) {
	rows, err := q.Query(ctx, `
		SELECT DISTINCT ON (k.subject_id, k.item_no)
		       k.subject_id, k.item_no, k.kind, k.answers,
		       (max(k.points) OVER w)::float8, bool_or(k.excluded) OVER w
		FROM answer_keys k JOIN subjects s ON s.id = k.subject_id
		WHERE s.exam_id = $1
		WINDOW w AS (PARTITION BY k.subject_id, k.item_no)
		ORDER BY k.subject_id, k.item_no, k.form`, examID)
	if err != nil {
		return nil, fmt.Errorf("read answer keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReportKeyItem, error) {
		var k ReportKeyItem
		err := r.Scan(&k.SubjectID, &k.ItemNo, &k.Kind, &k.Answers, &k.Points, &k.Excluded)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("read answer keys: %w", err)
	}
	return out, nil
}

// ReportGroup is one subjective question group.
type ReportGroup struct {
	SubjectID int64
	Code      string
	Name      string
	MaxScore  float64
}

// ReportGroups lists the question groups of every subject of the exam.
func ReportGroups(ctx context.Context, q TxOrPool, examID int64) ([]ReportGroup, error) {
	rows, err := q.Query(ctx, `
		SELECT g.subject_id, g.code, g.name, g.max_score::float8
		FROM question_groups g JOIN subjects s ON s.id = g.subject_id
		WHERE s.exam_id = $1 ORDER BY g.subject_id, g.id`, examID)
	if err != nil {
		return nil, fmt.Errorf("read question groups: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReportGroup, error) {
		var g ReportGroup
		err := r.Scan(&g.SubjectID, &g.Code, &g.Name, &g.MaxScore)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("read question groups: %w", err)
	}
	return out, nil
}

// CardFlags is whether a candidate's card of a subject was scanned, and
// with the absent or violation mark.
type CardFlags struct {
	CandidateID int64
	SubjectID   int64
	Absent      bool
	Violation   bool
}

// ReportCards lists the cards of the exam with their flags.
func ReportCards(ctx context.Context, q TxOrPool, examID int64) ([]CardFlags, error) {
	rows, err := q.Query(ctx, `
		SELECT k.candidate_id, k.subject_id, k.absent, k.violation
		FROM cards k JOIN subjects s ON s.id = k.subject_id
		WHERE s.exam_id = $1`, examID)
	if err != nil {
		return nil, fmt.Errorf("read cards: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CardFlags, error) {
		var c CardFlags
		err := r.Scan(&c.CandidateID, &c.SubjectID, &c.Absent, &c.Violation)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read cards: %w", err)
	}
	return out, nil
}

// ReportItemScore is one item score of one candidate.
type ReportItemScore struct {
	CandidateID int64
	SubjectID   int64
	Item        string
	Score       float64
	Response    string
}

// EachReportItemScore calls fn for every item score of the exam. It
// streams rather than returning a slice: a county exam has millions of
// item scores, and the caller keeps them in a compact matrix instead.
func EachReportItemScore(ctx context.Context, q TxOrPool, examID int64, fn func(ReportItemScore) error) error {
	rows, err := q.Query(ctx, `
		SELECT i.candidate_id, i.subject_id, i.item, i.score::float8, i.response
		FROM item_scores i JOIN subjects s ON s.id = i.subject_id
		WHERE s.exam_id = $1`, examID)
	if err != nil {
		return fmt.Errorf("read item scores: %w", err)
	}
	defer rows.Close()
	var r ReportItemScore
	for rows.Next() {
		if err := rows.Scan(&r.CandidateID, &r.SubjectID, &r.Item, &r.Score, &r.Response); err != nil {
			return fmt.Errorf("read item scores: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read item scores: %w", err)
	}
	return nil
}

// ReportScoredItem is an item somebody has a score for, with the highest
// score given: the report adds items that have scores but are missing from
// the keys and groups, rather than silently dropping points.
type ReportScoredItem struct {
	SubjectID int64
	Item      string
	MaxScore  float64
}

// ReportScoredItems lists every item of the exam that has scores.
func ReportScoredItems(ctx context.Context, q TxOrPool, examID int64) ([]ReportScoredItem, error) {
	rows, err := q.Query(ctx, `
		SELECT i.subject_id, i.item, max(i.score)::float8
		FROM item_scores i JOIN subjects s ON s.id = i.subject_id
		WHERE s.exam_id = $1 GROUP BY i.subject_id, i.item`, examID)
	if err != nil {
		return nil, fmt.Errorf("read scored items: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReportScoredItem, error) {
		var s ReportScoredItem
		err := r.Scan(&s.SubjectID, &s.Item, &s.MaxScore)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("read scored items: %w", err)
	}
	return out, nil
}

// ReportEnrolment counts, per school code of the exam, the students of the
// exam's grade in the roster (all grades when the exam names none): the
// enrolment a sample school's candidates stand for.
func ReportEnrolment(ctx context.Context, q TxOrPool, examID int64) (map[string]int, error) {
	rows, err := q.Query(ctx, `
		SELECT sc.code, count(st.id)
		FROM exams e JOIN exam_schools es ON es.exam_id = e.id JOIN schools sc ON sc.id = es.school_id
		LEFT JOIN students st ON st.school_id = sc.id AND (e.grade = '' OR st.grade = e.grade)
		WHERE e.id = $1 GROUP BY sc.code`, examID)
	if err != nil {
		return nil, fmt.Errorf("count enrolment: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, fmt.Errorf("count enrolment: %w", err)
		}
		out[code] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count enrolment: %w", err)
	}
	return out, nil
}

// ReportSubGroups lists the question groups of the exam that have
// sub-questions, with their marking settings.
func ReportSubGroups(ctx context.Context, q TxOrPool, examID int64) ([]*MarkingGroup, error) {
	rows, err := q.Query(ctx, `
		SELECT `+markingGroupColumns+`
		FROM question_groups g JOIN subjects s ON s.id = g.subject_id
		WHERE s.exam_id = $1 AND jsonb_array_length(g.subs) > 0 ORDER BY g.id`, examID)
	if err != nil {
		return nil, fmt.Errorf("read groups with sub-questions: %w", err)
	}
	defer rows.Close()
	var out []*MarkingGroup
	for rows.Next() {
		g, err := scanMarkingGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("read groups with sub-questions: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// ReportCropMarks is the marks of one answer (crop) of a group with
// sub-questions, with the candidate it belongs to.
type ReportCropMarks struct {
	CandidateID int64
	GroupID     int64
	Marks       []CropMark
}

// EachReportCropMarks calls fn with the counting marks of every identified
// answer of the exam's groups with sub-questions (the same marks
// ListCropMarks gives the marking engine), one crop at a time.
func EachReportCropMarks(ctx context.Context, q TxOrPool, examID int64, fn func(ReportCropMarks) error) error {
	rows, err := q.Query(ctx, `
		SELECT c.id, ca.candidate_id, g.id, t.round, m.kind, m.marker_id, m.total::float8, m.scores::float8[]
		FROM marks m JOIN marking_tasks t ON t.id = m.task_id
		JOIN crops c ON c.id = t.crop_id JOIN cards ca ON ca.id = c.card_id
		JOIN question_groups g ON g.id = c.group_id JOIN subjects s ON s.id = g.subject_id
		WHERE s.exam_id = $1 AND jsonb_array_length(g.subs) > 0 AND t.kind = 'normal' AND t.status <> 'void'
		ORDER BY c.id, m.id`, examID)
	if err != nil {
		return fmt.Errorf("read marks of sub-questions: %w", err)
	}
	defer rows.Close()
	var cur ReportCropMarks
	crop := int64(-1)
	for rows.Next() {
		var id int64
		var m CropMark
		var cand, group int64
		if err := rows.Scan(&id, &cand, &group, &m.Round, &m.Kind, &m.MarkerID, &m.Total, &m.Scores); err != nil {
			return fmt.Errorf("read marks of sub-questions: %w", err)
		}
		if id != crop {
			if crop >= 0 {
				if err := fn(cur); err != nil {
					return err
				}
			}
			crop, cur = id, ReportCropMarks{CandidateID: cand, GroupID: group}
		}
		cur.Marks = append(cur.Marks, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read marks of sub-questions: %w", err)
	}
	if crop >= 0 {
		return fn(cur)
	}
	return nil
}

// SharedExam is another exam some of an exam's students also sat: a
// candidate for the 进退步 comparison.
type SharedExam struct {
	Code, Name string
	Shared     int // students (roster rows) who sat both
}

// ExamsSharingStudents lists the other exams that share students with the
// exam of code, matched by roster row as the comparison matches them,
// newest first.
func ExamsSharingStudents(ctx context.Context, q TxOrPool, code string) ([]SharedExam, error) {
	rows, err := q.Query(ctx, `
		SELECT o.code, o.name, count(DISTINCT oc.student_id)
		FROM exams e JOIN candidates c ON c.exam_id = e.id
		JOIN candidates oc ON oc.student_id = c.student_id AND oc.exam_id <> e.id
		JOIN exams o ON o.id = oc.exam_id
		WHERE e.code = $1
		GROUP BY o.id, o.code, o.name, o.created_at ORDER BY o.created_at DESC, o.code`, code)
	if err != nil {
		return nil, fmt.Errorf("list exams sharing students: %w", err)
	}
	defer rows.Close()
	var out []SharedExam
	for rows.Next() {
		var x SharedExam
		if err := rows.Scan(&x.Code, &x.Name, &x.Shared); err != nil {
			return nil, fmt.Errorf("list exams sharing students: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list exams sharing students: %w", err)
	}
	return out, nil
}
