package stats

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
	Changed  int // of N, answers whose parts were attributed after a 查分 change
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
			if k < len(r.SubChanged) && r.SubChanged[k] {
				st.Changed++
			}
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

// AttributeParts spreads a group score changed in review (查分, which
// changes only the group's total) over the parts settled from the marks,
// so that the parts add up to the new total and each stays within
// [0, max]. A rise is shared in proportion to each part's room left
// (max − part), a fall in proportion to each part's score: a part at full
// marks cannot rise, a part at zero cannot fall, and the parts the marker
// judged stronger keep the larger share. Nil when the parts cannot carry
// the total (total above the sum of the maxima or below zero).
func AttributeParts(parts, max []float64, total float64) []float64 {
	if len(parts) == 0 || len(parts) != len(max) {
		return nil
	}
	var sum, room float64
	for k, v := range parts {
		sum += v
		room += max[k] - v
	}
	diff := total - sum
	out := make([]float64, len(parts))
	copy(out, parts)
	switch {
	case math.Abs(diff) <= eps:
		return out
	case diff > 0 && room >= diff-eps:
		for k, v := range parts {
			out[k] = v + diff*(max[k]-v)/room
		}
	case diff < 0 && sum >= -diff-eps:
		for k, v := range parts {
			out[k] = v + diff*v/sum
		}
	default:
		return nil
	}
	return out
}
