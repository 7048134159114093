package marking

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

func requireLeader(m *Marker) error {
	if !m.Leader() {
		return saoyue.Errorf(saoyue.EFORBIDDEN, "只有题组长可以进行此操作")
	}
	return nil
}

// Problem is a flagged answer waiting for the leader.
type Problem struct {
	ID        int64
	TaskID    int64
	MarkerID  int64
	Reason    saoyue.ProblemReason
	Note      string
	CreatedAt time.Time
}

// Problems lists the group's open problem answers the leader may see (not
// those of the leader's own school: a second leader of another school
// handles those).
func (e *Engine) Problems(ctx context.Context, m *Marker) ([]Problem, error) {
	if err := requireLeader(m); err != nil {
		return nil, err
	}
	ps, err := store.ListOpenProblems(ctx, e.DB.Pool, m.GroupID, m.SchoolID)
	if err != nil {
		return nil, err
	}
	out := make([]Problem, len(ps))
	for i, p := range ps {
		out[i] = Problem{ID: p.ID, TaskID: p.TaskID, MarkerID: p.MarkerID, Reason: p.Reason, Note: p.Note, CreatedAt: p.CreatedAt}
	}
	return out, nil
}

// Resolution is the leader's decision on a problem answer: "score" it
// (the leader's score is final) or "reopen" it for the markers.
type Resolution struct {
	Action string
	Scores []float64
	Note   string
}

// problemAction is the audit action of a leader's decision on a problem.
func problemAction(action string) saoyue.AuditAction {
	if action == "reopen" {
		return saoyue.AuditProblemReopen
	}
	return saoyue.AuditProblemScore
}

// ResolveProblem applies the leader's decision.
func (e *Engine) ResolveProblem(ctx context.Context, m *Marker, problemID int64, r Resolution) error {
	if err := requireLeader(m); err != nil {
		return err
	}
	if r.Action != "score" && r.Action != "reopen" {
		return saoyue.Errorf(saoyue.EINVALID, "处理问题卷只能给分（score）或退回重评（reopen）")
	}
	return e.markingTx(ctx, m, problemAction(r.Action), problemID, func(tx pgx.Tx) error {
		p, err := store.LockOpenProblem(ctx, tx, problemID)
		if err != nil {
			return err
		}
		if p.GroupID != m.GroupID || p.SchoolID == m.SchoolID {
			return forbidden()
		}
		tasks, err := store.LockCropTasks(ctx, tx, p.TaskID)
		if err != nil {
			return err
		}
		t := &tasks[0]
		switch r.Action {
		case "reopen":
			if err := store.SetTaskStatus(ctx, tx, t.ID, saoyue.TaskOpen); err != nil {
				return err
			}
			if err := store.WriteAudit(ctx, tx, store.AuditEntry{Actor: m.Actor(), Action: saoyue.AuditProblemReopen,
				Entity: saoyue.EntityMarkingTask, EntityID: strconv.FormatInt(t.ID, 10), Reason: r.Note}); err != nil {
				return err
			}
		case "score":
			if err := e.leaderMark(ctx, tx, m, tasks, r.Scores, saoyue.AuditProblemScore, r.Note); err != nil {
				return err
			}
			if err := store.SetTaskStatus(ctx, tx, t.ID, saoyue.TaskMarked); err != nil {
				return err
			}
		}
		return store.ResolveProblem(ctx, tx, p.ID, m.TeacherID, r.Action)
	})
}

// leaderMark stores the leader's score on a crop's task, which then decides
// the crop, and audits it against the mark it overrides.
func (e *Engine) leaderMark(ctx context.Context, tx pgx.Tx, m *Marker, tasks []store.MarkingTask, scores []float64, action saoyue.AuditAction, reason string) error {
	t := &tasks[0]
	g, err := store.GetMarkingGroup(ctx, tx, t.GroupID)
	if err != nil {
		return err
	}
	total, err := ValidateScores(GroupParts(g), scores)
	if err != nil {
		return err
	}
	var old any
	if prev, err := store.TaskMark(ctx, tx, t.ID); err == nil {
		old = map[string]any{"marker": prev.MarkerID, "scores": prev.Scores, "total": prev.Total}
	} else if !errors.Is(err, store.ErrMarkNotFound) {
		return err
	}
	mk := &store.Mark{TaskID: t.ID, MarkerID: m.TeacherID, Scores: scores, Total: total, Kind: saoyue.MarkLeader}
	if err := store.InsertMark(ctx, tx, mk); err != nil {
		return err
	}
	if err := store.WriteAudit(ctx, tx, store.AuditEntry{Actor: m.Actor(), Action: action, Entity: saoyue.EntityMarkingTask,
		EntityID: strconv.FormatInt(t.ID, 10), Old: old, New: map[string]any{"scores": scores, "total": total}, Reason: reason}); err != nil {
		return err
	}
	return settleCrop(ctx, tx, g, tasks)
}

// SampledMark is a marker's mark as the leader samples it.
type SampledMark struct {
	TaskID   int64
	MarkerID int64
	Scores   []float64
	Total    float64
	MarkedAt time.Time
	Returned bool
}

// SampleMarks picks up to n of a marker's marks in the leader's group at
// random, for the leader to look at, re-mark or send back.
func (e *Engine) SampleMarks(ctx context.Context, m *Marker, markerID int64, n int) ([]SampledMark, error) {
	if err := requireLeader(m); err != nil {
		return nil, err
	}
	ms, err := store.SampleMarks(ctx, e.DB.Pool, m.GroupID, markerID, m.SchoolID, max(1, min(n, 200)))
	if err != nil {
		return nil, err
	}
	out := make([]SampledMark, len(ms))
	for i, s := range ms {
		out[i] = SampledMark{TaskID: s.TaskID, MarkerID: s.MarkerID, Scores: s.Scores, Total: s.Total,
			MarkedAt: s.CreatedAt, Returned: s.ReturnedAt != nil}
	}
	return out, nil
}

// leaderTask locks a marked normal task of the leader's group for a leader
// action.
func leaderTask(ctx context.Context, tx pgx.Tx, m *Marker, taskID int64) ([]store.MarkingTask, error) {
	if err := requireLeader(m); err != nil {
		return nil, err
	}
	tasks, err := store.LockCropTasks(ctx, tx, taskID)
	if errors.Is(err, store.ErrTaskNotFound) {
		return nil, forbidden()
	}
	if err != nil {
		return nil, err
	}
	t := &tasks[0]
	if !inScope(m, t) || t.Kind != saoyue.MarkNormal {
		return nil, forbidden()
	}
	if t.Status != saoyue.TaskMarked {
		return nil, saoyue.Errorf(saoyue.ECONFLICT, "这份答卷还没有评分")
	}
	return tasks, nil
}

// LeaderRemark replaces the score of a marked answer with the leader's.
func (e *Engine) LeaderRemark(ctx context.Context, m *Marker, taskID int64, scores []float64, reason string) error {
	if reason == "" {
		return saoyue.Errorf(saoyue.EINVALID, "请说明改分的原因")
	}
	return e.markingTx(ctx, m, saoyue.AuditMarkLeader, taskID, func(tx pgx.Tx) error {
		tasks, err := leaderTask(ctx, tx, m, taskID)
		if err != nil {
			return err
		}
		return e.leaderMark(ctx, tx, m, tasks, scores, saoyue.AuditMarkLeader, reason)
	})
}

// ReturnMark sends a mark back to its marker, who must mark it again.
func (e *Engine) ReturnMark(ctx context.Context, m *Marker, taskID int64, reason string) error {
	if reason == "" {
		return saoyue.Errorf(saoyue.EINVALID, "请告诉阅卷教师退回的原因")
	}
	return e.markingTx(ctx, m, saoyue.AuditMarkReturn, taskID, func(tx pgx.Tx) error {
		tasks, err := leaderTask(ctx, tx, m, taskID)
		if err != nil {
			return err
		}
		mk, err := store.TaskMark(ctx, tx, tasks[0].ID)
		if err != nil {
			return err
		}
		if err := store.ReturnMark(ctx, tx, mk.ID, m.TeacherID, reason); err != nil {
			return err
		}
		return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: m.Actor(), Action: saoyue.AuditMarkReturn,
			Entity: saoyue.EntityMark, EntityID: strconv.FormatInt(mk.ID, 10), Reason: reason})
	})
}

// AddControl makes an answer of the leader's group a control answer with
// the leader's scores; it is then seeded into markers' queues.
func (e *Engine) AddControl(ctx context.Context, m *Marker, taskID int64, scores []float64) (int64, error) {
	if err := requireLeader(m); err != nil {
		return 0, err
	}
	var id int64
	err := e.markingTx(ctx, m, saoyue.AuditControlAdd, taskID, func(tx pgx.Tx) error {
		t, err := store.GetMarkingTask(ctx, tx, taskID)
		if errors.Is(err, store.ErrTaskNotFound) {
			return forbidden()
		}
		if err != nil {
			return err
		}
		if !inScope(m, t) || t.Kind != saoyue.MarkNormal {
			return forbidden()
		}
		g, err := store.GetMarkingGroup(ctx, tx, t.GroupID)
		if err != nil {
			return err
		}
		total, err := ValidateScores(GroupParts(g), scores)
		if err != nil {
			return err
		}
		id, err = store.InsertControlAnswer(ctx, tx, t, scores, total, m.TeacherID)
		return err
	})
	return id, err
}

// GroupQuality computes the quality figures of every marker of a group.
func (e *Engine) GroupQuality(ctx context.Context, groupID int64) (*GroupQuality, error) {
	g, err := store.GetMarkingGroup(ctx, e.DB.Pool, groupID)
	if err != nil {
		return nil, err
	}
	marks, err := store.ListQCMarks(ctx, e.DB.Pool, groupID)
	if err != nil {
		return nil, err
	}
	as, err := store.ListMarkingAssignments(ctx, e.DB.Pool, g.SubjectID)
	if err != nil {
		return nil, err
	}
	q := ComputeQuality(g, marks, DefaultQualityOptions)
	names := map[int64]store.MarkingAssignment{}
	for _, a := range as {
		names[a.TeacherID] = a
	}
	for i := range q.Markers {
		a := names[q.Markers[i].MarkerID]
		q.Markers[i].Name, q.Markers[i].SchoolCode = a.Name, a.SchoolCode
	}
	return &q, nil
}
