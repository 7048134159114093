package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

func runMarking(t *testing.T, cfg *Config, args ...string) (string, error) {
	t.Helper()
	cmd := newMarkingCmd(cfg)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestMarkingPlanAutoFewTeachers: with two schools of one teacher each,
// `marking plan --auto` cannot staff two groups and says which; once a
// teaching office's teacher joins, it saves a plan where that teacher
// marks a group alone, with a Chinese warning.
func TestMarkingPlanAutoFewTeachers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := storetest.NewWithURL(t)
	cfg := &Config{DatabaseURL: url, DataDir: t.TempDir()}
	seed, err := storetest.SeedMarking(ctx, db.Pool, storetest.MarkingSeed{ExamCode: "25", Subject: "math", Schools: 2, TeachersPerSchool: 1, StudentsPerSchool: 4,
		Groups: []store.QuestionGroup{{Code: "13", MaxScore: 6, Step: 1, Mode: "1+0"}, {Code: "14", MaxScore: 8, Step: 1, Mode: "1+0"}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := runMarking(t, cfg, "plan", "--exam", "25", "--subject", "math", "--auto")
	if err == nil || !strings.Contains(err.Error(), "题组 14（没有可用的教师）") {
		t.Fatalf("two teachers for two groups: %v\n%s", err, out)
	}
	_, err = db.Pool.Exec(ctx, `
		WITH s AS (INSERT INTO schools (county_id, code, name) SELECT county_id, '9902', '教研室' FROM schools WHERE id = $2 RETURNING id),
		     e AS (INSERT INTO exam_schools (exam_id, school_id) SELECT $1, id FROM s),
		     t AS (INSERT INTO teachers (school_id, teacher_no, name) SELECT id, 'R1', '教研员' FROM s RETURNING id)
		INSERT INTO teacher_subjects (teacher_id, subject_code) SELECT id, 'math' FROM t`, seed.ExamID, seed.Schools[0])
	if err != nil {
		t.Fatal(err)
	}
	out, err = runMarking(t, cfg, "plan", "--exam", "25", "--subject", "math", "--auto", "--show")
	if err != nil {
		t.Fatalf("few teachers: %v\n%s", err, out)
	}
	for _, want := range []string{"已保存考试 25 学科 math 的阅卷安排", "警告：", "只有一名阅卷教师（学校 9902 教研员）"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
