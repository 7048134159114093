package handler_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/roster"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// world is an exam set up as the county would: roster imported, rooms and
// exam numbers allocated, the math card registered and its key imported.
type world struct {
	db      *store.DB
	url     string
	exam    *store.Exam
	subject store.Subject
	tmpl    *card.Template
	other   *card.Template
	key     *grading.Key
	rooms   map[int64][]store.Candidate // room -> candidates in exam-number order
	roomIDs []int64
	school  map[int64]int64 // room -> school
	roster  roster.Roster   // as imported
}

func templatePath(name string) string {
	return filepath.Join("..", "..", "fixtures", "templates", name)
}

func newWorld(t testing.TB, schools, perSchool int) *world {
	t.Helper()
	ctx := context.Background()
	db, url := storetest.NewWithURL(t)
	w := &world{db: db, url: url, rooms: map[int64][]store.Candidate{}, school: map[int64]int64{}}
	var r roster.Roster
	for s := 0; s < schools; s++ {
		code := fmt.Sprintf("%04d", 101+s)
		r.Schools = append(r.Schools, roster.School{Code: code, Name: fmt.Sprintf("第%d小学", s+1), CountyCode: "01", CountyName: "示例县"})
		for i := 0; i < perSchool; i++ {
			r.Students = append(r.Students, roster.Student{SchoolCode: code, StudentNo: fmt.Sprintf("S%s%04d", code, i),
				Name: fmt.Sprintf("学生%d", i), Grade: "五年级", Class: fmt.Sprintf("五(%d)班", i%3+1)})
		}
	}
	subjects, err := roster.ParseSubjects("math:数学")
	if err != nil {
		t.Fatal(err)
	}
	_, err = roster.CreateExam(ctx, db, roster.ExamSpec{Code: "31", Name: "测试监测", Subjects: subjects, Capacity: 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := roster.Import(ctx, db, &r, "31"); err != nil {
		t.Fatal(err)
	}
	w.roster = r
	if w.exam, err = store.GetExam(ctx, db.Pool, "31"); err != nil {
		t.Fatal(err)
	}
	w.subject = w.exam.Subjects[0]
	body, err := os.ReadFile(templatePath("math-a4.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := grading.RegisterTemplate(ctx, db, w.subject.ID, body); err != nil {
		t.Fatal(err)
	}
	if w.tmpl, err = card.Parse(body); err != nil {
		t.Fatal(err)
	}
	if w.other, err = card.Load(templatePath("english-a3.yaml")); err != nil {
		t.Fatal(err)
	}
	w.key = makeKey(t, w.tmpl)
	if _, err := grading.ImportKey(ctx, db, w.subject.ID, w.key, "test", "key of the test exam"); err != nil {
		t.Fatal(err)
	}
	// Scans are taken from the scanning stage on; labels are not the point here.
	if _, err := grading.AdvanceTo(ctx, db, "31", saoyue.StageScanning, "测试", "测试不打印标签"); err != nil {
		t.Fatal(err)
	}
	cands, err := store.ListCandidates(ctx, db.Pool, w.exam.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if _, ok := w.rooms[c.RoomID]; !ok {
			w.roomIDs = append(w.roomIDs, c.RoomID)
		}
		w.rooms[c.RoomID] = append(w.rooms[c.RoomID], c)
	}
	rooms, err := store.ListRooms(ctx, db.Pool, w.exam.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, rm := range rooms {
		w.school[rm.ID] = rm.SchoolID
	}
	return w
}

// makeKey writes a key for every objective item of the template: single
// choice answers cycle through the options, multiple choice takes two with
// partial credit.
func makeKey(t testing.TB, tp *card.Template) *grading.Key {
	doc, err := card.Layout(tp, 25.4)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("题号,答案,分值,部分分\n")
	for _, it := range doc.Items {
		n := len(it.Options)
		if it.Multiple {
			fmt.Fprintf(&sb, "%d,%s%s,3,1\n", it.Number, it.Options[it.Number%n], it.Options[(it.Number+2)%n])
		} else {
			fmt.Fprintf(&sb, "%d,%s,2,\n", it.Number, it.Options[(it.Number*7)%n])
		}
	}
	k, err := grading.ParseKey("key.csv", []byte(sb.String()), doc.Items)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// batch opens the bag of one room.
// inProcess is the embedded pipeline on the world's database: blobs in a
// temporary directory and the in-process queue running the real handlers.
func (w *world) inProcess(t testing.TB) (blob.Store, *queue.InProcess) {
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	q := queue.NewInProcess(nil, 2, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	q.SetHandler(handler.NewMux(handler.Deps{DB: w.db, Blobs: blobs, Queue: q}))
	t.Cleanup(func() { q.Close() })
	return blobs, q
}

func (w *world) batch(t testing.TB, room int64) *store.Batch {
	b := &store.Batch{ExamID: w.exam.ID, SubjectID: w.subject.ID, SchoolID: w.school[room], RoomID: &room,
		ExpectedCards: len(w.rooms[room]), CreatedBy: "test"}
	if err := store.CreateBatch(context.Background(), w.db.Pool, b); err != nil {
		t.Fatal(err)
	}
	return b
}

// generator makes the cards of one room, candidate i getting the room's
// i-th exam number.
func (w *world) generator(t testing.TB, room int64, level string, seed uint64) *fixtures.Generator {
	cands := w.rooms[room]
	g, err := fixtures.NewGenerator(w.tmpl, fixtures.Options{Level: level, Seed: seed,
		ExamNumbers: func(i int) string { return cands[i%len(cands)].ExamNo }})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// expectedScores is what the key gives for the intended answers.
func (w *world) expectedScore(item int, marks []string) float64 {
	s, _ := w.key.Items[item].Score(strings.Join(marks, ""))
	return s
}

// checkScores compares every stored objective score of a card with the
// truth: a score that exists must be the key applied to the intended
// answer; a score that is missing must have an open exception on that item.
func (w *world) checkScores(t testing.TB, truth *fixtures.Truth, candidateID int64, cardID int64) (scored, pending int) {
	ctx := context.Background()
	scores, err := store.CandidateScores(ctx, w.db.Pool, candidateID, w.subject.ID)
	if err != nil {
		t.Fatal(err)
	}
	if truth.Absent {
		if len(scores) != 0 {
			t.Errorf("%s: absent candidate has %d scores", truth.File, len(scores))
		}
		return 0, 0
	}
	for _, it := range truth.Items {
		s, ok := scores[strconv.Itoa(it.Item)]
		if !ok {
			var n int
			if err := w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM exceptions WHERE card_id = $1 AND item_no = $2 AND status <> 'resolved'`,
				cardID, strconv.Itoa(it.Item)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("%s item %d: no score and no exception", truth.File, it.Item)
			}
			pending++
			continue
		}
		if want := w.expectedScore(it.Item, it.Marks); s.Score != want {
			t.Errorf("%s item %d: score %v (read %q), want %v for intended %v %v", truth.File, it.Item, s.Score, s.Response, want, it.Marks, it.Notes)
		}
		scored++
	}
	return scored, pending
}
