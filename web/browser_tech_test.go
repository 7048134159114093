package web

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/web/webtest"
)

// seedExceptions puts a scanned bag of the first school with two doubtful
// readings on one page into the site: what a technician finds after a scan.
func (s *site) seedExceptions() (batchID int64, excs []int64) {
	s.t.Helper()
	ctx := context.Background()
	school := s.seed.Schools[0]
	var room int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT id FROM rooms WHERE school_id = $1 ORDER BY number LIMIT 1`, school).Scan(&room); err != nil {
		s.t.Fatal(err)
	}
	b := &store.Batch{ExamID: s.seed.ExamID, SubjectID: s.seed.SubjectID, SchoolID: school, RoomID: &room, ExpectedCards: 42, CreatedBy: "test"}
	if err := store.CreateBatch(ctx, s.db.Pool, b); err != nil {
		s.t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 1240, 1754))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.Gray{245}}, image.Point{}, draw.Src)
	// Draw the bubbles of item 5 where the reading says they are, so the
	// highlight on the page can be seen to fall on them.
	for x := 300; x < 560; x++ {
		for y := 400; y < 430; y++ {
			if (x-300)%65 < 40 {
				img.Set(x, y, color.Gray{120})
			}
		}
	}
	for y := 300; y < 1500; y += 40 {
		for x := 150; x < 1100; x++ {
			img.Set(x, y, color.Gray{190})
		}
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	key := fmt.Sprintf("webtest/pages/%d-%d.jpg", time.Now().UnixNano(), b.ID)
	if err := s.server.Blobs.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "image/jpeg"); err != nil {
		s.t.Fatal(err)
	}
	var card, page int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT c.id FROM cards c JOIN candidates ca ON ca.id = c.candidate_id WHERE ca.room_id = $1 ORDER BY ca.seat LIMIT 1`, room).Scan(&card); err != nil {
		s.t.Fatal(err)
	}
	if err := s.db.Pool.QueryRow(ctx, `
		INSERT INTO pages (image_sha256, blob_key, batch_id, seq, status) VALUES (md5($1) || md5($1 || 'x'), $1, $2, 1, 'exception') RETURNING id`,
		key, b.ID).Scan(&page); err != nil {
		s.t.Fatal(err)
	}
	result := `{"file":"p1.jpg","template":"math-5","page":1,"rotation":0,"skew_deg":0.4,"width":1240,"height":1754,
		"exam_no":{"barcode":"","grid":"3101010?","value":"","verdict":"unreadable"},
		"items":[{"item":5,"chosen":[],"status":"doubtful","confidence":0.4,"box":[300,400,260,30],"options":[
			{"label":"A","fill":0.08,"darkness":0.1,"strokes":0.02,"state":"empty"},
			{"label":"B","fill":0.46,"darkness":0.38,"strokes":0.3,"state":"doubtful"},
			{"label":"C","fill":0.05,"darkness":0.07,"strokes":0,"state":"empty"},
			{"label":"D","fill":0.41,"darkness":0.35,"strokes":0.28,"state":"doubtful"}]},
		{"item":6,"chosen":["A","C"],"status":"multi","confidence":0.9,"options":[
			{"label":"A","fill":0.81,"darkness":0.7,"strokes":0.6,"state":"marked"},
			{"label":"B","fill":0.04,"darkness":0.05,"strokes":0,"state":"empty"},
			{"label":"C","fill":0.77,"darkness":0.66,"strokes":0.55,"state":"marked"},
			{"label":"D","fill":0.03,"darkness":0.04,"strokes":0,"state":"empty"}]}]}`
	if _, err := s.db.Pool.Exec(ctx, `INSERT INTO read_results (page_id, reader_version, exam_no_grid, exam_no_verdict, result) VALUES ($1, 'test', '3101010?', 'unreadable', $2)`, page, result); err != nil {
		s.t.Fatal(err)
	}
	for _, e := range []*store.Exception{
		{BatchID: &b.ID, PageID: &page, CardID: &card, Kind: "doubtful", ItemNo: "5", Reason: "第 5 题 B、D 两项填涂都不清楚"},
		{BatchID: &b.ID, PageID: &page, CardID: &card, Kind: "multi", ItemNo: "6", Reason: "单选题第 6 题涂了 A 和 C"},
	} {
		if err := store.AddException(ctx, s.db.Pool, e); err != nil {
			s.t.Fatal(err)
		}
	}
	es, err := store.Exceptions(ctx, s.db.Pool, store.ExceptionFilter{BatchID: b.ID})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, e := range es {
		excs = append(excs, e.ID)
	}
	return b.ID, excs
}

// TestBrowserTechnician: a technician sees the bag's reconciliation, then
// clears the exception queue by keyboard: A accepts the first reading, C
// with an answer and a reason sends a correction to the approver, who
// finds it on their page.
func TestBrowserTechnician(t *testing.T) {
	s := newSite(t, "32")
	batch, excs := s.seedExceptions()
	school := s.seed.Schools[0]
	tech := s.user("tech01", false, []saoyue.Role{saoyue.RoleTechnician}, nil, &school)
	s.user("approver", false, []saoyue.Role{saoyue.RoleApprover}, nil, nil)
	ctx := webtest.NewTab(t)
	base := s.srv.URL

	webtest.SignIn(t, ctx, base, "/tech", tech.Login, testPassword)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("reconcile"))); err != nil {
		t.Fatal(err)
	}
	webtest.Shoot(t, ctx, "07-tech-batches")

	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/tech/exceptions"),
		chromedp.WaitVisible(chromedp.ID("exception")),
		webtest.Discard(chromedp.Poll[bool](`document.getElementById("page-img").complete && document.getElementById("page-img").naturalWidth > 0`, chromedp.WithPollingTimeout(45*time.Second))),
	)
	if err != nil {
		t.Fatal(err)
	}
	webtest.Shoot(t, ctx, "08-tech-exception")
	// The item the exception is about is outlined on the page image.
	box, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){const h=document.getElementById("highlight");if(!h)return "";return h.style.left+" "+h.style.top})()`))
	if err != nil || box == "" {
		t.Errorf("no highlight on the page image (%v)", err)
	}
	id, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("exception").dataset.id`))
	if err != nil || id != strconv.FormatInt(excs[0], 10) {
		t.Fatalf("first exception shown: %q %v, want %d", id, err, excs[0])
	}
	// A: the machine read it right.
	if err := chromedp.Do(ctx, webtest.Ready(), chromedp.KeyEvent("a"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#exception[data-id="%d"]`, excs[1])))); err != nil {
		t.Fatal(err)
	}
	// C, the answer, Tab to the reason, Enter: a change, so it waits for approval.
	if err := chromedp.Do(ctx, webtest.Ready(), chromedp.KeyEvent("c"), chromedp.KeyEvent("A"), chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent("核对原卷，C 为擦除不净"), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("no-exceptions"))); err != nil {
		t.Fatal(err)
	}
	if n := s.count(`SELECT count(*) FROM exceptions WHERE batch_id = $1 AND status = 'resolved'`, batch); n != 1 {
		var res string
		_ = s.db.Pool.QueryRow(context.Background(), `SELECT string_agg(resolution::text, ' | ') FROM exceptions`).Scan(&res)
		t.Errorf("%d resolved, want 1: %s", n, res)
	}
	if n := s.count(`SELECT count(*) FROM exceptions WHERE batch_id = $1 AND status = 'pending_approval' AND resolution->>'answer' = 'A'`, batch); n != 1 {
		t.Errorf("%d pending approval with answer A, want 1", n)
	}

	actx := webtest.NewTab(t)
	webtest.SignIn(t, actx, base, "/approvals", "approver", testPassword)
	if err := chromedp.Do(actx, chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("approve-%d", excs[1])))); err != nil {
		t.Fatal(err)
	}
	webtest.Shoot(t, actx, "09-approvals")
}

// TestBrowserDashboard: the centre's numbers move while teachers mark,
// without a reload.
func TestBrowserDashboard(t *testing.T) {
	s := newSite(t, "33")
	s.server.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	s.seedExceptions()
	s.user("centre", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	ctx := webtest.NewTab(t)
	webtest.SignIn(t, ctx, s.srv.URL, "/centre", "centre", testPassword)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("groups"))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		t.Fatal(err, html)
	}
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("k-marked").textContent`))
	if err != nil || before != "0" {
		t.Fatalf("marked before: %q %v", before, err)
	}
	// Two markers mark a few answers through the engine meanwhile.
	eng := s.server.engine()
	as, _ := store.ListMarkingAssignments(context.Background(), s.db.Pool, s.seed.SubjectID)
	for _, a := range as[:2] {
		m, err := eng.Marker(context.Background(), a.TeacherID, s.seed.SubjectID)
		if err != nil {
			t.Fatal(err)
		}
		next, err := eng.Next(context.Background(), m, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range next.Tasks {
			if _, err := eng.Submit(context.Background(), m, task.ID, marking.Submission{Scores: []float64{3, 2}, DurationMS: 6000}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := chromedp.Do(ctx, webtest.Discard(chromedp.Poll[bool](`document.getElementById("k-marked").textContent === "6"`, chromedp.WithPollingTimeout(45*time.Second)))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("k-marked").textContent`))
		t.Fatalf("the dashboard did not move: marked %q", got)
	}
	webtest.Shoot(t, ctx, "10-dashboard")
}
