package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// ErrMarkNotFound is returned when a task has no mark of the kind asked for.
var ErrMarkNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这条评分"}

// Mark is one score given to one task.
type Mark struct {
	ID           int64
	TaskID       int64
	MarkerID     int64
	Scores       []float64 // per sub-question
	Total        float64
	Kind         saoyue.MarkKind
	DurationMS   int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ReturnedAt   *time.Time
	ReturnReason string
}

const markColumns = `m.id, m.task_id, m.marker_id, m.scores::float8[], m.total::float8, m.kind, m.duration_ms,
	m.created_at, m.updated_at, m.returned_at, m.return_reason`

func scanMark(r pgx.Row) (Mark, error) {
	var m Mark
	err := r.Scan(&m.ID, &m.TaskID, &m.MarkerID, &m.Scores, &m.Total, &m.Kind, &m.DurationMS,
		&m.CreatedAt, &m.UpdatedAt, &m.ReturnedAt, &m.ReturnReason)
	return m, err
}

// InsertMark stores a mark and sets its id and times.
func InsertMark(ctx context.Context, q TxOrPool, m *Mark) error {
	err := q.QueryRow(ctx, `
		INSERT INTO marks (task_id, marker_id, scores, total, kind, duration_ms)
		VALUES ($1, $2, $3::float8[], $4, $5, $6)
		RETURNING id, created_at, updated_at`,
		m.TaskID, m.MarkerID, m.Scores, m.Total, m.Kind, m.DurationMS).Scan(&m.ID, &m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save mark: %w", err)
	}
	return nil
}

// UpdateMarkScores replaces a mark's scores; a returned mark counts as
// answered again.
func UpdateMarkScores(ctx context.Context, q TxOrPool, id int64, scores []float64, total float64) error {
	_, err := q.Exec(ctx, `
		UPDATE marks SET scores = $2::float8[], total = $3, updated_at = now(),
			returned_at = NULL, returned_by = NULL, return_reason = ''
		WHERE id = $1`, id, scores, total)
	if err != nil {
		return fmt.Errorf("change mark: %w", err)
	}
	return nil
}

// ReturnMark sends a mark back to its marker to be marked again.
func ReturnMark(ctx context.Context, q TxOrPool, id, by int64, reason string) error {
	_, err := q.Exec(ctx, `
		UPDATE marks SET returned_at = now(), returned_by = $2, return_reason = $3 WHERE id = $1`, id, by, reason)
	if err != nil {
		return fmt.Errorf("return mark: %w", err)
	}
	return nil
}

// TaskMark returns the task's own mark (not a leader's mark on it).
func TaskMark(ctx context.Context, q TxOrPool, taskID int64) (*Mark, error) {
	m, err := scanMark(q.QueryRow(ctx, `
		SELECT `+markColumns+` FROM marks m
		WHERE m.task_id = $1 AND m.kind <> 'leader' ORDER BY m.id LIMIT 1`, taskID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("task %d: %w", taskID, ErrMarkNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read mark: %w", err)
	}
	return &m, nil
}

// CropMark is a mark that counts toward a crop's score.
type CropMark struct {
	Round    int
	Kind     saoyue.MarkKind // normal, arbitration, leader
	MarkerID int64
	Total    float64
	Scores   []float64
}

// ListCropMarks returns the marks on the crop's normal tasks, oldest first.
func ListCropMarks(ctx context.Context, q TxOrPool, cropID int64) ([]CropMark, error) {
	rows, err := q.Query(ctx, `
		SELECT t.round, m.kind, m.marker_id, m.total::float8, m.scores::float8[]
		FROM marks m JOIN marking_tasks t ON t.id = m.task_id
		WHERE t.crop_id = $1 AND t.kind = 'normal' AND t.status <> 'void'
		ORDER BY m.id`, cropID)
	if err != nil {
		return nil, fmt.Errorf("read marks of answer: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CropMark, error) {
		var m CropMark
		err := r.Scan(&m.Round, &m.Kind, &m.MarkerID, &m.Total, &m.Scores)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("read marks of answer: %w", err)
	}
	return ms, nil
}

// SetMarkedItemScore writes the final mark of a crop as its candidate's
// score on the group (item = group code); with final nil it removes a score
// no longer decided. A crop of an unidentified card has no candidate yet
// and writes nothing.
func SetMarkedItemScore(ctx context.Context, q TxOrPool, cropID int64, final *float64) error {
	var err error
	if final == nil {
		_, err = q.Exec(ctx, `
			DELETE FROM item_scores s USING crops c, cards ca, question_groups g
			WHERE c.id = $1 AND ca.id = c.card_id AND g.id = c.group_id
			  AND s.candidate_id = ca.candidate_id AND s.subject_id = g.subject_id AND s.item = g.code AND s.source = 'mark'`,
			cropID)
	} else {
		_, err = q.Exec(ctx, `
			INSERT INTO item_scores (candidate_id, subject_id, item, score, source)
			SELECT ca.candidate_id, g.subject_id, g.code, $2, 'mark'
			FROM crops c JOIN cards ca ON ca.id = c.card_id JOIN question_groups g ON g.id = c.group_id
			WHERE c.id = $1
			ON CONFLICT (candidate_id, subject_id, item) DO UPDATE
			SET score = EXCLUDED.score, updated_at = now()
			WHERE item_scores.source = 'mark'`, cropID, *final)
	}
	if err != nil {
		return fmt.Errorf("save marked score: %w", err)
	}
	return nil
}

// HistoryEntry is one of a marker's own marks with its task.
type HistoryEntry struct {
	Mark
	TaskKind saoyue.MarkKind
	Round    int
}

// MarkerHistory returns the marker's latest marks in the group, newest
// first; returned marks first of all, since they wait for the marker.
func MarkerHistory(ctx context.Context, q TxOrPool, markerID, groupID int64, limit int) ([]HistoryEntry, error) {
	rows, err := q.Query(ctx, `
		SELECT `+markColumns+`, t.kind, t.round FROM marks m JOIN marking_tasks t ON t.id = m.task_id
		WHERE m.marker_id = $1 AND t.group_id = $2 AND m.kind <> 'leader'
		ORDER BY m.returned_at IS NULL, m.id DESC LIMIT $3`, markerID, groupID, limit)
	if err != nil {
		return nil, fmt.Errorf("read marking history: %w", err)
	}
	hs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HistoryEntry, error) {
		var h HistoryEntry
		m := &h.Mark
		err := r.Scan(&m.ID, &m.TaskID, &m.MarkerID, &m.Scores, &m.Total, &m.Kind, &m.DurationMS,
			&m.CreatedAt, &m.UpdatedAt, &m.ReturnedAt, &m.ReturnReason, &h.TaskKind, &h.Round)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("read marking history: %w", err)
	}
	return hs, nil
}
