package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/go-pdf/fpdf"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/grading/stats"
)

// The printable documents: a per-school 分析报告 and per-student
// 成绩报告单, A4, charts drawn from the data, Chinese throughout. Both take
// a report built with the school (and optionally class) filter.

func pct(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", v*100)
}

func f2(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func (r *Report) schoolRow(s int) (school, county stats.GroupStats, ok bool) {
	for _, g := range r.Tables {
		if g.Subject != s {
			continue
		}
		switch g.Level {
		case stats.LevelCounty:
			county = g
		case stats.LevelSchool:
			school, ok = g, true
		}
	}
	return school, county, ok
}

func (r *Report) schoolName() string {
	for _, c := range r.Results.Candidates {
		if c.SchoolCode == r.Filter.School {
			return c.SchoolName
		}
	}
	return r.Filter.School
}

// schoolCount is how many schools the exam has: the school's place is
// among all of them, whatever the filter shows.
func (r *Report) schoolCount() int { return len(r.Members.Schools) }

// doc is a PDF being laid out: the current line and the running header.
type doc struct {
	pdf   *fpdf.Fpdf
	y     float64
	head  string
	pages int
}

func (d *doc) newPage() {
	d.pdf.AddPage()
	d.pages++
	d.pdf.SetDrawColor(191, 191, 191)
	card.Text(d.pdf, margin, 10, 8, d.head)
	sayRight(d.pdf, pageW-margin, 10, 8, fmt.Sprintf("第 %d 页", d.pages))
	d.pdf.Line(margin, 11.5, pageW-margin, 11.5)
	d.y = margin + 4
}

// need starts a new page unless h mm fit below the current line.
func (d *doc) need(h float64) {
	if d.y+h > pageH-margin {
		d.newPage()
	}
}

func (d *doc) heading(s string) {
	d.need(14)
	d.y += 4
	card.Text(d.pdf, margin, d.y, 12, s)
	d.y += 5
}

// WriteSchoolPDF writes the school's 分析报告: where it stands in every
// subject, a generated narrative, item 得分率 and score band charts against
// the county, and its classes.
func WriteSchoolPDF(w io.Writer, r *Report) error {
	if r.Filter.School == "" {
		return saoyue.Errorf(saoyue.EINVALID, "学校分析报告需要指定学校")
	}
	name := r.schoolName()
	pdf, err := newReportPDF(name+"成绩分析报告", r.Font)
	if err != nil {
		return err
	}
	d := &doc{pdf: pdf, head: r.Results.Name + " | " + name + " | 成绩分析报告"}
	d.newPage()
	sayCentre(pdf, pageW/2, d.y+6, 16, r.Results.Name)
	sayCentre(pdf, pageW/2, d.y+15, 14, name+"（"+r.Filter.School+"）成绩分析报告")
	d.y += 22
	meta := "生成时间 " + r.Generated.Format("2006-01-02 15:04")
	if !saoyue.Stage(r.Status).AtLeast(saoyue.StageFinal) {
		meta += "；成绩尚未发布，本报告仅供复核"
	}
	d.y = paragraph(pdf, margin, d.y+4, contentW, 9, meta)
	if r.Results.Sampled {
		d.y = paragraph(pdf, margin, d.y, contentW, 8, "抽样监测：全县数字按各校学籍人数与样本人数之比加权。")
	}
	r.schoolOverview(d)
	r.schoolNarrative(d)
	for _, a := range r.Analyses {
		r.schoolSubjectPages(d, a)
	}
	r.schoolClasses(d)
	return pdf.Output(w)
}

func (r *Report) schoolOverview(d *doc) {
	d.heading("一、总体情况")
	rows := [][]string{{"学科", "本校人数", "本校平均分", "全县平均分", "超均率", "及格率", "优秀率", "低分率", "学校名次", "综合得分"}}
	for _, s := range r.Subjects {
		sc, co, ok := r.schoolRow(s)
		if !ok {
			continue
		}
		rows = append(rows, []string{r.SubjectName(s), fmt.Sprint(sc.Counted), f2(sc.Mean), f2(co.Mean), pct(sc.OverMean),
			pct(sc.PassRate), pct(sc.ExcellentRate), pct(sc.LowRate), fmt.Sprintf("%d/%d", sc.Rank, r.schoolCount()),
			f2(r.Extras.Composite[rowKey(sc)])})
	}
	d.y = table(d.pdf, margin, d.y, []float64{20, 16, 19, 19, 17, 17, 17, 17, 19, 19}, rows, 8) + 2
}

// schoolNarrative writes a short paragraph per subject: the school's place,
// its strongest and weakest items against the county, the items that
// discriminate worst, and a reliability caution.
func (r *Report) schoolNarrative(d *doc) {
	d.heading("二、分析与建议")
	for _, s := range r.Subjects {
		text := r.narrative(s)
		if text == "" {
			continue
		}
		d.need(12)
		d.y = paragraph(d.pdf, margin, d.y+1, contentW, 9.5, text) + 1
	}
}

func (r *Report) narrative(s int) string {
	sc, co, ok := r.schoolRow(s)
	if !ok || sc.Counted == 0 {
		return ""
	}
	name := r.SubjectName(s)
	dir := "高于"
	if sc.Mean < co.Mean {
		dir = "低于"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s：本校 %d 人参加统计，平均分 %s，%s全县平均分 %s（超均率 %s），在全县 %d 所学校中列第 %d 名；及格率 %s（全县 %s），优秀率 %s（全县 %s）。",
		name, sc.Counted, f2(sc.Mean), dir, f2(co.Mean), pct(sc.OverMean), r.schoolCount(), sc.Rank,
		pct(sc.PassRate), pct(co.PassRate), pct(sc.ExcellentRate), pct(co.ExcellentRate))
	if s < 0 {
		return b.String()
	}
	paper := r.Results.Subjects[s]
	for _, t := range r.Rates {
		if t.Subject != s || len(t.Rows) < 2 {
			continue
		}
		county, school := t.Rows[0].Rates, t.Rows[1].Rates
		idx := make([]int, 0, len(paper.Items))
		for j := range paper.Items {
			if !math.IsNaN(school[j]) && !math.IsNaN(county[j]) {
				idx = append(idx, j)
			}
		}
		sort.SliceStable(idx, func(a, c int) bool { return school[idx[a]]-county[idx[a]] > school[idx[c]]-county[idx[c]] })
		if len(idx) > 0 {
			best, worst := idx[0], idx[len(idx)-1]
			fmt.Fprintf(&b, "相对全县最强的是%s（本校得分率 %s，全县 %s），最弱的是%s（本校 %s，全县 %s），讲评时宜优先。",
				itemHeader(paper.Items[best].Code), pct(school[best]), pct(county[best]),
				itemHeader(paper.Items[worst].Code), pct(school[worst]), pct(county[worst]))
		}
	}
	b.WriteString(r.knowledgeNarrative(s))
	for _, a := range r.Analyses {
		if a.Subject != s {
			continue
		}
		var low []string
		for _, it := range a.Items {
			if !math.IsNaN(it.D) && it.D < 0.2 {
				low = append(low, fmt.Sprintf("%s（D = %.2f）", itemHeader(it.Item.Code), it.D))
			}
		}
		if len(low) > 3 {
			low = low[:3]
		}
		if len(low) > 0 {
			b.WriteString("本校区分度偏低（D < 0.20）的题有" + strings.Join(low, "、") + "，高分和低分学生得分相近，宜核查题目或教学。")
		}
		if c := stats.AlphaCaution(a.Paper.Alpha); c != "" {
			// The CJK font has no Greek: α is spelled out.
			b.WriteString("本校本卷信度系数 " + f2(a.Paper.Alpha) + "，" + strings.ReplaceAll(c, "α", "信度系数") + "。")
		}
	}
	return b.String()
}

func (r *Report) schoolSubjectPages(d *doc, a SubjectAnalysis) {
	s := a.Subject
	paper := r.Results.Subjects[s]
	d.heading("三、" + paper.Name + "：各题得分率与分数段")
	for _, t := range r.Rates {
		if t.Subject != s || len(t.Rows) < 2 {
			continue
		}
		cats := make([]string, len(paper.Items))
		for j, it := range paper.Items {
			cats[j] = it.Code
		}
		d.need(72)
		barChart(d.pdf, margin, d.y, contentW, 70, paper.Name+"各题得分率（本校与全县）", cats,
			[]barSeries{{"本校", t.Rows[1].Rates, blue}, {"全县", t.Rows[0].Rates, grey}}, 1, true)
		d.y += 72
	}
	for _, bt := range r.Bands {
		if bt.Subject != s || len(bt.Groups) < 2 {
			continue
		}
		cats := make([]string, len(bt.Bands))
		for k, b := range bt.Bands {
			cats[k] = b.Label
		}
		top := 0.0
		for _, v := range append(append([]float64(nil), bt.Shares[0]...), bt.Shares[1]...) {
			if !math.IsNaN(v) {
				top = math.Max(top, v)
			}
		}
		top = math.Max(0.1, math.Ceil(top*10)/10)
		d.need(62)
		barChart(d.pdf, margin, d.y, contentW, 60, paper.Name+"分数段人数占比（本校与全县）", cats,
			[]barSeries{{"本校", bt.Shares[1], blue}, {"全县", bt.Shares[0], grey}}, top, true)
		d.y += 62
	}
}

func (r *Report) schoolClasses(d *doc) {
	d.heading("四、各班情况")
	rows := [][]string{{"学科", "班级", "人数", "平均分", "超均率(对本校)", "超均率(对全县)", "及格率", "优秀率", "低分率", "班级名次"}}
	for _, g := range r.Tables {
		if g.Level != stats.LevelClass {
			continue
		}
		rows = append(rows, []string{r.SubjectName(g.Subject), g.Class, fmt.Sprint(g.Counted), f2(g.Mean), pct(g.OverMean),
			pct(g.OverMeanCounty), pct(g.PassRate), pct(g.ExcellentRate), pct(g.LowRate), fmt.Sprint(g.Rank)})
	}
	widths := []float64{18, 18, 12, 17, 22, 22, 17, 17, 17, 20}
	for len(rows) > 1 {
		n := min(len(rows)-1, int((pageH-margin-d.y)/(8*0.3528+3))-1)
		if n < 1 {
			d.newPage()
			continue
		}
		d.y = table(d.pdf, margin, d.y, widths, append([][]string{rows[0]}, rows[1:1+n]...), 8)
		rows = append([][]string{rows[0]}, rows[1+n:]...)
	}
}

// knowledgeNarrative names the school's strongest and weakest knowledge
// points against the county, when the key lists them.
func (r *Report) knowledgeNarrative(s int) string {
	for _, t := range r.Knowledge {
		if t.Subject != s || t.Abilities || len(t.Rows) < 2 || len(t.Points) < 2 {
			continue
		}
		county, school := t.Rows[0].Rates, t.Rows[1].Rates
		best, worst := 0, 0
		for k := range t.Points {
			d := school[k].Rate - county[k].Rate
			if d > school[best].Rate-county[best].Rate {
				best = k
			}
			if d < school[worst].Rate-county[worst].Rate {
				worst = k
			}
		}
		return fmt.Sprintf("知识点中掌握最好的是“%s”（本校得分率 %s，全县 %s），最薄弱的是“%s”（本校 %s，全县 %s）。",
			t.Points[best].Name, pct(school[best].Rate), pct(county[best].Rate),
			t.Points[worst].Name, pct(school[worst].Rate), pct(county[worst].Rate))
	}
	return ""
}
