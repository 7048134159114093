package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/roster"
	"github.com/saoyue/saoyue/store"
)

// The demo exam: the fixture roster, the county math card and its key.
const (
	demoExam     = "90"
	demoTemplate = "fixtures/templates/math-a4.yaml"
	demoKey      = "fixtures/keys/math-a4.csv"
	demoActor    = "demo"
)

func newDemoCmd(cfg *Config) *cobra.Command {
	var noServe bool
	var schools, level string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on fixture cards and show the results",
		Long: `Sets up a demo exam from the fixture roster, prints its labels and answer card,
generates one bag of scanned cards per school, feeds them through a hot folder into
the pipeline (reader, scoring, exceptions, crops and marking tasks), plans the
marking, and prints a summary per school and the accounts to sign in with (centre,
approver, technician, a teacher and a group leader). Then it serves the results until
Ctrl-C (unless --no-serve). If the HTTP address is busy it serves on a free port of
the same host. Running it again reuses what is there: the same scans are the same pages.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			cfg := cfg
			if cfg.RedisAddr != "" {
				// The demo is the embedded pipeline: with a Redis queue its
				// tasks would wait for a `saoyue worker` nobody started, and
				// the summary would show every card missing.
				fmt.Fprintf(out, "演示在本进程内处理任务，不使用 %s 的 Redis。\n", cfg.RedisAddr)
				c := *cfg
				c.RedisAddr = ""
				cfg = &c
			}
			// The port is taken before the pipeline runs: a busy port found
			// only after minutes of reading would waste them all.
			var ln net.Listener
			if !noServe {
				var err error
				if ln, err = demoListen(cfg.HTTPAddr, out); err != nil {
					return err
				}
				defer ln.Close()
			}
			a, err := openApp(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			d := &demo{a: a, cfg: cfg, db: a.db, out: out, schools: strings.Split(schools, ","), level: level}
			if ln != nil {
				d.url = "http://" + ln.Addr().String() + "/"
			}
			if err := d.run(ctx); err != nil {
				return err
			}
			if noServe {
				return nil
			}
			return a.serveOn(ctx, cfg, ln, func(url string) {
				fmt.Fprintf(out, "\n打开 %s 查看结果（Ctrl-C 停止）。\n", url)
				fmt.Fprintf(out, "成绩报告下载：%sexams/%s/report\n", url, demoExam)
			})
		},
	}
	cmd.Flags().BoolVar(&noServe, "no-serve", false, "print the results and exit instead of serving them")
	cmd.Flags().StringVar(&schools, "schools", "0101,0203,0305", "school codes whose first room is scanned")
	cmd.Flags().StringVar(&level, "level", "typical", "scan quality of the generated cards: clean, typical or hard")
	return cmd
}

// demoListen binds addr, or a free port of the same host when addr is
// taken (another demo, another server on 8080).
func demoListen(addr string, out io.Writer) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	ln, err2 := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err2 != nil {
		return nil, fmt.Errorf("listen on %s: %w (and on a free port: %v)", addr, err, err2)
	}
	fmt.Fprintf(out, "%s 无法使用（%v），演示改用 %s。\n", addr, err, ln.Addr())
	return ln, nil
}

// demo is one run of `saoyue demo`: what its steps share.
type demo struct {
	a       *app
	cfg     *Config
	db      *store.DB
	out     io.Writer
	schools []string
	level   string
	url     string // where it will serve, "" with --no-serve

	exam    *store.Exam
	created bool // the exam is new: import its rosters
	subject store.Subject
	tmpl    *card.Template
	batches []*store.Batch
	school  map[int64]store.School
	team    demoTeam
}

// demoStep is one step of the exam's life as the demo plays it.
type demoStep struct {
	name string
	run  func(context.Context) error
}

// run plays an exam through its stages, one named step after another,
// in the order a county runs them (docs/OPERATIONS.md). The stage steps
// sit where the centre would advance the exam.
func (d *demo) run(ctx context.Context) error {
	start := time.Now()
	steps := []demoStep{
		{"create exam", d.createExam},
		{"rosters", d.importRosters},
		{"templates and keys", d.templatesAndKeys},
		{"labels", d.printLabels},
		{"stage rosters_frozen", d.stage(saoyue.StageRostersFrozen, "")},
		{"stage scanning", d.stage(saoyue.StageScanning, "")},
		{"scan", d.scan},
		{"results", d.results},
		{"stage marking", d.stage(saoyue.StageMarking, "演示：留给技术员的异常不影响阅卷")},
		{"plan", d.plan},
		{"mark", d.mark},
		{"accounts", d.accounts},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("demo step %s: %w", s.name, err)
		}
	}
	fmt.Fprintf(d.out, "完成，用时 %s。\n", time.Since(start).Round(time.Second))
	return nil
}

// createExam makes the demo exam, or finds it from an earlier run.
func (d *demo) createExam(ctx context.Context) error {
	exam, err := store.GetExam(ctx, d.db.Pool, demoExam)
	if errors.Is(err, store.ErrExamNotFound) {
		subjects, _ := roster.ParseSubjects("math:数学:am:100")
		if _, err := roster.CreateExam(ctx, d.db, roster.ExamSpec{Code: demoExam, Name: "2024年秋季五年级学业质量监测（演示）",
			Subjects: subjects, Capacity: 30}); err != nil {
			return err
		}
		d.created = true
		exam, err = store.GetExam(ctx, d.db.Pool, demoExam)
	}
	if err != nil {
		return err
	}
	d.exam, d.subject = exam, exam.Subjects[0]
	fmt.Fprintf(d.out, "考试 %s %s，学科 %s（满分 %g）\n", exam.Code, exam.Name, d.subject.Name, d.subject.FullScore)
	return nil
}

// importRosters imports the fixture schools, students and teachers into a
// new exam; an exam of an earlier run has them.
func (d *demo) importRosters(ctx context.Context) error {
	if d.created {
		r, err := roster.ReadFiles(roster.Files{Schools: []string{fixturePath("fixtures/roster/schools.csv")},
			Students: []string{fixturePath("fixtures/roster/students.xlsx")}, Teachers: []string{fixturePath("fixtures/roster/teachers.csv")}})
		if err != nil {
			return err
		}
		if _, err := roster.Import(ctx, d.db, r, demoExam); err != nil {
			return err
		}
	}
	schools, err := store.ListSchools(ctx, d.db.Pool)
	if err != nil {
		return err
	}
	d.school = map[int64]store.School{}
	for _, s := range schools {
		d.school[s.ID] = s
	}
	return nil
}

// templatesAndKeys registers the card and imports its key, and says
// whether they add up to the subject's full score.
func (d *demo) templatesAndKeys(ctx context.Context) error {
	body, err := os.ReadFile(fixturePath(demoTemplate))
	if err != nil {
		return fmt.Errorf("demo template: %w", err)
	}
	if d.tmpl, err = card.Parse(body); err != nil {
		return err
	}
	if _, err := grading.RegisterTemplate(ctx, d.db, d.subject.ID, body); err != nil {
		return err
	}
	doc, err := card.Layout(d.tmpl, 25.4)
	if err != nil {
		return err
	}
	keyData, err := os.ReadFile(fixturePath(demoKey))
	if err != nil {
		return fmt.Errorf("demo key: %w", err)
	}
	key, err := grading.ParseKey(filepath.Base(demoKey), keyData, doc.Items)
	if err != nil {
		return err
	}
	if _, err := grading.ImportKey(ctx, d.db, d.subject.ID, key, demoActor, "demo answer key"); err != nil {
		return err
	}
	objective, written := 0.0, 0.0
	for _, k := range key.Items {
		if !k.Excluded {
			objective += k.Points
		}
	}
	for _, p := range d.tmpl.Pages {
		for _, s := range p.Subjective {
			written += s.MaxScore
		}
	}
	note := "与学科满分一致"
	if objective+written != d.subject.FullScore {
		note = fmt.Sprintf("与学科满分 %g 不符！", d.subject.FullScore)
	}
	fmt.Fprintf(d.out, "答题卡 %s：客观题 %g 分 + 主观题 %g 分 = %g 分，%s\n", d.tmpl.ID, objective, written, objective+written, note)
	return nil
}

// printLabels writes what the centre prints: labels, room rosters, the card.
func (d *demo) printLabels(ctx context.Context) error {
	printDir := filepath.Join(d.cfg.DataDir, "demo", "print")
	files, err := roster.WritePDFs(ctx, d.db, demoExam, printDir, roster.PrintOptions{Font: d.cfg.Fonts.CJK})
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(printDir, "math-card.pdf"))
	if err != nil {
		return err
	}
	err = card.RenderPDFWithOptions(d.tmpl, f, card.RenderOptions{Form: d.tmpl.PrintedForm, Fonts: d.cfg.Fonts})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "已打印 %d 个条形码/考场名单 PDF 和答题卡，在 %s\n", len(files), printDir)
	return nil
}

// pad left-aligns s in a column of width terminal cells (a CJK
// character takes two).
func pad(s string, width int) string {
	w := 0
	for _, r := range s {
		if r >= 0x2E80 {
			w += 2
		} else {
			w++
		}
	}
	if w >= width {
		return s
	}
	return s + strings.Repeat(" ", width-w)
}

// fixturePath finds a file of the repository's fixtures from the working
// directory or any directory above it, so the demo runs from the checkout
// root (make demo) as well as from a package directory (its test).
func fixturePath(rel string) string {
	dir, err := os.Getwd()
	if err != nil {
		return rel
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return rel
		}
		dir = parent
	}
}
