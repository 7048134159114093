package marking

// Subjective marking: markers take cropped answers of other
// schools from their question group, one at a time, and the engine turns
// their marks into candidates' scores under the group's mode. The rules,
// formulas and API are in docs/MARKING.md.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/store"
)

// Marker is a teacher at work on one question group of one subject.
type Marker struct {
	TeacherID  int64
	TeacherNo  string
	Name       string
	SchoolID   int64
	SchoolCode string
	SubjectID  int64
	GroupID    int64
	GroupCode  string
	Role       saoyue.Role
}

// Leader reports whether the marker leads their group.
func (m *Marker) Leader() bool { return m.Role == saoyue.RoleLeader }

// Actor names the marker in the audit log.
func (m *Marker) Actor() string { return fmt.Sprintf("teacher:%d %s", m.TeacherID, m.Name) }

// MarkingOptions tune the engine; zero values take the defaults.
type MarkingOptions struct {
	Lease          time.Duration // how long a dispatched task stays the marker's: 10 min
	MaxPrefetch    int           // most tasks a marker may hold at once: 5
	ReviseWindow   time.Duration // how long a marker may change their own mark: 1 h
	RemarkDelayMin time.Duration // a re-mark comes back no sooner than this: 2 min
	RemarkDelayMax time.Duration // ... and is due by this: 15 min
	// Rand returns a number in [0,1); tests make it deterministic.
	Rand func() float64
}

// Engine runs marking against the database.
type Engine struct {
	DB   *store.DB
	Opts MarkingOptions
}

// NewEngine returns an engine with the defaults filled in.
func NewEngine(db *store.DB, opts MarkingOptions) *Engine {
	if opts.Lease <= 0 {
		opts.Lease = 10 * time.Minute
	}
	if opts.MaxPrefetch <= 0 {
		opts.MaxPrefetch = 5
	}
	if opts.ReviseWindow <= 0 {
		opts.ReviseWindow = time.Hour
	}
	if opts.RemarkDelayMin <= 0 {
		opts.RemarkDelayMin = 2 * time.Minute
	}
	if opts.RemarkDelayMax < opts.RemarkDelayMin {
		opts.RemarkDelayMax = opts.RemarkDelayMin + 13*time.Minute
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	return &Engine{DB: db, Opts: opts}
}

// Marker loads a teacher's marking assignment. With subjectID 0 it takes
// the teacher's only assignment in an exam that is marking now.
func (e *Engine) Marker(ctx context.Context, teacherID, subjectID int64) (*Marker, error) {
	a, err := store.GetMarkingAssignment(ctx, e.DB.Pool, teacherID, subjectID)
	if errors.Is(err, store.ErrNotAssigned) {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "您没有被分配这一学科的阅卷任务")
	}
	if err != nil {
		return nil, err
	}
	return &Marker{
		TeacherID: a.TeacherID, TeacherNo: a.TeacherNo, Name: a.Name, SchoolID: a.SchoolID, SchoolCode: a.SchoolCode,
		SubjectID: a.SubjectID, GroupID: a.GroupID, GroupCode: a.GroupCode, Role: a.Role,
	}, nil
}

// Part is one sub-question of a group as a marker scores it.
type Part struct {
	Label string  `json:"label"`
	Max   float64 `json:"max"`
	Step  float64 `json:"step"`
}

// GroupParts returns the sub-questions of a group; a group without any
// is one part worth the whole group.
func GroupParts(g *store.MarkingGroup) []Part {
	if len(g.Subs) == 0 {
		return []Part{{Label: "", Max: g.MaxScore, Step: g.Step}}
	}
	parts := make([]Part, len(g.Subs))
	for i, s := range g.Subs {
		step := s.Step
		if step <= 0 {
			step = g.Step
		}
		parts[i] = Part{Label: s.Sub, Max: s.Max, Step: step}
	}
	return parts
}

// tenths turns a score into tenths of a point, the precision of the
// schema's numeric(5,1), or reports that it has finer digits.
func tenths(v float64) (int64, bool) {
	t := math.Round(v * 10)
	return int64(t), math.Abs(v*10-t) < 1e-6
}

// ValidateScores checks one score per part, each within 0..max in whole
// steps, and returns the total.
func ValidateScores(parts []Part, scores []float64) (float64, error) {
	if len(scores) != len(parts) {
		return 0, saoyue.Errorf(saoyue.EINVALID, "本题有 %d 个小题：应给 %d 个分数，而不是 %d 个", len(parts), len(parts), len(scores))
	}
	var total int64
	for i, p := range parts {
		s := scores[i]
		name := "分数"
		if p.Label != "" {
			name = p.Label + " 的分数"
		}
		if math.IsNaN(s) || s < 0 || s > p.Max+1e-9 {
			return 0, saoyue.Errorf(saoyue.EINVALID, "%s应在 0 到 %g 之间，不能是 %g", name, p.Max, s)
		}
		st, ok1 := tenths(s)
		step, ok2 := tenths(p.Step)
		if !ok1 || !ok2 || step <= 0 || st%step != 0 {
			return 0, saoyue.Errorf(saoyue.EINVALID, "%s必须是 %g 的整数倍，不能是 %g", name, p.Step, s)
		}
		total += st
	}
	return float64(total) / 10, nil
}

// round1 rounds half away from zero to the tenth the schema keeps.
func round1(v float64) float64 { return math.Round(v*10) / 10 }

// agree reports whether two marks of a 2+1 pair agree: within tolerance,
// the bound itself included unless the group compares with >=.
func agree(g *store.MarkingGroup, a, b float64) bool {
	d := math.Abs(a - b)
	if g.Compare == "ge" {
		return d < g.Tolerance-1e-9
	}
	return d <= g.Tolerance+1e-9
}

// Settlement is what a crop's marks decide.
type Settlement struct {
	Final          *float64 // the candidate's score on the group, nil while undecided
	NeedArbitrate  bool     // the pair disagrees and no arbitration mark exists yet
	ArbitrationSet bool     // a round-3 task is needed at all
}

// Settle applies the group's mode to the marks on one crop. A leader's mark
// overrides everything (the latest one counts).
func Settle(g *store.MarkingGroup, marks []store.CropMark) Settlement {
	var byRound [4]*float64
	var leader *float64
	for _, m := range marks {
		v := m.Total
		if m.Kind == saoyue.MarkLeader {
			leader = &v
			continue
		}
		if m.Round >= 1 && m.Round <= 3 && byRound[m.Round] == nil {
			byRound[m.Round] = &v
		}
	}
	if leader != nil {
		return Settlement{Final: leader}
	}
	if g.Mode != "2+1" {
		return Settlement{Final: byRound[1]}
	}
	a, b, c := byRound[1], byRound[2], byRound[3]
	if a == nil || b == nil {
		return Settlement{}
	}
	if agree(g, *a, *b) {
		f := round1((*a + *b) / 2)
		return Settlement{Final: &f}
	}
	if c == nil {
		return Settlement{NeedArbitrate: true, ArbitrationSet: true}
	}
	f := *c
	if g.FinalRule == "mean" {
		okA, okB := agree(g, *a, *c), agree(g, *b, *c)
		da, db := math.Abs(*a-*c), math.Abs(*b-*c)
		switch {
		case okA && okB && math.Abs(da-db) < 1e-9:
			f = round1((*a + *b + *c) / 3)
		case okA && (!okB || da < db):
			f = round1((*a + *c) / 2)
		case okB:
			f = round1((*b + *c) / 2)
		}
	}
	return Settlement{Final: &f, ArbitrationSet: true}
}

// forbidden is the one answer to every task outside what the caller may
// touch: it says nothing about the task (another group's, the caller's own
// school's, or nonexistent look the same from outside).
func forbidden() error {
	return saoyue.Errorf(saoyue.EFORBIDDEN, "这份答卷不在您的阅卷范围内")
}

// inScope checks the cross-school rule and the group: the two things no
// role can get around.
func inScope(m *Marker, t *store.MarkingTask) bool {
	return t.GroupID == m.GroupID && t.SchoolID != m.SchoolID && t.SchoolID != 0
}

// mayTouch is inScope plus ownership: a marker touches only tasks given to
// them (or kept for them); a leader any task in scope.
func mayTouch(m *Marker, t *store.MarkingTask) bool {
	if !inScope(m, t) {
		return false
	}
	if t.ForMarker != nil && *t.ForMarker != m.TeacherID {
		return false
	}
	if m.Leader() {
		return true
	}
	return t.AssignedTo != nil && *t.AssignedTo == m.TeacherID
}

// Crop says where a task's crop image is stored, if the marker may see it.
func (e *Engine) Crop(ctx context.Context, m *Marker, taskID int64) (blob.Ref, error) {
	t, err := store.GetMarkingTask(ctx, e.DB.Pool, taskID)
	if errors.Is(err, store.ErrTaskNotFound) {
		return blob.Ref{}, forbidden()
	}
	if err != nil {
		return blob.Ref{}, err
	}
	if !mayTouch(m, t) {
		return blob.Ref{}, forbidden()
	}
	return cropRef(*t), nil
}

// CreateTasks creates the marking tasks of freshly cropped answers; the
// pipeline calls it in the transaction that saves the crops. It is
// idempotent. Crops whose school is not known yet (unidentified card) are
// returned without tasks: call again once the card is resolved.
func CreateTasks(ctx context.Context, q store.TxOrPool, cropIDs []int64) (created int64, unplaced []int64, err error) {
	if len(cropIDs) == 0 {
		return 0, nil, nil
	}
	return store.InsertMarkingTasks(ctx, q, cropIDs, 0)
}

// CreateSubjectTasks creates tasks for every crop of the subject that has
// none: the catch-up after cards were resolved or a group's mode changed
// before marking began.
func CreateSubjectTasks(ctx context.Context, q store.TxOrPool, subjectID int64) (created int64, unplaced []int64, err error) {
	return store.InsertMarkingTasks(ctx, q, nil, subjectID)
}

// GroupSettings are the centre's choices for a group's marking.
type GroupSettings struct {
	Mode         string  `json:"mode"`          // "1+0" or "2+1"
	Tolerance    float64 `json:"tolerance"`     // 2+1: largest difference that still agrees
	FinalRule    string  `json:"final_rule"`    // "mean" or "arbiter"
	Compare      string  `json:"compare"`       // "gt" or "ge"
	Arbiter      string  `json:"arbiter"`       // "marker" or "leader"
	RemarkShare  float64 `json:"remark_share"`  // 0..1, default 0.01
	ControlShare float64 `json:"control_share"` // 0..1, default 0.01
}

// ConfigureGroup checks and saves a group's marking settings. The mode can
// change until the group's first mark; the group's tasks are then cut to
// the new mode (second rounds added, or voided) in the same transaction.
// Once the exam is final nothing may change how a score is made: the
// change is refused and the attempt audited. A saved change is audited
// with the old and new settings.
func ConfigureGroup(ctx context.Context, db *store.DB, groupID int64, s GroupSettings, actor string) (*store.MarkingGroup, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	found, err := store.GetMarkingGroup(ctx, db.Pool, groupID)
	if err != nil {
		return nil, err
	}
	var g *store.MarkingGroup
	var refused error
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		// The exam's row first, as marking does, then the group's.
		st, err := store.LockSubjectMarking(ctx, tx, found.SubjectID)
		if err != nil {
			return err
		}
		if stage := st.ExamStatus; stage.AtLeast(saoyue.StageFinal) {
			refused = saoyue.Errorf(saoyue.EFORBIDDEN, "考试 %s 当前阶段为「%s」，题组 %s 的评卷设置不能再修改", st.ExamCode, stage.Name(), found.Code)
			return refused
		}
		if err := store.LockMarkingGroup(ctx, tx, groupID); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return saoyue.Errorf(saoyue.ENOTFOUND, "No such question group.")
			}
			return err
		}
		if g, err = store.GetMarkingGroup(ctx, tx, groupID); err != nil {
			return err
		}
		old := settingsOf(g)
		if err := applySettings(ctx, tx, g, s); err != nil {
			return err
		}
		return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: actor, Action: saoyue.AuditGroupSettings, Entity: saoyue.EntityQuestionGroup,
			EntityID: strconv.FormatInt(groupID, 10), Old: old, New: s, Reason: "修改题组评卷设置"})
	})
	if refused != nil {
		if aerr := store.WriteAudit(ctx, db.Pool, store.RefusedAudit(actor, saoyue.AuditGroupSettings, saoyue.EntityQuestionGroup, strconv.FormatInt(groupID, 10), refused)); aerr != nil {
			return nil, errors.Join(refused, aerr)
		}
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

// settingsOf returns a group's settings as the centre sets them.
func settingsOf(g *store.MarkingGroup) GroupSettings {
	return GroupSettings{Mode: g.Mode, Tolerance: g.Tolerance, FinalRule: g.FinalRule, Compare: g.Compare, Arbiter: g.Arbiter,
		RemarkShare: g.RemarkShare, ControlShare: g.ControlShare}
}

// applySettings saves the settings on the locked group; a mode change,
// allowed only before the group's first mark, regenerates its tasks.
func applySettings(ctx context.Context, tx pgx.Tx, g *store.MarkingGroup, s GroupSettings) error {
	modeChanged := g.Mode != s.Mode
	if modeChanged {
		marked, err := store.GroupHasMarks(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		if marked {
			return saoyue.Errorf(saoyue.ECONFLICT, "该题组已有评分，不能再改评卷模式。")
		}
	}
	g.Mode, g.Tolerance, g.FinalRule, g.Compare, g.Arbiter = s.Mode, s.Tolerance, s.FinalRule, s.Compare, s.Arbiter
	g.RemarkShare, g.ControlShare = s.RemarkShare, s.ControlShare
	if err := store.UpdateMarkingSettings(ctx, tx, g); err != nil {
		return err
	}
	if modeChanged {
		_, _, err := store.SetGroupRounds(ctx, tx, g.ID, g.Mode)
		return err
	}
	return nil
}

// check validates the settings with the reasons in Chinese.
func (s GroupSettings) check() error {
	switch {
	case s.Mode != "1+0" && s.Mode != "2+1":
		return saoyue.Errorf(saoyue.EINVALID, "评卷模式只能是 1+0 或 2+1。")
	case s.FinalRule != "mean" && s.FinalRule != "arbiter":
		return saoyue.Errorf(saoyue.EINVALID, "最终分规则只能是取平均（mean）或以仲裁分为准（arbiter）。")
	case s.Compare != "gt" && s.Compare != "ge":
		return saoyue.Errorf(saoyue.EINVALID, "误差比较只能是大于（gt）或大于等于（ge）。")
	case s.Arbiter != "marker" && s.Arbiter != "leader":
		return saoyue.Errorf(saoyue.EINVALID, "仲裁人只能是第三位阅卷教师（marker）或题组长（leader）。")
	case s.Tolerance < 0 || s.Compare == "ge" && s.Tolerance == 0:
		return saoyue.Errorf(saoyue.EINVALID, "误差阈值不能小于 0（按大于等于比较时须大于 0）。")
	case s.RemarkShare < 0 || s.RemarkShare > 1 || s.ControlShare < 0 || s.ControlShare > 1:
		return saoyue.Errorf(saoyue.EINVALID, "回评和质控比例须在 0 到 1 之间。")
	}
	return nil
}
