package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
)

func newMarkingCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "marking",
		Short: "Plan subjective marking and watch its progress",
		Long: `Plan subjective marking (cross-school, one group per teacher) and watch it.

  saoyue marking plan --exam 21 --subject math --auto     make a plan from the teacher roster
  saoyue marking plan --exam 21 --subject math --show     show the plan and what it lacks
  saoyue marking tasks --exam 21 --subject math          create tasks for crops that have none
  saoyue marking progress --exam 21 --subject math

Rules, modes and quality figures: docs/MARKING.md.`,
	}
	cmd.AddCommand(newMarkingPlanCmd(cfg), newMarkingTasksCmd(cfg), newMarkingProgressCmd(cfg))
	return cmd
}

// cliError prints a domain error's message, not its wrapper.
func cliError(err error) error {
	if err == nil || saoyue.ErrorCode(err) == saoyue.EINTERNAL {
		return err
	}
	return fmt.Errorf("%s", saoyue.ErrorMessage(err))
}

func newMarkingPlanCmd(cfg *Config) *cobra.Command {
	var exam, subject string
	var auto, show bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Make (--auto) or show (--show) the marking plan of a subject",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			ctx := cmd.Context()
			subjectID, err := marking.SubjectID(ctx, db, exam, subject)
			if err != nil {
				return cliError(err)
			}
			var plan *marking.Plan
			if auto {
				user := os.Getenv("USER")
				plan, err = marking.GeneratePlan(ctx, db, subjectID, "cli:"+user)
				if err != nil {
					if plan != nil {
						printPlan(cmd.OutOrStdout(), plan)
					}
					return cliError(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "已保存考试 %s 学科 %s 的阅卷安排\n", exam, subject)
			} else {
				if plan, err = marking.LoadPlan(ctx, db, subjectID); err != nil {
					return cliError(err)
				}
			}
			if show || !auto {
				printPlan(cmd.OutOrStdout(), plan)
			}
			if len(plan.Problems) > 0 {
				return fmt.Errorf("阅卷安排还不能使用：%s", strings.Join(plan.Problems, "；"))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&exam, "exam", "", "exam code")
	f.StringVar(&subject, "subject", "", "subject code, e.g. math")
	f.BoolVar(&auto, "auto", false, "make the plan from the roster, replacing the saved one")
	f.BoolVar(&show, "show", false, "print the plan (the default without --auto)")
	_ = cmd.MarkFlagRequired("exam")
	_ = cmd.MarkFlagRequired("subject")
	return cmd
}

func printPlan(out io.Writer, p *marking.Plan) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "题组\t模式\t答案数\t人均评次\t阅卷教师（★ 题组长）")
	for _, g := range p.Groups {
		var names []string
		for _, a := range g.Markers {
			n := fmt.Sprintf("%s/%s %s", a.SchoolCode, a.TeacherNo, a.Name)
			if a.Role == saoyue.RoleLeader {
				n = "★" + n
			}
			names = append(names, n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%d: %s\n", g.Code, g.Mode, g.Answers, g.PerMarker, len(g.Markers), strings.Join(names, ", "))
	}
	_ = tw.Flush()
	for _, w := range p.Warnings {
		fmt.Fprintln(out, "警告：", w)
	}
	for _, pr := range p.Problems {
		fmt.Fprintln(out, "问题：", pr)
	}
}

func newMarkingProgressCmd(cfg *Config) *cobra.Command {
	var exam, subject string
	cmd := &cobra.Command{
		Use:   "progress",
		Short: "Show each question group's marking progress",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			subjectID, err := marking.SubjectID(cmd.Context(), db, exam, subject)
			if err != nil {
				return cliError(err)
			}
			ps, err := marking.SubjectProgress(cmd.Context(), db, subjectID)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "group\tmode\tmarkers\tanswers\ttasks\tmarked\topen\tleased\tproblems\tarbitration\tscored\tdone\t")
			for _, p := range ps {
				done := 0.0
				if p.Tasks > 0 {
					done = 100 * float64(p.Marked) / float64(p.Tasks)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d/%d\t%d\t%.1f%%\t\n", p.Code, p.Mode, p.Markers, p.Answers, p.Tasks,
					p.Marked, p.Open, p.Leased, p.Problems, p.Arbitrations-p.ArbitrationsDo, p.Arbitrations, p.Scored, done)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&exam, "exam", "", "exam code")
	f.StringVar(&subject, "subject", "", "subject code, e.g. math")
	_ = cmd.MarkFlagRequired("exam")
	_ = cmd.MarkFlagRequired("subject")
	return cmd
}

func newMarkingTasksCmd(cfg *Config) *cobra.Command {
	var exam, subject string
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "Create marking tasks for every crop of a subject that has none (idempotent)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			subjectID, err := marking.SubjectID(cmd.Context(), db, exam, subject)
			if err != nil {
				return cliError(err)
			}
			n, unplaced, err := marking.CreateSubjectTasks(cmd.Context(), db.Pool, subjectID)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "已生成 %d 个阅卷任务\n", n)
			if len(unplaced) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%d 份答案的答题卡还未确认考生（学校未知），确认后再生成任务\n", len(unplaced))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&exam, "exam", "", "exam code")
	f.StringVar(&subject, "subject", "", "subject code, e.g. math")
	_ = cmd.MarkFlagRequired("exam")
	_ = cmd.MarkFlagRequired("subject")
	return cmd
}
