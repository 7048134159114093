package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// The rows behind an exam's stages: the stage history, the
// per-subject marking start and the counts the transitions are checked
// against. Which transition needs what is decided in grading/lifecycle.go.

// StageLogEntry is one change of an exam's stage, or one subject's
// marking start (SubjectID set, From = To = the exam's stage).
type StageLogEntry struct {
	ID          int64
	SubjectID   *int64
	SubjectCode string
	SubjectName string
	From, To    saoyue.Stage
	Actor       string
	Forced      bool
	Reason      string
	OpenItems   json.RawMessage // what was still open when it was forced
	At          time.Time
}

// InsertStageLog records a stage change.
func InsertStageLog(ctx context.Context, q TxOrPool, examID int64, e StageLogEntry) error {
	items := e.OpenItems
	if len(items) == 0 {
		items = json.RawMessage("[]")
	}
	_, err := q.Exec(ctx, `
		INSERT INTO exam_stage_log (exam_id, subject_id, from_stage, to_stage, actor, forced, reason, open_items)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		examID, e.SubjectID, e.From, e.To, e.Actor, e.Forced, e.Reason, items)
	if err != nil {
		return fmt.Errorf("record stage change: %w", err)
	}
	return nil
}

// ListStageLog returns the exam's stage history, oldest first.
func ListStageLog(ctx context.Context, q TxOrPool, examID int64) ([]StageLogEntry, error) {
	rows, err := q.Query(ctx, `
		SELECT l.id, l.subject_id, COALESCE(s.code, ''), COALESCE(s.name, ''), l.from_stage, l.to_stage,
			l.actor, l.forced, l.reason, l.open_items, l.at
		FROM exam_stage_log l LEFT JOIN subjects s ON s.id = l.subject_id
		WHERE l.exam_id = $1 ORDER BY l.id`, examID)
	if err != nil {
		return nil, fmt.Errorf("read stage history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StageLogEntry, error) {
		var e StageLogEntry
		err := r.Scan(&e.ID, &e.SubjectID, &e.SubjectCode, &e.SubjectName, &e.From, &e.To,
			&e.Actor, &e.Forced, &e.Reason, &e.OpenItems, &e.At)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read stage history: %w", err)
	}
	return out, nil
}

// SetExamStage moves the exam to a stage. Entering rosters_frozen freezes
// the exam numbers if printing labels has not done so already.
func SetExamStage(ctx context.Context, q TxOrPool, examID int64, to string) error {
	_, err := q.Exec(ctx, `
		UPDATE exams SET status = $2,
			numbers_frozen_at = CASE WHEN $2 = 'rosters_frozen' THEN COALESCE(numbers_frozen_at, now()) ELSE numbers_frozen_at END
		WHERE id = $1`, examID, to)
	if err != nil {
		return fmt.Errorf("set exam stage: %w", err)
	}
	return nil
}

// OpenSubjectMarking starts a subject's marking; false if it had started.
func OpenSubjectMarking(ctx context.Context, q TxOrPool, subjectID int64, by string) (bool, error) {
	tag, err := q.Exec(ctx, `
		UPDATE subjects SET marking_opened_at = now(), marking_opened_by = $2
		WHERE id = $1 AND marking_opened_at IS NULL`, subjectID, by)
	if err != nil {
		return false, fmt.Errorf("open marking of subject %d: %w", subjectID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// SubjectMarkingState is what decides whether a subject may be marked now.
type SubjectMarkingState struct {
	ExamCode      string
	ExamStatus    saoyue.Stage
	SubjectName   string
	MarkingOpened bool
}

// LockSubjectMarking reads the stage of the subject's exam and whether its
// marking has started, holding a shared lock on the exam's row so the exam
// cannot change stage before the caller's transaction ends.
func LockSubjectMarking(ctx context.Context, tx pgx.Tx, subjectID int64) (SubjectMarkingState, error) {
	var s SubjectMarkingState
	err := tx.QueryRow(ctx, `
		SELECT e.code, e.status, su.name, su.marking_opened_at IS NOT NULL
		FROM subjects su JOIN exams e ON e.id = su.exam_id
		WHERE su.id = $1 FOR SHARE OF e`, subjectID).Scan(&s.ExamCode, &s.ExamStatus, &s.SubjectName, &s.MarkingOpened)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("subject %d: %w", subjectID, ErrSubjectNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("read marking state of subject %d: %w", subjectID, err)
	}
	return s, nil
}

// BatchExamStage returns the code and stage of a batch's exam.
func BatchExamStage(ctx context.Context, q TxOrPool, batchID int64) (code string, status saoyue.Stage, err error) {
	err = q.QueryRow(ctx, `
		SELECT e.code, e.status FROM batches b JOIN exams e ON e.id = b.exam_id WHERE b.id = $1`,
		batchID).Scan(&code, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", fmt.Errorf("batch %d: %w", batchID, ErrBatchNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("read stage of batch %d: %w", batchID, err)
	}
	return code, status, nil
}

// ExamStageCounts are the exam-wide counts the transitions check.
type ExamStageCounts struct {
	Candidates          int
	UnprintedSchools    []string // codes of participating schools with no label print
	OpenReviews         int      // 查分 requests not answered
	PendingScoreChanges int      // 查分 changes waiting for an approver
}

// SubjectStageCounts are one subject's counts.
type SubjectStageCounts struct {
	ID               int64
	Code, Name       string
	MarkingOpen      bool
	Templates        int
	KeyItems         int
	Groups           int
	GroupsNoMarker   []string // codes of question groups without a marker
	Cards            int
	OpenExceptions   int
	PendingApprovals int
	TasksOpen        int // normal tasks not yet marked (open or leased)
	TasksMarked      int
	Problems         int // open problem flags (问题卷)
}

// GetExamStageCounts counts what the exam-wide preconditions look at.
func GetExamStageCounts(ctx context.Context, q TxOrPool, examID int64) (ExamStageCounts, error) {
	var c ExamStageCounts
	err := q.QueryRow(ctx, `
		SELECT
			(SELECT count(*) FROM candidates WHERE exam_id = $1),
			ARRAY(SELECT s.code FROM exam_schools es JOIN schools s ON s.id = es.school_id
				WHERE es.exam_id = $1 AND NOT EXISTS (
					SELECT 1 FROM label_prints lp WHERE lp.exam_id = $1 AND lp.school_id = es.school_id)
				ORDER BY s.code),
			(SELECT count(*) FROM review_requests r JOIN subjects su ON su.id = r.subject_id
				WHERE su.exam_id = $1 AND r.status = 'open'),
			(SELECT count(*) FROM score_changes sc JOIN subjects su ON su.id = sc.subject_id
				WHERE su.exam_id = $1 AND sc.status = 'pending')`, examID).
		Scan(&c.Candidates, &c.UnprintedSchools, &c.OpenReviews, &c.PendingScoreChanges)
	if err != nil {
		return c, fmt.Errorf("count exam %d for its stage: %w", examID, err)
	}
	return c, nil
}

// ListSubjectStageCounts counts, per subject of the exam, what the
// transitions and the 考试进程 page look at.
func ListSubjectStageCounts(ctx context.Context, q TxOrPool, examID int64) ([]SubjectStageCounts, error) {
	rows, err := q.Query(ctx, `
		WITH ex AS (
			SELECT COALESCE(b.subject_id, c.subject_id) AS subject_id, x.status
			FROM exceptions x
			LEFT JOIN pages p ON p.id = x.page_id
			LEFT JOIN batches b ON b.id = COALESCE(x.batch_id, p.batch_id)
			LEFT JOIN cards c ON c.id = x.card_id
			WHERE x.status <> 'resolved')
		SELECT su.id, su.code, su.name, su.marking_opened_at IS NOT NULL,
			(SELECT count(*) FROM templates t WHERE t.subject_id = su.id),
			(SELECT count(*) FROM answer_keys k WHERE k.subject_id = su.id),
			(SELECT count(*) FROM question_groups g WHERE g.subject_id = su.id),
			ARRAY(SELECT g.code FROM question_groups g WHERE g.subject_id = su.id AND NOT EXISTS (
				SELECT 1 FROM marking_assignments a WHERE a.group_id = g.id) ORDER BY g.code),
			(SELECT count(*) FROM cards c WHERE c.subject_id = su.id),
			(SELECT count(*) FROM ex WHERE ex.subject_id = su.id AND ex.status = 'open'),
			(SELECT count(*) FROM ex WHERE ex.subject_id = su.id AND ex.status = 'pending_approval'),
			(SELECT count(*) FROM marking_tasks mt JOIN question_groups g ON g.id = mt.group_id
				WHERE g.subject_id = su.id AND mt.kind = 'normal' AND mt.status IN ('open','leased')),
			(SELECT count(*) FROM marking_tasks mt JOIN question_groups g ON g.id = mt.group_id
				WHERE g.subject_id = su.id AND mt.kind = 'normal' AND mt.status = 'marked'),
			(SELECT count(*) FROM problem_flags pf JOIN question_groups g ON g.id = pf.group_id
				WHERE g.subject_id = su.id AND pf.status = 'open')
		FROM subjects su WHERE su.exam_id = $1 ORDER BY su.session, su.id`, examID)
	if err != nil {
		return nil, fmt.Errorf("count subjects of exam %d: %w", examID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SubjectStageCounts, error) {
		var s SubjectStageCounts
		err := r.Scan(&s.ID, &s.Code, &s.Name, &s.MarkingOpen, &s.Templates, &s.KeyItems, &s.Groups, &s.GroupsNoMarker,
			&s.Cards, &s.OpenExceptions, &s.PendingApprovals, &s.TasksOpen, &s.TasksMarked, &s.Problems)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("count subjects of exam %d: %w", examID, err)
	}
	return out, nil
}
