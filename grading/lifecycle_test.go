package grading

import (
	"context"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

func advance(t *testing.T, db *store.DB, req AdvanceRequest) *StageView {
	t.Helper()
	if req.Actor == "" {
		req.Actor = "中心王"
	}
	v, err := Advance(context.Background(), db, req)
	if err != nil {
		t.Fatalf("advance %+v: %v", req, err)
	}
	return v
}

// TestAdvanceWalksEveryStage walks a bare exam from setup to archived:
// each failing precondition refuses, forcing needs a reason and is logged
// with what was open, no stage is skipped and none goes back.
func TestAdvanceWalksEveryStage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	exam := &store.Exam{Code: "31", Name: "期末", RoomCapacity: 30, Subjects: []store.Subject{{Code: "math", Name: "数学", Session: "am", FullScore: 100}}}
	if err := db.CreateExam(ctx, exam); err != nil {
		t.Fatal(err)
	}
	_, err := Advance(ctx, db, AdvanceRequest{ExamCode: "31", Actor: "中心王"})
	wantCode(t, err, saoyue.ECONFLICT)
	if !strings.Contains(saoyue.ErrorMessage(err), "考试还没有考生") {
		t.Errorf("refusal %q", saoyue.ErrorMessage(err))
	}
	_, err = Advance(ctx, db, AdvanceRequest{ExamCode: "31", Actor: "中心王", To: saoyue.StageScanning, Force: true, Reason: "x"})
	wantCode(t, err, saoyue.EINVALID) // skipping
	_, err = Advance(ctx, db, AdvanceRequest{ExamCode: "31", Actor: "中心王", Force: true})
	wantCode(t, err, saoyue.EINVALID) // force without reason
	_, err = Advance(ctx, db, AdvanceRequest{ExamCode: "99", Actor: "中心王"})
	wantCode(t, err, saoyue.ENOTFOUND)

	v := advance(t, db, AdvanceRequest{ExamCode: "31", Force: true, Reason: "演练，无考生"})
	if v.Stage != saoyue.StageRostersFrozen || v.Next != saoyue.StageScanning || len(v.Open) != 2 {
		t.Fatalf("after freeze: %+v", v)
	}
	var frozen bool
	if err := db.Pool.QueryRow(ctx, `SELECT numbers_frozen_at IS NOT NULL FROM exams WHERE code = '31'`).Scan(&frozen); err != nil || !frozen {
		t.Errorf("numbers frozen %v %v", frozen, err)
	}
	_, err = Advance(ctx, db, AdvanceRequest{ExamCode: "31", Actor: "中心王"})
	if msg := saoyue.ErrorMessage(err); !strings.Contains(msg, "数学 还没有登记答题卡模板") || !strings.Contains(msg, "数学 还没有导入客观题答案") {
		t.Errorf("scanning refusal %q", msg)
	}
	advance(t, db, AdvanceRequest{ExamCode: "31", Force: true, Reason: "演练"})
	v = advance(t, db, AdvanceRequest{ExamCode: "31", To: saoyue.StageMarking, Subject: "math"})
	if v.Stage != saoyue.StageScanning || !v.Subjects[0].MarkingOpen {
		t.Fatalf("subject marking start: %+v", v)
	}
	_, err = Advance(ctx, db, AdvanceRequest{ExamCode: "31", Actor: "中心王", To: saoyue.StageMarking, Subject: "math"})
	wantCode(t, err, saoyue.ECONFLICT) // started already
	for _, to := range []saoyue.Stage{saoyue.StageMarking, saoyue.StageReview, saoyue.StageFinal} {
		advance(t, db, AdvanceRequest{ExamCode: "31", To: to})
	}
	_, err = Advance(ctx, db, AdvanceRequest{ExamCode: "31", Actor: "中心王", To: saoyue.StageReview})
	wantCode(t, err, saoyue.ECONFLICT) // back
	v = advance(t, db, AdvanceRequest{ExamCode: "31"})
	if v.Stage != saoyue.StageArchived || v.Next != "" {
		t.Fatalf("archived: %+v", v)
	}
	_, err = Advance(ctx, db, AdvanceRequest{ExamCode: "31", Actor: "中心王"})
	wantCode(t, err, saoyue.ECONFLICT)

	h := v.History
	if len(h) != 7 || !h[0].Forced || h[0].Reason != "演练，无考生" || !strings.Contains(string(h[0].OpenItems), "labels") && !strings.Contains(string(h[0].OpenItems), "candidates") ||
		h[2].SubjectCode != "math" || h[2].Forced || h[6].To != "archived" {
		t.Errorf("history %+v", h)
	}
	var audits int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'exam.stage%'`).Scan(&audits); err != nil || audits != 7 {
		t.Errorf("audit rows %d %v", audits, err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if saoyue.ErrorCode(err) != code {
		t.Fatalf("want %s error, got %v", code, err)
	}
}
