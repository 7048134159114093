package report

import (
	"context"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/stats"
	"github.com/saoyue/saoyue/store"
)

// Comparison is the 进退步 of the report's students against an earlier
// exam they also sat.
type Comparison struct {
	Prev       *stats.ExamResults
	PrevScores []stats.CandidateScores
	Subjects   []stats.ComparedSubject
	Rows       []stats.ProgressRow
}

// Compare loads the earlier exam and attaches the comparison to the report.
func Compare(ctx context.Context, db *store.DB, r *Report, prevCode string) error {
	if prevCode == r.Results.Code {
		return saoyue.Errorf(saoyue.EINVALID, "进退步要与另一次考试比较，不能与考试 %s 自身比较", prevCode)
	}
	prev, _, _, _, err := Load(ctx, db, prevCode)
	if err != nil {
		return err
	}
	return r.AttachComparison(prev)
}

// AttachComparison matches the report's students with the earlier exam's.
func (r *Report) AttachComparison(prev *stats.ExamResults) error {
	subjects := stats.CompareSubjects(r.Results, prev)
	if len(subjects) == 0 {
		return saoyue.Errorf(saoyue.EINVALID, "考试 %s 与 %s 没有相同代码的学科，无法比较进退步", r.Results.Code, prev.Code)
	}
	ps := stats.ComputeScores(prev)
	rows := stats.Progress(r.Results, prev, r.Scores, ps, subjects)
	if len(rows) == 0 {
		return saoyue.Errorf(saoyue.EINVALID, "考试 %s 与 %s 没有共同的学生（按学籍匹配），无法比较进退步", r.Results.Code, prev.Code)
	}
	r.Compare = &Comparison{Prev: prev, PrevScores: ps, Subjects: subjects, Rows: rows}
	return nil
}

func (r *Report) progressTables() []Table {
	if r.Compare == nil {
		return nil
	}
	return []Table{r.progressStudentTable(), r.progressGroupTable()}
}

func (r *Report) progressStudentTable() Table {
	c := r.Compare
	cols := []Column{{"考号", Text, 12}, {"姓名", Text, 8}, {"学校", Text, 18}, {"班级", Text, 0}, {"上次考号", Text, 12}}
	for _, s := range c.Subjects {
		n := s.Name
		cols = append(cols, Column{n + "上次分数", Score, 0}, Column{n + "本次分数", Score, 0}, Column{n + "分数变化", Score, 0},
			Column{n + "上次名次", Count, 0}, Column{n + "本次名次", Count, 0}, Column{n + "名次变化", Count, 0}, Column{n + "百分位变化", Rate, 0})
	}
	return Table{Key: "progress-students", Sheet: "进退步-学生", Columns: cols, Freeze: 2, Rows: func(yield func([]any) bool) {
		for _, p := range c.Rows {
			cand := &r.Results.Candidates[p.Cur]
			if !r.Filter.Include(cand) {
				continue
			}
			row := []any{cand.ExamNo, cand.Name, cand.SchoolName, cand.Class, c.Prev.Candidates[p.Prev].ExamNo}
			for _, cell := range p.Cells {
				if !cell.Matched {
					row = append(row, nil, nil, nil, nil, nil, nil, nil)
					continue
				}
				row = append(row, cell.Prev, cell.Cur, cell.ScoreChange, cell.PrevRank, cell.CurRank, cell.RankChange, num(cell.PercentileDelta))
			}
			if !yield(row) {
				return
			}
		}
	}}
}

func (r *Report) progressGroupTable() Table {
	c := r.Compare
	cols := []Column{{"学科", Text, 0}, {"学校代码", Text, 0}, {"学校", Text, 18}, {"班级", Text, 0}, {"匹配人数", Count, 0},
		{"上次平均分", Mean, 0}, {"本次平均分", Mean, 0}, {"平均分变化", Mean, 0}, {"平均名次变化", Mean, 0}, {"平均百分位变化", Rate, 0},
		{"进步人数", Count, 0}, {"退步人数", Count, 0}, {"持平人数", Count, 0}}
	return Table{Key: "progress-groups", Sheet: "进退步-学校班级", Columns: cols, Freeze: 4, Rows: func(yield func([]any) bool) {
		for k, s := range c.Subjects {
			for _, g := range r.Tables {
				if g.Subject != s.Cur {
					continue
				}
				grp := g.Group
				in := func(cand *stats.CandidateResults) bool {
					return grp.Level == stats.LevelCounty || cand.SchoolCode == grp.SchoolCode && (grp.Level == stats.LevelSchool || cand.Class == grp.Class)
				}
				sum := stats.SummarizeProgress(r.Results, c.Rows, k, in)
				row := []any{s.Name, g.SchoolCode, groupName(g.Group), g.Class, sum.Matched, num(sum.MeanPrev), num(sum.MeanCur),
					num(sum.MeanScoreChange), num(sum.MeanRankChange), num(sum.MeanPercentileDelta), sum.Up, sum.Down, sum.Same}
				if !yield(row) {
					return
				}
			}
		}
	}}
}
