package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/store"
)

func newReportCmd(cfg *Config) *cobra.Command {
	var exam, out, csvDir, compare string
	var pdf bool
	var f report.Filter
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Export the statistics report (成绩统计分析报告) as Excel with charts and as CSV",
		Long: `Compute the county statistics of an exam and export them.

  saoyue report --exam 21 --out report.xlsx
  saoyue report --exam 21 --school 0101 --out 0101.xlsx
  saoyue report --exam 21 --subject math --csv csv/
  saoyue report --exam 22 --compare 21 --out progress.xlsx
  saoyue report --exam 21 --school 0101 [--class 3班] --pdf [--out DIR]
  saoyue report settings --exam 21 --pass 0.6 --excellent 0.85 --low 0.4 --band 10

The workbook has one sheet per table: candidate scores with ranks, every
item score per subject, county/school/class statistics, score bands with a
chart per subject, the one-point table (一分一段), item analysis with a
difficulty chart, reliability and option analysis. --csv writes the same
tables as UTF-8 CSV files (with BOM) into a directory. Formulas:
docs/STATISTICS.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" && csvDir == "" && !pdf {
				return fmt.Errorf("nothing to write: give --out report.xlsx, --csv DIR or --pdf")
			}
			if pdf && f.School == "" {
				return fmt.Errorf("--pdf 打印一所学校的报告：请用 --school 指定学校（打印一个班的成绩报告单再加 --class）")
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := report.Generate(cmd.Context(), db, exam, f)
			if err != nil {
				return cliError(err)
			}
			if compare != "" {
				if err := report.Compare(cmd.Context(), db, r, compare); err != nil {
					return cliError(err)
				}
			}
			w := cmd.OutOrStdout()
			for _, warn := range r.Warnings {
				fmt.Fprintln(w, "注意:", warn)
			}
			if pdf {
				r.Font = cfg.Fonts.CJK
				return writePDFs(w, out, exam, r)
			}
			if out != "" {
				if err := writeReportFile(out, r); err != nil {
					return err
				}
				fmt.Fprintf(w, "已生成 %s：%d 名考生，%d 张工作表\n", out, countShown(r), len(r.AllTables())+1)
			}
			if csvDir != "" {
				names, err := report.WriteCSVDir(csvDir, r)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "已在 %[2]s 生成 %[1]d 个 CSV 文件\n", len(names), csvDir)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&exam, "exam", "", "exam code")
	fl.StringVar(&out, "out", "", "workbook to write (.xlsx)")
	fl.StringVar(&csvDir, "csv", "", "directory to write every table into as <table>.csv")
	fl.StringVar(&f.School, "school", "", "only this school (code); county figures stay for comparison")
	fl.StringVar(&f.Class, "class", "", "only this class of --school (e.g. 3班)")
	fl.StringVar(&f.Subject, "subject", "", "only this subject (code, e.g. math)")
	fl.BoolVar(&pdf, "pdf", false, "print the school's 分析报告 and its students' 成绩报告单 as A4 PDFs into the directory --out (default .)")
	fl.StringVar(&compare, "compare", "", "an earlier exam the same students sat: add the 进退步 tables (matched by student)")
	_ = cmd.MarkFlagRequired("exam")
	cmd.AddCommand(newReportSettingsCmd(cfg))
	return cmd
}

func writeReportFile(name string, r *report.Report) (err error) {
	file, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}()
	return report.WriteXLSX(file, r)
}

func countShown(r *report.Report) int {
	n := 0
	for i := range r.Results.Candidates {
		if r.Filter.Include(&r.Results.Candidates[i]) {
			n++
		}
	}
	return n
}

func newReportSettingsCmd(cfg *Config) *cobra.Command {
	var exam string
	var s store.ReportSettings
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "Show or set an exam's pass, excellent and low-score marks and the score band width",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := store.GetExam(cmd.Context(), db.Pool, exam)
			if err != nil {
				return err
			}
			cur, err := store.GetReportSettings(cmd.Context(), db.Pool, e.ID)
			if err != nil {
				return err
			}
			if changed := applySettingFlags(cmd, &cur, s); changed {
				if err := (stats.Thresholds{Pass: cur.Pass, Excellent: cur.Excellent, Low: cur.Low, Good: cur.Good}).Check(); err != nil {
					return err
				}
				if cur.BandWidth <= 0 {
					return fmt.Errorf("--band must be more than 0 points")
				}
				if _, err := (stats.GradeScheme{Mode: cur.GradeMode, Cuts: cur.GradeCuts}).Resolve(); err != nil {
					return err
				}
				if err := checkExtraSettings(cur); err != nil {
					return err
				}
				if err := store.SetReportSettings(cmd.Context(), db.Pool, e.ID, cur); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "考试 %s：及格 ≥ 满分的 %g%%，优秀 ≥ %g%%，低分 < %g%%；分数段宽 %g 分\n",
				e.Code, cur.Pass*100, cur.Excellent*100, cur.Low*100, cur.BandWidth)
			mode := "分数"
			if cur.GradeMode == "percentile" {
				mode = "百分位"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "良好 ≥ 满分的 %g%%（0 表示默认 75%%）；等级按%s划分，分界 %v（空为默认）；名次段 %v；临界生范围 %g%%；三率一分权重 %v\n",
				cur.Good*100, mode, cur.GradeCuts, cur.TopN, cur.Critical*100, cur.Composite)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&exam, "exam", "", "exam code")
	fl.Float64Var(&s.Pass, "pass", 0.6, "pass mark as a fraction of the full score")
	fl.Float64Var(&s.Excellent, "excellent", 0.85, "excellent mark as a fraction of the full score")
	fl.Float64Var(&s.Low, "low", 0.4, "scores below this fraction of the full score are low")
	fl.Float64Var(&s.BandWidth, "band", 10, "width of the score bands in points")
	fl.Float64Var(&s.Good, "good", 0.75, "良好 mark as a fraction of the full score (between pass and excellent)")
	fl.StringVar(&s.GradeMode, "grade-mode", "score", "grade bands A–E by score or by percentile")
	fl.Float64SliceVar(&s.GradeCuts, "grade-cuts", nil, "four cuts A/B,B/C,C/D,D/E: fractions of the full score going down, or shares from the top going up (empty: 0.85,0.75,0.6,0.4 or 0.15,0.4,0.75,0.95)")
	fl.IntSliceVar(&s.TopN, "top", nil, "名次段 cut-offs, e.g. 50,100,200,500")
	fl.Float64Var(&s.Critical, "borderline", 0.05, "临界生: within this fraction of the full score of the pass and excellent lines")
	fl.Float64SliceVar(&s.Composite, "composite", nil, "三率一分 weights of mean rate, pass rate, excellent rate, 1 − low rate (e.g. 0.4,0.2,0.2,0.2)")
	_ = cmd.MarkFlagRequired("exam")
	return cmd
}

func newReviewCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Review before release: open school review, make scores final, log and answer 查分 requests",
		Long: `Review before release (DOMAIN rule 8).

  saoyue review open  --exam 21 --by 中心王        schools check their results (复核)
  saoyue review final --exam 21 --by 中心王        scores are final (发布)
  saoyue review status --exam 21
  saoyue review request --exam 21 --exam-no 2101010105 --subject math --item 26 --by 一小教务处 --reason "..."
  saoyue review list --exam 21 [--open]
  saoyue review answer --id 3 --login zhao --answer "复评后加 2 分" --score 8
  saoyue review change --exam 21 --exam-no 2101010105 --subject math --item 26 --score 8 --login wang --reason "..."
  saoyue review approve 5 --login li [--reject --note "..."]

The acting account's password comes from $SAOYUE_PASSWORD or, with
--password-stdin, from stdin. Every score change is audited (who, when,
old, new, why); from review on a change is only proposed, and applied when
a second account with the approver role approves it.`,
	}
	cmd.AddCommand(newReviewStepCmd(cfg, "open"), newReviewStepCmd(cfg, "final"), newReviewStatusCmd(cfg),
		newReviewRequestCmd(cfg), newReviewListCmd(cfg), newReviewAnswerCmd(cfg), newReviewChangeCmd(cfg), newReviewApproveCmd(cfg))
	return cmd
}

func newReviewStepCmd(cfg *Config, step string) *cobra.Command {
	var exam, by string
	short := map[string]string{"open": "Open the exam's results to the schools for review (复核)", "final": "Make the reviewed exam's scores final (发布)"}[step]
	cmd := &cobra.Command{
		Use:   step,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if step == "open" {
				err = grading.OpenReview(cmd.Context(), db, exam, by)
			} else {
				err = grading.Finalize(cmd.Context(), db, exam, by)
			}
			if err != nil {
				return cliError(err)
			}
			msg := map[string]string{"open": "考试 %s 已进入复核：各校可以核对成绩\n", "final": "考试 %s 成绩已发布：此后改分须经审核人批准\n"}[step]
			fmt.Fprintf(cmd.OutOrStdout(), msg, exam)
			return nil
		},
	}
	cmd.Flags().StringVar(&exam, "exam", "", "exam code")
	cmd.Flags().StringVar(&by, "by", "", "who does it (recorded)")
	_ = cmd.MarkFlagRequired("exam")
	_ = cmd.MarkFlagRequired("by")
	return cmd
}

func newReviewStatusCmd(cfg *Config) *cobra.Command {
	var exam string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where the exam is in review and release, and the open 查分 requests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := store.GetExam(cmd.Context(), db.Pool, exam)
			if err != nil {
				return err
			}
			rel, err := store.GetExamRelease(cmd.Context(), db.Pool, e.ID)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "考试 %s %s：%s\n", e.Code, e.Name, rel.Status.Name())
			if rel.ReviewOpenedAt != nil {
				fmt.Fprintf(w, "复核开始于 %s，操作人 %s\n", rel.ReviewOpenedAt.Format("2006-01-02 15:04"), rel.ReviewOpenedBy)
			}
			if rel.FinalAt != nil {
				fmt.Fprintf(w, "成绩发布于 %s，操作人 %s\n", rel.FinalAt.Format("2006-01-02 15:04"), rel.FinalBy)
			}
			open, err := store.ListReviewRequests(cmd.Context(), db.Pool, e.ID, saoyue.ReviewOpen)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%d 个查分申请尚未答复\n", len(open))
			return nil
		},
	}
	cmd.Flags().StringVar(&exam, "exam", "", "exam code")
	_ = cmd.MarkFlagRequired("exam")
	return cmd
}

func newReviewRequestCmd(cfg *Config) *cobra.Command {
	var in grading.ReviewRequestInput
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Log a candidate's 查分 request",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := grading.RequestReview(cmd.Context(), db, in)
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "已登记查分申请 %d：%s %s %s %s\n", r.ID, r.ExamNo, r.CandidateName, r.SubjectName, itemText(r.Item))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.Exam, "exam", "", "exam code")
	fl.StringVar(&in.ExamNo, "exam-no", "", "the candidate's exam number")
	fl.StringVar(&in.Subject, "subject", "", "subject code")
	fl.StringVar(&in.Item, "item", "", "item number or question group; empty = the whole subject")
	fl.StringVar(&in.RequestedBy, "by", "", "who asks (school, teacher or parent)")
	fl.StringVar(&in.Reason, "reason", "", "why")
	for _, n := range []string{"exam", "exam-no", "subject", "by", "reason"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func itemText(item string) string {
	if item == "" {
		return "整科"
	}
	return "第" + item + "题"
}

func newReviewListCmd(cfg *Config) *cobra.Command {
	var exam string
	var openOnly bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the exam's 查分 requests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := store.GetExam(cmd.Context(), db.Pool, exam)
			if err != nil {
				return err
			}
			var status saoyue.ReviewStatus // all
			if openOnly {
				status = saoyue.ReviewOpen
			}
			rs, err := store.ListReviewRequests(cmd.Context(), db.Pool, e.ID, status)
			if err != nil {
				return err
			}
			printReviewRequests(cmd.OutOrStdout(), rs)
			return nil
		},
	}
	cmd.Flags().StringVar(&exam, "exam", "", "exam code")
	cmd.Flags().BoolVar(&openOnly, "open", false, "only requests not answered yet")
	_ = cmd.MarkFlagRequired("exam")
	return cmd
}

func printReviewRequests(w io.Writer, rs []store.ReviewRequest) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "id\texam no\tname\tschool\tsubject\titem\tby\tstatus\tanswer")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.ExamNo, r.CandidateName, r.SchoolName, r.SubjectName,
			itemText(r.Item), r.RequestedBy, r.Status, r.Answer)
	}
	tw.Flush()
}

func newReviewAnswerCmd(cfg *Config) *cobra.Command {
	var a grading.ReviewAnswer
	var score float64
	var lf loginFlags
	cmd := &cobra.Command{
		Use:   "answer",
		Short: "Answer a 查分 request as a signed-in account; a new score waits for an approver",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("score") {
				a.NewScore = &score
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if a.By, err = lf.user(cmd, db); err != nil {
				return err
			}
			r, err := grading.AnswerReview(cmd.Context(), db, a)
			if err != nil {
				return cliError(err)
			}
			changed := "分数不变"
			switch {
			case r.ScoreChanged:
				changed = fmt.Sprintf("分数已改为 %g", score)
			case a.NewScore != nil:
				changed = fmt.Sprintf("改为 %g 分的申请等待审核人批准（saoyue review approve）", score)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "已答复查分申请 %d（%s %s）：%s\n", r.ID, r.ExamNo, r.CandidateName, changed)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&a.ID, "id", 0, "request id (saoyue review list)")
	fl.StringVar(&a.Answer, "answer", "", "the answer")
	fl.Float64Var(&score, "score", 0, "new score of the item, if the review changes it")
	fl.StringVar(&a.Item, "item", "", "item to change when the request named the whole subject")
	lf.bind(cmd)
	for _, n := range []string{"id", "answer"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func newReviewChangeCmd(cfg *Config) *cobra.Command {
	var c grading.ScoreChange
	var lf loginFlags
	cmd := &cobra.Command{
		Use:   "change",
		Short: "Change one item score as a signed-in account (from review on: a pending change for an approver)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			if c.By, err = lf.user(cmd, db, saoyue.RoleCentre, saoyue.RoleApprover, saoyue.RoleLeader); err != nil {
				return err
			}
			res, err := grading.ChangeScore(cmd.Context(), db, c)
			if err != nil {
				return cliError(err)
			}
			was := "无分数"
			if res.Old != nil {
				was = fmt.Sprintf("%g", *res.Old)
			}
			if res.Pending {
				fmt.Fprintf(cmd.OutOrStdout(), "改分申请 %d：%s %s 第 %s 题 %s → %g，等待审核人批准（saoyue review approve %d）\n",
					res.ChangeID, c.ExamNo, c.Subject, c.Item, was, c.Score, res.ChangeID)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s 第 %s 题：%s → %g（已记入审计日志）\n", c.ExamNo, c.Subject, c.Item, was, c.Score)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&c.Exam, "exam", "", "exam code")
	fl.StringVar(&c.ExamNo, "exam-no", "", "the candidate's exam number")
	fl.StringVar(&c.Subject, "subject", "", "subject code")
	fl.StringVar(&c.Item, "item", "", "item number or question group")
	fl.Float64Var(&c.Score, "score", 0, "the new score")
	fl.StringVar(&c.Reason, "reason", "", "why")
	lf.bind(cmd)
	for _, n := range []string{"exam", "exam-no", "subject", "item", "score", "reason"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func newReviewApproveCmd(cfg *Config) *cobra.Command {
	var reject bool
	var note string
	var lf loginFlags
	cmd := &cobra.Command{
		Use:   "approve ID --login L [--reject --note TEXT]",
		Short: "Approve (or reject) a pending score change as a second signed-in account with the approver role",
		Args:  cobra.ExactArgs(1),
		RunE: withID(cfg, "score change", func(cmd *cobra.Command, db *store.DB, id int64) error {
			u, err := lf.user(cmd, db, saoyue.RoleApprover)
			if err != nil {
				return err
			}
			if err := grading.DecideScoreChange(cmd.Context(), db, id, u, !reject, note); err != nil {
				return cliError(err)
			}
			verdict := "已批准并生效（已记入审计日志）"
			if reject {
				verdict = "已驳回，分数未变"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "改分申请 %d：%s\n", id, verdict)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&reject, "reject", false, "reject the change")
	cmd.Flags().StringVar(&note, "note", "", "the approver's note (required to reject)")
	lf.bind(cmd)
	return cmd
}

// applySettingFlags copies the flags that were given into cur.
func applySettingFlags(cmd *cobra.Command, cur *store.ReportSettings, s store.ReportSettings) bool {
	fl := cmd.Flags()
	changed := false
	set := func(name string, apply func()) {
		if fl.Changed(name) {
			apply()
			changed = true
		}
	}
	set("pass", func() { cur.Pass = s.Pass })
	set("excellent", func() { cur.Excellent = s.Excellent })
	set("low", func() { cur.Low = s.Low })
	set("band", func() { cur.BandWidth = s.BandWidth })
	set("good", func() { cur.Good = s.Good })
	set("grade-mode", func() { cur.GradeMode = s.GradeMode })
	set("grade-cuts", func() { cur.GradeCuts = s.GradeCuts })
	set("top", func() { cur.TopN = s.TopN })
	set("borderline", func() { cur.Critical = s.Critical })
	set("composite", func() { cur.Composite = s.Composite })
	return changed
}

// checkExtraSettings rejects 名次段, 临界生 and composite settings that
// make no sense.
func checkExtraSettings(s store.ReportSettings) error {
	for _, n := range s.TopN {
		if n <= 0 {
			return fmt.Errorf("--top：名次段必须是正整数，现在是 %d", n)
		}
	}
	if !(s.Critical > 0 && s.Critical < 1) {
		return fmt.Errorf("--borderline：临界范围必须是 0 到 1 之间的比例，现在是 %g", s.Critical)
	}
	if len(s.Composite) != 4 {
		return fmt.Errorf("--composite 需要 4 个权重（平均分率、及格率、优秀率、非低分率），现在有 %d 个", len(s.Composite))
	}
	sum := 0.0
	for _, w := range s.Composite {
		if w < 0 {
			return fmt.Errorf("--composite 权重不能为负：%v", s.Composite)
		}
		sum += w
	}
	if sum <= 0 {
		return fmt.Errorf("--composite 权重之和不能为 0")
	}
	return nil
}

// writePDFs writes the school's analysis report and the report cards of
// the filter's students into dir.
func writePDFs(w io.Writer, dir, exam string, r *report.Report) error {
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	base := exam + "_" + r.Filter.School
	if r.Filter.Class != "" {
		base += "_" + r.Filter.Class
	}
	for _, doc := range []struct {
		name  string
		write func(io.Writer, *report.Report) error
	}{{base + "_分析报告.pdf", report.WriteSchoolPDF}, {base + "_成绩报告单.pdf", report.WriteStudentPDF}} {
		path := filepath.Join(dir, doc.name)
		if err := writeFileWith(path, func(f io.Writer) error { return doc.write(f, r) }); err != nil {
			return cliError(err)
		}
		fmt.Fprintln(w, "已生成", path)
	}
	return nil
}

func writeFileWith(name string, write func(io.Writer) error) (err error) {
	file, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}()
	return write(file)
}
