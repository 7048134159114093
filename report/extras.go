package report

import (
	"math"
	"strconv"

	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/store"
)

// The tables of standard scores, grade bands, the 三率一分 composite,
// 名次段 and 临界生 (docs/STATISTICS.md).

// Extras are the figures computed over the whole exam that the new tables
// show through the filter.
type Extras struct {
	Scheme    stats.GradeScheme
	Grades    map[int][]string         // subject (-1 total) → grade per candidate
	CountyRow map[int]stats.GroupStats // subject → the county row: Z and T are against it
	Composite map[string]float64       // rowKey → 三率一分
	CompRank  map[string]int           // rowKey → rank among schools (schools) or among the county's classes (classes)
}

func rowKey(g stats.GroupStats) string {
	return string(rune('0'+g.Level)) + "\x00" + g.SchoolCode + "\x00" + g.Class + "\x00" + string(rune(g.Subject+2))
}

// withDefaults fills settings added after an exam's row was stored.
func withDefaults(s store.ReportSettings) store.ReportSettings {
	d := store.DefaultReportSettings
	if s.Good == 0 {
		s.Good = d.Good
		if s.Good < s.Pass || s.Good > s.Excellent {
			s.Good = 0 // the default 75% does not fit custom lines: leave 良好率 out
		}
	}
	if s.GradeMode == "" {
		s.GradeMode = d.GradeMode
	}
	if len(s.TopN) == 0 {
		s.TopN = d.TopN
	}
	if s.Critical == 0 {
		s.Critical = d.Critical
	}
	if len(s.Composite) == 0 {
		s.Composite = d.Composite
	}
	return s
}

func (r *Report) fullScore(s int) float64 {
	if s < 0 {
		return r.Results.FullScoreTotal()
	}
	return r.Results.Subjects[s].FullScore
}

func (r *Report) buildExtras(all []stats.GroupStats, scheme stats.GradeScheme) {
	x := &r.Extras
	x.Scheme = scheme
	x.Grades = map[int][]string{}
	x.CountyRow = map[int]stats.GroupStats{}
	x.Composite = map[string]float64{}
	x.CompRank = map[string]int{}
	for _, s := range r.Subjects {
		x.Grades[s] = stats.Grades(r.Results, r.Scores, s, r.fullScore(s), scheme)
	}
	byLevel := map[[2]int][]stats.GroupStats{}
	for _, g := range all {
		if g.Level == stats.LevelCounty {
			x.CountyRow[g.Subject] = g
			continue
		}
		c := stats.Composite(g, r.Settings.Composite)
		x.Composite[rowKey(g)] = c
		k := [2]int{int(g.Level), g.Subject}
		byLevel[k] = append(byLevel[k], g)
	}
	for _, rows := range byLevel {
		vals := make([]float64, len(rows))
		for i, g := range rows {
			vals[i] = x.Composite[rowKey(g)]
		}
		for i, rk := range stats.CompetitionRanks(vals) {
			x.CompRank[rowKey(rows[i])] = rk
		}
	}
}

// standard is a candidate's Z and T in subject s against the county.
func (r *Report) standard(s int, score float64) (float64, float64) {
	c := r.Extras.CountyRow[s]
	return stats.Standard(score, c.Mean, c.SD)
}

func (r *Report) gradeTable(s int) Table {
	cols := []Column{{"学校代码", Text, 0}, {"学校", Text, 18}, {"班级", Text, 0}, {"统计人数", Count, 0}}
	for _, l := range stats.GradeLetters {
		cols = append(cols, Column{l + "等人数", Count, 0}, Column{l + "等占比", Rate, 0})
	}
	cols = append(cols, Column{"良好率", Rate, 0})
	return Table{Key: "grades-" + r.subjectKey(s), Sheet: sheetName("等级分布-" + r.SubjectName(s)), Columns: cols, Freeze: 3,
		Rows: func(yield func([]any) bool) {
			grades := r.Extras.Grades[s]
			for _, g := range r.Tables {
				if g.Subject != s {
					continue
				}
				gc := stats.CountGrades(r.Results, grades, r.Members.Of(g.Group))
				row := []any{g.SchoolCode, groupName(g.Group), g.Class, g.Counted}
				for k := range stats.GradeLetters {
					row = append(row, gc.Counts[k], num(gc.Shares[k]))
				}
				row = append(row, num(g.GoodRate))
				if !yield(row) {
					return
				}
			}
		}}
}

func groupName(g stats.Group) string {
	if g.Level == stats.LevelCounty {
		return "全县"
	}
	return g.SchoolName
}

func (r *Report) compositeTable() Table {
	cols := []Column{{"学科", Text, 0}, {"学校代码", Text, 0}, {"学校", Text, 18}, {"班级", Text, 0}, {"统计人数", Count, 0},
		{"平均分", Mean, 0}, {"平均分率", Rate, 0}, {"及格率", Rate, 0}, {"优秀率", Rate, 0}, {"低分率", Rate, 0},
		{"综合得分", Mean, 0}, {"综合名次", Count, 0}}
	return Table{Key: "composite", Sheet: "三率一分", Columns: cols, Freeze: 4, Rows: func(yield func([]any) bool) {
		for _, g := range r.Tables {
			if g.Level == stats.LevelCounty {
				continue
			}
			k := rowKey(g)
			row := []any{r.SubjectName(g.Subject), g.SchoolCode, g.SchoolName, g.Class, g.Counted, num(g.Mean), num(div(g.Mean, g.FullScore)),
				num(g.PassRate), num(g.ExcellentRate), num(g.LowRate), num(r.Extras.Composite[k]), rank(r.Extras.CompRank[k])}
			if !yield(row) {
				return
			}
		}
	}}
}

func (r *Report) topTable() Table {
	cols := []Column{{"学科", Text, 0}, {"学校代码", Text, 0}, {"学校", Text, 18}, {"班级", Text, 0}, {"统计人数", Count, 0}}
	for _, n := range r.Settings.TopN {
		h := "前" + strconv.Itoa(n) + "名"
		cols = append(cols, Column{h + "人数", Count, 0}, Column{h + "占比", Rate, 0})
	}
	return Table{Key: "top", Sheet: "名次段", Columns: cols, Freeze: 4, Rows: func(yield func([]any) bool) {
		countyTop := map[[2]int]int{}
		for _, g := range r.Tables {
			row := []any{r.SubjectName(g.Subject), g.SchoolCode, groupName(g.Group), g.Class, g.Counted}
			for _, n := range r.Settings.TopN {
				c := stats.TopCount(r.Scores, g.Subject, r.Members.Of(g.Group), n)
				if g.Level == stats.LevelCounty {
					countyTop[[2]int{g.Subject, n}] = c
				}
				row = append(row, c, num(ratio(c, countyTop[[2]int{g.Subject, n}])))
			}
			if !yield(row) {
				return
			}
		}
	}}
}

func (r *Report) borderlineTable() Table {
	cols := []Column{{"学科", Text, 0}, {"分数线", Text, 0}, {"线分", Score, 0}, {"考号", Text, 12}, {"姓名", Text, 8},
		{"学校", Text, 18}, {"班级", Text, 0}, {"分数", Score, 0}, {"距线", Score, 0}, {"位置", Text, 0}}
	return Table{Key: "borderline", Sheet: "临界生", Columns: cols, Freeze: 2, Rows: func(yield func([]any) bool) {
		var members []int
		for i := range r.Results.Candidates {
			if r.Filter.Include(&r.Results.Candidates[i]) {
				members = append(members, i)
			}
		}
		for _, s := range r.Subjects {
			full := r.fullScore(s)
			lines := []stats.NamedLine{{Name: "及格线", Score: r.Settings.Pass * full}, {Name: "优秀线", Score: r.Settings.Excellent * full}}
			for _, b := range stats.BorderlineStudents(r.Results, r.Scores, s, members, lines, r.Settings.Critical*full) {
				c := &r.Results.Candidates[b.Candidate]
				where := "线上"
				if b.Gap < 0 {
					where = "线下"
				}
				// Lines are fractions of the full score (0.6 × 14 = 8.4): round
				// away the floating-point noise of the line and the gap.
				if !yield([]any{r.SubjectName(s), b.Line, round2(b.LineScore), c.ExamNo, c.Name, c.SchoolName, c.Class, b.Score, round2(b.Gap), where}) {
					return
				}
			}
		}
	}}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
