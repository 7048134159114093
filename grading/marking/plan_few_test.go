package marking

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// addTeachingOffice adds a school of the exam without candidates (a
// county teaching-research office) with n teachers of the subject: each
// can mark a group alone, since no answer is their own school's.
func addTeachingOffice(t *testing.T, db *store.DB, seed *storetest.SeededMarking, code string, n int) {
	t.Helper()
	ctx := context.Background()
	var school int64
	err := db.Pool.QueryRow(ctx, `
		INSERT INTO schools (county_id, code, name) SELECT county_id, $1, '教研室' FROM schools WHERE id = $2 RETURNING id`,
		code, seed.Schools[0]).Scan(&school)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO exam_schools (exam_id, school_id) VALUES ($1, $2)`, seed.ExamID, school); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := db.Pool.Exec(ctx, `
			WITH t AS (INSERT INTO teachers (school_id, teacher_no, name) VALUES ($1, 'R' || $2, '教研员' || $2) RETURNING id)
			INSERT INTO teacher_subjects (teacher_id, subject_code) SELECT id, 'math' FROM t`, school, fmt.Sprint(i+1)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPlanFewTeachers: two schools with one teacher each and a teaching
// office with two cannot give three groups two markers each, but the
// automatic plan still covers them: the office's teachers mark one group
// alone (with a warning), the two school teachers share the third. With
// the office gone the plan fails and names the group it cannot cover.
func TestPlanFewTeachers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	seed, err := storetest.SeedMarking(ctx, db.Pool, storetest.MarkingSeed{ExamCode: "23", Subject: "math", Schools: 2, TeachersPerSchool: 1, StudentsPerSchool: 5,
		Groups: []store.QuestionGroup{{Code: "1", MaxScore: 6, Step: 1, Mode: "1+0"}, {Code: "2", MaxScore: 6, Step: 1, Mode: "1+0"}, {Code: "3", MaxScore: 6, Step: 1, Mode: "1+0"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = GeneratePlan(ctx, db, seed.SubjectID, "test")
	wantCode(t, err, saoyue.EINVALID)
	if msg := saoyue.ErrorMessage(err); !strings.Contains(msg, "题组 2") && !strings.Contains(msg, "题组 3") {
		t.Errorf("failure does not name the uncovered group: %s", msg)
	}
	t.Log(saoyue.ErrorMessage(err))

	addTeachingOffice(t, db, seed, "9901", 2)
	plan, err := GeneratePlan(ctx, db, seed.SubjectID, "test")
	if err != nil {
		t.Fatalf("few teachers: %v", err)
	}
	if len(plan.Problems) > 0 {
		t.Fatalf("problems: %v", plan.Problems)
	}
	singles := 0
	for _, g := range plan.Groups {
		if len(g.Markers) == 0 {
			t.Errorf("group %s has no marker", g.Code)
		}
		if len(g.Markers) == 1 {
			singles++
			if g.Markers[0].SchoolCode != "9901" {
				t.Errorf("group %s is marked alone by a teacher of a school with answers: %+v", g.Code, g.Markers[0])
			}
		}
	}
	if singles != 2 {
		t.Errorf("%d groups with one marker, want 2: %+v", singles, plan.Groups)
	}
	warned := 0
	for _, w := range plan.Warnings {
		if strings.Contains(w, "只有一名阅卷教师") {
			warned++
		}
	}
	if warned != 2 {
		t.Errorf("warnings %v: want two single-marker warnings", plan.Warnings)
	}
}

// TestModeSwitchRegeneratesTasks: a group whose crops already have tasks
// switches to 2+1 and each crop gets its second round; back to 1+0 the
// untouched second rounds are voided; after the first mark the mode is
// fixed.
func TestModeSwitchRegeneratesTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMarkingFixture(t, storetest.MarkingSeed{ExamCode: "24", Subject: "math", Schools: 3, TeachersPerSchool: 2, StudentsPerSchool: 8,
		Groups: []store.QuestionGroup{{Code: "17", MaxScore: 6, Step: 1, Mode: "1+0"}}}, MarkingOptions{})
	g := f.seed.Groups[0]
	count := func(sql string) int {
		t.Helper()
		var n int
		if err := f.db.Pool.QueryRow(ctx, sql, g).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	crops := count(`SELECT count(*) FROM crops WHERE group_id = $1`)
	if n := count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 1`); n != crops || crops == 0 {
		t.Fatalf("%d first rounds for %d crops", n, crops)
	}
	set := GroupSettings{Mode: "2+1", Tolerance: 1, FinalRule: "mean", Compare: "gt", Arbiter: "marker", RemarkShare: 0, ControlShare: 0}
	if _, err := ConfigureGroup(ctx, f.db, g, set, "test"); err != nil {
		t.Fatalf("switch to 2+1 with tasks: %v", err)
	}
	if n := count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 2 AND kind = 'normal' AND status = 'open'`); n != crops {
		t.Errorf("%d second rounds for %d crops", n, crops)
	}
	set.Mode = "1+0"
	if _, err := ConfigureGroup(ctx, f.db, g, set, "test"); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 2 AND status <> 'void'`); n != 0 {
		t.Errorf("%d second rounds left in 1+0", n)
	}
	set.Mode = "2+1"
	if _, err := ConfigureGroup(ctx, f.db, g, set, "test"); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 2 AND status = 'open'`); n != crops {
		t.Errorf("%d second rounds reopened for %d crops", n, crops)
	}
	// The first mark fixes the mode.
	m := f.markersOf(t, g)[0]
	next, err := f.eng.Next(ctx, m, 1)
	if err != nil || len(next.Tasks) == 0 {
		t.Fatalf("next: %v %+v", err, next)
	}
	if _, err := f.eng.Submit(ctx, m, next.Tasks[0].ID, Submission{Scores: []float64{3}, DurationMS: 3000}); err != nil {
		t.Fatal(err)
	}
	set.Mode = "1+0"
	_, err = ConfigureGroup(ctx, f.db, g, set, "test")
	wantCode(t, err, saoyue.ECONFLICT)
	if msg := saoyue.ErrorMessage(err); msg != "该题组已有评分，不能再改评卷模式。" {
		t.Errorf("refusal: %q", msg)
	}
	// Other settings may still change.
	set.Mode, set.Tolerance = "2+1", 2
	if _, err := ConfigureGroup(ctx, f.db, g, set, "test"); err != nil {
		t.Errorf("tolerance after marks: %v", err)
	}
}

// TestAutoPlan21ThreeSchools: with three schools, a 2+1 group arbitrated
// by a third marker needs markers of all three schools and five markers
// (an answer of the school with one marker leaves four, two of each other
// school). A plan made in 1+0 and then switched to 2+1 says so in
// Chinese; the automatic plan made again gives the group what it needs.
func TestAutoPlan21ThreeSchools(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	groups := []store.QuestionGroup{{Code: "26", MaxScore: 5, Step: 1, Mode: "1+0"}, {Code: "27", MaxScore: 6, Step: 1, Mode: "1+0"},
		{Code: "28", MaxScore: 9, Step: 1, Mode: "1+0"}, {Code: "29", MaxScore: 7, Step: 1, Mode: "1+0"},
		{Code: "30", MaxScore: 8, Step: 0.5, Mode: "1+0"}, {Code: "31", MaxScore: 10, Step: 1, Mode: "1+0"}}
	f := newMarkingFixture(t, storetest.MarkingSeed{ExamCode: "25", Subject: "math", Schools: 3, TeachersPerSchool: 5, StudentsPerSchool: 8,
		Groups: groups}, MarkingOptions{})
	if len(f.plan.Problems) > 0 {
		t.Fatalf("1+0 plan: %v", f.plan.Problems)
	}
	g31 := f.seed.Groups[5]
	set := GroupSettings{Mode: "2+1", Tolerance: 0.5, FinalRule: "mean", Compare: "gt", Arbiter: "marker", RemarkShare: 0.01, ControlShare: 0.01}
	if _, err := ConfigureGroup(ctx, f.db, g31, set, "test"); err != nil {
		t.Fatal(err)
	}
	plan, err := LoadPlan(ctx, f.db, f.seed.SubjectID)
	if err != nil {
		t.Fatal(err)
	}
	flagged := false
	for _, p := range plan.Problems {
		flagged = flagged || strings.HasPrefix(p, "题组 31：2+1 双评")
	}
	if !flagged {
		t.Fatalf("a 1+0 plan's markers in a 2+1 group are not flagged: %v (markers %+v)", plan.Problems, plan.Groups[5].Markers)
	}
	t.Log(plan.Problems)

	if plan, err = GeneratePlan(ctx, f.db, f.seed.SubjectID, "test"); err != nil {
		t.Fatalf("automatic plan with a 2+1 group: %v", err)
	}
	if len(plan.Problems) > 0 {
		t.Fatalf("problems: %v", plan.Problems)
	}
	perSchool := map[int64]int{}
	for _, a := range plan.Groups[5].Markers {
		perSchool[a.SchoolID]++
	}
	if len(perSchool) != 3 || len(plan.Groups[5].Markers) < 5 {
		t.Errorf("2+1 group: markers per school %v, want three schools and at least 5 markers", perSchool)
	}
	assigned := 0
	for _, g := range plan.Groups {
		assigned += len(g.Markers)
		if g.Mode == "1+0" && len(g.Markers) < 2 {
			t.Errorf("group %s has %d markers", g.Code, len(g.Markers))
		}
	}
	if assigned != 15 {
		t.Errorf("%d of 15 teachers assigned", assigned)
	}
}

// TestConfigureGroupAfterFinal: once the exam is final a group's settings
// (mode, tolerance, arbitration) no longer change; the attempt is refused
// in Chinese and audited, and the settings stay as they were.
func TestConfigureGroupAfterFinal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMarkingFixture(t, storetest.MarkingSeed{ExamCode: "26", Subject: "math", Schools: 3, TeachersPerSchool: 2, StudentsPerSchool: 3,
		Groups: []store.QuestionGroup{{Code: "1", MaxScore: 6, Step: 1, Mode: "1+0"}}}, MarkingOptions{})
	g := f.seed.Groups[0]
	set := GroupSettings{Mode: "1+0", Tolerance: 1, FinalRule: "mean", Compare: "gt", Arbiter: "marker", RemarkShare: 0.01, ControlShare: 0.01}
	if _, err := ConfigureGroup(ctx, f.db, g, set, "user:centre"); err != nil {
		t.Fatalf("settings while marking: %v", err)
	}
	for _, to := range []saoyue.Stage{saoyue.StageReview, saoyue.StageFinal} {
		advance(t, f.db, grading.AdvanceRequest{ExamCode: "26", To: to, Force: true, Reason: "测试：未评完即发布"})
	}
	for _, s := range []GroupSettings{{Mode: "2+1", Tolerance: 1, FinalRule: "mean", Compare: "gt", Arbiter: "marker"},
		{Mode: "1+0", Tolerance: 3, FinalRule: "arbiter", Compare: "gt", Arbiter: "leader"}} {
		_, err := ConfigureGroup(ctx, f.db, g, s, "user:centre")
		wantCode(t, err, saoyue.EFORBIDDEN)
		if msg := saoyue.ErrorMessage(err); !strings.Contains(msg, "已发布") || !strings.Contains(msg, "不能再修改") {
			t.Errorf("refusal %q", msg)
		}
	}
	var mode, rule string
	var tol float64
	if err := f.db.Pool.QueryRow(ctx, `SELECT mode, tolerance, final_rule FROM question_groups WHERE id = $1`, g).Scan(&mode, &tol, &rule); err != nil {
		t.Fatal(err)
	}
	if mode != "1+0" || tol != 1 || rule != "mean" {
		t.Errorf("settings changed after final: %s %g %s", mode, tol, rule)
	}
	var saved, refused int
	err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'group_settings'),
		count(*) FILTER (WHERE action = 'refused' AND new_value->>'action' = 'group_settings' AND actor = 'user:centre')
		FROM audit_log WHERE entity = 'question_group' AND entity_id = $1`, fmt.Sprint(g)).Scan(&saved, &refused)
	if err != nil || saved != 1 || refused != 2 {
		t.Errorf("audit: %d saved, %d refused (%v); want 1 and 2", saved, refused, err)
	}
}
