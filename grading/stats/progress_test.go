package stats

import (
	"math"
	"testing"
)

func oneSubjectExam(code string, students []int64, scores []float64) *ExamResults {
	e := &ExamResults{Code: code, Subjects: []SubjectPaper{{Code: "math", Name: "数学", FullScore: 10, Items: []PaperItem{{Code: "1", Max: 10}}}}}
	for i, id := range students {
		e.Candidates = append(e.Candidates, CandidateResults{ExamNo: code + string(rune('0'+i)), StudentID: id, SchoolCode: "01", Class: "1班",
			Subjects: []SubjectResult{{Status: Present, Scores: []float64{scores[i]}}}})
	}
	return e
}

// 进退步 by hand. Earlier: S1 10, S2 8, S3 6, S4 4 (ranks 1–4 of 4). Now:
// S2 9, S3 9, S4 3, S5 7 (ranks S2 1, S3 1, S5 3, S4 4 of 4).
//
//	S2: 8 → 9 (+1), rank 2 → 1 (+1), percentile (4−2)/4 = .5 → .75 (+.25)
//	S3: 6 → 9 (+3), rank 3 → 1 (+2), .25 → .75 (+.5)
//	S4: 4 → 3 (−1), rank 4 → 4 (0), 0 → 0
//	summary: 3 matched, mean change 1, mean rank change 1, 2 up, 0 down, 1 same
func TestProgressByHand(t *testing.T) {
	prev := oneSubjectExam("21", []int64{1, 2, 3, 4}, []float64{10, 8, 6, 4})
	cur := oneSubjectExam("22", []int64{2, 3, 4, 5}, []float64{9, 9, 3, 7})
	subjects := CompareSubjects(cur, prev)
	if len(subjects) != 1 || subjects[0].Cur != 0 || subjects[0].Prev != 0 {
		t.Fatalf("subjects %+v", subjects)
	}
	rows := Progress(cur, prev, ComputeScores(cur), ComputeScores(prev), subjects)
	if len(rows) != 3 {
		t.Fatalf("%d matched, want 3", len(rows))
	}
	want := []struct {
		change float64
		rank   int
		pct    float64
	}{{1, 1, 0.25}, {3, 2, 0.5}, {-1, 0, 0}}
	for i, w := range want {
		c := rows[i].Cells[0]
		if !c.Matched || c.ScoreChange != w.change || c.RankChange != w.rank {
			t.Errorf("row %d: %+v, want %+v", i, c, w)
		}
		near(t, "percentile change", c.PercentileDelta, w.pct)
	}
	s := SummarizeProgress(cur, rows, 0, nil)
	if s.Matched != 3 || s.Up != 2 || s.Down != 0 || s.Same != 1 {
		t.Errorf("summary %+v", s)
	}
	near(t, "mean change", s.MeanScoreChange, 1)
	near(t, "mean rank change", s.MeanRankChange, 1)
	near(t, "mean earlier", s.MeanPrev, 6)

	// Absent now: listed, not matched, not counted.
	cur.Candidates[0].Subjects[0].Status = Absent
	rows = Progress(cur, prev, ComputeScores(cur), ComputeScores(prev), subjects)
	if rows[0].Cells[0].Matched || SummarizeProgress(cur, rows, 0, nil).Matched != 2 {
		t.Errorf("absent student compared: %+v", rows[0])
	}
	near(t, "nobody", SummarizeProgress(cur, rows, 0, func(*CandidateResults) bool { return false }).MeanScoreChange, math.NaN())
}
