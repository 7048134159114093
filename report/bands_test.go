package report_test

import (
	"math"
	"sort"
	"testing"

	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/store"
)

// grading's TestBandsByHand through the database and the workbook.
func TestBandTablesInWorkbook(t *testing.T) {
	t.Parallel()
	r, _ := generate(t, report.Filter{})
	f := openWorkbook(t, r)

	rows, idx := sheetCells(t, f, "成绩总表")
	near(t, "A's math Z", cellNum(t, rows, idx, 1, "数学Z分"), 25/math.Sqrt(236))
	near(t, "A's math T", cellNum(t, rows, idx, 1, "数学T分"), 50+250/math.Sqrt(236))
	if rows[2][idx["数学等级"]] != "B" || rows[5][idx["数学等级"]] != "E" {
		t.Errorf("grades B, E: %q %q", rows[2][idx["数学等级"]], rows[5][idx["数学等级"]])
	}

	rows, idx = sheetCells(t, f, "等级分布-数学")
	if rows[1][idx["学校"]] != "全县" || cellNum(t, rows, idx, 1, "B等人数") != 2 || cellNum(t, rows, idx, 1, "D等人数") != 2 {
		t.Errorf("county grades %v", rows[1])
	}
	near(t, "county 良好率", cellNum(t, rows, idx, 1, "良好率"), 3.0/7)

	rows, idx = sheetCells(t, f, "三率一分")
	if rows[1][idx["学校代码"]] != "0101" || rows[1][idx["班级"]] != "" {
		t.Fatalf("first composite row %v", rows[1])
	}
	near(t, "0101 composite", cellNum(t, rows, idx, 1, "综合得分"), 64)
	if cellNum(t, rows, idx, 1, "综合名次") != 1 {
		t.Errorf("0101 composite rank %v", rows[1])
	}

	rows, idx = sheetCells(t, f, "临界生")
	// Margin 5% of 10 = 0.5: pass [5.5, 6.5) → C; excellent [8, 9) → B, D.
	var got []string
	for _, row := range rows[1:] {
		if row[idx["学科"]] == "数学" {
			got = append(got, row[idx["姓名"]]+row[idx["分数线"]]+row[idx["位置"]])
		}
	}
	want := []string{"C及格线线上", "B优秀线线下", "D优秀线线下"}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("math 临界生 %v, want %v", got, want)
	}
	rows, idx = sheetCells(t, f, "名次段")
	if rows[0][idx["前50名人数"]] != "前50名人数" || cellNum(t, rows, idx, 1, "前50名人数") != 7 {
		t.Errorf("county top 50 %v", rows[1])
	}
}

// A plain recomputation on a generated exam: Z, grades by percentile,
// 名次段 per school, 临界生 and the composite ranking of schools.
func TestBandTablesRecomputed(t *testing.T) {
	t.Parallel()
	res := genExam(10, 2, 30, 20, 5, 4)
	st := store.DefaultReportSettings
	st.GradeMode, st.TopN = stats.GradeByPercentile, []int{30, 100}
	r, err := report.Build(res, st, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	full := res.Subjects[0].FullScore
	type cand struct {
		i      int
		school string
		x      float64
	}
	var present []cand
	for i, c := range res.Candidates {
		if c.Subjects[0].Status != stats.Present {
			continue
		}
		var x float64
		for _, v := range c.Subjects[0].Scores {
			x += v
		}
		present = append(present, cand{i, c.SchoolCode, x})
	}
	n := float64(len(present))
	var sum, sum2 float64
	for _, c := range present {
		sum += c.x
		sum2 += c.x * c.x
	}
	mean := sum / n
	sd := math.Sqrt(sum2/n - mean*mean)
	top := map[[2]any]int{}
	schoolStats := map[string][]float64{}
	for _, c := range present {
		better := 0
		for _, d := range present {
			if d.x > c.x+1e-9 {
				better++
			}
		}
		z := (c.x - mean) / sd
		gz, gt := stats.Standard(c.x, r.Tables[0].Mean, r.Tables[0].SD)
		near(t, "Z", gz, z)
		near(t, "T", gt, 50+10*z)
		above := float64(better) / n
		want := "E"
		for k, cut := range []float64{0.15, 0.40, 0.75, 0.95} {
			if above < cut {
				want = stats.GradeLetters[k]
				break
			}
		}
		if got := r.Extras.Grades[0][c.i]; got != want {
			t.Errorf("%s: grade %s, want %s (%d better of %v)", res.Candidates[c.i].ExamNo, got, want, better, n)
		}
		for _, cut := range []int{30, 100} {
			if better+1 <= cut {
				top[[2]any{c.school, cut}]++
			}
		}
		schoolStats[c.school] = append(schoolStats[c.school], c.x)
	}
	for code := range schoolStats {
		for _, cut := range []int{30, 100} {
			if got := stats.TopCount(r.Scores, 0, r.Members.School[code], cut); got != top[[2]any{code, cut}] {
				t.Errorf("%s top %d: %d, want %d", code, cut, got, top[[2]any{code, cut}])
			}
		}
	}
	// Composite by hand for each school, then the ranks.
	type comp struct {
		code string
		v    float64
	}
	var comps []comp
	for code, xs := range schoolStats {
		var s, pass, exc, low float64
		for _, x := range xs {
			s += x
			if x >= 0.6*full-1e-9 {
				pass++
			}
			if x >= 0.85*full-1e-9 {
				exc++
			}
			if x < 0.4*full-1e-9 {
				low++
			}
		}
		k := float64(len(xs))
		comps = append(comps, comp{code, 100 * (0.4*s/k/full + 0.2*pass/k + 0.2*exc/k + 0.2*(1-low/k))})
	}
	sort.Slice(comps, func(a, b int) bool { return comps[a].v > comps[b].v })
	ct, _ := r.Table("composite")
	checked := 0
	for row := range ct.Rows {
		if row[0] != "数学" || row[3] != "" {
			continue
		}
		for k, c := range comps {
			if c.code == row[1] {
				near(t, "composite "+c.code, row[10].(float64), c.v)
				if row[11] != k+1 {
					t.Errorf("%s composite rank %v, want %d", c.code, row[11], k+1)
				}
				checked++
			}
		}
	}
	if checked != 10 {
		t.Errorf("%d schools in 三率一分", checked)
	}
	// 临界生: every present candidate within 5% of a line is listed once per line.
	wantB := 0
	for _, c := range present {
		for _, line := range []float64{0.6 * full, 0.85 * full} {
			if c.x >= line-0.05*full-1e-9 && c.x < line+0.05*full-1e-9 {
				wantB++
			}
		}
	}
	tb, _ := r.Table("borderline")
	got := 0
	for range tb.Rows {
		got++
	}
	if got != wantB {
		t.Errorf("%d 临界生 rows, want %d", got, wantB)
	}
}

// Grades by score, their distribution per school and 良好率, recomputed
// plainly on a generated exam.
func TestGradesByScoreRecomputed(t *testing.T) {
	t.Parallel()
	res := genExam(10, 2, 30, 20, 5, 12)
	r, err := report.Build(res, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	full := res.Subjects[0].FullScore
	counts := map[string]*[5]int{}
	good := map[string][2]int{}
	for i, c := range res.Candidates {
		if c.Subjects[0].Status != stats.Present {
			if r.Extras.Grades[0][i] != "" {
				t.Errorf("%s not counted but graded", c.ExamNo)
			}
			continue
		}
		var x float64
		for _, v := range c.Subjects[0].Scores {
			x += v
		}
		k := 4
		for j, cut := range []float64{0.85, 0.75, 0.6, 0.4} {
			if x >= cut*full-1e-9 {
				k = j
				break
			}
		}
		if got := r.Extras.Grades[0][i]; got != stats.GradeLetters[k] {
			t.Errorf("%s (%v of %v): grade %s, want %s", c.ExamNo, x, full, got, stats.GradeLetters[k])
		}
		for _, key := range []string{"", c.SchoolCode} {
			if counts[key] == nil {
				counts[key] = &[5]int{}
			}
			counts[key][k]++
			g := good[key]
			g[1]++
			if x >= 0.75*full-1e-9 {
				g[0]++
			}
			good[key] = g
		}
	}
	for _, g := range r.Tables {
		if g.Subject != 0 || g.Level == stats.LevelClass {
			continue
		}
		gc := stats.CountGrades(res, r.Extras.Grades[0], r.Members.Of(g.Group))
		if gc.Counts != *counts[g.SchoolCode] {
			t.Errorf("%q grade counts %v, want %v", g.SchoolCode, gc.Counts, *counts[g.SchoolCode])
		}
		near(t, "良好率 "+g.SchoolCode, g.GoodRate, float64(good[g.SchoolCode][0])/float64(good[g.SchoolCode][1]))
	}
}
