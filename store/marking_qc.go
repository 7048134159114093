package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// ErrProblemNotFound is returned for an unknown or already resolved problem flag.
var ErrProblemNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这份问题卷，或已处理"}

// InsertControlAnswer makes the task's crop a control answer with the
// leader's scores; giving the same crop again replaces its scores.
func InsertControlAnswer(ctx context.Context, q TxOrPool, t *MarkingTask, scores []float64, total float64, by int64) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `
		INSERT INTO control_answers (group_id, crop_id, school_id, scores, total, created_by)
		VALUES ($1, $2, $3, $4::float8[], $5, $6)
		ON CONFLICT (group_id, crop_id) DO UPDATE SET scores = EXCLUDED.scores, total = EXCLUDED.total, active = true
		RETURNING id`, t.GroupID, t.CropID, t.SchoolID, scores, total, by).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save control answer: %w", err)
	}
	return id, nil
}

// ProblemFlag is an answer a marker could not mark (问题卷).
type ProblemFlag struct {
	ID        int64
	TaskID    int64
	GroupID   int64
	SchoolID  int64
	MarkerID  int64
	Reason    saoyue.ProblemReason
	Note      string
	Status    string
	CreatedAt time.Time
}

// InsertProblemFlag records a flag.
func InsertProblemFlag(ctx context.Context, q TxOrPool, p *ProblemFlag) error {
	err := q.QueryRow(ctx, `
		INSERT INTO problem_flags (task_id, group_id, school_id, marker_id, reason, note)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, status, created_at`,
		p.TaskID, p.GroupID, p.SchoolID, p.MarkerID, p.Reason, p.Note).Scan(&p.ID, &p.Status, &p.CreatedAt)
	if err != nil {
		return fmt.Errorf("flag answer: %w", err)
	}
	return nil
}

const problemColumns = `id, task_id, group_id, school_id, marker_id, reason, note, status, created_at`

func scanProblem(r pgx.Row) (ProblemFlag, error) {
	var p ProblemFlag
	err := r.Scan(&p.ID, &p.TaskID, &p.GroupID, &p.SchoolID, &p.MarkerID, &p.Reason, &p.Note, &p.Status, &p.CreatedAt)
	return p, err
}

// ListOpenProblems returns the group's open flags, oldest first, leaving
// out those of one school (the leader's own: the cross-school rule).
func ListOpenProblems(ctx context.Context, q TxOrPool, groupID, exceptSchoolID int64) ([]ProblemFlag, error) {
	rows, err := q.Query(ctx, `SELECT `+problemColumns+` FROM problem_flags
		WHERE group_id = $1 AND status = 'open' AND school_id <> $2 ORDER BY id`, groupID, exceptSchoolID)
	if err != nil {
		return nil, fmt.Errorf("list problem answers: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProblemFlag, error) { return scanProblem(r) })
	if err != nil {
		return nil, fmt.Errorf("list problem answers: %w", err)
	}
	return ps, nil
}

// LockOpenProblem locks an open flag for resolution.
func LockOpenProblem(ctx context.Context, q TxOrPool, id int64) (*ProblemFlag, error) {
	p, err := scanProblem(q.QueryRow(ctx, `SELECT `+problemColumns+` FROM problem_flags
		WHERE id = $1 AND status = 'open' FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("problem %d: %w", id, ErrProblemNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read problem %d: %w", id, err)
	}
	return &p, nil
}

// ResolveProblem closes a flag.
func ResolveProblem(ctx context.Context, q TxOrPool, id, by int64, resolution string) error {
	_, err := q.Exec(ctx, `UPDATE problem_flags SET status = 'resolved', resolution = $3, resolved_by = $2, resolved_at = now()
		WHERE id = $1`, id, by, resolution)
	if err != nil {
		return fmt.Errorf("resolve problem %d: %w", id, err)
	}
	return nil
}

// QCMark is one mark as quality control sees it.
type QCMark struct {
	MarkerID   int64
	Kind       saoyue.MarkKind // normal, arbitration, control, remark
	Total      float64
	DurationMS int
	CreatedAt  time.Time
	Reference  *float64 // control: the leader's score; remark: the marker's first mark
}

// ListQCMarks returns every mark of the group's markers that quality
// control looks at, with the reference score of control and re-marks.
func ListQCMarks(ctx context.Context, q TxOrPool, groupID int64) ([]QCMark, error) {
	rows, err := q.Query(ctx, `
		SELECT m.marker_id, m.kind, m.total::float8, m.duration_ms, m.created_at,
		       CASE t.kind WHEN 'control' THEN ca.total::float8 WHEN 'remark' THEN rm.total::float8 END
		FROM marks m
		JOIN marking_tasks t ON t.id = m.task_id
		LEFT JOIN control_answers ca ON ca.id = t.control_id
		LEFT JOIN marks rm ON rm.id = t.ref_mark_id
		WHERE t.group_id = $1 AND m.kind IN ('normal','arbitration','control','remark')
		ORDER BY m.id`, groupID)
	if err != nil {
		return nil, fmt.Errorf("read marks for quality control: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (QCMark, error) {
		var m QCMark
		err := r.Scan(&m.MarkerID, &m.Kind, &m.Total, &m.DurationMS, &m.CreatedAt, &m.Reference)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("read marks for quality control: %w", err)
	}
	return ms, nil
}

// SampledMark is a marker's mark picked for the leader to look at.
type SampledMark struct {
	Mark
	Round int
}

// SampleMarks picks up to n of the marker's normal marks in the group at
// random, leaving out answers of one school (the leader's own).
func SampleMarks(ctx context.Context, q TxOrPool, groupID, markerID, exceptSchoolID int64, n int) ([]SampledMark, error) {
	rows, err := q.Query(ctx, `
		SELECT `+markColumns+`, t.round FROM marks m JOIN marking_tasks t ON t.id = m.task_id
		WHERE t.group_id = $1 AND m.marker_id = $2 AND t.kind = 'normal' AND m.kind IN ('normal','arbitration')
		  AND t.school_id <> $3
		ORDER BY random() LIMIT $4`, groupID, markerID, exceptSchoolID, n)
	if err != nil {
		return nil, fmt.Errorf("sample marks: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SampledMark, error) {
		var s SampledMark
		m := &s.Mark
		err := r.Scan(&m.ID, &m.TaskID, &m.MarkerID, &m.Scores, &m.Total, &m.Kind, &m.DurationMS,
			&m.CreatedAt, &m.UpdatedAt, &m.ReturnedAt, &m.ReturnReason, &s.Round)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("sample marks: %w", err)
	}
	return ms, nil
}

// GroupProgress counts a group's normal tasks by state.
type GroupProgress struct {
	GroupID        int64
	Code           string
	Mode           string
	Answers        int // crops with tasks
	Tasks          int // normal tasks, not void
	Marked         int
	Open           int
	Leased         int
	Problems       int
	Arbitrations   int // round-3 tasks not void
	ArbitrationsDo int // of which not marked yet
	Markers        int // teachers assigned
	Scored         int // crops whose final score is written
}

// ListGroupProgress returns the progress of every group of a subject.
func ListGroupProgress(ctx context.Context, q TxOrPool, subjectID int64) ([]GroupProgress, error) {
	rows, err := q.Query(ctx, `
		SELECT g.id, g.code, g.mode,
			(SELECT count(DISTINCT crop_id) FROM marking_tasks t WHERE t.group_id = g.id AND t.kind = 'normal')::int,
			count(t.id) FILTER (WHERE t.status <> 'void')::int,
			count(t.id) FILTER (WHERE t.status = 'marked')::int,
			count(t.id) FILTER (WHERE t.status = 'open' OR t.status = 'leased' AND t.lease_until < now())::int,
			count(t.id) FILTER (WHERE t.status = 'leased' AND t.lease_until >= now())::int,
			count(t.id) FILTER (WHERE t.status = 'problem')::int,
			count(t.id) FILTER (WHERE t.round = 3 AND t.status <> 'void')::int,
			count(t.id) FILTER (WHERE t.round = 3 AND t.status NOT IN ('void','marked'))::int,
			(SELECT count(*) FROM marking_assignments a WHERE a.group_id = g.id)::int,
			(SELECT count(*) FROM item_scores s JOIN subjects su ON su.id = s.subject_id
			 WHERE s.subject_id = g.subject_id AND s.item = g.code AND s.source = 'mark')::int
		FROM question_groups g
		LEFT JOIN marking_tasks t ON t.group_id = g.id AND t.kind = 'normal'
		WHERE g.subject_id = $1
		GROUP BY g.id ORDER BY g.id`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("read marking progress: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (GroupProgress, error) {
		var p GroupProgress
		err := r.Scan(&p.GroupID, &p.Code, &p.Mode, &p.Answers, &p.Tasks, &p.Marked, &p.Open, &p.Leased,
			&p.Problems, &p.Arbitrations, &p.ArbitrationsDo, &p.Markers, &p.Scored)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read marking progress: %w", err)
	}
	return ps, nil
}

// MarkerCounts is what a marker sees of their own progress.
type MarkerCounts struct {
	Marked    int // normal and arbitration marks given
	Held      int // tasks leased to them now
	Returned  int // marks sent back, waiting
	Available int // tasks they could be given now (not their school)
}

// CountMarkerWork counts the marker's own work in the group.
func CountMarkerWork(ctx context.Context, q TxOrPool, markerID, groupID, schoolID int64) (MarkerCounts, error) {
	var c MarkerCounts
	err := q.QueryRow(ctx, `
		SELECT
			(SELECT count(*) FROM marks m JOIN marking_tasks t ON t.id = m.task_id
			 WHERE m.marker_id = $1 AND t.group_id = $2 AND m.kind IN ('normal','arbitration'))::int,
			(SELECT count(*) FROM marking_tasks WHERE assigned_to = $1 AND group_id = $2 AND status = 'leased')::int,
			(SELECT count(*) FROM marks m JOIN marking_tasks t ON t.id = m.task_id
			 WHERE m.marker_id = $1 AND t.group_id = $2 AND m.returned_at IS NOT NULL)::int,
			(SELECT count(*) FROM marking_tasks WHERE group_id = $2 AND kind = 'normal' AND school_id <> $3
			 AND (status = 'open' OR status = 'leased' AND lease_until < now()))::int`,
		markerID, groupID, schoolID).Scan(&c.Marked, &c.Held, &c.Returned, &c.Available)
	if err != nil {
		return c, fmt.Errorf("count marking work: %w", err)
	}
	return c, nil
}

// LoadMarkingSecret returns the installation's key for opaque task ids.
func LoadMarkingSecret(ctx context.Context, q TxOrPool) ([]byte, error) {
	var key []byte
	if err := q.QueryRow(ctx, `SELECT key FROM marking_secret WHERE id = 1`).Scan(&key); err != nil {
		return nil, fmt.Errorf("read marking key: %w", err)
	}
	return key, nil
}
