package stats

import (
	"math"
	"testing"

	"github.com/saoyue/saoyue"
)

// smallExam is the hand-computed exam of these tests: two schools, three
// classes, nine candidates, two subjects.
//
//	math (full 10): items 1 (single, key A, 2 points), 2 (single, key B,
//	2 points, everybody right), 3 (true/false, key A, 1 point), 4
//	(subjective group, max 5)
//	english (full 4): item 1 (single, key C, 2 points), group 2 (max 2)
//
//	no  name school class   math items      math  english   total
//	E1  A    0101   1班     2 2 1 5 (A B A)  10    2 2 = 4   14
//	E2  B    0101   1班     2 2 0 4 (A B B)   8    2 1 = 3   11
//	E3  C    0101   1班     0 2 1 3 (C B A)   6    0 2 = 2    8
//	E4  D    0101   2班     2 2 0 4 (A B B)   8    2 0 = 2   10
//	E5  E    0101   2班     0 2 0 1 (B B B)   3    0 0 = 0    3
//	E6  F    0102   1班     0 2 1 2 (- B A)   5    2 2 = 4    9
//	E7  G    0102   1班     2 2 1 0 (A B A)   5    0 1 = 1    6
//	E8  H    0102   1班     absent            -    2 1 = 3   缺考
//	E9  I    0102   1班     violation         -    2 2 = 4   违纪
func smallExam() *ExamResults {
	e := &ExamResults{
		Code: "21", Name: "小样本",
		Subjects: []SubjectPaper{
			{Code: "math", Name: "数学", FullScore: 10, Items: []PaperItem{
				{Code: "1", Objective: true, Kind: saoyue.ItemSingle, Max: 2, Key: "A"},
				{Code: "2", Objective: true, Kind: saoyue.ItemSingle, Max: 2, Key: "B"},
				{Code: "3", Objective: true, Kind: saoyue.ItemTF, Max: 1, Key: "A"},
				{Code: "4", Max: 5},
			}},
			{Code: "english", Name: "英语", FullScore: 4, Items: []PaperItem{
				{Code: "1", Objective: true, Kind: saoyue.ItemSingle, Max: 2, Key: "C"},
				{Code: "2", Max: 2},
			}},
		},
	}
	type row struct {
		no, name, school, class string
		math                    SubjectResult
		english                 SubjectResult
	}
	m := func(s []float64, r ...string) SubjectResult {
		return SubjectResult{Status: Present, Scores: s, Responses: append(r, "")}
	}
	rows := []row{
		{"E1", "A", "0101", "1班", m([]float64{2, 2, 1, 5}, "A", "B", "A"), m([]float64{2, 2}, "C")},
		{"E2", "B", "0101", "1班", m([]float64{2, 2, 0, 4}, "A", "B", "B"), m([]float64{2, 1}, "C")},
		{"E3", "C", "0101", "1班", m([]float64{0, 2, 1, 3}, "C", "B", "A"), m([]float64{0, 2}, "D")},
		{"E4", "D", "0101", "2班", m([]float64{2, 2, 0, 4}, "A", "B", "B"), m([]float64{2, 0}, "C")},
		{"E5", "E", "0101", "2班", m([]float64{0, 2, 0, 1}, "B", "B", "B"), m([]float64{0, 0}, "A")},
		{"E6", "F", "0102", "1班", m([]float64{0, 2, 1, 2}, "", "B", "A"), m([]float64{2, 2}, "C")},
		{"E7", "G", "0102", "1班", m([]float64{2, 2, 1, 0}, "A", "B", "A"), m([]float64{0, 1}, "B")},
		{"E8", "H", "0102", "1班", SubjectResult{Status: Absent}, m([]float64{2, 1}, "C")},
		{"E9", "I", "0102", "1班", SubjectResult{Status: Violation}, m([]float64{2, 2}, "C")},
	}
	for _, r := range rows {
		school := map[string]string{"0101": "一小", "0102": "二小"}[r.school]
		e.Candidates = append(e.Candidates, CandidateResults{
			ExamNo: r.no, Name: r.name, SchoolCode: r.school, SchoolName: school, Class: r.class,
			Subjects: []SubjectResult{r.math, r.english},
		})
	}
	return e
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("%s = %v, want undefined (NaN)", what, got)
		}
		return
	}
	if math.IsNaN(got) || math.Abs(got-want) > 1e-6 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestComputeScoresAndRanks(t *testing.T) {
	e := smallExam()
	s := ComputeScores(e)
	// Ranks, competition style (ties share, the next rank skips):
	//   math county:  A10→1, B8→2, D8→2, C6→4, F5→5, G5→5, E3→7
	//   math school 0101: A1 B2 D2 C4 E5; class 0101/1班: A1 B2 C3; 2班: D1 E2
	//   math 0102: F1 G1, H (absent) and I (violation) unranked
	//   english county: 4s A,F,I→1; 3s B,H→4; 2s C,D→6; G1→8; E0→9
	//   total county: A14→1 B11→2 D10→3 F9→4 C8→5 G6→6 E3→7
	type want struct {
		status                   Attendance
		obj, subj, total         float64
		class, school, county    int
		engCounty                int
		totStatus                Attendance
		total2                   float64
		totClass, totSch, totCty int
	}
	wants := []want{
		{Present, 5, 5, 10, 1, 1, 1, 1, Present, 14, 1, 1, 1},
		{Present, 4, 4, 8, 2, 2, 2, 4, Present, 11, 2, 2, 2},
		{Present, 3, 3, 6, 3, 4, 4, 6, Present, 8, 3, 4, 5},
		{Present, 4, 4, 8, 1, 2, 2, 6, Present, 10, 1, 3, 3},
		{Present, 2, 1, 3, 2, 5, 7, 9, Present, 3, 2, 5, 7},
		{Present, 3, 2, 5, 1, 1, 5, 1, Present, 9, 1, 1, 4},
		{Present, 5, 0, 5, 1, 1, 5, 8, Present, 6, 2, 2, 6},
		{Absent, 0, 0, 0, 0, 0, 0, 4, Absent, 0, 0, 0, 0},
		{Violation, 0, 0, 0, 0, 0, 0, 1, Violation, 0, 0, 0, 0},
	}
	for i, w := range wants {
		m, tot := s[i].Subjects[0], s[i].Total
		name := e.Candidates[i].Name
		if m.Status != w.status || m.Objective != w.obj || m.Subjective != w.subj || m.Total != w.total {
			t.Errorf("%s math = %+v, want status %v %v+%v=%v", name, m, w.status, w.obj, w.subj, w.total)
		}
		if m.RankClass != w.class || m.RankSchool != w.school || m.RankCounty != w.county {
			t.Errorf("%s math ranks class/school/county = %d/%d/%d, want %d/%d/%d", name, m.RankClass, m.RankSchool, m.RankCounty, w.class, w.school, w.county)
		}
		if got := s[i].Subjects[1].RankCounty; got != w.engCounty {
			t.Errorf("%s english county rank = %d, want %d", name, got, w.engCounty)
		}
		if tot.Status != w.totStatus || tot.Total != w.total2 || tot.RankClass != w.totClass || tot.RankSchool != w.totSch || tot.RankCounty != w.totCty {
			t.Errorf("%s total = %+v, want %v %v ranks %d/%d/%d", name, tot, w.totStatus, w.total2, w.totClass, w.totSch, w.totCty)
		}
	}
	if Absent.Label() != "缺考" || Violation.Label() != "违纪" || Present.Label() != "" {
		t.Errorf("labels: %q %q %q", Absent.Label(), Violation.Label(), Present.Label())
	}
}

func TestCompetitionRanks(t *testing.T) {
	got := CompetitionRanks([]float64{90, 95, 90, math.NaN(), 80, 95, 90.0000000001})
	want := []int{3, 1, 3, 0, 6, 1, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ranks = %v, want %v", got, want)
		}
	}
}

func TestTables(t *testing.T) {
	e := smallExam()
	rows := Tables(e, ComputeScores(e), DefaultThresholds)
	// Per subject and the total: county, 0101, 0101/1班, 0101/2班, 0102, 0102/1班.
	if len(rows) != 3*6 {
		t.Fatalf("%d rows, want 18", len(rows))
	}
	find := func(subject int, school, class string) GroupStats {
		t.Helper()
		for _, r := range rows {
			if r.Subject == subject && r.SchoolCode == school && r.Class == class {
				return r
			}
		}
		t.Fatalf("no row %d %s %s", subject, school, class)
		return GroupStats{}
	}

	// Math, county. Counted: 10 8 6 8 3 5 5 (H absent, I violation).
	// Mean 45/7; median: sorted 3 5 5 6 8 8 10 → 6; variance
	// Σx²/n − mean² = 323/7 − 2025/49 = 236/49, SD = √236/7 = 2.194613.
	// Pass ≥ 6: A B C D = 4/7; excellent ≥ 8.5: A = 1/7; low < 4: E = 1/7.
	// Registered 9, attended 8 (the violation candidate sat), participation 8/9.
	c := find(0, "", "")
	if c.Level != LevelCounty || c.Registered != 9 || c.Attended != 8 || c.Absent != 1 || c.Violation != 1 || c.Counted != 7 {
		t.Errorf("county math counts: %+v", c)
	}
	near(t, "county participation", c.Participation, 8.0/9)
	near(t, "county mean", c.Mean, 45.0/7)
	near(t, "county median", c.Median, 6)
	near(t, "county max", c.Max, 10)
	near(t, "county min", c.Min, 3)
	near(t, "county SD", c.SD, math.Sqrt(236)/7)
	near(t, "county pass", c.PassRate, 4.0/7)
	near(t, "county excellent", c.ExcellentRate, 1.0/7)
	near(t, "county low", c.LowRate, 1.0/7)
	near(t, "county 超均率", c.OverMean, math.NaN())
	if c.Rank != 0 {
		t.Errorf("county rank %d", c.Rank)
	}

	// School 0101: 10 8 6 8 3, mean 7, median 8, variance 28/5.
	// 超均率 (7 − 45/7)/(45/7) = 4/45. School 0102: 5 5, mean 5,
	// 超均率 −10/45; registered 4, attended 3, participation 3/4.
	s1, s2 := find(0, "0101", ""), find(0, "0102", "")
	near(t, "0101 mean", s1.Mean, 7)
	near(t, "0101 median", s1.Median, 8)
	near(t, "0101 SD", s1.SD, math.Sqrt(28.0/5))
	near(t, "0101 超均率", s1.OverMean, 4.0/45)
	near(t, "0102 超均率", s2.OverMean, -10.0/45)
	near(t, "0102 participation", s2.Participation, 0.75)
	if s1.Rank != 1 || s2.Rank != 2 || s1.Level != LevelSchool || s1.SchoolName != "一小" {
		t.Errorf("school rows: %+v / %+v", s1, s2)
	}
	// Classes against their school: 0101/1班 mean 8 → (8−7)/7, rank 1;
	// 0101/2班 mean 5.5 → (5.5−7)/7 = −3/14, rank 2.
	k1, k2 := find(0, "0101", "1班"), find(0, "0101", "2班")
	near(t, "1班 超均率", k1.OverMean, 1.0/7)
	near(t, "2班 超均率", k2.OverMean, -3.0/14)
	if k1.Rank != 1 || k2.Rank != 2 || k1.Level != LevelClass {
		t.Errorf("class ranks %d %d", k1.Rank, k2.Rank)
	}

	// Total: H is absent in math, so absent in the total; I violated.
	// Counted 14 11 8 10 3 9 6: mean 61/7; full 14, pass ≥ 8.4: 14 11 10 9
	// = 4/7; excellent ≥ 11.9: 1/7; low < 5.6: 1/7.
	tc := find(-1, "", "")
	if tc.Registered != 9 || tc.Attended != 8 || tc.Absent != 1 || tc.Violation != 1 || tc.Counted != 7 || tc.FullScore != 14 {
		t.Errorf("county total counts: %+v", tc)
	}
	near(t, "total mean", tc.Mean, 61.0/7)
	near(t, "total pass", tc.PassRate, 4.0/7)
	near(t, "total excellent", tc.ExcellentRate, 1.0/7)
	near(t, "total low", tc.LowRate, 1.0/7)

	// English: all nine sat; 4 3 2 2 0 4 1 3 4, mean 23/9.
	en := find(1, "", "")
	if en.Counted != 9 || en.Participation != 1 {
		t.Errorf("english county: %+v", en)
	}
	near(t, "english mean", en.Mean, 23.0/9)
}

func TestDescribeNobody(t *testing.T) {
	d := Describe(nil)
	if d.N != 0 || !math.IsNaN(d.Mean) || !math.IsNaN(d.SD) || !math.IsNaN(d.Median) {
		t.Errorf("describe of nothing: %+v", d)
	}
	// Even count: median is the mean of the two middle values.
	near(t, "median", Describe([]float64{4, 1, 3, 2}).Median, 2.5)
}

func TestBandsAndOnePoint(t *testing.T) {
	e := smallExam()
	math10 := SubjectValues(e, ComputeScores(e), 0, nil) // 10 8 6 8 3 5 5
	bands := ScoreBands(10, 2)
	if len(bands) != 5 || bands[0].Label != "0-2" || bands[4].Label != "8-10" {
		t.Fatalf("bands %+v", bands)
	}
	// [0,2) none; [2,4) 3; [4,6) 5 5; [6,8) 6; [8,10] 8 8 10 (top includes 10).
	got := BandCounts(math10, bands)
	want := []int{0, 1, 2, 1, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("band counts %v, want %v", got, want)
		}
	}
	if b := ScoreBands(105, 10); len(b) != 11 || b[10].Label != "100-105" {
		t.Errorf("105 bands: %+v", b)
	}

	// 一分一段 from 10 down to 3: counts 1 0 2 0 1 2 0 1, cumulative
	// 1 1 3 3 4 6 6 7.
	op := OnePoint(math10, nil)
	wantCount := []int{1, 0, 2, 0, 1, 2, 0, 1}
	wantCum := []int{1, 1, 3, 3, 4, 6, 6, 7}
	if len(op) != 8 || op[0].Score != 10 || op[7].Score != 3 {
		t.Fatalf("one-point rows %+v", op)
	}
	for i := range op {
		if op[i].Count != wantCount[i] || op[i].Cumulative != wantCum[i] {
			t.Errorf("one-point %d: %+v, want count %d cum %d", op[i].Score, op[i], wantCount[i], wantCum[i])
		}
	}
	near(t, "cumulative rate at 6", op[4].CumulativeRate, 4.0/7)
	// Half points fall in the line below: 59.5 is a 59.
	op = OnePoint([]float64{61, 60, 59.5}, nil)
	if len(op) != 3 || op[1].Score != 60 || op[1].Cumulative != 2 || op[2].Count != 1 {
		t.Errorf("half points: %+v", op)
	}
}

func TestThresholdsCheck(t *testing.T) {
	if err := DefaultThresholds.Check(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Thresholds{{0.6, 0.5, 0.4, 0}, {0, 0.85, 0.4, 0}, {0.6, 1.2, 0.4, 0}, {0.6, 0.85, 0.4, 0.9}, {0.6, 0.85, 0.4, 0.5}} {
		if bad.Check() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestNaturalLess(t *testing.T) {
	if !NaturalLess("2班", "10班") || NaturalLess("10", "9") || !NaturalLess("9", "10") || !NaturalLess("1", "1a") {
		t.Error("natural order wrong")
	}
}
