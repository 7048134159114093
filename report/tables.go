package report

import (
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/stats"
)

// The report as tables: one table is one sheet of the workbook and one
// CSV file. Headers are Chinese because the centre and the schools read
// them; keys (CSV names) are ASCII for programs.

// Format says how a column's numbers are shown.
type Format int

const (
	Text  Format = iota
	Count        // whole numbers
	Score        // scores as they are (multiples of 0.5)
	Mean         // two decimals
	Rate         // percentage, one decimal
	Index        // three decimals: difficulty, discrimination, correlation, reliability
)

// Column is one column of a table.
type Column struct {
	Header string
	Format Format
	Width  float64 // in characters; 0 = from the header
}

// Chart is a native chart drawn from a table: the categories are one
// column, each series another.
type Chart struct {
	Title      string
	Categories int   // column index
	Series     []int // column indexes
	Percent    bool  // the values are rates: axis in %
	YTitle     string
}

// Table is one table of the report. Rows is an iterator so that the big
// tables (every candidate, every item) are produced while they are
// written, never held whole in memory.
type Table struct {
	Key     string // CSV name: scores, detail-math, schools, items-math …
	Sheet   string // sheet name in the workbook
	Columns []Column
	Freeze  int // columns kept in view at the left, besides the header row
	Rows    iter.Seq[[]any]
	Chart   *Chart
}

// AllTables lists the report's tables in workbook order.
func (r *Report) AllTables() []Table {
	var out []Table
	out = append(out, r.scoresTable())
	for _, s := range r.Subjects {
		if s >= 0 {
			out = append(out, r.detailTable(s))
		}
	}
	if r.Results.Sampled {
		out = append(out, r.weightTable())
	}
	out = append(out,
		r.groupTable("county", "全县统计", stats.LevelCounty),
		r.groupTable("schools", "学校统计", stats.LevelSchool),
		r.groupTable("classes", "班级统计", stats.LevelClass))
	out = append(out, r.compositeTable())
	for _, s := range r.Subjects {
		out = append(out, r.gradeTable(s))
	}
	out = append(out, r.topTable(), r.borderlineTable())
	for i := range r.Bands {
		out = append(out, r.bandTable(&r.Bands[i]))
	}
	for i := range r.OnePoint {
		out = append(out, r.onePointTable(&r.OnePoint[i]))
	}
	for i := range r.Rates {
		out = append(out, r.itemRateTable(&r.Rates[i]))
	}
	for i := range r.Subs {
		out = append(out, r.subTable(&r.Subs[i]))
	}
	for i := range r.Knowledge {
		out = append(out, r.knowledgeTable(&r.Knowledge[i]))
	}
	for i := range r.Analyses {
		out = append(out, r.itemTable(&r.Analyses[i]))
	}
	out = append(out, r.reliabilityTable())
	out = append(out, r.progressTables()...)
	for i := range r.Analyses {
		out = append(out, r.optionTable(&r.Analyses[i]))
	}
	return out
}

// Table finds a table by its CSV key.
func (r *Report) Table(key string) (Table, bool) {
	for _, t := range r.AllTables() {
		if t.Key == key {
			return t, true
		}
	}
	return Table{}, false
}

// TableKeys lists the CSV keys, for error messages and help.
func (r *Report) TableKeys() []string {
	var keys []string
	for _, t := range r.AllTables() {
		keys = append(keys, t.Key)
	}
	return keys
}

func (r *Report) subjectKey(s int) string {
	if s < 0 {
		return "total"
	}
	return r.Results.Subjects[s].Code
}

// num turns NaN (undefined) into an empty cell.
func num(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// rank shows 0 (not ranked) as an empty cell.
func rank(v int) any {
	if v == 0 {
		return nil
	}
	return v
}

func itemHeader(code string) string {
	if _, err := strconv.Atoi(code); err == nil {
		return "第" + code + "题"
	}
	return code
}

func (r *Report) scoresTable() Table {
	cols := []Column{{"考号", Text, 12}, {"姓名", Text, 8}, {"学校代码", Text, 0}, {"学校", Text, 18}, {"班级", Text, 0}}
	for _, s := range r.Subjects {
		n := r.SubjectName(s)
		if s >= 0 {
			cols = append(cols, Column{n + "客观", Score, 0}, Column{n + "主观", Score, 0})
		}
		cols = append(cols, Column{n, Score, 0}, Column{n + "班级名次", Count, 0}, Column{n + "学校名次", Count, 0}, Column{n + "全县名次", Count, 0},
			Column{n + "Z分", Index, 0}, Column{n + "T分", Mean, 0}, Column{n + "等级", Text, 0})
	}
	return Table{Key: "scores", Sheet: "成绩总表", Columns: cols, Freeze: 2, Rows: func(yield func([]any) bool) {
		res := r.Results
		for i := range res.Candidates {
			c := &res.Candidates[i]
			if !r.Filter.Include(c) {
				continue
			}
			row := []any{c.ExamNo, c.Name, c.SchoolCode, c.SchoolName, c.Class}
			for _, s := range r.Subjects {
				sc := r.Scores[i].Total
				if s >= 0 {
					sc = r.Scores[i].Subjects[s]
				}
				if sc.Status != stats.Present {
					if s >= 0 {
						row = append(row, nil, nil)
					}
					row = append(row, sc.Status.Label(), nil, nil, nil, nil, nil, nil)
					continue
				}
				if s >= 0 {
					row = append(row, sc.Objective, sc.Subjective)
				}
				z, tt := r.standard(s, sc.Total)
				row = append(row, sc.Total, rank(sc.RankClass), rank(sc.RankSchool), rank(sc.RankCounty), num(z), num(tt), r.Extras.Grades[s][i])
			}
			if !yield(row) {
				return
			}
		}
	}}
}

func (r *Report) detailTable(s int) Table {
	paper := &r.Results.Subjects[s]
	cols := []Column{{"考号", Text, 12}, {"姓名", Text, 8}, {"学校", Text, 18}, {"班级", Text, 0}, {"客观", Score, 0}, {"主观", Score, 0}, {"总分", Score, 0}}
	for _, it := range paper.Items {
		cols = append(cols, Column{itemHeader(it.Code), Score, 7})
	}
	return Table{Key: "detail-" + paper.Code, Sheet: sheetName(paper.Name + "小题得分"), Columns: cols, Freeze: 2, Rows: func(yield func([]any) bool) {
		res := r.Results
		for i := range res.Candidates {
			c := &res.Candidates[i]
			if !r.Filter.Include(c) {
				continue
			}
			sc := r.Scores[i].Subjects[s]
			row := []any{c.ExamNo, c.Name, c.SchoolName, c.Class}
			if sc.Status != stats.Present {
				row = append(row, nil, nil, sc.Status.Label())
			} else {
				row = append(row, sc.Objective, sc.Subjective, sc.Total)
				for _, v := range c.Subjects[s].Scores {
					row = append(row, v)
				}
			}
			if !yield(row) {
				return
			}
		}
	}}
}

func (r *Report) groupTable(key, sheet string, level stats.Level) Table {
	cols := []Column{{"学科", Text, 0}}
	if level != stats.LevelCounty {
		cols = append(cols, Column{"学校代码", Text, 0}, Column{"学校", Text, 18})
	}
	if level == stats.LevelClass {
		cols = append(cols, Column{"班级", Text, 0})
	}
	cols = append(cols,
		Column{"满分", Score, 0}, Column{"应考人数", Count, 0}, Column{"实考人数", Count, 0}, Column{"缺考人数", Count, 0},
		Column{"违纪人数", Count, 0}, Column{"统计人数", Count, 0}, Column{"参考率", Rate, 0},
		Column{"平均分", Mean, 0}, Column{"中位数", Mean, 0}, Column{"最高分", Score, 0}, Column{"最低分", Score, 0},
		Column{"标准差", Mean, 0}, Column{"及格率", Rate, 0}, Column{"优秀率", Rate, 0}, Column{"低分率", Rate, 0}, Column{"良好率", Rate, 0},
		Column{"客观题平均分", Mean, 0}, Column{"客观题得分率", Rate, 0}, Column{"主观题平均分", Mean, 0}, Column{"主观题得分率", Rate, 0},
		Column{"差异系数", Index, 0}, Column{"偏度", Index, 0}, Column{"峰度", Index, 0})
	switch level {
	case stats.LevelSchool:
		cols = append(cols, Column{"超均率", Rate, 0}, Column{"名次", Count, 0})
	case stats.LevelClass:
		cols = append(cols, Column{"超均率(对本校)", Rate, 0}, Column{"超均率(对全县)", Rate, 0}, Column{"名次", Count, 0})
	}
	freeze := map[stats.Level]int{stats.LevelCounty: 1, stats.LevelSchool: 3, stats.LevelClass: 4}[level]
	return Table{Key: key, Sheet: sheet, Columns: cols, Freeze: freeze, Rows: func(yield func([]any) bool) {
		for _, g := range r.Tables {
			if g.Level != level {
				continue
			}
			row := []any{r.SubjectName(g.Subject)}
			if level != stats.LevelCounty {
				row = append(row, g.SchoolCode, g.SchoolName)
			}
			if level == stats.LevelClass {
				row = append(row, g.Class)
			}
			row = append(row, g.FullScore, g.Registered, g.Attended, g.Absent, g.Violation, g.Counted, num(g.Participation),
				num(g.Mean), num(g.Median), num(g.Max), num(g.Min), num(g.SD), num(g.PassRate), num(g.ExcellentRate), num(g.LowRate), num(g.GoodRate),
				num(g.ObjectiveMean), num(div(g.ObjectiveMean, g.ObjectiveFull)), num(g.SubjectiveMean), num(div(g.SubjectiveMean, g.SubjectiveFull)),
				num(g.CV), num(g.Skewness), num(g.Kurtosis))
			switch level {
			case stats.LevelSchool:
				row = append(row, num(g.OverMean), rank(g.Rank))
			case stats.LevelClass:
				row = append(row, num(g.OverMean), num(g.OverMeanCounty), rank(g.Rank))
			}
			if !yield(row) {
				return
			}
		}
	}}
}

// div is a / b, NaN when b is 0 (a paper without subjective groups has no
// subjective rate).
func div(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// itemRateTable is the school × item 得分率 cross-table of one subject.
func (r *Report) itemRateTable(t *ItemRateTable) Table {
	paper := &r.Results.Subjects[t.Subject]
	cols := []Column{{"学校代码", Text, 0}, {"学校", Text, 18}, {"班级", Text, 0}, {"统计人数", Count, 0}, {"平均分", Mean, 0},
		{"客观题得分率", Rate, 0}, {"主观题得分率", Rate, 0}}
	for _, it := range paper.Items {
		cols = append(cols, Column{itemHeader(it.Code), Rate, 7})
	}
	return Table{Key: "itemrates-" + paper.Code, Sheet: sheetName("学校小题得分率-" + paper.Name), Columns: cols, Freeze: 3,
		Rows: func(yield func([]any) bool) {
			for _, row := range t.Rows {
				g := row.Group
				name := g.SchoolName
				if g.Level == stats.LevelCounty {
					name = "全县"
				}
				st := row.Stats
				out := []any{g.SchoolCode, name, g.Class, row.N, num(st.Mean),
					num(div(st.ObjectiveMean, st.ObjectiveFull)), num(div(st.SubjectiveMean, st.SubjectiveFull))}
				for _, v := range row.Rates {
					out = append(out, num(v))
				}
				if !yield(out) {
					return
				}
			}
		}}
}

func groupLabel(g stats.Group) string {
	switch g.Level {
	case stats.LevelCounty:
		return "全县"
	case stats.LevelClass:
		return g.SchoolName + g.Class
	}
	return g.SchoolName
}

func (r *Report) bandTable(b *BandTable) Table {
	cols := []Column{{"分数段", Text, 10}}
	var series []int
	for _, g := range b.Groups {
		l := groupLabel(g)
		cols = append(cols, Column{l + "人数", Count, 0}, Column{l + "占比", Rate, 0})
		series = append(series, len(cols)-1)
	}
	name := r.SubjectName(b.Subject)
	return Table{Key: "bands-" + r.subjectKey(b.Subject), Sheet: sheetName("分数段-" + name), Columns: cols, Freeze: 1,
		Chart: &Chart{Title: name + "分数段分布（各校人数占比）", Categories: 0, Series: series, Percent: true, YTitle: "占比"},
		Rows: func(yield func([]any) bool) {
			for k, band := range b.Bands {
				row := []any{band.Label}
				for g := range b.Groups {
					row = append(row, b.Counts[g][k], num(b.Shares[g][k]))
				}
				if !yield(row) {
					return
				}
			}
		}}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func (r *Report) onePointTable(o *OnePointTable) Table {
	cols := []Column{{"分数", Count, 0}, {"人数", Count, 0}, {"累计人数", Count, 0}, {"累计百分比", Rate, 0}}
	return Table{Key: "onepoint-" + r.subjectKey(o.Subject), Sheet: sheetName("一分一段-" + r.SubjectName(o.Subject)), Columns: cols, Freeze: 1,
		Rows: func(yield func([]any) bool) {
			for _, p := range o.Rows {
				if !yield([]any{p.Score, p.Count, p.Cumulative, p.CumulativeRate}) {
					return
				}
			}
		}}
}

func kindName(it stats.PaperItem) string {
	if !it.Objective {
		return "主观题"
	}
	switch it.Kind {
	case saoyue.ItemSingle:
		return "单选"
	case saoyue.ItemMulti:
		return "多选"
	case saoyue.ItemTF:
		return "判断"
	}
	return "客观题"
}

func (r *Report) itemTable(a *SubjectAnalysis) Table {
	paper := &r.Results.Subjects[a.Subject]
	cols := []Column{{"题号", Text, 0}, {"题型", Text, 0}, {"答案", Text, 0}, {"满分", Score, 0}, {"人数", Count, 0},
		{"平均分", Mean, 0}, {"标准差", Mean, 0}, {"得分率(难度)", Index, 12}, {"区分度", Index, 0}, {"题总相关", Index, 0},
		{"零分率", Rate, 0}, {"满分率", Rate, 0}}
	return Table{Key: "items-" + paper.Code, Sheet: sheetName("小题分析-" + paper.Name), Columns: cols, Freeze: 1,
		Chart: &Chart{Title: paper.Name + "各题难度与区分度", Categories: 0, Series: []int{7, 8}, YTitle: "指数"},
		Rows: func(yield func([]any) bool) {
			for _, st := range a.Items {
				it := st.Item
				row := []any{it.Code, kindName(it), it.Key, it.Max, st.N, num(st.Mean), num(st.SD), num(st.P), num(st.D), num(st.R),
					num(st.ZeroRate), num(st.FullRate)}
				if !yield(row) {
					return
				}
			}
		}}
}

func (r *Report) reliabilityTable() Table {
	cols := []Column{{"学科", Text, 0}, {"题数", Count, 0}, {"人数", Count, 0}, {"平均分", Mean, 0}, {"标准差", Mean, 0},
		{"α系数", Index, 0}, {"KR-20", Index, 0}, {"测量标准误", Mean, 0}, {"提示", Text, 40}}
	return Table{Key: "reliability", Sheet: "试卷信度", Columns: cols, Freeze: 1, Rows: func(yield func([]any) bool) {
		for _, a := range r.Analyses {
			p := a.Paper
			if !yield([]any{r.SubjectName(a.Subject), p.Items, p.N, num(p.Mean), num(p.SD), num(p.Alpha), num(p.KR20), num(p.SEM),
				stats.AlphaCaution(p.Alpha)}) {
				return
			}
		}
	}}
}

func (r *Report) optionTable(a *SubjectAnalysis) Table {
	paper := &r.Results.Subjects[a.Subject]
	cols := []Column{{"题号", Text, 0}, {"答案", Text, 0}, {"选项", Text, 0}, {"正确选项", Text, 0}, {"人数", Count, 0},
		{"选择率", Rate, 0}, {"高分组选择率", Rate, 12}, {"低分组选择率", Rate, 12}}
	return Table{Key: "options-" + paper.Code, Sheet: sheetName("选项分析-" + paper.Name), Columns: cols, Freeze: 1,
		Rows: func(yield func([]any) bool) {
			for _, st := range a.Items {
				if !st.Item.Objective {
					continue
				}
				for _, o := range append(st.Options, st.Blank) {
					mark := ""
					if o.Correct {
						mark = "√"
					}
					if !yield([]any{st.Item.Code, st.Item.Key, o.Option, mark, o.Count, num(o.Rate), num(o.HighRate), num(o.LowRate)}) {
						return
					}
				}
			}
		}}
}

// sheetName keeps a name within Excel's rules: at most 31 characters and
// none of : \ / ? * [ ].
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, s)
	if rs := []rune(s); len(rs) > 31 {
		s = string(rs[:31])
	}
	return s
}

// describeFilter is the filter in words for the first sheet.
func (r *Report) describeFilter() string {
	var parts []string
	if r.Filter.School != "" {
		name := r.Filter.School
		for _, c := range r.Results.Candidates {
			if c.SchoolCode == r.Filter.School {
				name = c.SchoolName + "（" + c.SchoolCode + "）"
				break
			}
		}
		parts = append(parts, "学校 "+name)
	}
	if r.Filter.Class != "" {
		parts = append(parts, "班级 "+r.Filter.Class)
	}
	if r.Filter.Subject != "" && len(r.Subjects) > 0 {
		parts = append(parts, "学科 "+r.SubjectName(r.Subjects[0]))
	}
	if len(parts) == 0 {
		return "全县，全部学科"
	}
	return fmt.Sprint(strings.Join(parts, "，"))
}

// WeightedFigures names, for the cover and the PDF, the figures a sample
// exam weights.
const WeightedFigures = "本次为抽样监测，以下全县数字按各校“学籍人数 ÷ 样本人数”加权（见“抽样权重”表）：全县的平均分、中位数、标准差、及格率、优秀率、低分率、良好率、客观题和主观题平均分、差异系数、偏度、峰度，学校和班级超均率的全县基准，全县分数段占比和一分一段累计百分比，学校小题得分率和知识点得分率的全县行，全县小题分析和小题细分的平均分、标准差、得分率、零分率、满分率、题总相关、选项选择率，α 系数和测量标准误，全县等级分布占比，Z 分和 T 分所用的全县平均分和标准差。不加权的：各种人数、考生名次、区分度的高低分组划分（按样本人数各取 27%）；学校和班级的数字（同校考生权重相同，加权与否结果一样）"

// extraCoverLines explains the tables added beside the classic ones.
func (r *Report) extraCoverLines() [][2]string {
	var out [][2]string
	if r.Results.Sampled {
		out = append(out, [2]string{"抽样加权", WeightedFigures})
	}
	return out
}

// weightTable lists each sample school's weight.
func (r *Report) weightTable() Table {
	cols := []Column{{"学校代码", Text, 0}, {"学校", Text, 18}, {"学籍人数", Count, 0}, {"样本人数", Count, 0}, {"权重", Mean, 0}}
	return Table{Key: "weights", Sheet: "抽样权重", Columns: cols, Freeze: 2, Rows: func(yield func([]any) bool) {
		for _, w := range r.Results.Weights {
			if !yield([]any{w.SchoolCode, w.SchoolName, w.Enrolment, w.Sample, w.Weight}) {
				return
			}
		}
	}}
}
