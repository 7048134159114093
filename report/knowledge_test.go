package report_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// grading's TestPointRatesByHand through the database: the knowledge points
// stored as a key import stores them, then the workbook's sheet.
func TestKnowledgeFromDatabase(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	exam := reporttest.SeedSmallExam(t, db, "final")
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		return store.SaveKnowledge(ctx, tx, exam.Subjects["math"], []store.KnowledgeRow{
			{Item: "1", Knowledge: []string{"数与代数"}, Abilities: []string{"运算"}},
			{Item: "2", Knowledge: []string{"数与代数", "图形"}, Abilities: []string{"运算"}},
			{Item: "3", Knowledge: []string{"图形"}},
			{Item: "4", Knowledge: []string{"统计"}, Abilities: []string{"推理"}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Generate(ctx, db, "21", report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	f := openWorkbook(t, r)
	rows, idx := sheetCells(t, f, "知识点得分率-数学")
	// 数与代数: county, 0101, 0101/1班, 0101/2班, 0102, 0102/1班; then 图形 …
	if rows[1][idx["知识点"]] != "数与代数" || rows[1][idx["学校"]] != "全县" || rows[1][idx["题号"]] != "1、2" {
		t.Fatalf("first row %v", rows[1])
	}
	near(t, "county 数与代数", cellNum(t, rows, idx, 1, "得分率"), 11.0/14)
	near(t, "0101 数与代数", cellNum(t, rows, idx, 2, "得分率"), 0.8)
	near(t, "0101 against the county", cellNum(t, rows, idx, 2, "与全县之差"), 0.8-11.0/14)
	near(t, "county 图形", cellNum(t, rows, idx, 7, "得分率"), 6.0/7)
	if _, err := f.GetRows("能力得分率-数学"); err != nil {
		t.Errorf("no abilities sheet: %v", err)
	}
	if _, err := f.GetRows("知识点得分率-英语"); err == nil {
		t.Error("a sheet for english, which has no knowledge points")
	}

	// The school's 分析报告 names its strongest and weakest points: 0101 is
	// .8 against 11/14 on 数与代数 (+.014), .8 against 6/7 on 图形 (−.057)
	// and .68 against 19/35 on 统计 (+.137).
	rs, err := report.Generate(ctx, db, "21", report.Filter{School: "0101"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteSchoolPDF(&buf, rs); err != nil {
		t.Fatal(err)
	}
	_, text := rasterise(t, buf.Bytes())
	flat := strings.Join(strings.Fields(text), "")
	if !strings.Contains(flat, "掌握最好的是“统计”") || !strings.Contains(flat, "最薄弱的是“图形”") {
		t.Errorf("school report lacks the knowledge points:\n%s", text)
	}
}

// A plain recomputation on a generated exam: each item tests one of five
// points (item k → point k mod 5), every third also point "综合".
func TestKnowledgeRecomputed(t *testing.T) {
	t.Parallel()
	res := genExam(8, 2, 25, 20, 5, 8)
	items := res.Subjects[0].Items
	for k := range items {
		items[k].Knowledge = []string{fmt.Sprint("点", k%5)}
		if k%3 == 0 {
			items[k].Knowledge = append(items[k].Knowledge, "综合")
		}
	}
	r, err := report.Build(res, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Knowledge) != 1 {
		t.Fatalf("%d knowledge tables", len(r.Knowledge))
	}
	kt := r.Knowledge[0]
	for _, row := range kt.Rows {
		for k, p := range kt.Points {
			var got, max float64
			for _, c := range res.Candidates {
				if c.Subjects[0].Status != stats.Present || !inGroup(c, row.Group) {
					continue
				}
				for j, it := range items {
					for _, name := range it.Knowledge {
						if name == p.Name {
							got += c.Subjects[0].Scores[j]
							max += it.Max
						}
					}
				}
			}
			near(t, p.Name+" "+row.Group.SchoolCode+row.Group.Class, row.Rates[k].Rate, got/max)
		}
	}
}

func inGroup(c stats.CandidateResults, g stats.Group) bool {
	switch g.Level {
	case stats.LevelSchool:
		return c.SchoolCode == g.SchoolCode
	case stats.LevelClass:
		return c.SchoolCode == g.SchoolCode && c.Class == g.Class
	}
	return true
}
