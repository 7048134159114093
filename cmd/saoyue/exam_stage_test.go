package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store/storetest"
)

// TestExamStageCommands walks `exam stage` and `exam advance` as the
// centre types them: a refusal lists what is open and fails, a forced
// advance needs a reason and shows in the history.
func TestExamStageCommands(t *testing.T) {
	t.Parallel()
	_, url := storetest.NewWithURL(t)
	cfg := &Config{DatabaseURL: url, DataDir: t.TempDir()}
	fx := func(name string) string { return filepath.Join("..", "..", "fixtures", "roster", name) }
	for _, args := range [][]string{
		{"create", "--code", "21", "--name", "监测", "--subjects", "math:数学"},
		{"import", "--exam", "21", "--schools", fx("schools.csv"), "--students", fx("students.xlsx"), "--teachers", fx("teachers.csv")},
	} {
		if out, err := runExam(t, cfg, args...); err != nil {
			t.Fatalf("exam %v: %v\n%s", args, err, out)
		}
	}
	steps := []struct {
		args  []string
		fails bool
		want  []string
	}{
		{[]string{"stage", "--exam", "21"}, false, []string{"当前阶段：准备中", "下一阶段「考号已锁定」还有 1 项未完成", "5 所学校还没有打印条形码标签", "数学", "（无）"}},
		{[]string{"advance", "--exam", "21", "--by", "中心王"}, true, []string{"还不能进行", "5 所学校还没有打印条形码标签"}},
		{[]string{"advance", "--exam", "21", "--to", "scanning", "--by", "中心王"}, true, []string{"不能跳到「扫描中」"}},
		{[]string{"advance", "--exam", "21", "--force", "--by", "中心王"}, true, []string{"强制推进必须说明原因"}},
		{[]string{"advance", "--exam", "21", "--force", "--reason", "标签已线下打印", "--by", "中心王"}, false,
			[]string{"考试 21 已进入「考号已锁定」阶段", "数学 还没有登记答题卡模板"}},
		{[]string{"advance", "--exam", "21", "--to", "marking", "--subject", "math", "--by", "中心王"}, true, []string{"只有扫描中才能单独开始"}},
		{[]string{"stage", "--exam", "21"}, false, []string{"当前阶段：考号已锁定", "准备中 → 考号已锁定  中心王  强制：标签已线下打印"}},
	}
	for _, s := range steps {
		out, err := runExam(t, cfg, s.args...)
		if (err != nil) != s.fails {
			t.Fatalf("exam %s: err %v, want failure %v\n%s", strings.Join(s.args, " "), err, s.fails, out)
		}
		if err != nil {
			out += err.Error()
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("exam %s: output\n%s\nwant it to contain %q", strings.Join(s.args, " "), out, w)
			}
		}
	}
}

// TestKeyCommandsRefusedAfterFinal: `key rescore` works while the exam is
// open and is refused, and audited, once it is final.
func TestKeyCommandsRefusedAfterFinal(t *testing.T) {
	t.Parallel()
	db, url := storetest.NewWithURL(t)
	reporttest.SeedSmallExam(t, db, "review")
	cfg := &Config{DatabaseURL: url, DataDir: t.TempDir()}
	args := []string{"rescore", "--exam", "21", "--subject", "math", "--by", "中心王", "--reason", "答案更正"}
	if out, err := runCmd(t, newKeyCmd(cfg), args...); err != nil {
		t.Fatalf("rescore in review: %v\n%s", err, out)
	}
	if out, err := runExam(t, cfg, "advance", "--exam", "21", "--by", "中心王"); err != nil {
		t.Fatalf("advance to final: %v\n%s", err, out)
	}
	_, err := runCmd(t, newKeyCmd(cfg), args...)
	if err == nil || !strings.Contains(err.Error(), "考试 21 当前阶段为「已发布」，数学的答案和客观题分数不能再修改") {
		t.Fatalf("rescore after final: %v", err)
	}
	var refused int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'refused' AND actor = '中心王'`).Scan(&refused); err != nil || refused != 1 {
		t.Errorf("refusal audited %d times, %v", refused, err)
	}
}
