package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

func runExam(t *testing.T, cfg *Config, args ...string) (string, error) {
	t.Helper()
	cmd := newExamCmd(cfg)
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestExamCommands(t *testing.T) {
	t.Parallel()
	_, url := storetest.NewWithURL(t)
	cfg := &Config{DatabaseURL: url, DataDir: t.TempDir()}
	fx := func(name string) string { return filepath.Join("..", "..", "fixtures", "roster", name) }

	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"create", "--code", "21", "--name", "2026年秋季五年级监测", "--subjects", "math:数学,english:英语", "--capacity", "42"},
			[]string{`已创建考试 21`, "2 个学科，每考场 42 座"}},
		{[]string{"import", "--exam", "21", "--schools", fx("schools.csv"), "--students", fx("students.xlsx"), "--teachers", fx("teachers.csv")},
			[]string{"已导入 5 所学校、307 名学生、20 名教师", "5 所学校 10 个考场，共 307 名考生", "0203  43    43  2 (22+21)"}},
		{[]string{"import", "--exam", "21", "--schools", fx("schools.csv"), "--students", fx("students.xlsx")},
			[]string{"（无变化）"}},
		{[]string{"allocate", "--exam", "21"}, []string{"（无变化）"}},
		{[]string{"show", "--exam", "21"},
			[]string{"5 所学校，307 名考生，10 个考场", "0101  95  3 (32+32+31)  2101010101-2101010331"}},
		{[]string{"labels", "--exam", "21"}, []string{"21_0305_rooms.pdf", "已生成 10 个 PDF 文件"}},
	}
	for _, s := range steps {
		out, err := runExam(t, cfg, s.args...)
		if err != nil {
			t.Fatalf("exam %s: %v\n%s", strings.Join(s.args, " "), err, out)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("exam %s: output\n%s\nwant it to contain %q", s.args[0], out, w)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "labels", "21", "21_0101_labels.pdf")); err != nil {
		t.Errorf("labels not in the data dir: %v", err)
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("学校代码,学籍号,姓名\n0999,G1,甲\n"), 0o644)
	_, err := runExam(t, cfg, "import", "--exam", "21", "--students", bad)
	if err == nil || !strings.Contains(err.Error(), `bad.csv line 2: school code "0999" is not a known school`) {
		t.Errorf("bad import: %v", err)
	}
	if _, err := runExam(t, cfg, "create", "--code", "21", "--name", "again", "--subjects", "math:数学"); err == nil {
		t.Errorf("created exam 21 twice")
	}
}

// writeStudents writes a students file of school 0101: S0101..S01NN in
// 五(1)班, plus the extra rows given.
func writeStudents(t *testing.T, n int, skip string, extra ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("学校代码,学籍号,姓名,性别,年级,班级\n")
	for i := 1; i <= n; i++ {
		no := fmt.Sprintf("S01%02d", i)
		if no == skip {
			continue
		}
		fmt.Fprintf(&b, "0101,%s,学生%d,男,五年级,五(1)班\n", no, i)
	}
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	p := filepath.Join(t.TempDir(), "students.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The roster's renumbering seam: after the labels are printed, an import with
// one student added (sorting first), one removed and one renamed moves no
// exam number. Without --confirm it only shows the diff; with it the late
// student gets the next free seat, the removed one is 退出 on their number,
// and allocate is refused: renumbering the school would void the labels.
func TestExamRosterFreezeMovesNoNumber(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, url := storetest.NewWithURL(t)
	cfg := &Config{DatabaseURL: url, DataDir: t.TempDir()}
	schools := filepath.Join(t.TempDir(), "schools.csv")
	os.WriteFile(schools, []byte("学校代码,学校名称,区县\n0101,第一小学,示例县\n"), 0o644)
	run := func(args ...string) string {
		t.Helper()
		out, err := runExam(t, cfg, args...)
		if err != nil {
			t.Fatalf("exam %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("create", "--code", "21", "--name", "监测", "--subjects", "math:数学", "--capacity", "30")
	run("import", "--exam", "21", "--schools", schools, "--students", writeStudents(t, 28, ""))
	numbers := func() map[string]store.Candidate {
		t.Helper()
		cands, err := store.ListCandidates(ctx, db.Pool, mustExam(t, db).ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]store.Candidate{}
		for _, c := range cands {
			by[c.StudentNo] = c
		}
		return by
	}
	before := numbers()
	if len(before) != 28 || before["S0101"].ExamNo != "2101010101" {
		t.Fatalf("allocation: %d candidates, S0101 has %q", len(before), before["S0101"].ExamNo)
	}
	run("labels", "--exam", "21")

	// The late student sorts first (五(0)班): allocation would seat them 01.
	late := "0101,S0000,新来的,女,五年级,五(0)班"
	changed := writeStudents(t, 28, "S0105", late)
	os.WriteFile(changed, []byte(strings.Replace(readFile(t, changed), "S0107,学生7", "S0107,学生七", 1)), 0o644)
	out := run("import", "--exam", "21", "--students", changed)
	for _, want := range []string{"新增 1 人，退出 1 人，恢复 0 人，信息更正 1 人", "新增  S0000 新来的 五(0)班 → 考号 2101010129",
		"退出  S0105 学生5 五(1)班，考号 2101010105 保留", "更正  S0107 考号 2101010107：姓名 学生7 → 学生七", "未应用：确认无误后加 --confirm 重新运行"} {
		if !strings.Contains(out, want) {
			t.Errorf("unconfirmed import:\n%s\nwant %q", out, want)
		}
	}
	if now := numbers(); len(now) != 28 || now["S0105"].Withdrawn || now["S0107"].Name != "学生7" {
		t.Fatalf("the unconfirmed import changed the roster: %d candidates, S0105 withdrawn %v, S0107 %s",
			len(now), now["S0105"].Withdrawn, now["S0107"].Name)
	}

	out = run("import", "--exam", "21", "--students", changed, "--confirm")
	if !strings.Contains(out, "已应用") || !strings.Contains(out, "--school 0101 --new") {
		t.Errorf("confirmed import:\n%s", out)
	}
	after := numbers()
	for no, c := range before {
		if after[no].ExamNo != c.ExamNo || after[no].ID != c.ID {
			t.Errorf("%s moved from %s to %s", no, c.ExamNo, after[no].ExamNo)
		}
	}
	if c := after["S0000"]; c.ExamNo != "2101010129" || !c.AddedAfterFreeze || c.RoomNumber != 1 || c.Seat != 29 {
		t.Errorf("late student: %+v, want 2101010129 in room 01 seat 29", c)
	}
	if c := after["S0105"]; !c.Withdrawn || c.ExamNo != "2101010105" {
		t.Errorf("removed student: %+v, want withdrawn on 2101010105", c)
	}
	if after["S0107"].Name != "学生七" {
		t.Errorf("the name correction was not applied: %s", after["S0107"].Name)
	}

	if _, err := runExam(t, cfg, "allocate", "--exam", "21"); err == nil || !strings.Contains(err.Error(), "考号已锁定") {
		t.Errorf("allocate after the freeze: %v, want it refused", err)
	}
	if c := numbers()["S0101"]; c.ExamNo != "2101010101" {
		t.Errorf("the refused allocate moved S0101 to %s", c.ExamNo)
	}
	out = run("show", "--exam", "21")
	for _, want := range []string{"考号已锁定", "退出  2101010105 学生5", "新增  2101010129 新来的"} {
		if !strings.Contains(out, want) {
			t.Errorf("show:\n%s\nwant %q", out, want)
		}
	}
	out = run("labels", "--exam", "21", "--school", "0101", "--new")
	if !strings.Contains(out, "21_0101_labels_new.pdf") {
		t.Errorf("labels --new:\n%s", out)
	}

	// Three more late students and S0105 back: seat 30 fills room 01, the
	// others open supplementary room 02; S0105 gets their own number back.
	more := writeStudents(t, 28, "", late, "0101,S0201,甲,男,五年级,五(2)班", "0101,S0202,乙,男,五年级,五(2)班", "0101,S0203,丙,男,五年级,五(2)班")
	run("import", "--exam", "21", "--students", more, "--confirm")
	final := numbers()
	for no, want := range map[string]string{"S0201": "2101010130", "S0202": "2101010201", "S0203": "2101010202", "S0105": "2101010105", "S0000": "2101010129"} {
		if final[no].ExamNo != want || final[no].Withdrawn {
			t.Errorf("%s: %s withdrawn %v, want %s", no, final[no].ExamNo, final[no].Withdrawn, want)
		}
	}
	rooms, err := store.ListRooms(ctx, db.Pool, mustExam(t, db).ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != 2 || rooms[0].Supplementary || !rooms[1].Supplementary {
		t.Errorf("rooms %+v: want room 01 and supplementary room 02", rooms)
	}
}

func mustExam(t *testing.T, db *store.DB) *store.Exam {
	t.Helper()
	e, err := store.GetExam(context.Background(), db.Pool, "21")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
