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

// TestSubjectMarkingStart: while the exam scans, a subject is marked only
// once the centre has started its marking.
func TestSubjectMarkingStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMarkingFixture(t, storetest.MarkingSeed{ExamCode: "32", Subject: "math", Schools: 2, TeachersPerSchool: 2, StudentsPerSchool: 3,
		Groups: []store.QuestionGroup{{Code: "1", MaxScore: 6, Step: 1, Mode: "1+0"}}}, MarkingOptions{})
	if _, err := f.db.Pool.Exec(ctx, `WITH e AS (UPDATE exams SET status = 'scanning' WHERE id = $1)
		UPDATE subjects SET marking_opened_at = NULL WHERE id = $2`, f.seed.ExamID, f.seed.SubjectID); err != nil {
		t.Fatal(err)
	}
	m := f.marker(t, f.plan.Groups[0].Markers[0].TeacherID)
	_, err := f.eng.Next(ctx, m, 1)
	wantCode(t, err, saoyue.EFORBIDDEN)
	if !strings.Contains(saoyue.ErrorMessage(err), "还没有开始阅卷") {
		t.Errorf("refusal %q", saoyue.ErrorMessage(err))
	}
	advance(t, f.db, AdvanceRequest{ExamCode: "32", To: saoyue.StageMarking, Subject: "math"})
	got, err := f.eng.Next(ctx, m, 1)
	if err != nil || len(got.Tasks) != 1 {
		t.Fatalf("next after start: %+v %v", got, err)
	}
	// Answers still to mark hold the exam in marking.
	advance(t, f.db, AdvanceRequest{ExamCode: "32"})
	_, err = Advance(ctx, f.db, AdvanceRequest{ExamCode: "32", Actor: "中心王"})
	if !strings.Contains(saoyue.ErrorMessage(err), "份答案还没有评完") {
		t.Errorf("review refusal %v", err)
	}
}

func subjectScores(t *testing.T, db *store.DB, subjectID int64) string {
	t.Helper()
	var s string
	err := db.Pool.QueryRow(context.Background(), `
		SELECT COALESCE(string_agg(candidate_id || ':' || item || '=' || score, ',' ORDER BY candidate_id, item), '')
		FROM item_scores WHERE subject_id = $1`, subjectID).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestNoMarkingAfterFinal is the seam of issue 20: once the exam is final,
// a marker's revision, a leader's re-mark and a fresh mark are refused,
// item_scores stays as it was, and each attempt is in the audit log.
func TestNoMarkingAfterFinal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newMarkingFixture(t, storetest.MarkingSeed{ExamCode: "33", Subject: "math", Schools: 2, TeachersPerSchool: 2, StudentsPerSchool: 4,
		Groups: []store.QuestionGroup{{Code: "1", MaxScore: 6, Step: 1, Mode: "1+0"}}}, MarkingOptions{})
	var leader, marker *Marker
	for _, m := range f.markersOf(t, f.seed.Groups[0]) {
		if m.Leader() && leader == nil {
			leader = m
		} else if !m.Leader() && marker == nil {
			marker = m
		}
	}
	if leader == nil || marker == nil {
		t.Fatalf("plan %+v", f.plan)
	}
	lt, err := f.eng.Next(ctx, leader, 1)
	if err != nil || len(lt.Tasks) != 1 {
		t.Fatalf("leader next %+v %v", lt, err)
	}
	if _, err := f.eng.Submit(ctx, leader, lt.Tasks[0].ID, Submission{Scores: []float64{4}}); err != nil {
		t.Fatal(err)
	}
	mt, err := f.eng.Next(ctx, marker, 2)
	if err != nil || len(mt.Tasks) != 2 {
		t.Fatalf("marker next %+v %v", mt, err)
	}
	if _, err := f.eng.Submit(ctx, marker, mt.Tasks[0].ID, Submission{Scores: []float64{3}}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []saoyue.Stage{saoyue.StageReview, saoyue.StageFinal} {
		advance(t, f.db, AdvanceRequest{ExamCode: "33", To: to, Force: true, Reason: "测试：未评完即发布"})
	}
	before := subjectScores(t, f.db, f.seed.SubjectID)

	_, err = f.eng.Revise(ctx, marker, mt.Tasks[0].ID, []float64{6}, "改判")
	wantCode(t, err, saoyue.EFORBIDDEN)
	if !strings.Contains(saoyue.ErrorMessage(err), "查分改分") {
		t.Errorf("refusal %q", saoyue.ErrorMessage(err))
	}
	wantCode(t, f.eng.LeaderRemark(ctx, leader, lt.Tasks[0].ID, []float64{6}, "组长复评"), saoyue.EFORBIDDEN)
	_, err = f.eng.Submit(ctx, marker, mt.Tasks[1].ID, Submission{Scores: []float64{5}})
	wantCode(t, err, saoyue.EFORBIDDEN)
	_, err = f.eng.Next(ctx, marker, 1)
	wantCode(t, err, saoyue.EFORBIDDEN)

	if after := subjectScores(t, f.db, f.seed.SubjectID); after != before {
		t.Errorf("item_scores changed after final:\n%s\n%s", before, after)
	}
	var refused int
	err = f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'refused' AND reason LIKE '%已发布%'`).Scan(&refused)
	if err != nil || refused != 3 {
		t.Errorf("refused attempts audited: %d %v", refused, err)
	}
}
