package report_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// The small exam as a sample: 0101 has 50 students of the grade in the
// roster (5 sampled: weight 10), 0102 has 8 (4 sampled: weight 2). By hand,
// math (A–E of 0101: 10 8 6 8 3; F G of 0102: 5 5):
//
//	Σw = 5×10 + 2×2 = 54; mean = (35×10 + 10×2)/54 = 185/27
//	pass (≥ 6): A B C D of 0101 → 40/54 = 20/27
//	E[x²] = (10×273 + 2×50)/54 = 2830/54; variance = 2830/54 − (185/27)² = 3980/729
//	0101 超均率 = (7 − 185/27)/(185/27) = 4/185
//	item 1 county P = (6×10 + 2×2)/54/2 = 16/27
func TestSampleWeightsByHand(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	reporttest.SeedSmallExam(t, db, "final")
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE exams SET sample_size = 42, grade = '五年级' WHERE code = '21'`)
	for school, extra := range map[string]int{"0101": 45, "0102": 4} {
		for i := 0; i < extra; i++ {
			exec(`INSERT INTO students (school_id, student_no, name, grade, class_name)
				SELECT id, $2, '未抽中', '五年级', '1班' FROM schools WHERE code = $1`, school, fmt.Sprintf("X%s%02d", school, i))
		}
		// Another grade does not count.
		exec(`INSERT INTO students (school_id, student_no, name, grade) SELECT id, $2, '四年级生', '四年级' FROM schools WHERE code = $1`, school, "G4"+school)
	}
	r, err := report.Generate(ctx, db, "21", report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Results.Sampled || len(r.Results.Weights) != 2 || r.Results.Weights[0].Weight != 10 || r.Results.Weights[1].Weight != 2 {
		t.Fatalf("weights %+v", r.Results.Weights)
	}
	county := r.Tables[0]
	near(t, "weighted mean", county.Mean, 185.0/27)
	near(t, "weighted pass rate", county.PassRate, 20.0/27)
	near(t, "weighted SD", county.SD, math.Sqrt(3980.0/729))
	if county.Counted != 7 || county.Registered != 9 {
		t.Errorf("headcounts weighted: %+v", county)
	}
	near(t, "0101 超均率 against the weighted county", r.Tables[1].OverMean, 4.0/185)
	near(t, "0101 mean unchanged", r.Tables[1].Mean, 7)
	near(t, "item 1 county P", r.Rates[0].Rows[0].Rates[0], 16.0/27)
	near(t, "item 1 P in the item analysis", r.Analyses[0].Items[0].P, 16.0/27)

	f := openWorkbook(t, r)
	rows, idx := sheetCells(t, f, "抽样权重")
	if len(rows) != 3 || cellNum(t, rows, idx, 1, "学籍人数") != 50 || cellNum(t, rows, idx, 2, "样本人数") != 4 || cellNum(t, rows, idx, 1, "权重") != 10 {
		t.Errorf("weights sheet %v", rows)
	}
	cover, _ := f.GetRows("说明")
	var text strings.Builder
	for _, row := range cover {
		text.WriteString(strings.Join(row, " "))
	}
	if !strings.Contains(text.String(), "抽样加权") || !strings.Contains(text.String(), "不加权的") {
		t.Error("the cover does not say which figures are weighted")
	}
}

// A plain recomputation of the weighted county figures on a generated exam
// whose twelve schools carry weights 1.5, 3, 4.5 …
func TestSampleWeightsRecomputed(t *testing.T) {
	t.Parallel()
	res := genExam(12, 2, 21, 20, 5, 3)
	enrol := map[string]int{}
	sample := map[string]int{}
	for _, c := range res.Candidates {
		sample[c.SchoolCode]++
	}
	k := 0
	for code, n := range sample {
		k++
		enrol[code] = n * 3 * (k + 1) / 2
	}
	if w := stats.ApplySampleWeights(res, enrol); len(w) != 0 {
		t.Fatal(w)
	}
	r, err := report.Build(res, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	paper := res.Subjects[0]
	var sw, swx, swx2, pass float64
	items := make([]float64, len(paper.Items))
	nb := int(math.Ceil(paper.FullScore / 10))
	bands := make([]float64, nb)
	atLeast60 := 0.0
	for _, c := range res.Candidates {
		if c.Subjects[0].Status != stats.Present {
			continue
		}
		w := float64(enrol[c.SchoolCode]) / float64(sample[c.SchoolCode])
		var x float64
		for j, v := range c.Subjects[0].Scores {
			x += v
			items[j] += w * v
		}
		sw += w
		swx += w * x
		swx2 += w * x * x
		if x >= 0.6*paper.FullScore-1e-9 {
			pass += w
		}
		if x >= 60 {
			atLeast60 += w
		}
		b := min(int(x/10), nb-1)
		bands[b] += w
	}
	m := swx / sw
	county := r.Tables[0]
	near(t, "county mean", county.Mean, m)
	near(t, "county SD", county.SD, math.Sqrt(swx2/sw-m*m))
	near(t, "county pass rate", county.PassRate, pass/sw)
	for j, it := range paper.Items {
		near(t, "county P item "+it.Code, r.Rates[0].Rows[0].Rates[j], items[j]/sw/it.Max)
		near(t, "item analysis P item "+it.Code, r.Analyses[0].Items[j].P, items[j]/sw/it.Max)
	}
	if len(r.Bands[0].Bands) != nb {
		t.Fatalf("%d bands, want %d", len(r.Bands[0].Bands), nb)
	}
	for b := range bands {
		near(t, fmt.Sprint("county band share ", b), r.Bands[0].Shares[0][b], bands[b]/sw)
	}
	for _, row := range r.OnePoint[0].Rows {
		if row.Score == 60 {
			near(t, "one-point cumulative share at 60", row.CumulativeRate, atLeast60/sw)
		}
	}
	// Schools are unchanged by weighting: compare with the same exam unweighted.
	plain := genExam(12, 2, 21, 20, 5, 3)
	rp, _ := report.Build(plain, store.DefaultReportSettings, report.Filter{})
	for i, g := range r.Tables {
		if g.Level == stats.LevelSchool {
			near(t, "school mean "+g.SchoolCode, g.Mean, rp.Tables[i].Mean)
			near(t, "school SD "+g.SchoolCode, g.SD, rp.Tables[i].SD)
		}
	}
}
