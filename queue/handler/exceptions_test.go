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

	tech := account(t, w.db, "tech", saoyue.RoleCentre, saoyue.RoleApprover)
	leader := account(t, w.db, "leader", saoyue.RoleApprover)
	approver := account(t, w.db, "approver", saoyue.RoleApprover)
	// A change without a reason is refused; with one it waits for approval.
	if _, err := grading.ResolveException(ctx, w.db, unknown.ID, "tech", grading.ExceptionResolution{Action: grading.ActionExamNo, ExamNo: cands[last].ExamNo}); saoyue.ErrorCode(err) != saoyue.EINVALID {
		t.Fatalf("resolution without reason: %v", err)
	}
	e, err := grading.ResolveExceptionBy(ctx, w.db, unknown.ID, tech, grading.ExceptionResolution{Action: grading.ActionExamNo,
		ExamNo: cands[last].ExamNo, Reason: "考号贴错，按座位表核对为本人"})
	if err != nil || e.Status != "pending_approval" {
		t.Fatalf("resolve: %v %+v", err, e)
	}
	if err := grading.ApproveException(ctx, w.db, unknown.ID, tech, true, ""); saoyue.ErrorCode(err) != saoyue.EFORBIDDEN {
		t.Fatalf("self-approval: got %v, want forbidden", err)
	}
	if err := grading.ApproveException(ctx, w.db, unknown.ID, leader, true, "核对无误"); err != nil {
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
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'exception.apply.exam_no' AND actor = 'user:tech' AND approved_by = 'user:leader' AND actor_user_id = $2 AND approver_user_id = $3
		AND old_value->>'exam_no' = '3199999999' AND new_value->>'exam_no' = $1 AND reason LIKE '考号贴错%'`, cands[last].ExamNo, tech.ID, leader.ID).Scan(&audit)
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
	if _, err := grading.ResolveExceptionBy(ctx, w.db, doubt.ID, tech, grading.ExceptionResolution{Action: grading.ActionAnswer, Answer: want, Reason: "擦除不净"}); err != nil {
		t.Fatal(err)
	}
	if err := grading.ApproveException(ctx, w.db, doubt.ID, approver, true, ""); err != nil {
		t.Fatal(err)
	}
	scores, _ := store.CandidateScores(ctx, w.db.Pool, cands[0].ID, w.subject.ID)
	if s := scores["1"]; s.Response != want || s.Score != w.key.Items[1].Points {
		t.Errorf("item 1 after correction: %+v, want %s for %v points", s, want, w.key.Items[1].Points)
	}
	if err := grading.ApproveException(ctx, w.db, doubt.ID, approver, true, ""); saoyue.ErrorCode(err) != saoyue.ECONFLICT {
		t.Errorf("approving twice: %v", err)
	}
	_ = strconv.Itoa
}

// account makes an account with a known password for approvals.
func account(t testing.TB, db *store.DB, login string, roles ...saoyue.Role) *store.User {
	t.Helper()
	u := &store.User{Login: login, Name: login, PasswordHash: "x", Roles: roles}
	if err := store.CreateUser(context.Background(), db.Pool, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestExamNoFixOnUnreadablePageCode: an approved exam-number fix on a page
// whose page code (QR) could not be read (no template, no page number, no
// card) places the page as the candidate's first side; the back follows
// and the card is scored. The old code answered 500 and the correction
// stayed pending.
func TestExamNoFixOnUnreadablePageCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, 1, 3)
	blobs, q := w.inProcess(t)
	room := w.roomIDs[0]
	cands := w.rooms[room]
	b := w.batch(t, room)
	g := w.generator(t, room, "clean", 7)
	in := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}
	seq := 0
	var truth *fixtures.Truth
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
		truth = &scans[0].Truth
	}
	q.Wait()
	c := cands[len(cands)-1]
	var cardID, front int64
	if err := w.db.Pool.QueryRow(ctx, `SELECT c.id, p.id FROM cards c JOIN pages p ON p.card_id = c.id AND p.page_no = 1 WHERE c.candidate_id = $1`, c.ID).Scan(&cardID, &front); err != nil {
		t.Fatal(err)
	}
	// As the reader leaves a page whose page code it cannot read.
	for _, sql := range []string{
		`UPDATE crops SET card_id = NULL WHERE card_id = $1`,
		`UPDATE pages SET card_id = NULL, status = CASE WHEN page_no = 1 THEN 'exception' ELSE status END,
			template_id = CASE WHEN page_no = 1 THEN NULL ELSE template_id END WHERE card_id = $1`,
		`UPDATE pages SET page_no = NULL WHERE template_id IS NULL AND batch_id IN (SELECT batch_id FROM cards WHERE id = $1)`,
		`DELETE FROM item_scores WHERE candidate_id = (SELECT candidate_id FROM cards WHERE id = $1)`,
	} {
		if _, err := w.db.Pool.Exec(ctx, sql, cardID); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if err := store.AddException(ctx, w.db.Pool, &store.Exception{BatchID: &b.ID, PageID: &front, Kind: "page_identity", Reason: "页码二维码无法识别：版式规定的位置上找不到页码二维码"}); err != nil {
		t.Fatal(err)
	}
	exc, _ := store.Exceptions(ctx, w.db.Pool, store.ExceptionFilter{BatchID: b.ID, Status: "open"})
	var e *store.Exception
	for _, x := range exc {
		if x.Kind == "page_identity" {
			e = x
		}
	}
	tech := account(t, w.db, "tech", saoyue.RoleCentre)
	li := account(t, w.db, "li", saoyue.RoleApprover)
	if _, err := grading.ResolveExceptionBy(ctx, w.db, e.ID, tech, grading.ExceptionResolution{Action: grading.ActionExamNo, ExamNo: c.ExamNo, Reason: "二维码污损，按条形码核对"}); err != nil {
		t.Fatal(err)
	}
	if err := grading.ApproveException(ctx, w.db, e.ID, li, true, ""); err != nil {
		t.Fatalf("approve the fix: %v (code %s)", err, saoyue.ErrorCode(err))
	}
	got, _ := store.GetException(ctx, w.db.Pool, e.ID, false)
	if got.Status != "resolved" {
		t.Errorf("exception is %s after approval", got.Status)
	}
	var sides int
	var pageNo *int
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages WHERE card_id = $1`, cardID).Scan(&sides)
	w.db.Pool.QueryRow(ctx, `SELECT page_no FROM pages WHERE id = $1`, front).Scan(&pageNo)
	if sides != 2 || pageNo == nil || *pageNo != 1 {
		t.Errorf("card has %d sides, front page_no %v; want 2 sides, page 1", sides, pageNo)
	}
	if scored, _ := w.checkScores(t, truth, c.ID, cardID); scored == 0 {
		t.Errorf("the card was not scored")
	}
}
