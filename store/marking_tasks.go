package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// ErrTaskNotFound is returned for an unknown marking task.
var ErrTaskNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这份答卷"}

// MarkingTask is one answer (crop) waiting for, or given, one mark.
// Normal tasks are the rounds of a crop (3 = arbitration); control and
// re-mark tasks belong to one marker and never count toward the score.
type MarkingTask struct {
	ID             int64
	CropID         int64
	GroupID        int64
	Round          int
	Kind           saoyue.MarkKind // normal, control, remark
	Status         saoyue.TaskStatus
	AssignedTo     *int64
	LeaseUntil     *time.Time
	SchoolID       int64 // the answer's school
	MarkerSchoolID *int64
	ForMarker      *int64
	RefMarkID      *int64
	ControlID      *int64
	BlobKey        string // the object holding the crop image
	BlobOffset     int64  // where the crop starts in it
	BlobSize       int64  // its length; 0: the whole object
	CardID         *int64
}

const taskColumns = `t.id, t.crop_id, t.group_id, t.round, t.kind, t.status, t.assigned_to, t.lease_until,
	coalesce(t.school_id, 0), t.marker_school_id, t.for_marker, t.ref_mark_id, t.control_id, c.blob_key, c.blob_offset, coalesce(c.blob_size, 0), c.card_id`

func scanTask(r pgx.Row) (MarkingTask, error) {
	var t MarkingTask
	err := r.Scan(&t.ID, &t.CropID, &t.GroupID, &t.Round, &t.Kind, &t.Status, &t.AssignedTo, &t.LeaseUntil,
		&t.SchoolID, &t.MarkerSchoolID, &t.ForMarker, &t.RefMarkID, &t.ControlID, &t.BlobKey, &t.BlobOffset, &t.BlobSize, &t.CardID)
	return t, err
}

func collectTasks(rows pgx.Rows, err error, what string) ([]MarkingTask, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MarkingTask, error) { return scanTask(r) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return ts, nil
}

// InsertMarkingTasks creates the normal tasks of crops that have none yet:
// one round for a 1+0 group, two for 2+1. With cropIDs nil it covers every
// crop of the subject. Each task records its answer's school (the
// candidate's, else the scanning batch's); crops whose school is unknown
// get no task and are returned, since the cross-school rule cannot be kept
// for them. Running it again creates nothing twice.
func InsertMarkingTasks(ctx context.Context, q TxOrPool, cropIDs []int64, subjectID int64) (created int64, unplaced []int64, err error) {
	// Two statements, not one with a CASE on $1: a page's reading passes its
	// own few crops, and a plan made for any $1 cannot reach them through
	// the crops' primary key, so PostgreSQL had to plan the statement afresh
	// for every reading or scan every crop of the exam.
	query, arg := insertTasksForCrops, any(cropIDs)
	if cropIDs == nil {
		query, arg = insertTasksForSubject, subjectID
	}
	err = q.QueryRow(ctx, query, arg).Scan(&created, &unplaced)
	if err != nil {
		return 0, nil, fmt.Errorf("create marking tasks: %w", err)
	}
	return created, unplaced, nil
}

const (
	insertTasksForCrops = `WITH c AS (` + tasksToCreate + `
			FROM unnest($1::bigint[]) AS k(id)
			JOIN crops c ON c.id = k.id
			JOIN question_groups g ON g.id = c.group_id
			WHERE ` + tasksMissing + `), ` + tasksInsert
	insertTasksForSubject = `WITH c AS (` + tasksToCreate + `
			FROM crops c
			JOIN question_groups g ON g.id = c.group_id
			WHERE g.subject_id = $1 AND ` + tasksMissing + `), ` + tasksInsert
	// Each crop's school is looked up by primary keys in subqueries, so
	// one plan serves any list of crops, and planning it is half the work
	// of planning the same as a seven-table join.
	tasksToCreate = `
			SELECT c.id, c.group_id, g.mode, coalesce(
				(SELECT st.school_id FROM cards ca
					JOIN candidates cd ON cd.id = ca.candidate_id
					JOIN students st ON st.id = cd.student_id
					WHERE ca.id = c.card_id),
				(SELECT b.school_id FROM pages p JOIN batches b ON b.id = p.batch_id WHERE p.id = c.page_id)) AS school_id`
	tasksMissing = `NOT EXISTS (SELECT 1 FROM marking_tasks t WHERE t.crop_id = c.id AND t.kind = 'normal')`
	tasksInsert  = `ins AS (
			INSERT INTO marking_tasks (crop_id, group_id, round, school_id)
			SELECT c.id, c.group_id, r, c.school_id
			FROM c CROSS JOIN LATERAL generate_series(1, CASE WHEN c.mode = '2+1' THEN 2 ELSE 1 END) r
			WHERE c.school_id IS NOT NULL
			ORDER BY c.id, r
			ON CONFLICT (crop_id, round) WHERE kind = 'normal' DO NOTHING
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM ins), coalesce((SELECT array_agg(id ORDER BY id) FROM c WHERE school_id IS NULL), '{}')`
)

// RenewHeldTasks extends the leases of the tasks the marker holds in the
// group (an expired one too, while nobody else has taken it) and returns
// them, oldest first.
func RenewHeldTasks(ctx context.Context, q TxOrPool, markerID, groupID int64, lease time.Duration) ([]MarkingTask, error) {
	rows, err := q.Query(ctx, `
		WITH up AS (
			UPDATE marking_tasks SET lease_until = now() + make_interval(secs => $3)
			WHERE assigned_to = $1 AND status = 'leased' AND group_id = $2
			RETURNING *
		)
		SELECT `+taskColumns+` FROM up t JOIN crops c ON c.id = t.crop_id ORDER BY t.id`,
		markerID, groupID, lease.Seconds())
	return collectTasks(rows, err, "renew held tasks")
}

// LockReservedTasks locks open control and re-mark tasks kept for the
// marker; with dueOnly, only those whose waiting time is over.
func LockReservedTasks(ctx context.Context, q TxOrPool, markerID, groupID int64, limit int, dueOnly bool) ([]int64, error) {
	rows, err := q.Query(ctx, `
		SELECT id FROM marking_tasks
		WHERE for_marker = $1 AND group_id = $2 AND status = 'open'
		  AND (NOT $4 OR not_before IS NULL OR not_before <= now())
		ORDER BY id LIMIT $3
		FOR UPDATE SKIP LOCKED`, markerID, groupID, limit, dueOnly)
	if err != nil {
		return nil, fmt.Errorf("find re-mark tasks: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("find re-mark tasks: %w", err)
	}
	return ids, nil
}

// DispatchFilter says which normal tasks a marker may be given.
type DispatchFilter struct {
	GroupID      int64
	MarkerID     int64
	SchoolID     int64 // the marker's school: its answers are never given
	MayArbitrate bool  // round-3 tasks too
	Paired       bool  // 2+1: skip crops the marker, or a colleague of the same school, already has
	OnlyRound3   bool  // arbitrations only: they go first, a pair waits on them
	Exclude      []int64
	Limit        int
}

// TaskRef names a locked task and its crop.
type TaskRef struct {
	ID     int64
	CropID int64
}

// LockDispatchableTasks locks up to Limit tasks the marker may take: open,
// or leased to someone whose lease has expired. SKIP LOCKED lets markers
// asking at the same moment take different rows instead of queueing.
// For paired (2+1) groups the check against the other round is only as
// fresh as this statement's snapshot; LockSiblingTasks and
// PairedTasksStillFree make it exact.
func LockDispatchableTasks(ctx context.Context, q TxOrPool, f DispatchFilter) ([]TaskRef, error) {
	rows, err := q.Query(ctx, `
		SELECT t.id, t.crop_id FROM marking_tasks t
		WHERE t.group_id = $1 AND t.kind = 'normal'
		  AND (t.status = 'open' OR (t.status = 'leased' AND t.lease_until < now()))
		  AND t.school_id <> $3
		  AND ($4 OR t.round < 3)
		  AND (NOT $7 OR t.round = 3)
		  AND NOT t.id = ANY($8)
		  AND (NOT $5 OR NOT EXISTS (
				SELECT 1 FROM marking_tasks o
				WHERE o.crop_id = t.crop_id AND o.kind = 'normal' AND o.id <> t.id
				  AND (o.assigned_to = $2 OR (t.round < 3 AND o.round < 3 AND o.marker_school_id = $3))))
		ORDER BY t.id LIMIT $6
		FOR UPDATE OF t SKIP LOCKED`, f.GroupID, f.MarkerID, f.SchoolID, f.MayArbitrate, f.Paired, f.Limit, f.OnlyRound3, append([]int64{}, f.Exclude...))
	if err != nil {
		return nil, fmt.Errorf("find tasks to mark: %w", err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TaskRef])
	if err != nil {
		return nil, fmt.Errorf("find tasks to mark: %w", err)
	}
	return refs, nil
}

// LockSiblingTasks locks, without waiting, the other normal tasks of the
// crops; it returns the crops some of whose siblings another transaction
// holds right now. Whoever leases or submits a task of a crop holds that
// task's lock until commit, so once every sibling is locked here a new
// statement sees all their committed assignments.
func LockSiblingTasks(ctx context.Context, q TxOrPool, refs []TaskRef) (busyCrops map[int64]bool, err error) {
	ids := make([]int64, len(refs))
	crops := make([]int64, len(refs))
	for i, r := range refs {
		ids[i], crops[i] = r.ID, r.CropID
	}
	rows, err := q.Query(ctx, `
		WITH locked AS (
			SELECT id FROM marking_tasks
			WHERE crop_id = ANY($1) AND kind = 'normal' AND NOT id = ANY($2)
			FOR UPDATE SKIP LOCKED
		)
		SELECT DISTINCT t.crop_id FROM marking_tasks t
		WHERE t.crop_id = ANY($1) AND t.kind = 'normal' AND NOT t.id = ANY($2)
		  AND NOT EXISTS (SELECT 1 FROM locked l WHERE l.id = t.id)`, crops, ids)
	if err != nil {
		return nil, fmt.Errorf("lock paired tasks: %w", err)
	}
	busy, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("lock paired tasks: %w", err)
	}
	busyCrops = make(map[int64]bool, len(busy))
	for _, c := range busy {
		busyCrops[c] = true
	}
	return busyCrops, nil
}

// PairedTasksStillFree re-checks, on a fresh snapshot, that the marker has
// no other round of these tasks' crops and no colleague of the same school
// has the other first-round task.
func PairedTasksStillFree(ctx context.Context, q TxOrPool, ids []int64, markerID, schoolID int64) ([]int64, error) {
	rows, err := q.Query(ctx, `
		SELECT t.id FROM marking_tasks t
		WHERE t.id = ANY($1) AND NOT EXISTS (
			SELECT 1 FROM marking_tasks o
			WHERE o.crop_id = t.crop_id AND o.kind = 'normal' AND o.id <> t.id
			  AND (o.assigned_to = $2 OR (t.round < 3 AND o.round < 3 AND o.marker_school_id = $3)))
		ORDER BY t.id`, ids, markerID, schoolID)
	if err != nil {
		return nil, fmt.Errorf("check paired tasks: %w", err)
	}
	ok, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("check paired tasks: %w", err)
	}
	return ok, nil
}

// LeaseTasks gives the locked tasks to the marker until the lease ends and
// returns them in id order.
func LeaseTasks(ctx context.Context, q TxOrPool, ids []int64, markerID, schoolID int64, lease time.Duration) ([]MarkingTask, error) {
	rows, err := q.Query(ctx, `
		WITH up AS (
			UPDATE marking_tasks SET status = 'leased', assigned_to = $2, marker_school_id = $3,
				lease_until = now() + make_interval(secs => $4)
			WHERE id = ANY($1)
			RETURNING *
		)
		SELECT `+taskColumns+` FROM up t JOIN crops c ON c.id = t.crop_id ORDER BY t.id`,
		ids, markerID, schoolID, lease.Seconds())
	return collectTasks(rows, err, "lease tasks")
}

// InsertControlTask seeds one control answer the marker has not seen (not
// of the marker's school, not an answer they marked) as a task already
// leased to them. It returns false when there is none left.
func InsertControlTask(ctx context.Context, q TxOrPool, markerID, groupID, schoolID int64, lease time.Duration) (*MarkingTask, error) {
	rows, err := q.Query(ctx, `
		WITH pick AS (
			SELECT ca.id, ca.crop_id, ca.school_id FROM control_answers ca
			WHERE ca.group_id = $2 AND ca.active AND ca.school_id <> $3
			  AND NOT EXISTS (SELECT 1 FROM marking_tasks t WHERE t.crop_id = ca.crop_id
				AND (t.assigned_to = $1 OR t.for_marker = $1))
			ORDER BY random() LIMIT 1
		), ins AS (
			INSERT INTO marking_tasks (crop_id, group_id, round, kind, status, assigned_to, marker_school_id,
				lease_until, school_id, for_marker, control_id)
			SELECT crop_id, $2, 1, 'control', 'leased', $1, $3, now() + make_interval(secs => $4), school_id, $1, id
			FROM pick
			RETURNING *
		)
		SELECT `+taskColumns+` FROM ins t JOIN crops c ON c.id = t.crop_id`,
		markerID, groupID, schoolID, lease.Seconds())
	ts, err := collectTasks(rows, err, "seed a control answer")
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	return &ts[0], nil
}

// GetMarkingTask returns one task with its crop.
func GetMarkingTask(ctx context.Context, q TxOrPool, id int64) (*MarkingTask, error) {
	t, err := scanTask(q.QueryRow(ctx, `
		SELECT `+taskColumns+` FROM marking_tasks t JOIN crops c ON c.id = t.crop_id WHERE t.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("task %d: %w", id, ErrTaskNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read task %d: %w", id, err)
	}
	return &t, nil
}

// LockCropTasks locks the task and the normal tasks of its crop, in id
// order so that two submits of one crop queue instead of deadlocking, and
// returns them; the task asked for is first.
func LockCropTasks(ctx context.Context, q TxOrPool, id int64) ([]MarkingTask, error) {
	rows, err := q.Query(ctx, `
		SELECT `+taskColumns+` FROM marking_tasks t JOIN crops c ON c.id = t.crop_id
		WHERE t.crop_id = (SELECT crop_id FROM marking_tasks WHERE id = $1)
		  AND (t.kind = 'normal' OR t.id = $1)
		ORDER BY t.id
		FOR UPDATE OF t`, id)
	ts, err := collectTasks(rows, err, "lock task")
	if err != nil {
		return nil, err
	}
	for i := range ts {
		if ts[i].ID == id {
			ts[0], ts[i] = ts[i], ts[0]
			return ts, nil
		}
	}
	return nil, fmt.Errorf("task %d: %w", id, ErrTaskNotFound)
}

// SetTaskStatus moves a task to a status; open and void also clear the
// holder so the task can be dispatched afresh (or not at all).
func SetTaskStatus(ctx context.Context, q TxOrPool, id int64, status saoyue.TaskStatus) error {
	_, err := q.Exec(ctx, `
		UPDATE marking_tasks SET status = $2,
			lease_until = NULL,
			assigned_to = CASE WHEN $2 IN ('open','void') THEN NULL ELSE assigned_to END,
			marker_school_id = CASE WHEN $2 IN ('open','void') THEN NULL ELSE marker_school_id END
		WHERE id = $1`, id, status)
	if err != nil {
		return fmt.Errorf("set task %d %s: %w", id, status, err)
	}
	return nil
}

// EnsureArbitrationTask opens the crop's round-3 task, creating it or
// reopening a voided one. It returns true if the task is (again) open.
func EnsureArbitrationTask(ctx context.Context, q TxOrPool, cropID, groupID, schoolID int64) error {
	_, err := q.Exec(ctx, `
		INSERT INTO marking_tasks (crop_id, group_id, round, school_id) VALUES ($1, $2, 3, $3)
		ON CONFLICT (crop_id, round) WHERE kind = 'normal'
		DO UPDATE SET status = 'open', assigned_to = NULL, marker_school_id = NULL, lease_until = NULL
		WHERE marking_tasks.status = 'void'`, cropID, groupID, schoolID)
	if err != nil {
		return fmt.Errorf("open arbitration: %w", err)
	}
	return nil
}

// InsertRemarkTask queues a blind re-mark of a mark for its own marker,
// not to be given before the delay has passed while other work remains.
func InsertRemarkTask(ctx context.Context, q TxOrPool, t *MarkingTask, markerID, markID int64, delay time.Duration) error {
	_, err := q.Exec(ctx, `
		INSERT INTO marking_tasks (crop_id, group_id, round, kind, school_id, for_marker, ref_mark_id, not_before)
		VALUES ($1, $2, 1, 'remark', $3, $4, $5, now() + make_interval(secs => $6))`,
		t.CropID, t.GroupID, t.SchoolID, markerID, markID, delay.Seconds())
	if err != nil {
		return fmt.Errorf("queue re-mark: %w", err)
	}
	return nil
}
