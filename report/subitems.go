package report

import "github.com/saoyue/saoyue/grading/stats"

// SubTable reports the sub-questions (28(1), 28(2)) of one subject for the
// county and each school shown (and the classes of a filtered school).
type SubTable struct {
	Subject int
	Rows    []SubRow
}

// SubRow is one group's figures, aligned with the paper's Subs.
type SubRow struct {
	Group stats.Group
	Stats []stats.SubStats
}

func (r *Report) subTables() {
	for _, s := range r.Subjects {
		if s < 0 || len(r.Results.Subjects[s].Subs) == 0 {
			continue
		}
		t := SubTable{Subject: s}
		for _, g := range r.Tables {
			if g.Subject != s || g.Level == stats.LevelClass && r.Filter.School == "" {
				continue
			}
			t.Rows = append(t.Rows, SubRow{Group: g.Group, Stats: stats.SubItemStats(r.Results, s, r.Members.Of(g.Group))})
		}
		r.Subs = append(r.Subs, t)
	}
}

func (r *Report) subTable(t *SubTable) Table {
	paper := r.Results.Subjects[t.Subject]
	cols := []Column{{"小题", Text, 0}, {"满分", Score, 0}, {"学校代码", Text, 0}, {"学校", Text, 18}, {"班级", Text, 0},
		{"人数", Count, 0}, {"平均分", Mean, 0}, {"得分率", Rate, 0}, {"满分率", Rate, 0}, {"零分率", Rate, 0},
		{"其中改分", Count, 0}}
	return Table{Key: "subitems-" + paper.Code, Sheet: sheetName("小题细分-" + paper.Name), Columns: cols, Freeze: 1,
		Rows: func(yield func([]any) bool) {
			for k, sub := range paper.Subs {
				for _, row := range t.Rows {
					st := row.Stats[k]
					g := row.Group
					if !yield([]any{sub.Label, sub.Max, g.SchoolCode, groupName(g), g.Class, st.N, num(st.Mean), num(st.Rate),
						num(st.FullRate), num(st.ZeroRate), st.Changed}) {
						return
					}
				}
			}
		}}
}
