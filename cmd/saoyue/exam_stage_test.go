package main

import (
	"path/filepath"
	"strings"
	"testing"

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
