package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
)

// The exam's stages from the command line: `exam stage` shows
// where the exam stands and what blocks its next stage, `exam advance`
// moves it on (or starts one subject's marking while it scans).

func newExamStageCmds(cfg *Config) []*cobra.Command {
	return []*cobra.Command{newExamAdvanceCmd(cfg), newExamStageCmd(cfg)}
}

func newExamAdvanceCmd(cfg *Config) *cobra.Command {
	var req grading.AdvanceRequest
	var to string
	cmd := &cobra.Command{
		Use:   "advance",
		Short: "Move the exam to its next stage, or start one subject's marking while it scans",
		Long: `Move the exam one stage forward: 准备中 → 考号已锁定 → 扫描中 → 阅卷中 → 复核中 → 已发布 → 已归档.

  saoyue exam advance --exam 21                       # to the next stage
  saoyue exam advance --exam 21 --to marking --subject math   # start 数学's marking while scanning
  saoyue exam advance --exam 21 --force --reason "…"  # despite open items; recorded

A transition whose preconditions fail is refused and lists what is open.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req.To = saoyue.Stage(to)
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := grading.Advance(cmd.Context(), db, req)
			if err != nil {
				return cliError(err)
			}
			out := cmd.OutOrStdout()
			if req.Subject != "" {
				fmt.Fprintf(out, "考试 %s 的学科 %s 已开始阅卷\n", v.ExamCode, req.Subject)
			} else {
				fmt.Fprintf(out, "考试 %s 已进入「%s」阶段\n", v.ExamCode, v.Stage.Name())
			}
			printOpen(out, v)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.ExamCode, "exam", "", "exam code")
	f.StringVar(&to, "to", "", "the stage to move to (setup, rosters_frozen, scanning, marking, review, final, archived); default the next")
	f.StringVar(&req.Subject, "subject", "", "with --to marking while the exam scans: start only this subject's marking")
	f.BoolVar(&req.Force, "force", false, "advance although preconditions fail (needs --reason)")
	f.StringVar(&req.Reason, "reason", "", "why (required with --force; recorded)")
	f.StringVar(&req.Actor, "by", os.Getenv("USER"), "who advances (recorded)")
	_ = cmd.MarkFlagRequired("exam")
	return cmd
}

func newExamStageCmd(cfg *Config) *cobra.Command {
	var exam string
	cmd := &cobra.Command{
		Use:   "stage",
		Short: "Show the exam's stage, what blocks the next one, its subjects and its history",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := grading.ExamStage(cmd.Context(), db, exam)
			if err != nil {
				return cliError(err)
			}
			printStage(cmd.OutOrStdout(), v)
			return nil
		},
	}
	cmd.Flags().StringVar(&exam, "exam", "", "exam code")
	_ = cmd.MarkFlagRequired("exam")
	return cmd
}

func printOpen(out io.Writer, v *grading.StageView) {
	if v.Next == "" {
		fmt.Fprintln(out, "已是最后阶段")
		return
	}
	if len(v.Open) == 0 {
		fmt.Fprintf(out, "下一阶段「%s」：条件已满足\n", v.Next.Name())
		return
	}
	fmt.Fprintf(out, "下一阶段「%s」还有 %d 项未完成：\n", v.Next.Name(), len(v.Open))
	for _, o := range v.Open {
		fmt.Fprintf(out, "  - %s\n", o.Message)
	}
}

func printStage(out io.Writer, v *grading.StageView) {
	fmt.Fprintf(out, "考试 %s %s\n当前阶段：%s\n", v.ExamCode, v.ExamName, v.Stage.Name())
	printOpen(out, v)
	fmt.Fprintln(out, "\n学科      阅卷    答题卡  未处理异常  待审核  待评  已评  问题卷")
	for _, s := range v.Subjects {
		state := "未开始"
		if s.MarkingOpen {
			state = "已开始"
		}
		fmt.Fprintf(out, "%-8s  %s  %6d  %10d  %6d  %4d  %4d  %6d\n", s.Name, state, s.Cards, s.OpenExceptions,
			s.PendingApprovals, s.TasksOpen, s.TasksMarked, s.Problems)
	}
	fmt.Fprintln(out, "\n历史：")
	if len(v.History) == 0 {
		fmt.Fprintln(out, "  （无）")
	}
	for _, h := range v.History {
		line := fmt.Sprintf("  %s  %s → %s", h.At.Local().Format("2006-01-02 15:04"), h.From.Name(), h.To.Name())
		if h.SubjectCode != "" {
			line = fmt.Sprintf("  %s  %s 开始阅卷", h.At.Local().Format("2006-01-02 15:04"), h.SubjectName)
		}
		line += "  " + h.Actor
		if h.Forced {
			line += "  强制：" + h.Reason
		} else if h.Reason != "" {
			line += "  " + h.Reason
		}
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}
}
