package grading_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if saoyue.ErrorCode(err) != code {
		t.Errorf("%s: got %v (code %q), want code %q", what, err, saoyue.ErrorCode(err), code)
	}
}

func TestReleaseSteps(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exam := reporttest.SeedSmallExam(t, db, "marking")

	wantCode(t, "final before review", grading.Finalize(ctx, db, "21", "中心王"), saoyue.EINVALID)
	wantCode(t, "no actor", grading.OpenReview(ctx, db, "21", " "), saoyue.EINVALID)
	wantCode(t, "unknown exam", grading.OpenReview(ctx, db, "99", "中心王"), saoyue.ENOTFOUND)
	if err := grading.OpenReview(ctx, db, "21", "中心王"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "review twice", grading.OpenReview(ctx, db, "21", "中心王"), saoyue.ECONFLICT)
	if err := grading.Finalize(ctx, db, "21", "中心李"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "final twice", grading.Finalize(ctx, db, "21", "中心李"), saoyue.ECONFLICT)
	wantCode(t, "reopen after final", grading.OpenReview(ctx, db, "21", "中心王"), saoyue.ECONFLICT)

	rel, err := store.GetExamRelease(ctx, db.Pool, exam.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Status != "final" || rel.ReviewOpenedBy != "中心王" || rel.FinalBy != "中心李" || rel.ReviewOpenedAt == nil || rel.FinalAt == nil {
		t.Errorf("release %+v", rel)
	}
}

func TestChangeScoreRule(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exam := reporttest.SeedSmallExam(t, db, "review")
	c := grading.ScoreChange{Exam: "21", ExamNo: exam.ExamNos["E"], Subject: "math", Item: "4", Score: 2, Actor: "一小张老师", Reason: "复核发现漏加 1 分"}
	ref := store.ItemScoreRef{CandidateID: exam.Candidates["E"], SubjectID: exam.Subjects["math"], Item: "4"}

	// Every change needs who and why, and stays within the item.
	bad := c
	bad.Reason = ""
	_, err := grading.ChangeScore(ctx, db, bad)
	wantCode(t, "no reason", err, saoyue.EINVALID)
	bad = c
	bad.Score = 6
	_, err = grading.ChangeScore(ctx, db, bad)
	wantCode(t, "above max", err, saoyue.EINVALID)
	bad = c
	bad.Item = "9"
	_, err = grading.ChangeScore(ctx, db, bad)
	wantCode(t, "unknown item", err, saoyue.ENOTFOUND)
	bad = c
	bad.ExamNo = "2101019999"
	_, err = grading.ChangeScore(ctx, db, bad)
	wantCode(t, "unknown candidate", err, saoyue.ENOTFOUND)

	// In review, no approver is needed, but the change is audited.
	old, err := grading.ChangeScore(ctx, db, c)
	if err != nil {
		t.Fatal(err)
	}
	if old == nil || *old != 1 {
		t.Errorf("old score %v, want 1", old)
	}

	if err := grading.Finalize(ctx, db, "21", "中心李"); err != nil {
		t.Fatal(err)
	}
	// Final: a change without an approver, or approved by oneself, is refused
	// and changes nothing.
	c.Score = 3
	_, err = grading.ChangeScore(ctx, db, c)
	wantCode(t, "final without approver", err, saoyue.EFORBIDDEN)
	self := c
	self.ApprovedBy = c.Actor
	_, err = grading.ChangeScore(ctx, db, self)
	wantCode(t, "final approved by oneself", err, saoyue.EFORBIDDEN)
	res, _, _, _, err := report.Load(ctx, db, "21")
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Candidates[4].Subjects[0].Scores[3]; s != 2 {
		t.Fatalf("after refused changes E's item 4 is %v, want 2", s)
	}

	c.ApprovedBy = "中心李"
	if _, err := grading.ChangeScore(ctx, db, c); err != nil {
		t.Fatal(err)
	}
	audit, err := store.ScoreAudit(ctx, db.Pool, ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 {
		t.Fatalf("audit %+v", audit)
	}
	a := audit[1]
	var oldV, newV map[string]float64
	_ = json.Unmarshal(a.OldValue, &oldV)
	_ = json.Unmarshal(a.NewValue, &newV)
	if a.Actor != "一小张老师" || a.ApprovedBy != "中心李" || a.Reason != c.Reason || oldV["score"] != 2 || newV["score"] != 3 {
		t.Errorf("audit entry %+v old %v new %v", a, oldV, newV)
	}
	if audit[0].ApprovedBy != "" {
		t.Errorf("first change approved by %q", audit[0].ApprovedBy)
	}

	// The report sees the new score: E's math is now 0+2+0+3 = 5.
	r, err := report.Generate(ctx, db, "21", report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Scores[4].Subjects[0].Total; got != 5 {
		t.Errorf("E's math in the report %v, want 5", got)
	}
}

func TestReviewRequests(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exam := reporttest.SeedSmallExam(t, db, "marking")
	in := grading.ReviewRequestInput{Exam: "21", ExamNo: exam.ExamNos["G"], Subject: "math", Item: "4", RequestedBy: "二小教务处", Reason: "学生认为第4题少给分"}

	_, err := grading.RequestReview(ctx, db, in)
	wantCode(t, "request before results are out", err, saoyue.EINVALID)
	if err := grading.OpenReview(ctx, db, "21", "中心王"); err != nil {
		t.Fatal(err)
	}
	req, err := grading.RequestReview(ctx, db, in)
	if err != nil {
		t.Fatal(err)
	}
	if req.Status != "open" || req.ExamNo != exam.ExamNos["G"] || req.CandidateName != "G" || req.SubjectName != "数学" || req.SchoolCode != "0102" {
		t.Errorf("request %+v", req)
	}
	whole := in
	whole.Item, whole.ExamNo = "", exam.ExamNos["F"]
	req2, err := grading.RequestReview(ctx, db, whole)
	if err != nil {
		t.Fatal(err)
	}
	bad := in
	bad.Item = "99"
	_, err = grading.RequestReview(ctx, db, bad)
	wantCode(t, "unknown item", err, saoyue.ENOTFOUND)

	// Unanswered requests hold the exam in review; the centre may force it
	// final with a recorded reason (the requests are then answered later).
	wantCode(t, "final with open requests", grading.Finalize(ctx, db, "21", "中心李"), saoyue.ECONFLICT)
	if _, err := grading.Advance(ctx, db, grading.AdvanceRequest{ExamCode: "21", Actor: "中心李", Force: true, Reason: "按时发布，查分随后答复"}); err != nil {
		t.Fatal(err)
	}
	// A new score after final needs an approver; the refusal leaves the
	// request open.
	two := 2.0
	_, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req.ID, Answer: "复评后加 2 分", AnsweredBy: "题组长赵", NewScore: &two})
	wantCode(t, "answer with change, no approver", err, saoyue.EFORBIDDEN)
	open, err := store.ListReviewRequests(ctx, db.Pool, exam.ID, "open")
	if err != nil || len(open) != 2 {
		t.Fatalf("open requests %v %v", open, err)
	}
	ans, err := grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req.ID, Answer: "复评后加 2 分", AnsweredBy: "题组长赵", NewScore: &two, ApprovedBy: "中心李"})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Status != "answered" || !ans.ScoreChanged || ans.AnsweredBy != "题组长赵" || ans.AnsweredAt == nil {
		t.Errorf("answered %+v", ans)
	}
	audit, _ := store.ScoreAudit(ctx, db.Pool, store.ItemScoreRef{CandidateID: exam.Candidates["G"], SubjectID: exam.Subjects["math"], Item: "4"})
	if len(audit) != 1 || audit[0].ApprovedBy != "中心李" {
		t.Fatalf("audit %+v", audit)
	}
	var nv map[string]float64
	_ = json.Unmarshal(audit[0].NewValue, &nv)
	if nv["score"] != 2 || nv["review_request"] != float64(req.ID) {
		t.Errorf("audit new value %s", audit[0].NewValue)
	}
	_, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req.ID, Answer: "again", AnsweredBy: "x"})
	wantCode(t, "answer twice", err, saoyue.ECONFLICT)

	// A whole-subject request answered without a change; a change would
	// need the item.
	_, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req2.ID, Answer: "x", AnsweredBy: "题组长赵", NewScore: &two, ApprovedBy: "中心李"})
	wantCode(t, "whole subject change without item", err, saoyue.EINVALID)
	ans, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req2.ID, Answer: "经复核，分数无误", AnsweredBy: "题组长赵"})
	if err != nil || ans.ScoreChanged {
		t.Fatalf("answer without change: %+v %v", ans, err)
	}
	all, _ := store.ListReviewRequests(ctx, db.Pool, exam.ID, "")
	if len(all) != 2 || all[0].Status != "answered" || all[1].Answer != "经复核，分数无误" {
		t.Errorf("all requests %+v", all)
	}
	_, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: 9999, Answer: "x", AnsweredBy: "x"})
	wantCode(t, "unknown request", err, saoyue.ENOTFOUND)
}
