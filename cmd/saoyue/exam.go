package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/roster"
	"github.com/saoyue/saoyue/store"
)

func newExamCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exam",
		Short: "Set up an exam: create it, import the roster, allocate rooms and print labels",
		Long: `Set up an exam from the county roster.

  saoyue exam create --code 21 --name "2026年秋季五年级监测" --subjects "math:数学,english:英语" --capacity 30
  saoyue exam import --exam 21 --schools schools.csv --students students.xlsx --teachers teachers.csv
  saoyue exam labels --exam 21 --out labels/
  saoyue exam show --exam 21

Exam numbers are EE SSSS RR NN: exam code, school code, room, seat (docs/EXAM_NUMBERS.md).`,
	}
	cmd.AddCommand(newExamCreateCmd(cfg), newExamImportCmd(cfg), newExamAllocateCmd(cfg),
		newExamLabelsCmd(cfg), newExamShowCmd(cfg))
	cmd.AddCommand(newExamStageCmds(cfg)...)
	return cmd
}

func newExamCreateCmd(cfg *Config) *cobra.Command {
	var spec roster.ExamSpec
	var subjects string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an exam with its subjects, room capacity and sampling",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if spec.Subjects, err = roster.ParseSubjects(subjects); err != nil {
				return err
			}
			if cmd.Flags().Changed("sample") && spec.SampleSize == 0 {
				return fmt.Errorf("--sample 0 would sample nobody: leave --sample out to seat every student")
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := roster.CreateExam(cmd.Context(), db, spec)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "已创建考试 %s「%s」：%d 个学科，每考场 %d 座", e.Code, e.Name, len(e.Subjects), e.RoomCapacity)
			if e.SampleSize > 0 {
				fmt.Fprintf(out, "，每校抽样 %d 名学生（随机种子 %d）", e.SampleSize, e.SampleSeed)
			}
			fmt.Fprintf(out, "\n下一步：saoyue exam import --exam %s --schools ... --students ... --teachers ...\n", e.Code)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec.Code, "code", "", "exam code, two digits: the first two digits of every exam number")
	f.StringVar(&spec.Name, "name", "", "exam name, printed on labels and room lists")
	f.StringVar(&subjects, "subjects", "", `subjects as code:name[:am|pm[:full score]], comma-separated, e.g. "math:数学,english:英语"`)
	f.StringVar(&spec.Grade, "grade", "", "only students of this grade (as in the roster's grade column, e.g. 五年级) sit the exam; empty = all")
	f.IntVar(&spec.Capacity, "capacity", 30, "seats per room: 30 (county rule) or 42 (city rule)")
	f.IntVar(&spec.SampleSize, "sample", 0, fmt.Sprintf("sample this many students per school (the city rule is %d); all if fewer; default every student", roster.DefaultSampleSize))
	f.Int64Var(&spec.Seed, "seed", 0, "sampling seed: the same roster and seed give the same sample")
	_ = cmd.MarkFlagRequired("code")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("subjects")
	return cmd
}

func newExamImportCmd(cfg *Config) *cobra.Command {
	var files roster.Files
	var exam string
	var opts roster.ImportOptions
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import schools, students and teachers, then allocate the exam's rooms, seats and exam numbers",
		Long: `Import roster files (CSV in UTF-8 or GBK, or XLSX; Chinese or English headers).
Every file is checked first; if anything is wrong, all problems are listed and
nothing is imported. With --exam, the schools of the files join the exam and
rooms, seats and exam numbers are (re)allocated in the same transaction.
Importing the same files again changes nothing.

Once labels are printed the exam numbers are frozen: the import is shown as a
diff (新增, 退出, 恢复, 信息更正) and applied only with --confirm. Late students
get new numbers (next free seat of the school's last room, or a supplementary
room); withdrawn ones keep theirs, marked 退出; no number ever moves.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(files.Schools)+len(files.Students)+len(files.Teachers) == 0 {
				return fmt.Errorf("nothing to import: give --schools, --students and/or --teachers")
			}
			r, err := roster.ReadFiles(files)
			if err != nil {
				return err
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := roster.ImportWith(cmd.Context(), db, r, exam, opts)
			if err != nil {
				return cliError(err)
			}
			out := cmd.OutOrStdout()
			if res.Diff != nil {
				res.Diff.Write(out)
			}
			if !res.Applied {
				fmt.Fprintln(out, "未应用：确认无误后加 --confirm 重新运行")
				return nil
			}
			fmt.Fprintf(out, "已导入 %d 所学校、%d 名学生、%d 名教师\n", res.Schools, res.Students, res.Teachers)
			if res.Allocation != nil {
				printAllocation(out, exam, res.Allocation)
			}
			if res.Diff != nil && !res.Diff.Empty() {
				fmt.Fprintln(out, "已应用。")
				for _, s := range res.Diff.Schools {
					if len(s.Added) > 0 {
						fmt.Fprintf(out, "新增考生的条形码：saoyue exam labels --exam %s --school %s --new\n", exam, s.Code)
					}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&exam, "exam", "", "exam code to allocate after the import (empty: only update the roster)")
	f.BoolVar(&opts.Confirm, "confirm", false, "apply the diff of an exam whose numbers are frozen (labels printed)")
	f.StringVar(&opts.Actor, "by", os.Getenv("USER"), "who imports (audit log)")
	f.StringSliceVar(&files.Schools, "schools", nil, "schools file(s): 学校代码/school_code, 学校名称/school_name, 区县/county[, 区县代码/county_code]")
	f.StringSliceVar(&files.Students, "students", nil, "students file(s): 学校代码, 学籍号/student_no, 姓名/name[, 性别, 年级, 班级]")
	f.StringSliceVar(&files.Teachers, "teachers", nil, "teachers file(s): 学校代码, 教师编号/teacher_no, 姓名, 学科/subjects (数学;英语)[, 电话/phone]")
	return cmd
}

func newExamAllocateCmd(cfg *Config) *cobra.Command {
	var exam string
	cmd := &cobra.Command{
		Use:   "allocate",
		Short: "Re-run the room, seat and exam-number allocation from the roster in the database (refused once labels are printed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := roster.AllocateExam(cmd.Context(), db, exam)
			if err != nil {
				return cliError(err)
			}
			printAllocation(cmd.OutOrStdout(), exam, res)
			return nil
		},
	}
	cmd.Flags().StringVar(&exam, "exam", "", "exam code")
	_ = cmd.MarkFlagRequired("exam")
	return cmd
}

func printAllocation(out io.Writer, exam string, res *roster.AllocationResult) {
	total, rooms := 0, 0
	for _, s := range res.Schools {
		total += s.Candidates
		rooms += len(s.RoomSizes)
	}
	fmt.Fprintf(out, "考试 %s：%d 所学校 %d 个考场，共 %d 名考生", exam, len(res.Schools), rooms, total)
	if res.Removed == 0 && res.Added == 0 {
		fmt.Fprintf(out, "（无变化）\n")
	} else {
		fmt.Fprintf(out, "（新增 %d 个座位安排，删除 %d 个）\n", res.Added, res.Removed)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "学校\t名单人数\t考生\t考场")
	for _, s := range res.Schools {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", s.Code, s.Roster, s.Candidates, roomSizes(s.RoomSizes))
	}
	tw.Flush()
}

func roomSizes(sizes []int) string {
	if len(sizes) == 0 {
		return "-"
	}
	parts := make([]string, len(sizes))
	for i, n := range sizes {
		parts[i] = fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%s)", len(sizes), strings.Join(parts, "+"))
}

func newExamLabelsCmd(cfg *Config) *cobra.Command {
	var exam, dir string
	var opts roster.PrintOptions
	cmd := &cobra.Command{
		Use:   "labels",
		Short: "Write the barcode label sheets and room lists (PDF, two per school); printing freezes the exam numbers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				dir = filepath.Join(cfg.DataDir, "labels", exam)
			}
			db, err := openDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			opts.Font = cfg.Fonts.CJK
			paths, err := roster.WritePDFs(cmd.Context(), db, exam, dir, opts)
			if err != nil {
				return cliError(err)
			}
			for _, p := range paths {
				fmt.Fprintln(cmd.OutOrStdout(), p)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "已生成 %d 个 PDF 文件；条形码标签请用 %s 标签纸按 100%% 比例打印（不要选“适合页面”）\n", len(paths), roster.LabelSheet.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&exam, "exam", "", "exam code")
	cmd.Flags().StringVar(&dir, "out", "", "output directory (default DATA_DIR/labels/EXAM)")
	cmd.Flags().StringVar(&opts.School, "school", "", "only this school (code)")
	cmd.Flags().BoolVar(&opts.NewOnly, "new", false, "labels of the candidates added after the freeze only (EE_SSSS_labels_new.pdf)")
	cmd.Flags().StringVar(&opts.By, "by", os.Getenv("USER"), "who prints (recorded with the freeze)")
	_ = cmd.MarkFlagRequired("exam")
	return cmd
}

func newExamShowCmd(cfg *Config) *cobra.Command {
	var exam string
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Summarise an exam: subjects, schools, candidates and rooms",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := openDB(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := store.GetExam(ctx, db.Pool, exam)
			if err != nil {
				return err
			}
			schools, err := store.ListExamSchools(ctx, db.Pool, e.ID)
			if err != nil {
				return err
			}
			rooms, err := store.ListRooms(ctx, db.Pool, e.ID, 0)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "考试 %s「%s」，当前阶段：%s，每考场 %d 座", e.Code, e.Name, e.Status.Name(), e.RoomCapacity)
			if e.Grade != "" {
				fmt.Fprintf(out, "，年级 %s", e.Grade)
			}
			if e.SampleSize > 0 {
				fmt.Fprintf(out, "，每校抽样 %d 人（随机种子 %d）", e.SampleSize, e.SampleSeed)
			}
			fmt.Fprintln(out)
			for _, s := range e.Subjects {
				fmt.Fprintf(out, "  学科 %s %s，%s，满分 %g\n", s.Code, s.Name, s.Session, s.FullScore)
			}
			bySchool := make(map[int64][]store.Room)
			total := 0
			for _, r := range rooms {
				bySchool[r.SchoolID] = append(bySchool[r.SchoolID], r)
				total += r.Candidates
			}
			fmt.Fprintf(out, "%d 所学校，%d 名考生，%d 个考场\n", len(schools), total, len(rooms))
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "学校\t考生\t考场\t考号范围")
			for _, s := range schools {
				rs := bySchool[s.ID]
				n, sizes := 0, make([]int, len(rs))
				for i, r := range rs {
					n += r.Candidates
					sizes[i] = r.Candidates
				}
				span := "-"
				if n > 0 {
					last := rs[len(rs)-1]
					first, _ := roster.ExamNo(e.Code, s.Code, 1, 1)
					end, _ := roster.ExamNo(e.Code, s.Code, last.Number, last.Candidates)
					span = first + "-" + end
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Code, n, roomSizes(sizes), span)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return showFreeze(ctx, out, db, e.ID, rooms)
		},
	}
	cmd.Flags().StringVar(&exam, "exam", "", "exam code")
	_ = cmd.MarkFlagRequired("exam")
	return cmd
}

// showFreeze tells whether the numbers are frozen and lists the candidates
// the freeze's imports touched: the withdrawn (退出, number kept) and the
// late ones, with supplementary rooms marked.
func showFreeze(ctx context.Context, out io.Writer, db *store.DB, examID int64, rooms []store.Room) error {
	at, err := store.NumbersFrozenAt(ctx, db.Pool, examID)
	if err != nil || at == nil {
		return err
	}
	fmt.Fprintf(out, "考号已锁定（%s 起，条形码已打印）\n", at.Local().Format("2006-01-02 15:04"))
	for _, r := range rooms {
		if r.Supplementary {
			fmt.Fprintf(out, "  补充考场  %s 第%02d考场，%d 人\n", r.SchoolCode, r.Number, r.Candidates)
		}
	}
	cands, err := store.ListCandidates(ctx, db.Pool, examID, 0)
	if err != nil {
		return err
	}
	for _, c := range cands {
		switch {
		case c.Withdrawn:
			fmt.Fprintf(out, "  退出  %s %s %s（%s，考号保留）\n", c.ExamNo, c.Name, c.ClassName, c.SchoolCode)
		case c.AddedAfterFreeze:
			fmt.Fprintf(out, "  新增  %s %s %s（%s 第%02d考场 %02d号座）\n", c.ExamNo, c.Name, c.ClassName, c.SchoolCode, c.RoomNumber, c.Seat)
		}
	}
	return nil
}
