package stats

import "math"

// 进退步: the same students in two exams (monitoring in grade 4, then in
// grade 5), matched by their roster row. Scores of different papers are not
// comparable point for point, so the report shows the county rank and its
// percentile beside the raw change. Formulas: docs/STATISTICS.md.

// ProgressCell is one student's change in one subject (or the total).
type ProgressCell struct {
	Matched         bool // counted in both exams
	Prev, Cur       float64
	PrevRank        int // county rank
	CurRank         int
	ScoreChange     float64 // Cur − Prev
	RankChange      int     // PrevRank − CurRank: positive = moved up
	PercentileDelta float64 // change of the share of the county scoring below: positive = moved up
}

// ProgressRow is one student present in the current exam and found in the
// earlier one.
type ProgressRow struct {
	Cur, Prev int            // candidate indexes in each exam
	Cells     []ProgressCell // aligned with the compared subjects, then the total
}

// ComparedSubject pairs a subject of the current exam with the same code in
// the earlier one; -1/-1 is the total.
type ComparedSubject struct {
	Cur, Prev int
	Name      string
}

// CompareSubjects lists the subjects both exams have (by code), then the
// total when both have more than one subject.
func CompareSubjects(cur, prev *ExamResults) []ComparedSubject {
	var out []ComparedSubject
	for i, s := range cur.Subjects {
		for j, p := range prev.Subjects {
			if s.Code == p.Code {
				out = append(out, ComparedSubject{Cur: i, Prev: j, Name: s.Name})
			}
		}
	}
	if len(cur.Subjects) > 1 && len(prev.Subjects) > 1 {
		out = append(out, ComparedSubject{Cur: -1, Prev: -1, Name: "总分"})
	}
	return out
}

// Progress matches the current exam's candidates with the earlier exam's
// by student (roster row) and computes each one's change. Students in only
// one exam are left out.
func Progress(cur, prev *ExamResults, curScores, prevScores []CandidateScores, subjects []ComparedSubject) []ProgressRow {
	byStudent := make(map[int64]int, len(prev.Candidates))
	for j, c := range prev.Candidates {
		if c.StudentID != 0 {
			byStudent[c.StudentID] = j
		}
	}
	counted := func(scores []CandidateScores, s int) int {
		n := 0
		for i := range scores {
			if pick(scores[i], s).Status == Present {
				n++
			}
		}
		return n
	}
	nCur, nPrev := make([]int, len(subjects)), make([]int, len(subjects))
	for k, cs := range subjects {
		nCur[k], nPrev[k] = counted(curScores, cs.Cur), counted(prevScores, cs.Prev)
	}
	var out []ProgressRow
	for i, c := range cur.Candidates {
		j, ok := byStudent[c.StudentID]
		if !ok || c.StudentID == 0 {
			continue
		}
		row := ProgressRow{Cur: i, Prev: j, Cells: make([]ProgressCell, len(subjects))}
		for k, cs := range subjects {
			a, b := pick(curScores[i], cs.Cur), pick(prevScores[j], cs.Prev)
			cell := ProgressCell{PercentileDelta: math.NaN()}
			if a.Status == Present && b.Status == Present {
				cell = ProgressCell{Matched: true, Prev: b.Total, Cur: a.Total, PrevRank: b.RankCounty, CurRank: a.RankCounty,
					ScoreChange: a.Total - b.Total, RankChange: b.RankCounty - a.RankCounty,
					PercentileDelta: percentile(a.RankCounty, nCur[k]) - percentile(b.RankCounty, nPrev[k])}
			}
			row.Cells[k] = cell
		}
		out = append(out, row)
	}
	return out
}

// percentile is the share of the county ranked below: (n − rank) / n, so
// the first of 100 stands at 0.99 and the last at 0.
func percentile(rank, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(n-rank) / float64(n)
}

// ProgressSummary sums up a group's students in one compared subject.
type ProgressSummary struct {
	Matched             int
	MeanPrev, MeanCur   float64
	MeanScoreChange     float64
	MeanRankChange      float64
	MeanPercentileDelta float64
	Up, Down, Same      int // by county rank
}

// SummarizeProgress sums up the rows whose current candidate in() accepts.
func SummarizeProgress(cur *ExamResults, rows []ProgressRow, k int, in func(*CandidateResults) bool) ProgressSummary {
	var s ProgressSummary
	var sp, sc, sd, sr, spd float64
	for _, r := range rows {
		c := r.Cells[k]
		if !c.Matched || in != nil && !in(&cur.Candidates[r.Cur]) {
			continue
		}
		s.Matched++
		sp += c.Prev
		sc += c.Cur
		sd += c.ScoreChange
		sr += float64(c.RankChange)
		spd += c.PercentileDelta
		switch {
		case c.RankChange > 0:
			s.Up++
		case c.RankChange < 0:
			s.Down++
		default:
			s.Same++
		}
	}
	n := float64(s.Matched)
	s.MeanPrev, s.MeanCur, s.MeanScoreChange, s.MeanRankChange, s.MeanPercentileDelta = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
	if s.Matched > 0 {
		s.MeanPrev, s.MeanCur, s.MeanScoreChange, s.MeanRankChange, s.MeanPercentileDelta = sp/n, sc/n, sd/n, sr/n, spd/n
	}
	return s
}
