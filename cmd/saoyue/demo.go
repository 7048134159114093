package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/roster"
	"github.com/saoyue/saoyue/scanner"
	"github.com/saoyue/saoyue/store"
)

// The demo exam: the fixture roster, the county math card and its key.
const (
	demoExam     = "90"
	demoTemplate = "fixtures/templates/math-a4.yaml"
	demoKey      = "fixtures/keys/math-a4.csv"
)

func newDemoCmd(cfg *Config) *cobra.Command {
	var noServe bool
	var schools, level string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline on fixture cards and show the results",
		Long: `Sets up a demo exam from the fixture roster, prints its labels and answer card,
generates one bag of scanned cards per school, feeds them through a hot folder into
the pipeline (reader, scoring, exceptions, crops and marking tasks), and prints a
summary per school. Then it serves the results until Ctrl-C (unless --no-serve).
Running it again reuses what is there: the same scans are the same pages.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			cfg := cfg
			if cfg.RedisAddr != "" {
				// The demo is the embedded pipeline: with a Redis queue its
				// tasks would wait for a `saoyue worker` nobody started, and
				// the summary would show every card missing.
				fmt.Fprintf(out, "The demo runs its tasks in-process; the Redis at %s is not used.\n", cfg.RedisAddr)
				c := *cfg
				c.RedisAddr = ""
				cfg = &c
			}
			a, err := openApp(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := runDemo(ctx, a, cfg, out, strings.Split(schools, ","), level); err != nil {
				return err
			}
			if noServe {
				return nil
			}
			return a.serve(ctx, cfg, func(url string) {
				fmt.Fprintf(out, "\nOpen %s to look at the results (Ctrl-C to stop).\n", url)
				fmt.Fprintf(out, "Report download: %sexams/%s/report\n", url, demoExam)
			})
		},
	}
	cmd.Flags().BoolVar(&noServe, "no-serve", false, "print the results and exit instead of serving them")
	cmd.Flags().StringVar(&schools, "schools", "0101,0203,0305", "school codes whose first room is scanned")
	cmd.Flags().StringVar(&level, "level", "typical", "scan quality of the generated cards: clean, typical or hard")
	return cmd
}

func runDemo(ctx context.Context, a *app, cfg *Config, out io.Writer, schools []string, level string) error {
	start := time.Now()
	db := a.db
	// 1. The exam, from the fixture roster.
	exam, err := db.Exam(ctx, demoExam)
	if errors.Is(err, store.ErrExamNotFound) {
		subjects, _ := roster.ParseSubjects("math:数学")
		if _, err := roster.CreateExam(ctx, db, roster.ExamSpec{Code: demoExam, Name: "2024年秋季五年级学业质量监测（演示）",
			Subjects: subjects, Capacity: 30}); err != nil {
			return err
		}
		r, err := roster.ReadFiles(roster.Files{Schools: []string{fixturePath("fixtures/roster/schools.csv")},
			Students: []string{fixturePath("fixtures/roster/students.xlsx")}, Teachers: []string{fixturePath("fixtures/roster/teachers.csv")}})
		if err != nil {
			return err
		}
		if _, err := roster.Import(ctx, db, r, demoExam); err != nil {
			return err
		}
		exam, err = db.Exam(ctx, demoExam)
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	subject := exam.Subjects[0]
	fmt.Fprintf(out, "Exam %s %s, subject %s\n", exam.Code, exam.Name, subject.Name)

	// 2. The card and its key.
	body, err := os.ReadFile(fixturePath(demoTemplate))
	if err != nil {
		return fmt.Errorf("demo template: %w", err)
	}
	tmpl, err := card.Parse(body)
	if err != nil {
		return err
	}
	if _, err := grading.RegisterTemplate(ctx, db, subject.ID, body); err != nil {
		return err
	}
	doc, err := card.Layout(tmpl, 25.4)
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
	if _, err := grading.ImportKey(ctx, db, subject.ID, key, "demo", "demo answer key"); err != nil {
		return err
	}

	// 3. What the centre prints: labels, room rosters, the card.
	printDir := filepath.Join(cfg.DataDir, "demo", "print")
	files, err := roster.WriteExamPDFs(ctx, db, demoExam, printDir)
	if err != nil {
		return err
	}
	cardPDF := filepath.Join(printDir, "math-card.pdf")
	if f, err := os.Create(cardPDF); err == nil {
		err = card.RenderPDF(tmpl, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "Printed %d label/roster PDFs and the answer card into %s\n", len(files), printDir)

	// 4. One bag per school: generated scans dropped into a hot folder.
	cands, err := db.Candidates(ctx, exam.ID)
	if err != nil {
		return err
	}
	rooms, err := db.Rooms(ctx, exam.ID)
	if err != nil {
		return err
	}
	schoolList, err := db.Schools(ctx)
	if err != nil {
		return err
	}
	schoolName, schoolCode := map[int64]string{}, map[int64]string{}
	for _, s := range schoolList {
		schoolName[s.ID], schoolCode[s.ID] = s.Name, s.Code
	}
	in := &queue.Ingester{DB: db, Blobs: a.blobs, Queue: a.queue}
	var batches []*store.Batch
	for _, code := range schools {
		var room *store.Room
		for i := range rooms {
			if schoolCode[rooms[i].SchoolID] == code && (room == nil || rooms[i].Number < room.Number) {
				room = &rooms[i]
			}
		}
		if room == nil {
			return fmt.Errorf("school %s has no room in the demo exam", code)
		}
		var roomCands []store.Candidate
		for _, c := range cands {
			if c.RoomID == room.ID {
				roomCands = append(roomCands, c)
			}
		}
		b, err := demoBatch(ctx, db, exam.ID, subject.ID, room, len(roomCands))
		if err != nil {
			return err
		}
		batches = append(batches, b)
		n, err := scanBag(ctx, cfg, in, b.ID, tmpl, roomCands, level, fmt.Sprintf("%s-%02d", code, room.Number))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Scanned %s room %02d: %d pages through the hot folder\n", schoolName[room.SchoolID], room.Number, n)
	}
	if a.inproc != nil {
		a.inproc.Wait()
		// A card whose other side never came (a sheet fed once, a side
		// missing) is left due for scoring: the sweep scores what there is.
		sw := &handler.Sweep{DB: db, Queue: a.inproc}
		for i := 0; i < 3; i++ {
			if _, cards, err := sw.Once(ctx); err != nil || cards == 0 {
				break
			}
			a.inproc.Wait()
		}
	}

	// 5. Results per school.
	fmt.Fprintf(out, "\n%-24s %6s %6s %6s %6s %9s %9s %11s\n", "school", "cards", "absent", "missed", "extra", "mean obj.", "max obj.", "exceptions")
	for _, b := range batches {
		rec, err := grading.Reconcile(ctx, db, b.ID)
		if err != nil {
			return err
		}
		mean, top, err := db.BatchObjectiveTotals(ctx, b.ID, subject.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s %6d %6d %6d %6d %9.1f %9.1f %11d\n", pad(schoolName[b.SchoolID], 24), rec.Scanned, rec.Absent,
			len(rec.Missing), len(rec.Extra), mean, top, rec.OpenExc)
	}
	exc, err := store.Exceptions(ctx, db.Pool, store.ExceptionFilter{ExamID: exam.ID, Status: "unresolved"})
	if err != nil {
		return err
	}
	kinds := map[string]int{}
	for _, e := range exc {
		kinds[e.Kind]++
	}
	var ks []string
	for k, n := range kinds {
		ks = append(ks, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(ks)
	fmt.Fprintf(out, "\nExceptions waiting for a technician: %d (%s)\n", len(exc), strings.Join(ks, ", "))
	for i, e := range exc {
		if i == 8 {
			fmt.Fprintf(out, "  … and %d more\n", len(exc)-i)
			break
		}
		fmt.Fprintf(out, "  #%d %-18s item %-3s %s\n", e.ID, e.Kind, e.ItemNo, e.Reason)
	}
	if tasks, err := db.SubjectTaskCount(ctx, subject.ID); err == nil {
		fmt.Fprintf(out, "Marking tasks created from cropped answers: %d\n", tasks)
	}
	if err := demoAccounts(ctx, db, out, batches); err != nil {
		return err
	}
	fmt.Fprintf(out, "Done in %s.\n", time.Since(start).Round(time.Second))
	return nil
}

// demoPassword is the password of the demo's accounts: a demo is for
// looking around, on loopback, with data that is not real.
const demoPassword = "saoyue-demo"

// demoAccounts makes (or resets) the accounts a person needs to look at
// the results: the centre, an approver, and the technician of the first
// school, all with the demo password.
func demoAccounts(ctx context.Context, db *store.DB, out io.Writer, batches []*store.Batch) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(demoPassword), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	type account struct {
		login, name string
		roles       []string
		school      *int64
	}
	accounts := []account{
		{"centre", "县监测中心", []string{store.RoleCentre}, nil},
		{"approver", "审核人", []string{store.RoleApprover}, nil},
	}
	if len(batches) > 0 {
		school := batches[0].SchoolID
		accounts = append(accounts, account{"tech", "学校考务技术员", []string{store.RoleTechnician}, &school})
	}
	fmt.Fprintf(out, "\nSign in with password %q as:", demoPassword)
	for _, a := range accounts {
		u, err := store.UserByLogin(ctx, db.Pool, a.login)
		switch {
		case errors.Is(err, store.ErrUserNotFound):
			u = &store.User{Login: a.login, Name: a.name, PasswordHash: string(hash), Roles: a.roles, SchoolID: a.school}
			if err := store.CreateUser(ctx, db.Pool, u); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := store.SetUserPassword(ctx, db.Pool, u.ID, string(hash), false); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, " %s (%s)", a.login, a.name)
	}
	fmt.Fprintln(out)
	return nil
}

// demoBatch opens (or reopens) the bag of a room.
func demoBatch(ctx context.Context, db *store.DB, examID, subjectID int64, room *store.Room, expected int) (*store.Batch, error) {
	b, err := db.RoomBatch(ctx, examID, subjectID, room.ID)
	if err != nil || b != nil {
		return b, err
	}
	b = &store.Batch{ExamID: examID, SubjectID: subjectID, SchoolID: room.SchoolID, RoomID: &room.ID, ExpectedCards: expected, CreatedBy: "demo"}
	return b, db.CreateBatch(ctx, b)
}

// scanBag plays the scanner: it writes the bag's pages into a hot folder
// while the hot-folder driver takes them, in scan order, into the pipeline.
func scanBag(ctx context.Context, cfg *Config, in *queue.Ingester, batchID int64, tmpl *card.Template, cands []store.Candidate, level, name string) (int, error) {
	dir := filepath.Join(cfg.DataDir, "demo", "scans", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	g, err := fixtures.NewGenerator(tmpl, fixtures.Options{Level: level, Seed: uint64(batchID),
		ExamNumbers: func(i int) string { return cands[i%len(cands)].ExamNo }})
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	total := len(cands) * len(tmpl.Pages)
	taken := 0
	hf := &scanner.HotFolder{Dir: dir, Settle: 150 * time.Millisecond, Poll: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan error, 1)
	go func() {
		done <- hf.Run(ctx, func(ctx context.Context, f scanner.File) error {
			taken++
			if _, err := in.AddPage(ctx, batchID, taken, f.Name, f.Data); err != nil {
				return err
			}
			if taken == total {
				cancel()
			}
			return nil
		})
	}()
	for i := range cands {
		scans, err := g.Card(i)
		if err != nil {
			return taken, err
		}
		for _, s := range scans {
			// Written under a temporary name and renamed, as scanner software does.
			tmp := filepath.Join(dir, s.Name+".part")
			if err := os.WriteFile(tmp, s.Image, 0o644); err != nil {
				return taken, err
			}
			if err := os.Rename(tmp, filepath.Join(dir, fmt.Sprintf("%05d-%s", i*len(tmpl.Pages)+s.Truth.Page, s.Name))); err != nil {
				return taken, err
			}
		}
	}
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return taken, err
	}
	return taken, nil
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
