package report_test

import (
	"context"
	"math"
	"testing"

	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// Exam 22: A 6, B 9, C 9, D 3, E 7, J (not in 21) none. In exam 21's math
// the county ranks were A1 B2 D2 C4 E7 of 7; in 22: B1 C1 E3 A4 D5 of 5.
// So B: 8 → 9, rank 2 → 1; A: 10 → 6, rank 1 → 4; E: 3 → 7, rank 7 → 3.
// School 0101: 5 matched, mean change (−4 + 1 + 3 − 5 + 4)/5 = −0.2.
func TestProgressFromDatabase(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	reporttest.SeedSmallExam(t, db, "final")
	reporttest.SeedFollowUpExam(t, db, "22", map[string]float64{"A": 6, "B": 9, "C": 9, "D": 3, "E": 7})
	ctx := context.Background()
	r, err := report.Generate(ctx, db, "22", report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Compare(ctx, db, r, "21"); err != nil {
		t.Fatal(err)
	}
	f := openWorkbook(t, r)
	rows, idx := sheetCells(t, f, "进退步-学生")
	if len(rows) != 6 {
		t.Fatalf("%d student rows, want 5", len(rows)-1)
	}
	for i, w := range []struct {
		name         string
		change, rank float64
	}{{"A", -4, -3}, {"B", 1, 1}, {"E", 4, 4}} {
		_ = i
		for r := 1; r < len(rows); r++ {
			if rows[r][idx["姓名"]] == w.name {
				near(t, w.name+" change", cellNum(t, rows, idx, r, "数学分数变化"), w.change)
				near(t, w.name+" rank change", cellNum(t, rows, idx, r, "数学名次变化"), w.rank)
			}
		}
	}
	rows, idx = sheetCells(t, f, "进退步-学校班级")
	if rows[2][idx["学校代码"]] != "0101" || cellNum(t, rows, idx, 2, "匹配人数") != 5 {
		t.Fatalf("school row %v", rows[2])
	}
	near(t, "0101 mean change", cellNum(t, rows, idx, 2, "平均分变化"), -0.2)

	if err := report.Compare(ctx, db, r, "22"); err == nil {
		t.Error("compared with itself")
	}
	if err := report.Compare(ctx, db, r, "99"); err == nil {
		t.Error("compared with a missing exam")
	}
}

// A plain recomputation on two generated exams sharing 80% of students.
func TestProgressRecomputed(t *testing.T) {
	t.Parallel()
	prev := genExam(6, 2, 20, 10, 3, 5)
	cur := genExam(6, 2, 20, 10, 3, 6)
	for i := range prev.Candidates {
		prev.Candidates[i].StudentID = int64(i + 1)
	}
	for i := range cur.Candidates {
		cur.Candidates[i].StudentID = int64(i + 1 + len(cur.Candidates)/5) // the first fifth are new
	}
	r, err := report.Build(cur, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AttachComparison(prev); err != nil {
		t.Fatal(err)
	}
	total := func(c stats.CandidateResults) (float64, bool) {
		if c.Subjects[0].Status != stats.Present {
			return 0, false
		}
		s := 0.0
		for _, v := range c.Subjects[0].Scores {
			s += v
		}
		return s, true
	}
	rankOf := func(e *stats.ExamResults, x float64) int {
		better := 1
		for _, c := range e.Candidates {
			if y, ok := total(c); ok && y > x+1e-9 {
				better++
			}
		}
		return better
	}
	byID := map[int64]stats.CandidateResults{}
	for _, c := range prev.Candidates {
		byID[c.StudentID] = c
	}
	matched, sum := 0, 0.0
	for _, row := range r.Compare.Rows {
		c := cur.Candidates[row.Cur]
		p, ok := byID[c.StudentID]
		if !ok {
			t.Fatalf("%s matched to nobody", c.ExamNo)
		}
		x, okc := total(c)
		y, okp := total(p)
		cell := row.Cells[0]
		if cell.Matched != (okc && okp) {
			t.Errorf("%s matched %v", c.ExamNo, cell.Matched)
			continue
		}
		if !cell.Matched {
			continue
		}
		matched++
		sum += x - y
		near(t, "change", cell.ScoreChange, x-y)
		if got, want := cell.RankChange, rankOf(prev, y)-rankOf(cur, x); got != want {
			t.Errorf("%s rank change %d, want %d", c.ExamNo, got, want)
		}
	}
	if matched < len(cur.Candidates)/2 {
		t.Fatalf("only %d matched", matched)
	}
	s := stats.SummarizeProgress(cur, r.Compare.Rows, 0, nil)
	if s.Matched != matched || math.Abs(s.MeanScoreChange-sum/float64(matched)) > 1e-9 {
		t.Errorf("summary %+v, want %d matched, mean %v", s, matched, sum/float64(matched))
	}
}
