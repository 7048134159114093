package report

import (
	"fmt"
	"io"
	"math"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/grading/stats"
)

// WriteStudentPDF writes a 成绩报告单 for every candidate the filter
// shows, one A4 page each (more when the items do not fit): scores, ranks, grade and T score per subject
// beside the class, school and county means, a chart of the student's
// score rates against the means, and every item's score.
func WriteStudentPDF(w io.Writer, r *Report) error {
	if r.Filter.School == "" {
		return saoyue.Errorf(saoyue.EINVALID, "成绩报告单需要指定学校（可再指定班级）")
	}
	pdf, err := newReportPDF(r.schoolName()+"成绩报告单", r.Font)
	if err != nil {
		return err
	}
	d := &doc{pdf: pdf, head: r.Results.Name + " | 成绩报告单"}
	means := r.groupMeans()
	for i := range r.Results.Candidates {
		c := &r.Results.Candidates[i]
		if r.Filter.Include(c) {
			r.studentPage(d, i, means)
		}
	}
	if d.pages == 0 {
		return saoyue.Errorf(saoyue.ENOTFOUND, "没有可打印的考生")
	}
	return pdf.Output(w)
}

// groupMeans finds the mean of every subject for the county, each school and
// each class shown: rowKey of the level's group → mean.
func (r *Report) groupMeans() map[string]float64 {
	m := map[string]float64{}
	for _, g := range r.Tables {
		m[meanKey(g.Level, g.SchoolCode, g.Class, g.Subject)] = g.Mean
	}
	return m
}

func meanKey(l stats.Level, school, class string, s int) string {
	return fmt.Sprint(int(l), "\x00", school, "\x00", class, "\x00", s)
}

func (r *Report) studentPage(d *doc, i int, means map[string]float64) {
	c := &r.Results.Candidates[i]
	pdf := d.pdf
	d.newPage()
	sayCentre(pdf, pageW/2, d.y+5, 15, r.Results.Name+" 成绩报告单")
	d.y += 12
	card.Text(pdf, margin, d.y, 10, fmt.Sprintf("姓名：%s    考号：%s    学校：%s    班级：%s", c.Name, c.ExamNo, c.SchoolName, c.Class))
	d.y += 5
	rows := [][]string{{"学科", "得分", "满分", "等级", "T分", "班级名次", "学校名次", "全县名次", "班级平均", "学校平均", "全县平均"}}
	var cats []string
	var mine, class, school, county []float64
	for _, s := range r.Subjects {
		sc := r.Scores[i].Total
		if s >= 0 {
			sc = r.Scores[i].Subjects[s]
		}
		full := r.fullScore(s)
		cm := means[meanKey(stats.LevelClass, c.SchoolCode, c.Class, s)]
		sm := means[meanKey(stats.LevelSchool, c.SchoolCode, "", s)]
		km := means[meanKey(stats.LevelCounty, "", "", s)]
		if sc.Status != stats.Present {
			rows = append(rows, []string{r.SubjectName(s), sc.Status.Label(), fmt.Sprint(full), "", "", "", "", "", f2(cm), f2(sm), f2(km)})
			continue
		}
		_, t := r.standard(s, sc.Total)
		rows = append(rows, []string{r.SubjectName(s), fmt.Sprint(sc.Total), fmt.Sprint(full), r.Extras.Grades[s][i], f2(t),
			fmt.Sprint(sc.RankClass), fmt.Sprint(sc.RankSchool), fmt.Sprint(sc.RankCounty), f2(cm), f2(sm), f2(km)})
		if s >= 0 {
			cats = append(cats, r.SubjectName(s))
			mine, class, school, county = append(mine, sc.Total/full), append(class, cm/full), append(school, sm/full), append(county, km/full)
		}
	}
	d.y = table(pdf, margin, d.y, []float64{18, 14, 13, 12, 15, 16, 16, 16, 18, 18, 18}, rows, 8) + 4
	if len(cats) > 0 {
		barChart(pdf, margin, d.y, contentW, 62, "各科得分率（本人与班级、学校、全县平均）", cats, []barSeries{
			{"本人", mine, orange}, {"班级", class, blue}, {"学校", school, [3]int{112, 173, 71}}, {"全县", county, grey}}, 1, true)
		d.y += 66
	}
	for _, s := range r.Subjects {
		if s >= 0 {
			r.studentItems(d, i, s)
		}
	}
}

// studentItems prints the student's item scores in rows of up to 15 items
// with the county's 得分率 beside each, going on over as many pages as the
// paper needs.
func (r *Report) studentItems(d *doc, i, s int) {
	c := &r.Results.Candidates[i]
	res := c.Subjects[s]
	if res.Status != stats.Present {
		return
	}
	paper := r.Results.Subjects[s]
	var county []float64
	for _, t := range r.Rates {
		if t.Subject == s && len(t.Rows) > 0 {
			county = t.Rows[0].Rates
		}
	}
	const per = 15
	for start := 0; start < len(paper.Items); start += per {
		end := min(start+per, len(paper.Items))
		head, got, rate := []string{paper.Name + "题号"}, []string{"得分/满分"}, []string{"全县得分率"}
		for j := start; j < end; j++ {
			head = append(head, paper.Items[j].Code)
			v := 0.0
			if j < len(res.Scores) {
				v = res.Scores[j]
			}
			got = append(got, fmt.Sprintf("%g/%g", v, paper.Items[j].Max))
			cr := math.NaN()
			if j < len(county) {
				cr = county[j]
			}
			rate = append(rate, fmt.Sprintf("%.0f%%", cr*100))
		}
		widths := []float64{24}
		for range head[1:] {
			widths = append(widths, (contentW-24)/per)
		}
		if d.y+3*(7*0.3528+3)+2 > pageH-margin {
			// Every item is printed: the card goes on over the next page,
			// headed with the student so a loose sheet is still theirs.
			d.newPage()
			card.Text(d.pdf, margin, d.y, 10, fmt.Sprintf("姓名：%s    考号：%s    学校：%s    班级：%s    （续）", c.Name, c.ExamNo, c.SchoolName, c.Class))
			d.y += 6
		}
		d.y = table(d.pdf, margin, d.y, widths, [][]string{head, got, rate}, 7) + 2
	}
}
