package stats

import (
	"fmt"
	"math"
	"sort"
)

// Standard scores, grade bands (等级), the 三率一分 composite, 名次段 and
// 临界生. Formulas and references: docs/STATISTICS.md.

// Grade modes.
const (
	GradeByScore      = "score"
	GradeByPercentile = "percentile"
)

// GradeLetters are the five grades, best first.
var GradeLetters = []string{"A", "B", "C", "D", "E"}

// GradeScheme cuts scores into A–E: by score, A is at least Cuts[0] of the
// full score, B at least Cuts[1] …, E below Cuts[3]; by percentile, A is
// the top Cuts[0] of the counted candidates, B down to Cuts[1] …
type GradeScheme struct {
	Mode string
	Cuts []float64
}

// DefaultGradeCuts are the cuts of each mode: 85/75/60/40% of the full
// score (优秀, 良好, 合格, 待合格 as county reports print them), or the top
// 15%, 40%, 75% and 95%.
var DefaultGradeCuts = map[string][]float64{
	GradeByScore:      {0.85, 0.75, 0.6, 0.4},
	GradeByPercentile: {0.15, 0.40, 0.75, 0.95},
}

// Resolve fills in the mode's default cuts and checks them.
func (g GradeScheme) Resolve() (GradeScheme, error) {
	if g.Mode == "" {
		g.Mode = GradeByScore
	}
	def, ok := DefaultGradeCuts[g.Mode]
	if !ok {
		return g, fmt.Errorf("等级划分方式 %q 无效：只能按分数（score）或按百分位（percentile）", g.Mode)
	}
	if len(g.Cuts) == 0 {
		g.Cuts = def
	}
	if len(g.Cuts) != 4 {
		return g, fmt.Errorf("等级需要 4 个分界（A/B、B/C、C/D、D/E），现在有 %d 个", len(g.Cuts))
	}
	for i, c := range g.Cuts {
		if !(c > 0 && c <= 1) {
			return g, fmt.Errorf("等级分界 %g 无效：分界是 0 到 1 之间的比例", c)
		}
		if i > 0 && (g.Mode == GradeByScore && c >= g.Cuts[i-1] || g.Mode == GradeByPercentile && c <= g.Cuts[i-1]) {
			return g, fmt.Errorf("等级分界 %v 顺序不对：按分数时从高到低（先 A），按百分位时从小到大", g.Cuts)
		}
	}
	return g, nil
}

// Grades gives each candidate's grade in subject s (-1: total), "" for
// those not counted. By percentile a candidate's place is the share of
// counted candidates who scored higher ((county rank − 1) / n), so equal
// scores share a grade.
func Grades(e *ExamResults, scores []CandidateScores, s int, full float64, g GradeScheme) []string {
	out := make([]string, len(e.Candidates))
	n := 0
	for i := range scores {
		if pick(scores[i], s).Status == Present {
			n++
		}
	}
	for i := range scores {
		sc := pick(scores[i], s)
		if sc.Status != Present {
			continue
		}
		k := 0
		if g.Mode == GradeByPercentile {
			above := float64(sc.RankCounty-1) / float64(n)
			for k < 4 && above >= g.Cuts[k]-eps {
				k++
			}
		} else {
			for k < 4 && sc.Total < g.Cuts[k]*full-eps {
				k++
			}
		}
		out[i] = GradeLetters[k]
	}
	return out
}

func pick(cs CandidateScores, s int) CandidateScore {
	if s >= 0 {
		return cs.Subjects[s]
	}
	return cs.Total
}

// GradeCount is one group's grade distribution: counts and weighted shares.
type GradeCount struct {
	Counts [5]int
	Shares [5]float64
}

// CountGrades counts the grades of the members.
func CountGrades(e *ExamResults, grades []string, members []int) GradeCount {
	var gc GradeCount
	var sums [5]float64
	var total float64
	for _, i := range members {
		for k, l := range GradeLetters {
			if grades[i] == l {
				w := e.Candidates[i].W()
				gc.Counts[k]++
				sums[k] += w
				total += w
			}
		}
	}
	for k := range sums {
		gc.Shares[k] = weightedRate(sums[k], total)
	}
	return gc
}

// Standard is a candidate's standard scores against the county:
// Z = (x − mean) / SD, T = 50 + 10 Z. NaN when the county has no spread.
func Standard(x, mean, sd float64) (z, t float64) {
	if !(sd > eps) {
		return math.NaN(), math.NaN()
	}
	z = (x - mean) / sd
	return z, 50 + 10*z
}

// Composite is the 三率一分 score of a group row, 0–100: weights of the
// mean's share of the full score, the pass rate, the excellent rate and
// one minus the low rate, normalised by their sum.
func Composite(g GroupStats, weights []float64) float64 {
	if g.Counted == 0 || len(weights) != 4 || g.FullScore <= 0 {
		return math.NaN()
	}
	parts := []float64{g.Mean / g.FullScore, g.PassRate, g.ExcellentRate, 1 - g.LowRate}
	var s, ws float64
	for k, w := range weights {
		s += w * parts[k]
		ws += w
	}
	if ws <= 0 {
		return math.NaN()
	}
	return 100 * s / ws
}

// TopCount is how many of the county's top N a group has: candidates with a
// county rank of N or better (ties at the cut all count).
func TopCount(scores []CandidateScores, s int, members []int, n int) int {
	c := 0
	for _, i := range members {
		sc := pick(scores[i], s)
		if sc.Status == Present && sc.RankCounty > 0 && sc.RankCounty <= n {
			c++
		}
	}
	return c
}

// Borderline is one 临界生: a counted candidate within the margin of a
// line, below it (needs a few points) or at or above it (could drop).
type Borderline struct {
	Candidate int // index in ExamResults.Candidates
	Line      string
	LineScore float64
	Score     float64
	Gap       float64 // score − line
}

// BorderlineStudents lists, for each named line (score), the members whose
// score lies in [line − margin, line + margin): by line, then the gap from
// the most points short upwards, then exam number.
func BorderlineStudents(e *ExamResults, scores []CandidateScores, s int, members []int, lines []NamedLine, margin float64) []Borderline {
	var out []Borderline
	for _, l := range lines {
		start := len(out)
		for _, i := range members {
			sc := pick(scores[i], s)
			if sc.Status != Present {
				continue
			}
			if gap := sc.Total - l.Score; gap >= -margin-eps && gap < margin-eps {
				out = append(out, Borderline{Candidate: i, Line: l.Name, LineScore: l.Score, Score: sc.Total, Gap: gap})
			}
		}
		part := out[start:]
		sort.SliceStable(part, func(a, b int) bool {
			if part[a].Gap != part[b].Gap {
				return part[a].Gap < part[b].Gap
			}
			return e.Candidates[part[a].Candidate].ExamNo < e.Candidates[part[b].Candidate].ExamNo
		})
	}
	return out
}

// NamedLine is a score line: 及格线, 优秀线.
type NamedLine struct {
	Name  string
	Score float64
}
