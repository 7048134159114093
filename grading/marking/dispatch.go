package marking

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/store"
)

// Task is an answer handed to a marker: an id and a crop, nothing that
// names the candidate, the school or the page.
type Task struct {
	ID         int64
	LeaseUntil time.Time
	Crop       blob.Ref
}

// NextTasks is what a marker gets when asking for work: the group's score
// shape and up to n tasks, the first to mark now and the rest prefetched.
type NextTasks struct {
	Group *store.MarkingGroup
	Parts []Part
	Tasks []Task
}

func cropRef(t store.MarkingTask) blob.Ref {
	return blob.Ref{Key: t.BlobKey, Offset: t.BlobOffset, Size: t.BlobSize}
}

func toTask(t store.MarkingTask) Task {
	var until time.Time
	if t.LeaseUntil != nil {
		until = *t.LeaseUntil
	}
	return Task{ID: t.ID, LeaseUntil: until, Crop: cropRef(t)}
}

// Next gives the marker up to n tasks of their group (1 <= n <=
// MaxPrefetch): first the ones they already hold (leases renewed), then
// due re-marks and control answers mixed in unseen, then answers of other
// schools nobody holds. Tasks of an expired lease go to whoever asks next.
// An empty list means nothing is left for this marker now.
func (e *Engine) Next(ctx context.Context, m *Marker, n int) (*NextTasks, error) {
	n = max(1, min(n, e.Opts.MaxPrefetch))
	out := &NextTasks{}
	err := e.markingTx(ctx, m, noAudit, 0, func(tx pgx.Tx) error {
		g, err := store.GetMarkingGroup(ctx, tx, m.GroupID)
		if err != nil {
			return err
		}
		out.Group, out.Parts = g, GroupParts(g)
		held, err := store.RenewHeldTasks(ctx, tx, m.TeacherID, m.GroupID, e.Opts.Lease)
		if err != nil {
			return err
		}
		for _, t := range held {
			out.Tasks = append(out.Tasks, toTask(t))
		}
		need := n - len(held)
		if need <= 0 {
			return nil
		}
		var fresh []store.MarkingTask
		if e.Opts.Rand() < 1-math.Pow(1-g.ControlShare, float64(need)) {
			c, err := store.InsertControlTask(ctx, tx, m.TeacherID, m.GroupID, m.SchoolID, e.Opts.Lease)
			if err != nil {
				return err
			}
			if c != nil {
				fresh = append(fresh, *c)
				need--
			}
		}
		var ids []int64
		if need > 0 {
			due, err := store.LockReservedTasks(ctx, tx, m.TeacherID, m.GroupID, 1, true)
			if err != nil {
				return err
			}
			ids = append(ids, due...)
		}
		if len(ids) < need {
			got, err := e.lockNormal(ctx, tx, g, m, need-len(ids))
			if err != nil {
				return err
			}
			ids = append(ids, got...)
		}
		if len(ids) < need {
			// Nothing else to mark: re-marks need not wait any longer.
			more, err := store.LockReservedTasks(ctx, tx, m.TeacherID, m.GroupID, need-len(ids), false)
			if err != nil {
				return err
			}
			ids = append(ids, more...)
		}
		if len(ids) > 0 {
			leased, err := store.LeaseTasks(ctx, tx, ids, m.TeacherID, m.SchoolID, e.Opts.Lease)
			if err != nil {
				return err
			}
			fresh = append(fresh, leased...)
		}
		// Control and re-mark tasks are newer than the answers around them;
		// a shuffle keeps their place in the queue from giving them away.
		for i := len(fresh) - 1; i > 0; i-- {
			j := int(e.Opts.Rand() * float64(i+1))
			fresh[i], fresh[j] = fresh[j], fresh[i]
		}
		for _, t := range fresh {
			out.Tasks = append(out.Tasks, toTask(t))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lockNormal locks up to n normal tasks for the marker. In a 2+1 group the
// two marks of an answer must come from markers of different schools, so
// the other round of every candidate is locked too and the pair checked
// again on a fresh snapshot; candidates that fail are skipped and others
// sought, a few times at most.
func (e *Engine) lockNormal(ctx context.Context, tx pgx.Tx, g *store.MarkingGroup, m *Marker, n int) ([]int64, error) {
	f := store.DispatchFilter{
		GroupID: g.ID, MarkerID: m.TeacherID, SchoolID: m.SchoolID,
		MayArbitrate: g.Mode == "2+1" && (g.Arbiter == "marker" || m.Leader()),
		Paired:       g.Mode == "2+1",
	}
	var ids []int64
	taken := map[int64]bool{} // crops given in this call
	phases := []bool{false}
	if f.MayArbitrate {
		phases = []bool{true, false} // arbitrations first: their answers wait on them
	}
	for _, onlyRound3 := range phases {
		f.OnlyRound3 = onlyRound3
		for try := 0; try < 3 && len(ids) < n; try++ {
			f.Limit = n - len(ids)
			refs, err := store.LockDispatchableTasks(ctx, tx, f)
			if err != nil {
				return nil, err
			}
			if len(refs) == 0 {
				break
			}
			for _, r := range refs {
				f.Exclude = append(f.Exclude, r.ID)
			}
			if !f.Paired {
				for _, r := range refs {
					ids = append(ids, r.ID)
				}
				continue
			}
			busy, err := store.LockSiblingTasks(ctx, tx, refs)
			if err != nil {
				return nil, err
			}
			var cand []int64
			for _, r := range refs {
				// Both rounds of a crop sit next to each other in id order:
				// one batch must not take the pair.
				if !busy[r.CropID] && !taken[r.CropID] {
					cand = append(cand, r.ID)
					taken[r.CropID] = true
				}
			}
			if len(cand) > 0 {
				ok, err := store.PairedTasksStillFree(ctx, tx, cand, m.TeacherID, m.SchoolID)
				if err != nil {
					return nil, err
				}
				ids = append(ids, ok...)
			}
		}
	}
	return ids, nil
}

// Submission is a marker's scores for one task.
type Submission struct {
	Scores     []float64
	DurationMS int // time spent looking at the answer, for the speed figure
}

// Marked is a stored mark as its marker sees it.
type Marked struct {
	TaskID    int64
	Scores    []float64
	Total     float64
	MarkedAt  time.Time
	UpdatedAt time.Time
}

func markKind(t *store.MarkingTask) saoyue.MarkKind {
	switch {
	case t.Kind == saoyue.MarkControl || t.Kind == saoyue.MarkRemark:
		return t.Kind
	case t.Round == 3:
		return saoyue.MarkArbitration
	}
	return saoyue.MarkNormal
}

// Submit stores the marker's scores for a task they hold, and what follows
// from them (the candidate's score, an arbitration, a re-mark to come), in
// one transaction. Submitting the same scores again is harmless.
func (e *Engine) Submit(ctx context.Context, m *Marker, taskID int64, s Submission) (*Marked, error) {
	var out *Marked
	err := e.markingTx(ctx, m, saoyue.AuditMarkSubmit, taskID, func(tx pgx.Tx) error {
		tasks, err := store.LockCropTasks(ctx, tx, taskID)
		if errors.Is(err, store.ErrTaskNotFound) {
			return forbidden()
		}
		if err != nil {
			return err
		}
		t := &tasks[0]
		if !inScope(m, t) || t.ForMarker != nil && *t.ForMarker != m.TeacherID {
			return forbidden()
		}
		if t.AssignedTo == nil || *t.AssignedTo != m.TeacherID {
			return saoyue.Errorf(saoyue.ECONFLICT, "这份答卷已超时，分给了其他老师，请取下一份")
		}
		g, err := store.GetMarkingGroup(ctx, tx, t.GroupID)
		if err != nil {
			return err
		}
		total, err := ValidateScores(GroupParts(g), s.Scores)
		if err != nil {
			return err
		}
		switch t.Status {
		case saoyue.TaskLeased:
		case saoyue.TaskMarked:
			prev, err := store.TaskMark(ctx, tx, t.ID)
			if err != nil {
				return err
			}
			if prev.MarkerID == m.TeacherID && slices.Equal(prev.Scores, s.Scores) {
				out = marked(prev)
				return nil
			}
			return saoyue.Errorf(saoyue.ECONFLICT, "您已评过这份答卷；如需改分，请使用修改")
		case saoyue.TaskProblem:
			return saoyue.Errorf(saoyue.ECONFLICT, "这份答卷已标为问题卷，等待题组长处理")
		default:
			return saoyue.Errorf(saoyue.ECONFLICT, "这份答卷已不需要评分")
		}
		mk := &store.Mark{TaskID: t.ID, MarkerID: m.TeacherID, Scores: s.Scores, Total: total,
			Kind: markKind(t), DurationMS: max(0, s.DurationMS)}
		if err := store.InsertMark(ctx, tx, mk); err != nil {
			return err
		}
		if err := store.SetTaskStatus(ctx, tx, t.ID, saoyue.TaskMarked); err != nil {
			return err
		}
		if t.Kind == saoyue.MarkNormal {
			if err := settleCrop(ctx, tx, g, tasks); err != nil {
				return err
			}
		}
		if mk.Kind == saoyue.MarkNormal && e.Opts.Rand() < g.RemarkShare {
			span := e.Opts.RemarkDelayMax - e.Opts.RemarkDelayMin
			delay := e.Opts.RemarkDelayMin + time.Duration(e.Opts.Rand()*float64(span))
			if err := store.InsertRemarkTask(ctx, tx, t, m.TeacherID, mk.ID, delay); err != nil {
				return err
			}
		}
		out = marked(mk)
		// Every mark, first marks included, is in the audit trail (the
		// row joins the hash chain as the transaction commits).
		return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: m.Actor(), Action: saoyue.AuditMarkSubmit, Entity: saoyue.EntityMarkingTask,
			EntityID: strconv.FormatInt(t.ID, 10), New: map[string]any{"mark": mk.ID, "kind": mk.Kind, "scores": mk.Scores, "total": mk.Total}})
	})
	return out, err
}

func marked(mk *store.Mark) *Marked {
	return &Marked{TaskID: mk.TaskID, Scores: mk.Scores, Total: mk.Total, MarkedAt: mk.CreatedAt, UpdatedAt: mk.UpdatedAt}
}

// settleCrop recomputes a crop's score from all its marks and makes the
// tasks agree: an arbitration opened when the pair disagrees, voided when
// a revision makes them agree, the candidate's score written or removed.
// tasks are the crop's normal tasks, locked by the caller.
func settleCrop(ctx context.Context, tx pgx.Tx, g *store.MarkingGroup, tasks []store.MarkingTask) error {
	t := tasks[0]
	marks, err := store.ListCropMarks(ctx, tx, t.CropID)
	if err != nil {
		return err
	}
	s := Settle(g, marks)
	if s.NeedArbitrate {
		if err := store.EnsureArbitrationTask(ctx, tx, t.CropID, t.GroupID, t.SchoolID); err != nil {
			return err
		}
	}
	if !s.ArbitrationSet {
		for _, o := range tasks {
			if o.Kind == saoyue.MarkNormal && o.Round == 3 && o.Status != saoyue.TaskMarked && o.Status != saoyue.TaskVoid {
				if err := store.SetTaskStatus(ctx, tx, o.ID, saoyue.TaskVoid); err != nil {
					return err
				}
			}
		}
	}
	return store.SetMarkedItemScore(ctx, tx, t.CropID, s.Final)
}

// Revise changes the marker's own mark within the revise window, or at any
// time after the leader has sent it back, and records the change.
func (e *Engine) Revise(ctx context.Context, m *Marker, taskID int64, scores []float64, reason string) (*Marked, error) {
	var out *Marked
	err := e.markingTx(ctx, m, saoyue.AuditMarkRevise, taskID, func(tx pgx.Tx) error {
		tasks, err := store.LockCropTasks(ctx, tx, taskID)
		if errors.Is(err, store.ErrTaskNotFound) {
			return forbidden()
		}
		if err != nil {
			return err
		}
		t := &tasks[0]
		if !mayTouch(m, t) || t.AssignedTo == nil || *t.AssignedTo != m.TeacherID {
			return forbidden()
		}
		if t.Status != saoyue.TaskMarked {
			return saoyue.Errorf(saoyue.ECONFLICT, "这份答卷没有您的评分可以修改")
		}
		mk, err := store.TaskMark(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		if mk.MarkerID != m.TeacherID {
			return forbidden()
		}
		if mk.ReturnedAt == nil && time.Since(mk.CreatedAt) > e.Opts.ReviseWindow {
			return saoyue.Errorf(saoyue.ECONFLICT, "超过 %s 的评分不能再修改，请联系题组长", e.Opts.ReviseWindow)
		}
		marks, err := store.ListCropMarks(ctx, tx, t.CropID)
		if err != nil {
			return err
		}
		for _, cm := range marks {
			if cm.Kind == saoyue.MarkLeader {
				return saoyue.Errorf(saoyue.ECONFLICT, "题组长已给定这份答卷的分数，这里不能再修改")
			}
		}
		g, err := store.GetMarkingGroup(ctx, tx, t.GroupID)
		if err != nil {
			return err
		}
		total, err := ValidateScores(GroupParts(g), scores)
		if err != nil {
			return err
		}
		if slices.Equal(mk.Scores, scores) && mk.ReturnedAt == nil {
			out = marked(mk)
			return nil
		}
		action := saoyue.AuditMarkRevise
		if mk.ReturnedAt != nil {
			action = saoyue.AuditMarkRedo
		}
		if reason == "" {
			reason = "changed by the marker"
		}
		if err := store.WriteAudit(ctx, tx, store.AuditEntry{Actor: m.Actor(), Action: action, Entity: saoyue.EntityMark,
			EntityID: strconv.FormatInt(mk.ID, 10), Old: map[string]any{"scores": mk.Scores, "total": mk.Total},
			New: map[string]any{"scores": scores, "total": total}, Reason: reason}); err != nil {
			return err
		}
		if err := store.UpdateMarkScores(ctx, tx, mk.ID, scores, total); err != nil {
			return err
		}
		if t.Kind == saoyue.MarkNormal {
			if err := settleCrop(ctx, tx, g, tasks); err != nil {
				return err
			}
		}
		mk.Scores, mk.Total, mk.UpdatedAt = scores, total, time.Now()
		out = marked(mk)
		return nil
	})
	return out, err
}

// Flag sends a held answer the marker cannot mark to the group leader.
func (e *Engine) Flag(ctx context.Context, m *Marker, taskID int64, reason saoyue.ProblemReason, note string) error {
	if !reason.Valid() {
		return saoyue.Errorf(saoyue.EINVALID, "请说明无法评分的原因：%s", saoyue.ProblemReasonList())
	}
	if reason == saoyue.ProblemOther && note == "" {
		return saoyue.Errorf(saoyue.EINVALID, "请在备注中说明问题")
	}
	if len(note) > 1000 {
		return saoyue.Errorf(saoyue.EINVALID, "备注太长（最多 1000 个字）")
	}
	return e.markingTx(ctx, m, noAudit, taskID, func(tx pgx.Tx) error {
		tasks, err := store.LockCropTasks(ctx, tx, taskID)
		if errors.Is(err, store.ErrTaskNotFound) {
			return forbidden()
		}
		if err != nil {
			return err
		}
		t := &tasks[0]
		if !inScope(m, t) || t.ForMarker != nil && *t.ForMarker != m.TeacherID {
			return forbidden()
		}
		if t.AssignedTo == nil || *t.AssignedTo != m.TeacherID || t.Status != saoyue.TaskLeased {
			return saoyue.Errorf(saoyue.ECONFLICT, "只能标记您正在评的答卷")
		}
		if t.Kind != saoyue.MarkNormal {
			// A quality-control copy: the original answer is dealt with on
			// its own task, so this one just drops out.
			return store.SetTaskStatus(ctx, tx, t.ID, saoyue.TaskVoid)
		}
		if err := store.SetTaskStatus(ctx, tx, t.ID, saoyue.TaskProblem); err != nil {
			return err
		}
		return store.InsertProblemFlag(ctx, tx, &store.ProblemFlag{
			TaskID: t.ID, GroupID: t.GroupID, SchoolID: t.SchoolID, MarkerID: m.TeacherID, Reason: reason, Note: note,
		})
	})
}

// HistoryItem is one of the marker's own marks.
type HistoryItem struct {
	Marked
	Revisable    bool
	Returned     bool
	ReturnReason string
}

// History returns the marker's latest marks, those sent back first.
func (e *Engine) History(ctx context.Context, m *Marker, limit int) ([]HistoryItem, error) {
	limit = max(1, min(limit, 500))
	hs, err := store.MarkerHistory(ctx, e.DB.Pool, m.TeacherID, m.GroupID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryItem, len(hs))
	for i, h := range hs {
		out[i] = HistoryItem{
			Marked:       *marked(&h.Mark),
			Returned:     h.ReturnedAt != nil,
			ReturnReason: h.ReturnReason,
			Revisable:    h.ReturnedAt != nil || time.Since(h.CreatedAt) <= e.Opts.ReviseWindow,
		}
	}
	return out, nil
}

// MarkerProgress is a marker's own view of the work.
type MarkerProgress struct {
	GroupCode string
	store.MarkerCounts
}

// Progress returns the marker's counts.
func (e *Engine) Progress(ctx context.Context, m *Marker) (*MarkerProgress, error) {
	c, err := store.CountMarkerWork(ctx, e.DB.Pool, m.TeacherID, m.GroupID, m.SchoolID)
	if err != nil {
		return nil, err
	}
	return &MarkerProgress{GroupCode: m.GroupCode, MarkerCounts: c}, nil
}
