package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			[]string{`created exam 21`, "2 subjects, 42 seats per room"}},
		{[]string{"import", "--exam", "21", "--schools", fx("schools.csv"), "--students", fx("students.xlsx"), "--teachers", fx("teachers.csv")},
			[]string{"imported 5 schools, 307 students, 20 teachers", "307 candidates in 10 rooms at 5 schools", "0203    43      43          2 (22+21)"}},
		{[]string{"import", "--exam", "21", "--schools", fx("schools.csv"), "--students", fx("students.xlsx")},
			[]string{"(unchanged)"}},
		{[]string{"allocate", "--exam", "21"}, []string{"(unchanged)"}},
		{[]string{"show", "--exam", "21"},
			[]string{"5 schools, 307 candidates, 10 rooms", "0101    95          3 (32+32+31)  2101010101-2101010331"}},
		{[]string{"labels", "--exam", "21"}, []string{"21_0305_rooms.pdf", "wrote 10 PDFs"}},
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
