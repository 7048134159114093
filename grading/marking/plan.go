package marking

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// PlanGroup is one question group in a marking plan.
type PlanGroup struct {
	GroupID   int64
	Code      string
	Mode      string
	Answers   int                       // answers to mark (crops, or candidates before scanning)
	Workload  float64                   // marks expected: answers, times 2.1 in 2+1
	Markers   []store.MarkingAssignment // leaders first
	PerMarker float64                   // workload per marker
	Lacking   []string                  // why the rules cannot be kept, per school; empty when fine
}

// Plan is who marks what in a subject.
type Plan struct {
	SubjectID int64
	Groups    []PlanGroup
	Problems  []string // groups that lack markers: the plan cannot be used as it is
	Warnings  []string // imbalances the plan can live with
}

// marksPerAnswer is the expected number of marks per answer: 2+1 answers
// are marked twice and about one in ten goes to arbitration.
func marksPerAnswer(mode string) float64 {
	if mode == "2+1" {
		return 2.1
	}
	return 1
}

// minMarkers is the fewest markers a group needs for the cross-school rule
// to be satisfiable at all when the markers come from the given number of
// schools. 1+0: two schools. 2+1: every answer needs markers of two other
// schools, so three schools at least; a third marker to arbitrate makes it
// four markers, or five when there are only three schools (an answer of
// the school with one marker leaves two schools' markers, and two of them
// must come from one school).
func minMarkers(g *store.MarkingGroup, schools int) int {
	switch {
	case g.Mode != "2+1":
		return 2
	case g.Arbiter == "leader":
		return 3
	case schools > 3:
		return 4
	}
	return 5
}

type planInput struct {
	groups   []store.MarkingGroup
	answers  map[int64]map[int64]int // group -> school -> answers
	teachers []store.Teacher
}

// autoSlot is one group being filled by autoAssign.
type autoSlot struct {
	g       *store.MarkingGroup
	answers map[int64]int
	work    float64
	size    int
	per     map[int64]int // school -> markers
	markers []store.MarkingAssignment
}

// gain is how much a teacher of the school would lower the group's
// deficit (deficit in plan_few.go): positive while the group still lacks
// a school or a marker the rules need.
func (s *autoSlot) gain(t store.Teacher) int {
	if len(s.markers) >= s.size {
		return -1
	}
	before := deficit(s.g, s.answers, s.markers)
	if before == 0 {
		return 0
	}
	return before - deficit(s.g, s.answers, append(s.markers[:len(s.markers):len(s.markers)], store.MarkingAssignment{SchoolID: t.SchoolID}))
}

// autoAssign puts every teacher on one group: groups get markers in
// proportion to their workload (each new marker goes to the group with the
// most work per marker, the D'Hondt rule), and each school's teachers are
// spread over the groups so every group has markers of several schools.
// A teacher goes first where they make up a school or a marker the rules
// still lack: a 2+1 group gets markers of three schools where the roster
// has them.
func autoAssign(in planInput) (map[int64]int64, error) {
	slots, err := autoSizes(in)
	if err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	for _, t := range interleaveSchools(in.teachers) {
		var best *autoSlot
		bestGain := -1
		for _, s := range slots {
			gain := s.gain(t)
			if gain < 0 {
				continue
			}
			if best == nil || gain > bestGain || gain == bestGain && (s.per[t.SchoolID] < best.per[t.SchoolID] ||
				s.per[t.SchoolID] == best.per[t.SchoolID] && float64(len(s.markers))/float64(s.size) < float64(len(best.markers))/float64(best.size)) {
				best, bestGain = s, gain
			}
		}
		best.markers = append(best.markers, store.MarkingAssignment{TeacherID: t.ID, SchoolID: t.SchoolID})
		best.per[t.SchoolID]++
		out[t.ID] = best.g.ID
	}
	return out, nil
}

// autoSizes gives each group its number of markers: the rules' minimum,
// then the rest by workload (D'Hondt).
func autoSizes(in planInput) ([]*autoSlot, error) {
	slots := make([]*autoSlot, len(in.groups))
	need, schools := 0, len(schoolsOf(in.teachers))
	for i := range in.groups {
		g := &in.groups[i]
		slots[i] = &autoSlot{g: g, answers: in.answers[g.ID], work: groupWork(g, in.answers[g.ID]), size: minMarkers(g, schools), per: map[int64]int{}}
		need += slots[i].size
	}
	if len(in.teachers) < need {
		var names []string
		for _, s := range slots {
			names = append(names, fmt.Sprintf("题组 %s（%s，%d 名）", s.g.Code, s.g.Mode, s.size))
		}
		return nil, saoyue.Errorf(saoyue.EINVALID, "%d 名教师不够 %d 个题组使用，至少需要 %d 名：%s。",
			len(in.teachers), len(slots), need, strings.Join(names, "，"))
	}
	for extra := len(in.teachers) - need; extra > 0; extra-- {
		best := slots[0]
		for _, s := range slots[1:] {
			if s.work/float64(s.size+1) > best.work/float64(best.size+1) {
				best = s
			}
		}
		best.size++
	}
	return slots, nil
}

// schoolsOf lists the teachers' schools in order of first appearance.
func schoolsOf(ts []store.Teacher) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, t := range ts {
		if !seen[t.SchoolID] {
			seen[t.SchoolID] = true
			out = append(out, t.SchoolID)
		}
	}
	return out
}

// interleaveSchools orders the teachers one of each school in turn (the
// largest school first), so each school's teachers are handed out across
// all groups instead of filling one.
func interleaveSchools(ts []store.Teacher) []store.Teacher {
	bySchool := map[int64][]store.Teacher{}
	schools := schoolsOf(ts)
	for _, t := range ts {
		bySchool[t.SchoolID] = append(bySchool[t.SchoolID], t)
	}
	sort.SliceStable(schools, func(i, j int) bool { return len(bySchool[schools[i]]) > len(bySchool[schools[j]]) })
	var order []store.Teacher
	for k := 0; len(order) < len(ts); k++ {
		for _, s := range schools {
			if k < len(bySchool[s]) {
				order = append(order, bySchool[s][k])
			}
		}
	}
	return order
}

// pickLeaders names up to two leaders per group, of different schools, so
// that every school's problem answers have a leader who may see them.
func pickLeaders(as []store.MarkingAssignment) {
	byGroup := map[int64][]int{}
	for i := range as {
		byGroup[as[i].GroupID] = append(byGroup[as[i].GroupID], i)
	}
	for _, idx := range byGroup {
		var first int64 = -1
		n := 0
		for _, i := range idx {
			if n == 0 || n == 1 && as[i].SchoolID != first {
				as[i].Role = saoyue.RoleLeader
				first = as[i].SchoolID
				n++
			}
		}
	}
}

// checkGroup says, per school whose answers the group has, what the
// markers lack to mark them under the rules.
func checkGroup(g *store.MarkingGroup, answers map[int64]int, markers []store.MarkingAssignment, schoolCode map[int64]string) (lacking, warnings []string) {
	total := 0
	for _, n := range answers {
		total += n
	}
	schools := make([]int64, 0, len(answers))
	for s := range answers {
		schools = append(schools, s)
	}
	sort.Slice(schools, func(i, j int) bool { return schoolCode[schools[i]] < schoolCode[schools[j]] })
	for _, s := range schools {
		if answers[s] == 0 {
			continue
		}
		others, otherSchools, leaders := 0, map[int64]bool{}, 0
		for _, a := range markers {
			if a.SchoolID != s {
				others++
				otherSchools[a.SchoolID] = true
				if a.Role == saoyue.RoleLeader {
					leaders++
				}
			}
		}
		switch {
		case others == 0:
			lacking = append(lacking, fmt.Sprintf("学校 %s 的 %d 份答案没有外校教师可评（现有阅卷教师都来自该校）", schoolCode[s], answers[s]))
		case g.Mode == "2+1" && len(otherSchools) < 2:
			lacking = append(lacking, fmt.Sprintf("2+1 双评：学校 %s 的答案须由另外两所学校的教师各评一次，现只有 %d 所外校的教师", schoolCode[s], len(otherSchools)))
		case g.Mode == "2+1" && g.Arbiter == "marker" && others < 3:
			lacking = append(lacking, fmt.Sprintf("2+1 双评：学校 %s 的答案还需要第三位外校教师仲裁", schoolCode[s]))
		case g.Mode == "2+1" && g.Arbiter == "leader" && leaders == 0:
			lacking = append(lacking, fmt.Sprintf("由题组长仲裁，但没有外校题组长可仲裁学校 %s 的答案", schoolCode[s]))
		}
		if leaders == 0 && others > 0 {
			warnings = append(warnings, fmt.Sprintf("题组 %s：没有外校题组长处理学校 %s 的问题卷", g.Code, schoolCode[s]))
		}
		// Markers pull work, so the load evens out as long as no school's
		// share of the answers exceeds the others' share of the markers.
		if len(markers) > 0 && others > 0 {
			ansShare := float64(answers[s]) / float64(total)
			capShare := float64(others) / float64(len(markers))
			if ansShare > capShare+0.1 {
				warnings = append(warnings, fmt.Sprintf("题组 %s：学校 %s 的答案占 %.0f%%，外校阅卷教师只占 %.0f%%，这些答案会最后评完",
					g.Code, schoolCode[s], 100*ansShare, 100*capShare))
			}
		}
	}
	return lacking, warnings
}

func loadPlanInput(ctx context.Context, q store.TxOrPool, subjectID int64) (planInput, map[int64]string, error) {
	var in planInput
	var err error
	if in.groups, err = store.ListMarkingGroups(ctx, q, subjectID); err != nil {
		return in, nil, err
	}
	if len(in.groups) == 0 {
		return in, nil, saoyue.Errorf(saoyue.EINVALID, "该学科还没有可评的题组：请先登记答题卡模板。")
	}
	counts, err := store.CountGroupAnswers(ctx, q, subjectID)
	if err != nil {
		return in, nil, err
	}
	in.answers = map[int64]map[int64]int{}
	for _, c := range counts {
		if in.answers[c.GroupID] == nil {
			in.answers[c.GroupID] = map[int64]int{}
		}
		in.answers[c.GroupID][c.SchoolID] = c.Answers
	}
	if in.teachers, err = store.ListSubjectTeachers(ctx, q, subjectID); err != nil {
		return in, nil, err
	}
	schools, err := store.ListSchools(ctx, q)
	if err != nil {
		return in, nil, err
	}
	codes := map[int64]string{}
	for _, s := range schools {
		codes[s.ID] = s.Code
	}
	return in, codes, nil
}

func buildPlan(subjectID int64, in planInput, as []store.MarkingAssignment, codes map[int64]string) *Plan {
	p := &Plan{SubjectID: subjectID}
	for i := range in.groups {
		g := &in.groups[i]
		pg := PlanGroup{GroupID: g.ID, Code: g.Code, Mode: g.Mode}
		for _, n := range in.answers[g.ID] {
			pg.Answers += n
		}
		pg.Workload = float64(pg.Answers) * marksPerAnswer(g.Mode)
		for _, a := range as {
			if a.GroupID == g.ID {
				pg.Markers = append(pg.Markers, a)
			}
		}
		sort.SliceStable(pg.Markers, func(i, j int) bool {
			return pg.Markers[i].Role == saoyue.RoleLeader && pg.Markers[j].Role != saoyue.RoleLeader
		})
		if len(pg.Markers) > 0 {
			pg.PerMarker = pg.Workload / float64(len(pg.Markers))
		}
		var warn []string
		pg.Lacking, warn = checkGroup(g, in.answers[g.ID], pg.Markers, codes)
		if len(pg.Markers) == 0 {
			pg.Lacking = append(pg.Lacking, "没有阅卷教师")
		}
		for _, l := range pg.Lacking {
			p.Problems = append(p.Problems, fmt.Sprintf("题组 %s：%s", g.Code, l))
		}
		p.Warnings = append(p.Warnings, warn...)
		p.Groups = append(p.Groups, pg)
	}
	singleMarkerWarnings(p)
	return p
}

// GeneratePlan assigns every subject teacher of the participating schools
// to one group of the subject, balanced by workload, with leaders, and
// saves it in place of the old plan. A plan that cannot keep the rules is
// not saved: the error names the groups that lack markers.
func GeneratePlan(ctx context.Context, db *store.DB, subjectID int64, by string) (*Plan, error) {
	var plan *Plan
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		in, codes, err := loadPlanInput(ctx, tx, subjectID)
		if err != nil {
			return err
		}
		var as []store.MarkingAssignment
		if assign, err := autoAssign(in); err == nil {
			for _, t := range in.teachers {
				as = append(as, store.MarkingAssignment{SubjectID: subjectID, TeacherID: t.ID, GroupID: assign[t.ID], Role: saoyue.RoleMarker,
					TeacherNo: t.TeacherNo, Name: t.Name, SchoolID: t.SchoolID, SchoolCode: t.SchoolCode})
			}
			pickLeaders(as)
			plan = buildPlan(subjectID, in, as, codes)
		}
		if plan == nil || len(plan.Problems) > 0 {
			// Too few teachers for the balanced plan: cover each group
			// with as few as the rules allow.
			if as, err = coverAssign(subjectID, in, codes); err != nil {
				return err
			}
			plan = buildPlan(subjectID, in, as, codes)
		}
		if len(plan.Problems) > 0 {
			return saoyue.Errorf(saoyue.EINVALID, "按现有教师名单无法安排本学科的阅卷：%s。", strings.Join(plan.Problems, "；"))
		}
		return store.ReplaceMarkingAssignments(ctx, tx, subjectID, as, by)
	})
	if err != nil {
		return plan, err
	}
	return LoadPlan(ctx, db, subjectID)
}

// LoadPlan returns the subject's saved plan with its problems and warnings.
func LoadPlan(ctx context.Context, db *store.DB, subjectID int64) (*Plan, error) {
	in, codes, err := loadPlanInput(ctx, db.Pool, subjectID)
	if err != nil {
		return nil, err
	}
	as, err := store.ListMarkingAssignments(ctx, db.Pool, subjectID)
	if err != nil {
		return nil, err
	}
	return buildPlan(subjectID, in, as, codes), nil
}

// Assign puts (or moves) a subject teacher on a group with a role: the
// centre's edit of a plan. It returns the plan as it now stands.
func Assign(ctx context.Context, db *store.DB, subjectID, teacherID, groupID int64, role saoyue.Role, by string) (*Plan, error) {
	if role == "" {
		role = saoyue.RoleMarker
	}
	if role != saoyue.RoleMarker && role != saoyue.RoleLeader {
		return nil, saoyue.Errorf(saoyue.EINVALID, "角色只能是阅卷教师或题组长。")
	}
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		g, err := store.GetMarkingGroup(ctx, tx, groupID)
		if err != nil {
			return err
		}
		if g.SubjectID != subjectID {
			return saoyue.Errorf(saoyue.EINVALID, "题组 %s 不属于本学科。", g.Code)
		}
		ts, err := store.ListSubjectTeachers(ctx, tx, subjectID)
		if err != nil {
			return err
		}
		ok := false
		for _, t := range ts {
			ok = ok || t.ID == teacherID
		}
		if !ok {
			return saoyue.Errorf(saoyue.EINVALID, "该教师不在本学科参考学校的任课教师名单中。")
		}
		return store.UpsertMarkingAssignment(ctx, tx, subjectID, store.MarkingAssignment{TeacherID: teacherID, GroupID: groupID, Role: role}, by)
	})
	if err != nil {
		return nil, err
	}
	return LoadPlan(ctx, db, subjectID)
}

// Unassign takes a teacher off the subject's marking. Tasks they hold go
// back to the queue when their lease ends.
func Unassign(ctx context.Context, db *store.DB, subjectID, teacherID int64) (*Plan, error) {
	ok, err := store.DeleteMarkingAssignment(ctx, db.Pool, subjectID, teacherID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, saoyue.Errorf(saoyue.ENOTFOUND, "该教师不在本学科的阅卷安排中。")
	}
	return LoadPlan(ctx, db, subjectID)
}

// SubjectID resolves an exam code and subject code.
func SubjectID(ctx context.Context, db *store.DB, examCode, subjectCode string) (int64, error) {
	_, id, err := store.SubjectByCode(ctx, db.Pool, examCode, subjectCode)
	if errors.Is(err, store.ErrSubjectNotFound) {
		return 0, saoyue.Errorf(saoyue.ENOTFOUND, "考试 %s 没有学科 %s。", examCode, subjectCode)
	}
	return id, err
}

// SubjectProgress returns the marking progress of every group of a subject.
func SubjectProgress(ctx context.Context, db *store.DB, subjectID int64) ([]store.GroupProgress, error) {
	return store.ListGroupProgress(ctx, db.Pool, subjectID)
}
