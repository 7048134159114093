package marking

import (
	"context"
	"fmt"
	"testing"
	"time"
	"unicode"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// markingFixture is a county ready to mark: seeded roster and crops, tasks
// created, plan generated.
type markingFixture struct {
	db   *store.DB
	eng  *Engine
	seed *storetest.SeededMarking
	plan *Plan
}

func newMarkingFixture(t *testing.T, spec storetest.MarkingSeed, opts MarkingOptions) *markingFixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t)
	seed, err := storetest.SeedMarking(ctx, db.Pool, spec)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := GeneratePlan(ctx, db, seed.SubjectID, "test")
	if err != nil {
		t.Fatalf("generate plan: %v", err)
	}
	created, unplaced, err := CreateSubjectTasks(ctx, db.Pool, seed.SubjectID)
	if err != nil || len(unplaced) > 0 {
		t.Fatalf("create tasks: %v, unplaced %v", err, unplaced)
	}
	if created == 0 {
		t.Fatal("no tasks created")
	}
	return &markingFixture{db: db, eng: NewEngine(db, opts), seed: seed, plan: plan}
}

func (f *markingFixture) marker(t *testing.T, teacherID int64) *Marker {
	t.Helper()
	m, err := f.eng.Marker(context.Background(), teacherID, f.seed.SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// markersOf returns the markers of a group, leaders first.
func (f *markingFixture) markersOf(t *testing.T, groupID int64) []*Marker {
	t.Helper()
	var out []*Marker
	for _, g := range f.plan.Groups {
		if g.GroupID != groupID {
			continue
		}
		for _, a := range g.Markers {
			out = append(out, f.marker(t, a.TeacherID))
		}
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if saoyue.ErrorCode(err) != code {
		t.Fatalf("want %s error, got %v", code, err)
	}
}

func TestValidateScores(t *testing.T) {
	t.Parallel()
	parts := []Part{{Label: "(1)", Max: 5, Step: 0.5}, {Label: "(2)", Max: 5.5, Step: 0.5}}
	total, err := ValidateScores(parts, []float64{4.5, 5.5})
	if err != nil || total != 10 {
		t.Fatalf("total %v, err %v", total, err)
	}
	for _, bad := range [][]float64{{4.5}, {5.5, 0}, {-1, 0}, {4.25, 0}, {0.1, 0}} {
		if _, err := ValidateScores(parts, bad); saoyue.ErrorCode(err) != saoyue.EINVALID {
			t.Errorf("scores %v: want EINVALID, got %v", bad, err)
		}
	}
	if _, err := ValidateScores([]Part{{Max: 1, Step: 0.1}}, []float64{0.3}); err != nil {
		t.Errorf("0.3 in steps of 0.1: %v", err)
	}
}

func TestSettle(t *testing.T) {
	t.Parallel()
	g := &store.MarkingGroup{Mode: "2+1", Tolerance: 2, Compare: "gt", FinalRule: "mean"}
	cm := func(round int, total float64) store.CropMark {
		return store.CropMark{Round: round, Kind: "normal", Total: total}
	}
	val := func(s Settlement) float64 {
		if s.Final == nil {
			return -1
		}
		return *s.Final
	}
	cases := []struct {
		name  string
		g     store.MarkingGroup
		marks []store.CropMark
		final float64
		arb   bool
	}{
		{"one of two", *g, []store.CropMark{cm(1, 5)}, -1, false},
		{"agree within tolerance", *g, []store.CropMark{cm(1, 5), cm(2, 7)}, 6, false},
		{"mean rounds to a tenth", *g, []store.CropMark{cm(1, 4.5), cm(2, 5)}, 4.8, false},
		{"differ by more", *g, []store.CropMark{cm(1, 3), cm(2, 6)}, -1, true},
		{"ge: the bound disagrees", store.MarkingGroup{Mode: "2+1", Tolerance: 2, Compare: "ge", FinalRule: "mean"},
			[]store.CropMark{cm(1, 5), cm(2, 7)}, -1, true},
		{"mean of the closer agreeing pair", *g, []store.CropMark{cm(1, 2), cm(2, 8), cm(3, 7)}, 7.5, false},
		{"third agrees with both equally", *g, []store.CropMark{cm(1, 3), cm(2, 7), cm(3, 5)}, 5, false},
		{"third agrees with neither", *g, []store.CropMark{cm(1, 0), cm(2, 10), cm(3, 5)}, 5, false},
		{"arbiter's score", store.MarkingGroup{Mode: "2+1", Tolerance: 2, Compare: "gt", FinalRule: "arbiter"},
			[]store.CropMark{cm(1, 2), cm(2, 8), cm(3, 7)}, 7, false},
		{"leader overrides", *g, []store.CropMark{cm(1, 2), cm(2, 8), {Round: 1, Kind: "leader", Total: 4}}, 4, false},
		{"1+0", store.MarkingGroup{Mode: "1+0"}, []store.CropMark{cm(1, 3)}, 3, false},
	}
	for _, c := range cases {
		s := Settle(&c.g, c.marks)
		if val(s) != c.final || s.NeedArbitrate != c.arb {
			t.Errorf("%s: final %v arbitrate %v, want %v %v", c.name, val(s), s.NeedArbitrate, c.final, c.arb)
		}
	}
}

func TestPlanCrossSchoolAndBalance(t *testing.T) {
	t.Parallel()
	f := newMarkingFixture(t, storetest.MarkingSeed{ExamCode: "21", Subject: "math", Schools: 4, TeachersPerSchool: 5, StudentsPerSchool: 30,
		Groups: []store.QuestionGroup{{Code: "26", MaxScore: 6, Step: 1, Mode: "1+0"}, {Code: "27", MaxScore: 8, Step: 1, Mode: "2+1", Tolerance: 2},
			{Code: "28", MaxScore: 10, Step: 0.5, Mode: "1+0"}}}, MarkingOptions{})
	if len(f.plan.Problems) > 0 {
		t.Fatalf("problems: %v", f.plan.Problems)
	}
	seen := 0
	for _, g := range f.plan.Groups {
		schools, leaders := map[int64]bool{}, 0
		for _, a := range g.Markers {
			schools[a.SchoolID] = true
			if a.Role == saoyue.RoleLeader {
				leaders++
			}
		}
		seen += len(g.Markers)
		if len(schools) < 2 || leaders == 0 {
			t.Errorf("group %s: %d schools, %d leaders", g.Code, len(schools), leaders)
		}
		t.Logf("group %s %s: %d markers, %.0f marks each", g.Code, g.Mode, len(g.Markers), g.PerMarker)
	}
	if seen != 20 {
		t.Errorf("%d teachers assigned, want all 20", seen)
	}
	// The 2+1 group has twice the work: it gets the most markers.
	if !(len(f.plan.Groups[1].Markers) > len(f.plan.Groups[0].Markers)) {
		t.Errorf("2+1 group got %d markers, 1+0 group %d", len(f.plan.Groups[1].Markers), len(f.plan.Groups[0].Markers))
	}

	// A centre edit that leaves a group with one school's markers only is
	// reported, naming the group.
	ctx := context.Background()
	var plan *Plan
	var err error
	g0 := f.plan.Groups[0]
	keep := g0.Markers[0].SchoolID
	for _, a := range g0.Markers {
		if a.SchoolID != keep {
			if plan, err = Unassign(ctx, f.db, f.seed.SubjectID, a.TeacherID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(plan.Problems) == 0 || plan.Groups[0].Lacking == nil {
		t.Fatalf("one-school group not reported: %+v", plan.Problems)
	}
	t.Log(plan.Problems)
}

func TestPlanTooFewTeachers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	seed, err := storetest.SeedMarking(ctx, db.Pool, storetest.MarkingSeed{ExamCode: "22", Subject: "math", Schools: 2, TeachersPerSchool: 1, StudentsPerSchool: 5,
		Groups: []store.QuestionGroup{{Code: "1", MaxScore: 6, Step: 1, Mode: "2+1", Tolerance: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = GeneratePlan(ctx, db, seed.SubjectID, "test")
	wantCode(t, err, saoyue.EINVALID)
	t.Log(saoyue.ErrorMessage(err))
	plan, err := LoadPlan(ctx, db, seed.SubjectID)
	if err != nil || len(plan.Groups[0].Markers) != 0 {
		t.Fatalf("a failed plan was saved: %v %+v", err, plan)
	}
}

func TestSingleMarkingFlow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMarkingFixture(t, storetest.MarkingSeed{ExamCode: "23", Subject: "math", Schools: 2, TeachersPerSchool: 2, StudentsPerSchool: 3,
		Groups: []store.QuestionGroup{{Code: "30", MaxScore: 10.5, Step: 0.5, Mode: "1+0",
			Subs: []store.SubQuestion{{Sub: "(1)", Max: 5, Step: 0.5}, {Sub: "(2)", Max: 5.5, Step: 0.5}}}}},
		MarkingOptions{Lease: time.Minute, Rand: func() float64 { return 0.5 }})
	ms := f.markersOf(t, f.seed.Groups[0])
	a := ms[0]
	next, err := f.eng.Next(ctx, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Tasks) != 2 || len(next.Parts) != 2 {
		t.Fatalf("got %d tasks %d parts", len(next.Tasks), len(next.Parts))
	}
	// Asking again returns the same held tasks.
	again, _ := f.eng.Next(ctx, a, 2)
	if again.Tasks[0].ID != next.Tasks[0].ID || again.Tasks[1].ID != next.Tasks[1].ID {
		t.Fatalf("held tasks changed: %v then %v", next.Tasks, again.Tasks)
	}
	id := next.Tasks[0].ID
	_, err = f.eng.Submit(ctx, a, id, Submission{Scores: []float64{6, 0}})
	wantCode(t, err, saoyue.EINVALID)
	mk, err := f.eng.Submit(ctx, a, id, Submission{Scores: []float64{4.5, 3}})
	if err != nil || mk.Total != 7.5 {
		t.Fatalf("submit: %v %+v", err, mk)
	}
	if _, err := f.eng.Submit(ctx, a, id, Submission{Scores: []float64{4.5, 3}}); err != nil {
		t.Fatalf("same submit twice: %v", err)
	}
	_, err = f.eng.Submit(ctx, a, id, Submission{Scores: []float64{1, 3}})
	wantCode(t, err, saoyue.ECONFLICT)
	if _, err := f.eng.Revise(ctx, a, id, []float64{5, 3}, "misread (1)"); err != nil {
		t.Fatal(err)
	}
	var score float64
	var audits int
	if err := f.db.Pool.QueryRow(ctx, `SELECT score::float8 FROM item_scores WHERE item = '30'`).Scan(&score); err != nil || score != 8 {
		t.Fatalf("item score %v %v", score, err)
	}
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'mark.revise'`).Scan(&audits); err != nil || audits != 1 {
		t.Fatalf("audits %d %v", audits, err)
	}
	// Flag the second: it goes to a leader of another school.
	if err := f.eng.Flag(ctx, a, next.Tasks[1].ID, "illegible", ""); err != nil {
		t.Fatal(err)
	}
	var leader *Marker
	flagged, _ := store.GetMarkingTask(ctx, f.db.Pool, next.Tasks[1].ID)
	for _, m := range ms {
		if m.Leader() && m.SchoolID != flagged.SchoolID {
			leader = m
		}
	}
	if leader == nil {
		t.Fatal("no leader of the other school")
	}
	ps, err := f.eng.Problems(ctx, leader)
	if err != nil || len(ps) != 1 || ps[0].Reason != "illegible" {
		t.Fatalf("problems %+v %v", ps, err)
	}
	_, err = f.eng.Problems(ctx, a)
	if !a.Leader() {
		wantCode(t, err, saoyue.EFORBIDDEN)
	}
	if err := f.eng.ResolveProblem(ctx, leader, ps[0].ID, Resolution{Action: "score", Scores: []float64{0, 0}}); err != nil {
		t.Fatal(err)
	}
	// A marker of the answers' own school never gets them.
	for _, m := range ms {
		nt, err := f.eng.Next(ctx, m, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range nt.Tasks {
			tk, _ := store.GetMarkingTask(ctx, f.db.Pool, task.ID)
			if tk.SchoolID == m.SchoolID {
				t.Fatalf("marker of school %d got an answer of their school", m.SchoolID)
			}
		}
		// and may not touch other schools' tasks held by someone else
		if m.TeacherID != a.TeacherID && !m.Leader() {
			_, err := f.eng.Crop(ctx, m, id)
			wantCode(t, err, saoyue.EFORBIDDEN)
		}
	}
}

func TestLeaseExpiryRedispatches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMarkingFixture(t, storetest.MarkingSeed{ExamCode: "24", Subject: "math", Schools: 2, TeachersPerSchool: 2, StudentsPerSchool: 1,
		Groups: []store.QuestionGroup{{Code: "1", MaxScore: 4, Step: 1, Mode: "1+0"}}},
		MarkingOptions{Lease: 300 * time.Millisecond, Rand: func() float64 { return 0.5 }})
	// Two answers, one per school; the two markers of school 1 compete for
	// school 2's single answer.
	var a, b *Marker
	for _, m := range f.markersOf(t, f.seed.Groups[0]) {
		if m.SchoolID == f.seed.Schools[0] {
			if a == nil {
				a = m
			} else {
				b = m
			}
		}
	}
	na, _ := f.eng.Next(ctx, a, 1)
	nb, _ := f.eng.Next(ctx, b, 1)
	if len(na.Tasks) != 1 || len(nb.Tasks) != 0 {
		t.Fatalf("a got %d, b got %d", len(na.Tasks), len(nb.Tasks))
	}
	time.Sleep(400 * time.Millisecond)
	nb, _ = f.eng.Next(ctx, b, 1)
	if len(nb.Tasks) != 1 || nb.Tasks[0].ID != na.Tasks[0].ID {
		t.Fatalf("expired task not re-dispatched: %+v", nb.Tasks)
	}
	_, err := f.eng.Submit(ctx, a, na.Tasks[0].ID, Submission{Scores: []float64{1}})
	wantCode(t, err, saoyue.ECONFLICT)
	if _, err := f.eng.Submit(ctx, b, nb.Tasks[0].ID, Submission{Scores: []float64{2}}); err != nil {
		t.Fatal(err)
	}
}

// The store's not-found errors reach the marker as they are: coded
// ENOTFOUND with a Chinese message, through any wrapping, with no
// re-mapping in grading.
func TestErrorsAreDomainErrors(t *testing.T) {
	t.Parallel()
	for _, e := range []error{store.ErrTaskNotFound, store.ErrMarkNotFound, store.ErrProblemNotFound,
		store.ErrGroupNotFound, store.ErrSubjectNotFound, store.ErrExamNotFound} {
		err := fmt.Errorf("in a transaction: %w", fmt.Errorf("task 7: %w", e))
		if got := saoyue.ErrorCode(err); got != saoyue.ENOTFOUND {
			t.Errorf("%v: code %q, want %q", e, got, saoyue.ENOTFOUND)
		}
		if msg := saoyue.ErrorMessage(err); !hasHan(msg) {
			t.Errorf("%v: message %q is not Chinese", e, msg)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// An unknown question group, asked for through the engine, comes back as
// the store coded it: not found, in Chinese.
func TestUnknownGroupIsNotFound(t *testing.T) {
	t.Parallel()
	eng := NewEngine(storetest.New(t), MarkingOptions{})
	_, err := eng.GroupQuality(context.Background(), 987654)
	wantCode(t, err, saoyue.ENOTFOUND)
	if msg := saoyue.ErrorMessage(err); msg != "没有这个题组" {
		t.Errorf("message %q, want 没有这个题组", msg)
	}
}
