package handler_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/store"
)

// TestExceptionResolution: a card whose exam number is not in the roster
// waits for a technician; the technician names the candidate, another
// person approves, and the page joins the candidate's card with its back
// side and is scored. An answer correction likewise needs a second person
// and leaves who, when, old, new and why in the audit log.
func TestExceptionResolution(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, 1, 10)
	blobs, q := w.inProcess(t)
	room := w.roomIDs[0]
	cands := w.rooms[room]
	b := w.batch(t, room)
	last := len(cands) - 1
	// The last candidate's sticker and grid carry a number nobody has.
	g, err := fixtures.NewGenerator(w.tmpl, fixtures.Options{Level: "clean", Seed: 5, ExamNumbers: func(i int) string {
		if i == last {
			return "3199999999"
		}
		return cands[i].ExamNo
	}})
	if err != nil {
		t.Fatal(err)
	}
	in := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}
	seq := 0
	var lastTruth *fixtures.Truth
	for i := range cands {
		scans, err := g.Card(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scans {
			seq++
			if _, err := in.AddPage(ctx, b.ID, seq, s.Name, s.Image); err != nil {
				t.Fatal(err)
			}
		}
		if i == last {
			lastTruth = &scans[0].Truth
		}
	}
	q.Wait()

	exc, err := store.Exceptions(ctx, w.db.Pool, store.ExceptionFilter{BatchID: b.ID, Status: "open"})
	if err != nil {
		t.Fatal(err)
	}
	var unknown *store.Exception
	for _, e := range exc {
		if e.Kind == "exam_no_unknown" {
			unknown = e
		}
	}
	if unknown == nil {
		t.Fatalf("no exam_no_unknown exception among %d", len(exc))
	}
	rec, _ := grading.Reconcile(ctx, w.db, b.ID)
	if len(rec.Missing) != 1 || rec.Missing[0] != cands[last].ExamNo {
		t.Fatalf("reconciliation missing %v, want [%s]", rec.Missing, cands[last].ExamNo)
	}

	// A change without a reason is refused; with one it waits for approval.
	if _, err := grading.ResolveException(ctx, w.db, unknown.ID, "tech", grading.ExceptionResolution{Action: grading.ActionExamNo, ExamNo: cands[last].ExamNo}); saoyue.ErrorCode(err) != saoyue.EINVALID {
		t.Fatalf("resolution without reason: %v", err)
	}
	e, err := grading.ResolveException(ctx, w.db, unknown.ID, "tech", grading.ExceptionResolution{Action: grading.ActionExamNo,
		ExamNo: cands[last].ExamNo, Reason: "考号贴错，按座位表核对为本人"})
	if err != nil || e.Status != "pending_approval" {
		t.Fatalf("resolve: %v %+v", err, e)
	}
	if err := grading.ApproveException(ctx, w.db, unknown.ID, "tech", true, ""); saoyue.ErrorCode(err) != saoyue.EFORBIDDEN {
		t.Fatalf("self-approval: got %v, want forbidden", err)
	}
	if err := grading.ApproveException(ctx, w.db, unknown.ID, "leader", true, "核对无误"); err != nil {
		t.Fatal(err)
	}
	rec, _ = grading.Reconcile(ctx, w.db, b.ID)
	if len(rec.Missing) != 0 || rec.Scanned != len(cands) {
		t.Fatalf("after approval: %+v", rec)
	}
	var cardID int64
	if err := w.db.Pool.QueryRow(ctx, `SELECT id FROM cards WHERE candidate_id = $1`, cands[last].ID).Scan(&cardID); err != nil {
		t.Fatal(err)
	}
	var sides int
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages WHERE card_id = $1`, cardID).Scan(&sides)
	if sides != 2 {
		t.Errorf("card has %d sides after the exam number was set, want 2 (the back follows the front)", sides)
	}
	w.checkScores(t, lastTruth, cands[last].ID, cardID)
	var audit int
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'exception.apply.exam_no' AND actor = 'tech' AND approved_by = 'leader'
		AND old_value->>'exam_no' = '3199999999' AND new_value->>'exam_no' = $1 AND reason LIKE '考号贴错%'`, cands[last].ExamNo).Scan(&audit)
	if audit != 1 {
		t.Errorf("audit log lacks the exam-number change")
	}

	// An answer correction on item 1 of the first card.
	var first int64
	w.db.Pool.QueryRow(ctx, `SELECT id FROM cards WHERE candidate_id = $1`, cands[0].ID).Scan(&first)
	if err := store.AddException(ctx, w.db.Pool, &store.Exception{BatchID: &b.ID, CardID: &first, Kind: "doubtful", ItemNo: "1", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	exc, _ = store.Exceptions(ctx, w.db.Pool, store.ExceptionFilter{BatchID: b.ID, Status: "open"})
	var doubt *store.Exception
	for _, e := range exc {
		if e.Kind == "doubtful" && e.CardID != nil && *e.CardID == first {
			doubt = e
		}
	}
	want := w.key.Items[1].Answers[0]
	if _, err := grading.ResolveException(ctx, w.db, doubt.ID, "tech", grading.ExceptionResolution{Action: grading.ActionAnswer, Answer: want, Reason: "擦除不净"}); err != nil {
		t.Fatal(err)
	}
	if err := grading.ApproveException(ctx, w.db, doubt.ID, "approver", true, ""); err != nil {
		t.Fatal(err)
	}
	scores, _ := store.CandidateScores(ctx, w.db.Pool, cands[0].ID, w.subject.ID)
	if s := scores["1"]; s.Response != want || s.Score != w.key.Items[1].Points {
		t.Errorf("item 1 after correction: %+v, want %s for %v points", s, want, w.key.Items[1].Points)
	}
	if err := grading.ApproveException(ctx, w.db, doubt.ID, "approver", true, ""); saoyue.ErrorCode(err) != saoyue.ECONFLICT {
		t.Errorf("approving twice: %v", err)
	}
	_ = strconv.Itoa
}
