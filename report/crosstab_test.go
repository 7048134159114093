package report_test

import (
	"bytes"
	"math"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/store"
)

// sheetCells reads a sheet into rows of raw values and a header index.
func sheetCells(t *testing.T, f *excelize.File, sheet string) ([][]string, map[string]int) {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v", sheet, err)
	}
	idx := map[string]int{}
	for i, h := range rows[0] {
		idx[h] = i
	}
	return rows, idx
}

func cellNum(t *testing.T, rows [][]string, idx map[string]int, row int, col string) float64 {
	t.Helper()
	c, ok := idx[col]
	if !ok {
		t.Fatalf("no column %s", col)
	}
	if row >= len(rows) || c >= len(rows[row]) || rows[row][c] == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(rows[row][c], 64)
	if err != nil {
		t.Fatalf("row %d %s = %q", row, col, rows[row][c])
	}
	return v
}

// The hand-computed values of grading's TestItemRates and
// TestTablesCrossColumns, through the database and the workbook.
func TestCrossTablesInWorkbook(t *testing.T) {
	t.Parallel()
	r, _ := generate(t, report.Filter{})
	f := openWorkbook(t, r)
	rows, idx := sheetCells(t, f, "学校小题得分率-数学")
	// Rows: county, 0101, 0102.
	if len(rows) != 4 || rows[1][idx["学校"]] != "全县" || rows[2][idx["学校代码"]] != "0101" {
		t.Fatalf("rows %v", rows)
	}
	near(t, "county item 1", cellNum(t, rows, idx, 1, "第1题"), 4.0/7)
	near(t, "0101 item 3", cellNum(t, rows, idx, 2, "第3题"), 0.4)
	near(t, "0101 group 4", cellNum(t, rows, idx, 2, "第4题"), 0.68)
	near(t, "0102 group 4", cellNum(t, rows, idx, 3, "第4题"), 0.2)
	near(t, "0101 objective rate", cellNum(t, rows, idx, 2, "客观题得分率"), 18.0/25)

	rows, idx = sheetCells(t, f, "班级统计")
	near(t, "0101/1班 超均率 county", cellNum(t, rows, idx, 1, "超均率(对全县)"), 11.0/45)
	near(t, "0101/1班 超均率 school", cellNum(t, rows, idx, 1, "超均率(对本校)"), 1.0/7)
	rows, idx = sheetCells(t, f, "学校统计")
	near(t, "0101 objective mean", cellNum(t, rows, idx, 1, "客观题平均分"), 18.0/5)
	near(t, "0102 subjective mean", cellNum(t, rows, idx, 2, "主观题平均分"), 1)
	rows, idx = sheetCells(t, f, "全县统计")
	near(t, "county skewness", cellNum(t, rows, idx, 1, "偏度"), 348/math.Pow(236, 1.5))
	near(t, "county CV", cellNum(t, rows, idx, 1, "差异系数"), math.Sqrt(236)/45)
}

// An independent, straightforward recomputation on a generated exam of
// 12 schools: every cross-table figure from the raw item scores.
func TestCrossTablesRecomputed(t *testing.T) {
	t.Parallel()
	res := genExam(12, 3, 25, 20, 5, 2)
	r, err := report.Build(res, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	paper := res.Subjects[0]
	type acc struct {
		n                int
		obj, subj, total float64
		items            []float64
		scores           []float64
	}
	groups := map[string]*acc{}
	get := func(k string) *acc {
		if groups[k] == nil {
			groups[k] = &acc{items: make([]float64, len(paper.Items))}
		}
		return groups[k]
	}
	for _, c := range res.Candidates {
		sr := c.Subjects[0]
		if sr.Status != stats.Present {
			continue
		}
		for _, k := range []string{"", c.SchoolCode, c.SchoolCode + "/" + c.Class} {
			a := get(k)
			a.n++
			var tot float64
			for j, it := range paper.Items {
				a.items[j] += sr.Scores[j]
				if it.Objective {
					a.obj += sr.Scores[j]
				} else {
					a.subj += sr.Scores[j]
				}
				tot += sr.Scores[j]
			}
			a.total += tot
			a.scores = append(a.scores, tot)
		}
	}
	key := func(g stats.Group) string {
		switch g.Level {
		case stats.LevelSchool:
			return g.SchoolCode
		case stats.LevelClass:
			return g.SchoolCode + "/" + g.Class
		}
		return ""
	}
	countyMean := groups[""].total / float64(groups[""].n)
	checked := 0
	for _, row := range r.Rates[0].Rows {
		a := groups[key(row.Group)]
		for j, it := range paper.Items {
			near(t, "rate "+key(row.Group)+" item "+it.Code, row.Rates[j], a.items[j]/float64(a.n)/it.Max)
		}
		checked++
	}
	if checked != 13 {
		t.Errorf("%d rows in the school × item table, want county + 12 schools", checked)
	}
	for _, g := range r.Tables {
		if g.Subject != 0 {
			continue
		}
		a := groups[key(g.Group)]
		near(t, "objective mean "+key(g.Group), g.ObjectiveMean, a.obj/float64(a.n))
		near(t, "subjective mean "+key(g.Group), g.SubjectiveMean, a.subj/float64(a.n))
		m := a.total / float64(a.n)
		var m2, m3, m4 float64
		for _, x := range a.scores {
			d := x - m
			m2 += d * d / float64(a.n)
			m3 += d * d * d / float64(a.n)
			m4 += d * d * d * d / float64(a.n)
		}
		near(t, "skewness "+key(g.Group), g.Skewness, m3/math.Pow(m2, 1.5))
		near(t, "kurtosis "+key(g.Group), g.Kurtosis, m4/(m2*m2)-3)
		near(t, "CV "+key(g.Group), g.CV, math.Sqrt(m2)/m)
		if g.Level == stats.LevelClass {
			near(t, "class 超均率 county "+key(g.Group), g.OverMeanCounty, (m-countyMean)/countyMean)
		}
	}
}

func openWorkbook(t *testing.T, r *report.Report) *excelize.File {
	t.Helper()
	_, b := workbookZip(t, r)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
