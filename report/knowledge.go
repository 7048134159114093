package report

import (
	"strings"

	"github.com/saoyue/saoyue/grading/stats"
)

// KnowledgeTable is the 得分率 of each knowledge point (or ability) of one
// subject for the county and every school and class shown.
type KnowledgeTable struct {
	Subject   int
	Abilities bool
	Points    []stats.PointRate
	Rows      []KnowledgeRow
}

// KnowledgeRow is one group's rates, aligned with the table's points.
type KnowledgeRow struct {
	Group stats.Group
	N     int
	Rates []stats.PointRate
}

// knowledgeTables builds the tables of the subjects whose key lists
// knowledge points or abilities.
func (r *Report) knowledgeTables() {
	for _, s := range r.Subjects {
		if s < 0 {
			continue
		}
		for _, ab := range []bool{false, true} {
			points := stats.Points(r.Results, s, ab)
			if len(points) == 0 {
				continue
			}
			t := KnowledgeTable{Subject: s, Abilities: ab, Points: points}
			for _, g := range r.Tables {
				if g.Subject != s {
					continue
				}
				rates, n := stats.ItemRates(r.Results, s, r.Members.Of(g.Group))
				t.Rows = append(t.Rows, KnowledgeRow{Group: g.Group, N: n, Rates: stats.PointRates(r.Results, s, points, rates)})
			}
			r.Knowledge = append(r.Knowledge, t)
		}
	}
}

func (r *Report) knowledgeTable(t *KnowledgeTable) Table {
	kind, key := "知识点", "knowledge-"
	if t.Abilities {
		kind, key = "能力", "abilities-"
	}
	paper := r.Results.Subjects[t.Subject]
	cols := []Column{{kind, Text, 16}, {"题号", Text, 12}, {"分值", Score, 0}, {"学校代码", Text, 0}, {"学校", Text, 18}, {"班级", Text, 0},
		{"统计人数", Count, 0}, {"得分率", Rate, 0}, {"全县得分率", Rate, 0}, {"与全县之差", Rate, 0}}
	return Table{Key: key + paper.Code, Sheet: sheetName(kind + "得分率-" + paper.Name), Columns: cols, Freeze: 1,
		Rows: func(yield func([]any) bool) {
			if len(t.Rows) == 0 {
				return
			}
			county := t.Rows[0].Rates
			for k, p := range t.Points {
				for _, row := range t.Rows {
					g := row.Group
					v := row.Rates[k].Rate
					out := []any{p.Name, strings.Join(p.Items, "、"), p.Max, g.SchoolCode, groupName(g), g.Class, row.N,
						num(v), num(county[k].Rate), num(v - county[k].Rate)}
					if !yield(out) {
						return
					}
				}
			}
		}}
}
