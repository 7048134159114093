package handler_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"testing"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/store"
)

// feed is one bag as a scanner delivers it: the pages in scan order.
type feed struct {
	names  []string
	images [][]byte
	truth  []*fixtures.Truth // nil for pages with no truth (corrupt file)
}

func (f *feed) add(name string, img []byte, tr *fixtures.Truth) {
	f.names, f.images, f.truth = append(f.names, name), append(f.images, img), append(f.truth, tr)
}

// roomFeed generates the room's cards, front then back, with the awkward
// things a real bag holds: the same sheet fed twice, a second card for one
// candidate, a card of another subject, and a file cut short in transfer.
func (w *world) roomFeed(t testing.TB, room int64, level string, seed uint64) *feed {
	g := w.generator(t, room, level, seed)
	f := &feed{}
	n := len(w.rooms[room])
	for i := 0; i < n; i++ {
		scans, err := g.Card(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scans {
			s := s
			f.add(s.Name, s.Image, &s.Truth)
		}
		if i == 3 { // the same sheet fed again: the same image bytes
			f.add("again-"+scans[0].Name, scans[0].Image, &scans[0].Truth)
			f.add("again-"+scans[1].Name, scans[1].Image, &scans[1].Truth)
		}
	}
	// A second, different card for the first candidate.
	g2, err := fixtures.NewGenerator(w.tmpl, fixtures.Options{Level: level, Seed: seed + 1000,
		ExamNumbers: func(int) string { return w.rooms[room][0].ExamNo }})
	if err != nil {
		t.Fatal(err)
	}
	dup, err := g2.Card(0)
	if err != nil {
		t.Fatal(err)
	}
	f.add("dup-"+dup[0].Name, dup[0].Image, &dup[0].Truth)
	f.add("dup-"+dup[1].Name, dup[1].Image, &dup[1].Truth)
	// A page of the English card in the math bag.
	og, err := fixtures.NewGenerator(w.other, fixtures.Options{Level: "clean", Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	other, err := og.Card(0)
	if err != nil {
		t.Fatal(err)
	}
	f.add("english-"+other[0].Name, other[0].Image, &other[0].Truth)
	// A file cut short.
	f.add("truncated.jpg", f.images[0][:len(f.images[0])/2], nil)
	return f
}

func (w *world) ingest(t testing.TB, in *queue.Ingester, batchID int64, f *feed) {
	ctx := context.Background()
	for i := range f.images {
		if _, err := in.AddPage(ctx, batchID, i+1, f.names[i], f.images[i]); err != nil {
			t.Fatalf("ingest %s: %v", f.names[i], err)
		}
	}
}

// verify checks a processed bag against its truth.
func (w *world) verify(t testing.TB, batchID int64, room int64, f *feed) {
	ctx := context.Background()
	var pages, received int
	if err := w.db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'received') FROM pages WHERE batch_id = $1`, batchID).
		Scan(&pages, &received); err != nil {
		t.Fatal(err)
	}
	if want := len(f.images) - 2; pages != want { // the sheet fed twice is one pair of pages
		t.Errorf("%d pages recorded, want %d", pages, want)
	}
	if received != 0 {
		t.Errorf("%d pages were never read", received)
	}
	kinds := map[string]int{}
	rows, err := w.db.Pool.Query(ctx, `SELECT kind FROM exceptions WHERE batch_id = $1`, batchID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		kinds[k]++
	}
	rows.Close()
	for _, k := range []string{"duplicate", "wrong_template", "unreadable_image"} {
		if kinds[k] == 0 {
			t.Errorf("no %s exception (have %v)", k, kinds)
		}
	}
	byExamNo := map[string]store.Candidate{}
	for _, c := range w.rooms[room] {
		byExamNo[c.ExamNo] = c
	}
	scored, pending := 0, 0
	for i, tr := range f.truth {
		if tr == nil || tr.Page != 1 || tr.OtherTemplate != "" || tr.Template != w.tmpl.ID || f.names[i][:4] == "dup-" || f.names[i][:6] == "again-" {
			continue
		}
		c := byExamNo[tr.ExamNo]
		var cardID int64
		if err := w.db.Pool.QueryRow(ctx, `SELECT id FROM cards WHERE candidate_id = $1 AND subject_id = $2`, c.ID, w.subject.ID).Scan(&cardID); err != nil {
			var n int
			w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM exceptions e JOIN pages p ON p.id = e.page_id WHERE p.source_name = $1`, f.names[i]).Scan(&n)
			if n == 0 {
				t.Errorf("%s: no card for %s and no exception", tr.File, tr.ExamNo)
			}
			continue
		}
		var sides int
		w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages WHERE card_id = $1`, cardID).Scan(&sides)
		if sides != 2 {
			t.Errorf("%s: card has %d sides, want 2", tr.File, sides)
		}
		s, p := w.checkScores(t, tr, c.ID, cardID)
		scored += s
		pending += p
	}
	t.Logf("batch %d: %d pages, exceptions %v, %d item scores checked, %d waiting for a person", batchID, pages, kinds, scored, pending)
	if scored == 0 {
		t.Error("no score was checked")
	}
}

// verifyCrops opens every answer crop of a batch the way the marking page
// does and checks it is one whole JPEG, the same size as the other crops of
// its question group.
func (w *world) verifyCrops(t testing.TB, blobs blob.Store, batchID int64) {
	ctx := context.Background()
	rows, err := w.db.Pool.Query(ctx, `
		SELECT c.group_id, c.blob_key, c.blob_offset, coalesce(c.blob_size, 0)
		FROM crops c JOIN pages p ON p.id = c.page_id WHERE p.batch_id = $1`, batchID)
	if err != nil {
		t.Fatal(err)
	}
	type crop struct {
		group int64
		ref   blob.Ref
	}
	var crops []crop
	for rows.Next() {
		var c crop
		if err := rows.Scan(&c.group, &c.ref.Key, &c.ref.Offset, &c.ref.Size); err != nil {
			t.Fatal(err)
		}
		crops = append(crops, c)
	}
	rows.Close()
	if len(crops) == 0 {
		t.Fatal("no crops stored")
	}
	sizes := map[int64]image.Point{}
	for _, c := range crops {
		rc, err := blob.Open(ctx, blobs, c.ref)
		if err != nil {
			t.Fatalf("crop %+v: %v", c.ref, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("crop %+v: %v", c.ref, err)
		}
		if c.ref.Size == 0 || int64(len(data)) != c.ref.Size || !bytes.HasSuffix(data, []byte{0xFF, 0xD9}) {
			t.Fatalf("crop %+v: %d bytes, not one whole JPEG", c.ref, len(data))
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("crop %+v: %v", c.ref, err)
		}
		size := img.Bounds().Size()
		if want, ok := sizes[c.group]; ok && want != size {
			t.Errorf("crop %+v of group %d is %v, others are %v", c.ref, c.group, size, want)
		}
		sizes[c.group] = size
	}
}

// TestPipelineInProcess runs one bag through the embedded pipeline: local
// blobs, in-process queue, the real reader and PostgreSQL.
func TestPipelineInProcess(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 1, 30)
	ctx := context.Background()
	blobs, q := w.inProcess(t)
	room := w.roomIDs[0]
	b := w.batch(t, room)
	f := w.roomFeed(t, room, "typical", 11)
	w.ingest(t, &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}, b.ID, f)
	q.Wait()
	w.verify(t, b.ID, room, f)
	w.verifyCrops(t, blobs, b.ID)

	rec, err := grading.Reconcile(ctx, w.db, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Scanned != len(w.rooms[room]) || len(rec.Missing) != 0 || len(rec.Extra) != 0 {
		t.Errorf("reconciliation %+v: want every one of %d candidates scanned", rec, len(w.rooms[room]))
	}
	if rec.Balanced {
		t.Error("a batch with open exceptions reconciles as balanced")
	}

	// Running every read again changes nothing: handlers are idempotent.
	before := snapshot(t, w.db)
	var ids []int64
	rows, _ := w.db.Pool.Query(ctx, `SELECT id FROM pages WHERE batch_id = $1`, b.ID)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		task, opts := queue.NewPageReadTask(id)
		if err := q.Enqueue(ctx, task, opts...); err != nil {
			t.Fatal(err)
		}
	}
	q.Wait()
	if after := snapshot(t, w.db); after != before {
		t.Errorf("reading the batch again changed the rows:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot summarises the rows a run produces, for comparing runs.
func snapshot(t testing.TB, db *store.DB) string {
	var s string
	err := db.Pool.QueryRow(context.Background(), `
		SELECT concat_ws(' | ',
			(SELECT count(*) FROM pages), (SELECT count(*) FROM cards),
			(SELECT string_agg(kind || ':' || item_no || ':' || COALESCE(page_id::text, '') || ':' || COALESCE(card_id::text, ''), ',' ORDER BY kind, item_no, page_id, card_id) FROM exceptions),
			(SELECT md5(string_agg(candidate_id || ':' || item || ':' || score || ':' || response, ',' ORDER BY candidate_id, item)) FROM item_scores),
			(SELECT count(*) FROM crops), (SELECT count(*) FROM marking_tasks),
			(SELECT md5(string_agg(page_id || ':' || exam_no_verdict || ':' || exam_no_barcode, ',' ORDER BY page_id)) FROM read_results))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(s)
}
