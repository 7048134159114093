package grading_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
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
	// A new score after final needs a signed-in account; it then waits
	// for a second one with the approver role.
	zhao := makeAccount(t, db, "zhao", saoyue.RoleLeader)
	li := makeAccount(t, db, "li", saoyue.RoleApprover)
	two := 2.0
	_, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req.ID, Answer: "复评后加 2 分", NewScore: &two})
	wantCode(t, "answer with change, nobody signed in", err, saoyue.EUNAUTHORIZED)
	open, err := store.ListReviewRequests(ctx, db.Pool, exam.ID, "open")
	if err != nil || len(open) != 2 {
		t.Fatalf("open requests %v %v", open, err)
	}
	ans, err := grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req.ID, Answer: "复评后加 2 分", By: zhao, NewScore: &two})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Status != "answered" || ans.ScoreChanged || ans.AnsweredBy != "user:zhao" || ans.AnsweredAt == nil {
		t.Errorf("answered %+v", ans)
	}
	pending, _ := store.ListScoreChanges(ctx, db.Pool, "pending")
	if len(pending) != 1 || pending[0].ReviewID == nil || *pending[0].ReviewID != req.ID {
		t.Fatalf("pending changes %+v", pending)
	}
	if err := grading.DecideScoreChange(ctx, db, pending[0].ID, li, true, ""); err != nil {
		t.Fatal(err)
	}
	ans, _ = func() (*store.ReviewRequest, error) {
		r, err := store.GetReviewRequest(ctx, db.Pool, req.ID)
		return &r, err
	}()
	if !ans.ScoreChanged {
		t.Errorf("request after approval %+v", ans)
	}
	audit, _ := store.ScoreAudit(ctx, db.Pool, store.ItemScoreRef{CandidateID: exam.Candidates["G"], SubjectID: exam.Subjects["math"], Item: "4"})
	if len(audit) != 1 || audit[0].ApprovedBy != "user:li" || audit[0].Actor != "user:zhao" {
		t.Fatalf("audit %+v", audit)
	}
	var nv map[string]float64
	_ = json.Unmarshal(audit[0].NewValue, &nv)
	if nv["score"] != 2 || nv["review_request"] != float64(req.ID) {
		t.Errorf("audit new value %s", audit[0].NewValue)
	}
	_, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req.ID, Answer: "again", By: zhao})
	wantCode(t, "answer twice", err, saoyue.ECONFLICT)

	// A whole-subject request answered without a change; a change would
	// need the item.
	_, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req2.ID, Answer: "x", By: zhao, NewScore: &two})
	wantCode(t, "whole subject change without item", err, saoyue.EINVALID)
	ans, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: req2.ID, Answer: "经复核，分数无误", By: zhao})
	if err != nil || ans.ScoreChanged {
		t.Fatalf("answer without change: %+v %v", ans, err)
	}
	all, _ := store.ListReviewRequests(ctx, db.Pool, exam.ID, "")
	if len(all) != 2 || all[0].Status != "answered" || all[1].Answer != "经复核，分数无误" {
		t.Errorf("all requests %+v", all)
	}
	_, err = grading.AnswerReview(ctx, db, grading.ReviewAnswer{ID: 9999, Answer: "x", By: zhao})
	wantCode(t, "unknown request", err, saoyue.ENOTFOUND)
}
