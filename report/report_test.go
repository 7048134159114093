package report_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/report/reporttest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// The seeded exam is grading's hand-computed small exam; the expected
// numbers below are derived in grading/stats/stats_test.go and items_test.go.

func generate(t *testing.T, f report.Filter) (*report.Report, *store.DB) {
	t.Helper()
	db := storetest.New(t)
	reporttest.SeedSmallExam(t, db, "review")
	r, err := report.Generate(context.Background(), db, "21", f)
	if err != nil {
		t.Fatal(err)
	}
	return r, db
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestGenerateFromDatabase(t *testing.T) {
	t.Parallel()
	r, _ := generate(t, report.Filter{})
	res := r.Results
	if len(res.Subjects) != 2 || res.Subjects[0].Code != "math" || len(res.Subjects[0].Items) != 4 || res.Subjects[0].Items[3].Code != "4" {
		t.Fatalf("papers: %+v", res.Subjects)
	}
	if it := res.Subjects[0].Items[0]; !it.Objective || it.Key != "A" || it.Max != 2 || it.Kind != saoyue.ItemSingle {
		t.Errorf("item 1: %+v", it)
	}
	if len(res.Candidates) != 9 || res.Candidates[7].Name != "H" || res.Candidates[7].Subjects[0].Status != stats.Absent ||
		res.Candidates[8].Subjects[0].Status != stats.Violation || res.Candidates[8].Subjects[1].Status != stats.Present {
		t.Fatalf("candidates: %+v", res.Candidates)
	}
	if got := res.Candidates[5].Subjects[0].Responses[0]; got != "" {
		t.Errorf("F's blank answer read as %q", got)
	}
	county := r.Tables[0]
	if county.Level != stats.LevelCounty || county.Subject != 0 {
		t.Fatalf("first row %+v", county)
	}
	near(t, "math county mean", county.Mean, 45.0/7)
	near(t, "math county SD", county.SD, math.Sqrt(236)/7)
	if county.Registered != 9 || county.Attended != 8 || county.Counted != 7 {
		t.Errorf("county counts %+v", county)
	}
	if r.Subjects[len(r.Subjects)-1] != -1 {
		t.Errorf("total not shown: %v", r.Subjects)
	}
	near(t, "alpha", r.Analyses[0].Paper.Alpha, 160.0/708)
	if d := r.Analyses[0].Items[1].D; !math.IsNaN(d) {
		t.Errorf("item everybody got right has D = %v", d)
	}
	if r.Status != "review" || !strings.Contains(strings.Join(r.Warnings, "\n"), "尚未发布") {
		t.Errorf("status %q warnings %v", r.Status, r.Warnings)
	}
	for _, w := range r.Warnings {
		if strings.Contains(w, "没有分数") || strings.Contains(w, "不符") {
			t.Errorf("unexpected warning %q", w)
		}
	}
}

func TestWorkbookReadBack(t *testing.T) {
	t.Parallel()
	r, _ := generate(t, report.Filter{})
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("workbook does not open: %v", err)
	}
	defer f.Close()

	sheets := f.GetSheetList()
	for _, want := range []string{"说明", "成绩总表", "数学小题得分", "英语小题得分", "全县统计", "学校统计", "班级统计",
		"分数段-数学", "分数段-总分", "一分一段-数学", "一分一段-总分", "小题分析-数学", "试卷信度", "选项分析-数学"} {
		if !contains(sheets, want) {
			t.Errorf("no sheet %s in %v", want, sheets)
		}
	}
	raw := func(sheet, cell string) string {
		t.Helper()
		v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatalf("%s!%s: %v", sheet, cell, err)
		}
		return v
	}
	number := func(sheet, cell string) float64 {
		t.Helper()
		v, err := strconv.ParseFloat(raw(sheet, cell), 64)
		if err != nil {
			t.Fatalf("%s!%s = %q, not a number", sheet, cell, raw(sheet, cell))
		}
		return v
	}
	col := func(sheet, header string) string {
		t.Helper()
		rows, err := f.GetRows(sheet)
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v", sheet, err)
		}
		for i, h := range rows[0] {
			if h == header {
				name, _ := excelize.ColumnNumberToName(i + 1)
				return name
			}
		}
		t.Fatalf("%s has no column %s: %v", sheet, header, rows[0])
		return ""
	}

	// 成绩总表: row 2 is A, row 9 is H (absent in math), row 10 is I.
	if got := raw("成绩总表", "B2"); got != "A" {
		t.Errorf("成绩总表 B2 = %q", got)
	}
	m, total := col("成绩总表", "数学"), col("成绩总表", "总分")
	if number("成绩总表", m+"2") != 10 || number("成绩总表", total+"2") != 14 {
		t.Errorf("A's math/total: %s %s", raw("成绩总表", m+"2"), raw("成绩总表", total+"2"))
	}
	if got := raw("成绩总表", m+"9"); got != "缺考" {
		t.Errorf("H's math shows %q, want 缺考", got)
	}
	if got := raw("成绩总表", m+"10"); got != "违纪" {
		t.Errorf("I's math shows %q, want 违纪", got)
	}
	if got := raw("成绩总表", total+"9"); got != "缺考" {
		t.Errorf("H's total shows %q, want 缺考", got)
	}
	// D ties B for the county rank 2 in math.
	if got := number("成绩总表", col("成绩总表", "数学全县名次")+"5"); got != 2 {
		t.Errorf("D's county rank %v, want 2", got)
	}
	if got := raw("成绩总表", col("成绩总表", "数学全县名次")+"9"); got != "" {
		t.Errorf("absent candidate ranked %q", got)
	}

	// 全县统计: row 2 math, row 3 english, row 4 total.
	if raw("全县统计", "A2") != "数学" || raw("全县统计", "A4") != "总分" {
		t.Errorf("全县统计 subjects: %q %q", raw("全县统计", "A2"), raw("全县统计", "A4"))
	}
	near(t, "全县统计 数学平均分", number("全县统计", col("全县统计", "平均分")+"2"), 45.0/7)
	near(t, "全县统计 数学及格率", number("全县统计", col("全县统计", "及格率")+"2"), 4.0/7)
	near(t, "全县统计 数学参考率", number("全县统计", col("全县统计", "参考率")+"2"), 8.0/9)
	near(t, "全县统计 总分平均分", number("全县统计", col("全县统计", "平均分")+"4"), 61.0/7)
	// Number formats: the mean shows two decimals, rates as percentages.
	if v, _ := f.GetCellValue("全县统计", col("全县统计", "平均分")+"2"); v != "6.43" {
		t.Errorf("formatted mean %q, want 6.43", v)
	}
	if v, _ := f.GetCellValue("全县统计", col("全县统计", "及格率")+"2"); v != "57.1%" {
		t.Errorf("formatted pass rate %q, want 57.1%%", v)
	}
	// 学校统计: 0101 first, 超均率 4/45.
	near(t, "0101 超均率", number("学校统计", col("学校统计", "超均率")+"2"), 4.0/45)

	// 小题分析-数学: item 2 (row 3) everybody right: P 1, D and r empty.
	near(t, "item 2 P", number("小题分析-数学", col("小题分析-数学", "得分率(难度)")+"3"), 1)
	if got := raw("小题分析-数学", col("小题分析-数学", "区分度")+"3"); got != "" {
		t.Errorf("item 2 discrimination cell %q, want empty", got)
	}
	near(t, "item 4 D", number("小题分析-数学", col("小题分析-数学", "区分度")+"5"), 0.8)
	near(t, "alpha", number("试卷信度", col("试卷信度", "α系数")+"2"), 160.0/708)
	if got := raw("试卷信度", col("试卷信度", "KR-20")+"2"); got != "" {
		t.Errorf("KR-20 shown for a paper with a 5-point group: %q", got)
	}
	if got := raw("试卷信度", col("试卷信度", "提示")+"2"); !strings.Contains(got, "信度偏低") {
		t.Errorf("no caution for alpha 0.226: %q", got)
	}

	// Bands (10 points on a full score of 10: one band): all 7 in it.
	if got := number("分数段-数学", "B2"); got != 7 {
		t.Errorf("band count %v", got)
	}
	// 一分一段-数学: 10 down to 3, cumulative 7 at the bottom.
	if raw("一分一段-数学", "A2") != "10" || raw("一分一段-数学", "C9") != "7" {
		t.Errorf("one-point: %q %q", raw("一分一段-数学", "A2"), raw("一分一段-数学", "C9"))
	}
	// Item scores in the detail sheet: C's math item 1 is 0, item 4 is 3.
	if raw("数学小题得分", col("数学小题得分", "第1题")+"4") != "0" || raw("数学小题得分", col("数学小题得分", "第4题")+"4") != "3" {
		t.Errorf("C's item scores wrong")
	}

	// Frozen header rows.
	for _, s := range []string{"成绩总表", "学校统计", "小题分析-数学"} {
		p, err := f.GetPanes(s)
		if err != nil || !p.Freeze || p.YSplit != 1 {
			t.Errorf("%s panes %+v %v", s, p, err)
		}
	}

	// Native charts: one per band sheet and per item-analysis sheet.
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	charts := 0
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "xl/charts/chart") {
			charts++
		}
	}
	if want := len(r.Bands) + len(r.Analyses); charts != want {
		t.Errorf("%d charts, want %d", charts, want)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestCSV(t *testing.T) {
	t.Parallel()
	r, _ := generate(t, report.Filter{})
	var buf bytes.Buffer
	if err := report.WriteCSVTable(&buf, r, "schools"); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Header, then math 0101, 0102, english 0101, 0102, total 0101, 0102.
	if len(recs) != 7 || recs[0][0] != "学科" || recs[1][2] != "一小" {
		t.Fatalf("schools.csv: %v", recs)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	if got := recs[1][idx["平均分"]]; got != "7" {
		t.Errorf("0101 math mean %q", got)
	}
	if got := recs[2][idx["参考率"]]; got != "0.75" {
		t.Errorf("0102 participation %q", got)
	}
	if got := recs[1][idx["超均率"]]; got != "0.0889" {
		t.Errorf("0101 超均率 %q", got)
	}

	buf.Reset()
	if err := report.WriteCSVTable(&buf, r, "items-math"); err != nil {
		t.Fatal(err)
	}
	recs, _ = csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	if recs[2][0] != "2" || recs[2][8] != "" || recs[2][9] != "" {
		t.Errorf("item 2 row %v: D and r should be empty", recs[2])
	}

	err = report.WriteCSVTable(&buf, r, "nope")
	if saoyue.ErrorCode(err) != saoyue.ENOTFOUND || !strings.Contains(saoyue.ErrorMessage(err), "scores") {
		t.Errorf("unknown table: %v", err)
	}

	dir := t.TempDir()
	names, err := report.WriteCSVDir(dir, r)
	if err != nil || len(names) != len(r.AllTables()) {
		t.Errorf("csv dir: %v %v", names, err)
	}
}

// Scores without a card row are 无成绩, as docs/STATISTICS.md says: G's
// math card is gone, so math counts six candidates (A–F), G is not ranked,
// and the report names the stray scores.
func TestScoresWithoutCardAreNoResult(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	exam := reporttest.SeedSmallExam(t, db, "final")
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `DELETE FROM cards WHERE candidate_id = $1 AND subject_id = $2`,
		exam.Candidates["G"], exam.Subjects["math"]); err != nil {
		t.Fatal(err)
	}
	r, err := report.Generate(ctx, db, "21", report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Results.Candidates[6].Subjects[0].Status; st != stats.NoResult {
		t.Errorf("G's math status %v, want 无成绩", st.Label())
	}
	county := r.Tables[0]
	// A–F: 10 8 6 8 3 5 = 40 over 6.
	if county.Counted != 6 || county.Absent != 2 || county.Attended != 7 {
		t.Errorf("county counts %+v", county)
	}
	near(t, "math mean without G", county.Mean, 40.0/6)
	if r.Scores[6].Subjects[0].RankCounty != 0 || r.Scores[6].Total.Status != stats.NoResult {
		t.Errorf("G ranked or totalled: %+v", r.Scores[6])
	}
	if w := strings.Join(r.Warnings, "\n"); !strings.Contains(w, "1 名考生有小题分数但没有答题卡记录") || !strings.Contains(w, exam.ExamNos["G"]) {
		t.Errorf("warnings %v", r.Warnings)
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	exam := reporttest.SeedSmallExam(t, db, "final")
	ctx := context.Background()

	r, err := report.Generate(ctx, db, "21", report.Filter{School: "0102", Subject: "math"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Subjects) != 1 || r.Subjects[0] != 0 {
		t.Errorf("subjects %v", r.Subjects)
	}
	rows := 0
	scores, _ := r.Table("scores")
	for range scores.Rows {
		rows++
	}
	if rows != 4 {
		t.Errorf("0102 has %d candidate rows, want 4", rows)
	}
	// County row kept for comparison, then 0102 and its class; ranks and
	// 超均率 still against the whole county.
	if len(r.Tables) != 3 || r.Tables[0].Level != stats.LevelCounty || r.Tables[1].SchoolCode != "0102" {
		t.Errorf("tables %+v", r.Tables)
	}
	near(t, "0102 超均率", r.Tables[1].OverMean, -10.0/45)
	if r.Tables[1].Rank != 2 {
		t.Errorf("0102 rank %d", r.Tables[1].Rank)
	}
	// Item analysis over the school: F and G.
	if r.Analyses[0].Items[0].N != 2 {
		t.Errorf("item N %d", r.Analyses[0].Items[0].N)
	}
	for _, w := range r.Warnings {
		if strings.Contains(w, "尚未发布") {
			t.Errorf("final exam warned %q", w)
		}
	}
	if _, ok := r.Table("items-english"); ok {
		t.Error("english shown with a math filter")
	}

	// One class: D and E of 0101/2班; rows county, 0101, 0101/2班 per subject.
	r, err = report.Generate(ctx, db, "21", report.Filter{School: "0101", Class: "2班"})
	if err != nil {
		t.Fatal(err)
	}
	scores, _ = r.Table("scores")
	rows = 0
	for range scores.Rows {
		rows++
	}
	if rows != 2 || len(r.Tables) != 3*3 || r.Tables[2].Class != "2班" {
		t.Errorf("class filter: %d candidates, tables %+v", rows, r.Tables)
	}
	if r.OnePoint[0].Rows[0].Score != 8 {
		t.Errorf("class one-point starts at %d, want 8", r.OnePoint[0].Rows[0].Score)
	}

	_, err = report.Generate(ctx, db, "21", report.Filter{Class: "1班"})
	if saoyue.ErrorCode(err) != saoyue.EINVALID {
		t.Errorf("class without school: %v", err)
	}
	_, err = report.Generate(ctx, db, "21", report.Filter{School: "9999"})
	if saoyue.ErrorCode(err) != saoyue.ENOTFOUND {
		t.Errorf("unknown school: %v", err)
	}
	_, err = report.Generate(ctx, db, "99", report.Filter{})
	if saoyue.ErrorCode(err) != saoyue.ENOTFOUND {
		t.Errorf("unknown exam: %v", err)
	}

	// Settings change the thresholds: pass at 80% → math pass rate 3/7
	// (10, 8, 8); bands of 2 points → 5 bands.
	if err := store.SetReportSettings(ctx, db.Pool, exam.ID, store.ReportSettings{Pass: 0.8, Excellent: 0.9, Low: 0.4, BandWidth: 2}); err != nil {
		t.Fatal(err)
	}
	r, err = report.Generate(ctx, db, "21", report.Filter{Subject: "math"})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "pass rate at 80%", r.Tables[0].PassRate, 3.0/7)
	if len(r.Bands[0].Bands) != 5 || r.Bands[0].Counts[0][4] != 3 {
		t.Errorf("bands %+v", r.Bands[0])
	}
}

// A bigger exam through the streaming writer: every candidate row arrives.
func TestWorkbookManyCandidates(t *testing.T) {
	t.Parallel()
	const n = 3000
	res := &stats.ExamResults{Code: "22", Name: "大样本", Subjects: []stats.SubjectPaper{{Code: "math", Name: "数学", FullScore: 100}}}
	for k := 1; k <= 20; k++ {
		res.Subjects[0].Items = append(res.Subjects[0].Items, stats.PaperItem{Code: strconv.Itoa(k), Objective: true, Kind: saoyue.ItemSingle, Max: 5, Key: "A"})
	}
	for i := 0; i < n; i++ {
		r := stats.SubjectResult{Status: stats.Present, Scores: make([]float64, 20), Responses: make([]string, 20)}
		for k := range r.Scores {
			if (i*7+k*13)%10 < 6 {
				r.Scores[k], r.Responses[k] = 5, "A"
			} else {
				r.Responses[k] = "B"
			}
		}
		res.Candidates = append(res.Candidates, stats.CandidateResults{
			ExamNo: fmt.Sprintf("22%04d%04d", i/500, i), Name: fmt.Sprint("考生", i),
			SchoolCode: fmt.Sprintf("%04d", i/500), SchoolName: fmt.Sprint("学校", i/500), Class: fmt.Sprint(i%6+1, "班"),
			Subjects: []stats.SubjectResult{r},
		})
	}
	r, err := report.Build(res, store.DefaultReportSettings, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("数学小题得分")
	if err != nil || len(rows) != n+1 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if last := rows[n][0]; last != res.Candidates[n-1].ExamNo {
		t.Errorf("last row %q", last)
	}
}
