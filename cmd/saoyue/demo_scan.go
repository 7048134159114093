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
	"sync"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/reading"
	"github.com/saoyue/saoyue/scanner"
	"github.com/saoyue/saoyue/store"
)

// demoPlanted is how many cards of the first school's bag the typical
// level draws the way a hurried candidate does (two bubbles of a
// single-choice item, a doubtful fill): the exceptions a technician
// clears on /tech/exceptions. The scans of the typical level alone are
// read without one.
const demoPlanted = 3

// scan plays the technicians: one bag per school, fed through a hot
// folder, then waits for the pipeline to read every page.
func (d *demo) scan(ctx context.Context) error {
	cands, err := store.ListCandidates(ctx, d.db.Pool, d.exam.ID, 0)
	if err != nil {
		return err
	}
	rooms, err := store.ListRooms(ctx, d.db.Pool, d.exam.ID, 0)
	if err != nil {
		return err
	}
	in := &queue.Ingester{DB: d.db, Blobs: d.a.blobs, Queue: d.a.queue}
	for n, code := range d.schools {
		var room *store.Room
		for i := range rooms {
			if d.school[rooms[i].SchoolID].Code == code && (room == nil || rooms[i].Number < room.Number) {
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
		b, err := demoBatch(ctx, d.db, d.exam.ID, d.subject.ID, room, len(roomCands))
		if err != nil {
			return err
		}
		d.batches = append(d.batches, b)
		bag := demoBag{batchID: b.ID, tmpl: d.tmpl, cands: roomCands, level: d.level,
			dir: filepath.Join(d.cfg.DataDir, "demo", "scans", fmt.Sprintf("%s-%02d", code, room.Number))}
		if n == 0 && d.level == "typical" {
			bag.planted = demoPlanted
		}
		pages, err := bag.scan(ctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(d.out, "已扫描 %s %02d 考场：%d 页经热文件夹进入系统\n", d.school[room.SchoolID].Name, room.Number, pages)
	}
	return d.settle(ctx)
}

// settle waits for the in-process queue to run dry, scores the cards whose
// other side never came, and turns every page still unread (its reading
// failed for good) into an exception: the summary reports it instead of a
// page that waits for ever.
func (d *demo) settle(ctx context.Context) error {
	if d.a.inproc == nil {
		return nil
	}
	d.a.inproc.Wait()
	sw := &handler.Sweep{DB: d.db, Queue: d.a.inproc}
	for i := 0; i < 3; i++ {
		if _, cards, err := sw.Once(ctx); err != nil || cards == 0 {
			break
		}
		d.a.inproc.Wait()
	}
	for _, b := range d.batches {
		n, err := store.FailUnreadPages(ctx, d.db.Pool, b.ID, reading.ExcUnreadable, "演示：这一页读取失败，请重新扫描")
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(d.out, "有 %d 页没能读取，已登记为异常\n", n)
		}
	}
	return nil
}

// results prints the reconciliation of every bag and the exceptions left
// for the technicians.
func (d *demo) results(ctx context.Context) error {
	fmt.Fprintf(d.out, "\n%s %6s %6s %6s %6s %9s %9s %6s\n", pad("学校", 24), "卡数", "缺考", "缺卡", "多卡", "客观均分", "客观最高", "异常")
	for _, b := range d.batches {
		rec, err := grading.Reconcile(ctx, d.db, b.ID)
		if err != nil {
			return err
		}
		mean, top, err := demoObjectiveTotals(ctx, d.db, b.ID, d.subject.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(d.out, "%s %6d %6d %6d %6d %9.1f %9.1f %6d\n", pad(d.school[b.SchoolID].Name, 24), rec.Scanned, rec.Absent,
			len(rec.Missing), len(rec.Extra), mean, top, rec.OpenExc)
	}
	exc, err := store.Exceptions(ctx, d.db.Pool, store.ExceptionFilter{ExamID: d.exam.ID, Status: saoyue.ExceptionUnresolved})
	if err != nil {
		return err
	}
	kinds := map[reading.Kind]int{}
	for _, e := range exc {
		kinds[e.Kind]++
	}
	var ks []string
	for k, n := range kinds {
		ks = append(ks, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(ks)
	fmt.Fprintf(d.out, "\n待技术员处理的异常：%d 个（%s）\n", len(exc), strings.Join(ks, ", "))
	for i, e := range exc {
		if i == 8 {
			fmt.Fprintf(d.out, "  …… 另有 %d 个\n", len(exc)-i)
			break
		}
		item := ""
		if e.ItemNo != "" {
			item = "第 " + e.ItemNo + " 题"
		}
		fmt.Fprintf(d.out, "  #%d %-18s %-8s %s\n", e.ID, e.Kind, item, e.Reason)
	}
	if tasks, err := demoTaskCount(ctx, d.db, d.subject.ID); err == nil {
		fmt.Fprintf(d.out, "主观题切块生成的阅卷任务：%d 个\n", tasks)
	}
	return nil
}

// demoBatch opens (or reopens) the bag of a room.
func demoBatch(ctx context.Context, db *store.DB, examID, subjectID int64, room *store.Room, expected int) (*store.Batch, error) {
	b, err := demoRoomBatch(ctx, db, examID, subjectID, room.ID)
	if err != nil || b != nil {
		return b, err
	}
	b = &store.Batch{ExamID: examID, SubjectID: subjectID, SchoolID: room.SchoolID, RoomID: &room.ID, ExpectedCards: expected, CreatedBy: demoActor}
	return b, store.CreateBatch(ctx, db.Pool, b)
}

// demoBag is one room's bag of generated scans.
type demoBag struct {
	batchID int64
	tmpl    *card.Template
	cands   []store.Candidate
	level   string
	dir     string
	planted int // cards drawn with a defect a technician clears
}

// scan plays the scanner: it writes the bag's pages into a hot folder
// while the hot-folder driver takes them, in scan order, into the
// pipeline. It returns once the driver has taken every page written.
//
// The pages are counted as they are written, not foreseen: a card is not
// always its template's pages (the hard level turns one card in fifty into
// a single blank sheet), and a count of cards times sides waited for
// pages that never came, for ever.
func (b *demoBag) scan(ctx context.Context, in *queue.Ingester) (int, error) {
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return 0, err
	}
	cards, err := b.cards()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	taken, written, writing := 0, 0, true
	stopWhenDone := func() { // with mu held
		if !writing && taken >= written {
			cancel()
		}
	}
	hf := &scanner.HotFolder{Dir: b.dir, Settle: 150 * time.Millisecond, Poll: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan error, 1)
	go func() {
		seq := 0
		err := hf.Run(ctx, func(ctx context.Context, f scanner.File) error {
			seq++
			if _, err := in.AddPage(ctx, b.batchID, seq, f.Name, f.Data); err != nil {
				return err
			}
			mu.Lock()
			taken++
			stopWhenDone()
			mu.Unlock()
			return nil
		})
		cancel() // a driver that failed stops the writing too
		done <- err
	}()
	werr := b.write(ctx, cards, func() { mu.Lock(); written++; mu.Unlock() })
	mu.Lock()
	writing = false
	stopWhenDone()
	mu.Unlock()
	if werr != nil {
		cancel()
	}
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return taken, err
	}
	return taken, werr
}

// cards returns the generator of the bag's cards: the bag's level, with
// the planted cards drawn at the hard level until one shows a defect.
func (b *demoBag) cards() (func(i int) ([]fixtures.Scan, error), error) {
	examNo := func(i int) string { return b.cands[i%len(b.cands)].ExamNo }
	g, err := fixtures.NewGenerator(b.tmpl, fixtures.Options{Level: b.level, Seed: uint64(b.batchID), ExamNumbers: examNo})
	if err != nil {
		return nil, err
	}
	planted := map[int]bool{}
	for k := 1; k <= b.planted && k < len(b.cands); k++ {
		planted[k*len(b.cands)/(b.planted+1)] = true
	}
	return func(i int) ([]fixtures.Scan, error) {
		if !planted[i] {
			return g.Card(i)
		}
		for seed := uint64(1); seed <= 200; seed++ {
			h, err := fixtures.NewGenerator(b.tmpl, fixtures.Options{Level: "hard", Seed: seed<<32 | uint64(b.batchID), ExamNumbers: examNo})
			if err != nil {
				return nil, err
			}
			scans, err := h.Card(i)
			if err != nil || technicianDefect(scans) {
				return scans, err
			}
		}
		return g.Card(i)
	}, nil
}

// technicianDefect says whether a generated card is whole, readable and
// carries a mark only a person can settle: two clear bubbles on a
// single-choice item. Cards the reader could not place at all (a photo, a
// folded corner, a blank or foreign sheet) or absent ones are passed over.
func technicianDefect(scans []fixtures.Scan) bool {
	multi := false
	for _, s := range scans {
		t := s.Truth
		if t.BlankPage || t.OtherTemplate != "" || t.Perspective || t.FoldedCorner != "" || t.Absent || t.Violation ||
			t.StickerDamage != "" || strings.ContainsAny(t.Grid, "?*") {
			return false
		}
		for _, it := range t.Items {
			if !it.Multiple && len(it.Marks) > 1 {
				multi = true
			}
		}
	}
	return multi
}

// write puts the bag's pages into the hot folder in scan order, under a
// temporary name renamed when complete, as scanner software does; wrote
// counts each page.
func (b *demoBag) write(ctx context.Context, cards func(int) ([]fixtures.Scan, error), wrote func()) error {
	for i := range b.cands {
		if err := ctx.Err(); err != nil {
			return err
		}
		scans, err := cards(i)
		if err != nil {
			return err
		}
		for k, s := range scans {
			tmp := filepath.Join(b.dir, s.Name+".part")
			if err := os.WriteFile(tmp, s.Image, 0o644); err != nil {
				return err
			}
			if err := os.Rename(tmp, filepath.Join(b.dir, fmt.Sprintf("%05d-%s", i*len(b.tmpl.Pages)+k+1, s.Name))); err != nil {
				return err
			}
			wrote()
		}
	}
	return nil
}
