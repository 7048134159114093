package report_test

import (
	"math"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/store"
)

// plainReliability computes α and KR-20 of subject 0 the textbook way,
// independently of stats.AnalyzeItems: population variances over the
// present candidates, α = k/(k−1)(1 − Σσⱼ²/σ²), KR-20 = k/(k−1)(1 − Σpⱼqⱼ/σ²)
// with pⱼ the share scoring the item's maximum.
func plainReliability(res *stats.ExamResults) (alpha, kr20, sd float64) {
	items := res.Subjects[0].Items
	k := float64(len(items))
	var rows [][]float64
	for _, c := range res.Candidates {
		if c.Subjects[0].Status == stats.Present {
			rows = append(rows, c.Subjects[0].Scores)
		}
	}
	n := float64(len(rows))
	variance := func(get func([]float64) float64) float64 {
		var s, s2 float64
		for _, r := range rows {
			v := get(r)
			s += v
			s2 += v * v
		}
		m := s / n
		return s2/n - m*m
	}
	total := variance(func(r []float64) float64 {
		var t float64
		for _, v := range r {
			t += v
		}
		return t
	})
	var sumVar, sumPQ float64
	for j, it := range items {
		sumVar += variance(func(r []float64) float64 { return r[j] })
		var full float64
		for _, r := range rows {
			if r[j] == it.Max {
				full++
			}
		}
		p := full / n
		sumPQ += p * (1 - p)
	}
	return k / (k - 1) * (1 - sumVar/total), k / (k - 1) * (1 - sumPQ/total), math.Sqrt(total)
}

// TestReliabilityRecomputed checks α, SEM and the KR-20 rule on generated
// exams against plainReliability: with 2-point items and 10-point groups
// KR-20 is not reported (it would differ from α); on a paper of 0/1 items
// it is, and equals the Σpq formula.
func TestReliabilityRecomputed(t *testing.T) {
	t.Parallel()
	mixed := genExam(6, 2, 25, 10, 4, 21)
	r, err := report.Build(mixed, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	alpha, kr20, sd := plainReliability(mixed)
	p := r.Analyses[0].Paper
	near(t, "mixed α", p.Alpha, alpha)
	near(t, "mixed SEM", p.SEM, sd*math.Sqrt(1-alpha))
	if !math.IsNaN(p.KR20) {
		t.Errorf("KR-20 %v reported for 2- and 10-point items (Σpq gives %v, α %v)", p.KR20, kr20, alpha)
	}
	f := openWorkbook(t, r)
	rows, idx := sheetCells(t, f, "试卷信度")
	near(t, "mixed α cell", cellNum(t, rows, idx, 1, "α系数"), alpha)
	if got := rows[1][idx["KR-20"]]; got != "" {
		t.Errorf("KR-20 cell %q for a paper that is not 0/1 scored", got)
	}

	// The same candidates on a 0/1 paper: each 2-point item scored 1 or 0.
	binary := genExam(6, 2, 25, 30, 0, 22)
	paper := &binary.Subjects[0]
	paper.FullScore = float64(len(paper.Items))
	for j := range paper.Items {
		paper.Items[j].Max, paper.Items[j].Kind = 1, saoyue.ItemTF
	}
	for i := range binary.Candidates {
		sc := binary.Candidates[i].Subjects[0].Scores
		for j := range sc {
			sc[j] /= 2
		}
	}
	r, err = report.Build(binary, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	alpha, kr20, _ = plainReliability(binary)
	near(t, "0/1 KR-20 by Σpq", r.Analyses[0].Paper.KR20, kr20)
	near(t, "0/1 α", r.Analyses[0].Paper.Alpha, alpha)
	f = openWorkbook(t, r)
	rows, idx = sheetCells(t, f, "试卷信度")
	near(t, "0/1 KR-20 cell", cellNum(t, rows, idx, 1, "KR-20"), kr20)
}
