package marking

import (
	"context"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

func advance(t *testing.T, db *store.DB, req grading.AdvanceRequest) *grading.StageView {
	t.Helper()
	if req.Actor == "" {
		req.Actor = "中心王"
	}
	v, err := grading.Advance(context.Background(), db, req)
	if err != nil {
		t.Fatalf("advance %+v: %v", req, err)
	}
	return v
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
	advance(t, f.db, grading.AdvanceRequest{ExamCode: "32", To: saoyue.StageMarking, Subject: "math"})
	got, err := f.eng.Next(ctx, m, 1)
	if err != nil || len(got.Tasks) != 1 {
		t.Fatalf("next after start: %+v %v", got, err)
	}
	// Answers still to mark hold the exam in marking.
	advance(t, f.db, grading.AdvanceRequest{ExamCode: "32"})
	_, err = grading.Advance(ctx, f.db, grading.AdvanceRequest{ExamCode: "32", Actor: "中心王"})
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
		advance(t, f.db, grading.AdvanceRequest{ExamCode: "33", To: to, Force: true, Reason: "测试：未评完即发布"})
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
