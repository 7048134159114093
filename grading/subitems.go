package grading

import "math"

// SubStats is one sub-question's figures over a group's present
// candidates whose part scores are known.
type SubStats struct {
	Sub      SubItem
	N        int
	Mean     float64
	Rate     float64 // 得分率: mean / max
	ZeroRate float64
	FullRate float64
}

// SubItemStats computes every sub-question of subject s over the members,
// weighted by the sampling weights.
func SubItemStats(e *ExamResults, s int, members []int) []SubStats {
	subs := e.Subjects[s].Subs
	out := make([]SubStats, len(subs))
	for k, sub := range subs {
		var sw, sum, zero, full float64
		st := SubStats{Sub: sub}
		for _, i := range members {
			c := &e.Candidates[i]
			r := c.result(s)
			if r.Status != Present || k >= len(r.SubScores) || math.IsNaN(r.SubScores[k]) {
				continue
			}
			v, w := r.SubScores[k], c.W()
			st.N++
			sw += w
			sum += w * v
			if v <= eps {
				zero += w
			}
			if v >= sub.Max-eps {
				full += w
			}
		}
		st.Mean, st.Rate = weightedRate(sum, sw), math.NaN()
		if sub.Max > 0 && sw > 0 {
			st.Rate = st.Mean / sub.Max
		}
		st.ZeroRate, st.FullRate = weightedRate(zero, sw), weightedRate(full, sw)
		out[k] = st
	}
	return out
}
