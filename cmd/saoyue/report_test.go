package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

func runCmd(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestReportAndReviewCommands(t *testing.T) {
	t.Parallel()
	db, url := storetest.NewWithURL(t)
	exam := reporttest.SeedSmallExam(t, db, "marking")
	cfg := &Config{DatabaseURL: url, DataDir: t.TempDir()}
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "report.xlsx")

	out, err := runCmd(t, newReportCmd(cfg), "--exam", "21", "--out", xlsx, "--csv", filepath.Join(dir, "csv"))
	if err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if !strings.Contains(out, "已生成 "+xlsx+"：9 名考生") || !strings.Contains(out, "尚未发布") {
		t.Errorf("report output:\n%s", out)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue("学校统计", "C2"); v != "一小" {
		t.Errorf("学校统计 C2 = %q", v)
	}
	f.Close()
	if b, err := os.ReadFile(filepath.Join(dir, "csv", "scores.csv")); err != nil || !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF考号")) {
		t.Errorf("scores.csv: %v %q", err, b[:min(len(b), 20)])
	}

	_, err = runCmd(t, newReportCmd(cfg), "--exam", "21", "--class", "1班", "--out", xlsx)
	if err == nil || !strings.Contains(err.Error(), "请同时指定学校") || strings.Contains(err.Error(), "code=") {
		t.Errorf("class without school: %v", err)
	}

	out, err = runCmd(t, newReportCmd(cfg), "settings", "--exam", "21", "--pass", "0.7")
	if err != nil || !strings.Contains(out, "及格 ≥ 满分的 70%，优秀 ≥ 85%") {
		t.Errorf("settings: %v\n%s", err, out)
	}

	out, err = runCmd(t, newReportCmd(cfg), "settings", "--exam", "21", "--grade-mode", "percentile", "--top", "2,5", "--composite", "0.5,0.5,0,0")
	if err != nil || !strings.Contains(out, "等级按百分位划分") || !strings.Contains(out, "名次段 [2 5]") || !strings.Contains(out, "及格 ≥ 满分的 70%") {
		t.Errorf("report settings: %v\n%s", err, out)
	}
	for _, bad := range [][]string{{"--grade-cuts", "0.9,0.95,0.5,0.3"}, {"--top", "0"}, {"--composite", "1,1"}, {"--good", "0.9"}} {
		if out, err := runCmd(t, newReportCmd(cfg), append([]string{"settings", "--exam", "21"}, bad...)...); err == nil {
			t.Errorf("settings %v accepted:\n%s", bad, out)
		}
	}

	// The school's PDFs, named by exam, school and class.
	pdfDir := filepath.Join(dir, "pdf")
	if out, err := runCmd(t, newReportCmd(cfg), "--exam", "21", "--school", "0101", "--class", "2班", "--pdf", "--out", pdfDir); err != nil ||
		!strings.Contains(out, "21_0101_2班_分析报告.pdf") {
		t.Errorf("report --pdf: %v\n%s", err, out)
	}
	for _, name := range []string{"21_0101_2班_分析报告.pdf", "21_0101_2班_成绩报告单.pdf"} {
		if b, err := os.ReadFile(filepath.Join(pdfDir, name)); err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := runCmd(t, newReportCmd(cfg), "--exam", "21", "--pdf"); err == nil || !strings.Contains(err.Error(), "--school 指定学校") {
		t.Errorf("--pdf without a school: %v", err)
	}

	// 进退步 against exam 21 for the students who sat both.
	reporttest.SeedFollowUpExam(t, db, "22", map[string]float64{"A": 6, "B": 9})
	prog := filepath.Join(dir, "progress.xlsx")
	if out, err := runCmd(t, newReportCmd(cfg), "--exam", "22", "--compare", "21", "--out", prog); err != nil {
		t.Errorf("report --compare: %v\n%s", err, out)
	} else if f, err := excelize.OpenFile(prog); err != nil {
		t.Error(err)
	} else {
		if rows, _ := f.GetRows("进退步-学生"); len(rows) != 3 {
			t.Errorf("进退步-学生 rows %v", rows)
		}
		f.Close()
	}
	if _, err := runCmd(t, newReportCmd(cfg), "--exam", "22", "--compare", "22", "--out", prog); err == nil || !strings.Contains(err.Error(), "不能与考试 22 自身比较") {
		t.Errorf("compare with itself: %v", err)
	}

	// Score changes are made by signed-in accounts, never typed names.
	pw := "--password-stdin"
	for _, login := range []string{"wang", "li"} {
		hash, _ := bcrypt.GenerateFromPassword([]byte("Pass-1234"), bcrypt.MinCost)
		if err := store.CreateUser(context.Background(), db.Pool, &store.User{Login: login, PasswordHash: string(hash),
			Roles: []saoyue.Role{saoyue.RoleCentre, saoyue.RoleApprover}}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		args []string
		want string
		fail bool
	}{
		{[]string{"final", "--exam", "21", "--by", "中心王"}, "不能跳到「已发布」", true},
		{[]string{"open", "--exam", "21", "--by", "中心王"}, "已进入复核", false},
		{[]string{"request", "--exam", "21", "--exam-no", exam.ExamNos["E"], "--subject", "math", "--item", "4", "--by", "一小", "--reason", "少给分"}, "已登记查分申请 1", false},
		// An unanswered 查分 request holds the exam in review.
		{[]string{"final", "--exam", "21", "--by", "中心王"}, "1 个查分申请还没有答复", true},
		{[]string{"answer", "--id", "1", "--login", "wang", pw, "--answer", "加 1 分", "--score", "2"}, "等待审核人批准", false},
		{[]string{"approve", "1", "--login", "li", pw}, "已批准并生效", false},
		{[]string{"final", "--exam", "21", "--by", "中心王"}, "成绩已发布", false},
		{[]string{"change", "--exam", "21", "--exam-no", exam.ExamNos["E"], "--subject", "math", "--item", "4", "--score", "3", "--by", "中心王", "--approved-by", "中心李", "--reason", "r"}, "unknown flag: --by", true},
		{[]string{"change", "--exam", "21", "--exam-no", exam.ExamNos["E"], "--subject", "math", "--item", "4", "--score", "3", "--login", "wang", "--reason", "r"}, "请提供账号和密码", true},
		{[]string{"change", "--exam", "21", "--exam-no", exam.ExamNos["E"], "--subject", "math", "--item", "4", "--score", "3", "--login", "wang", pw, "--reason", "r"}, "改分申请 2：", false},
		{[]string{"approve", "2", "--login", "wang", pw}, "不能审核自己提交的更改", true},
		{[]string{"approve", "2", "--login", "li", pw}, "已批准并生效", false},
		{[]string{"list", "--exam", "21"}, "answered", false},
		{[]string{"status", "--exam", "21"}, "0 个查分申请尚未答复", false},
	}
	wrong := newReviewCmd(cfg)
	wrong.SetIn(strings.NewReader("wrong\n"))
	if out, err := runCmd(t, wrong, "approve", "1", "--login", "li", pw); err == nil || !strings.Contains(err.Error(), "账号或密码不正确") {
		t.Errorf("wrong password: %v\n%s", err, out)
	}
	for _, s := range steps {
		cmd := newReviewCmd(cfg)
		cmd.SetIn(strings.NewReader("Pass-1234\n"))
		out, err := runCmd(t, cmd, s.args...)
		if s.fail {
			if err == nil || !strings.Contains(err.Error(), s.want) {
				t.Errorf("review %s: want failure %q, got %v\n%s", s.args[0], s.want, err, out)
			}
			continue
		}
		if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("review %s: %v\n%s\nwant %q", s.args[0], err, out, s.want)
		}
	}
}
