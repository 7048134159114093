package stats

import "math"

// Knowledge points and abilities (双向细目表): the 得分率 of a point is the
// points scored on its items over the points they are worth, Σ over its
// items of Σw·score / (Σw × Σ item maxima), over the group's present
// candidates. An item testing two points counts fully for each.

// PointRate is one knowledge point's or ability's 得分率 in a group.
type PointRate struct {
	Name  string
	Items []string // item codes
	Max   float64  // Σ item maxima: what a candidate can score on the point
	Rate  float64
}

// Points lists the knowledge points (abilities when abilities is true) of
// subject s in order of first appearance on the paper, with their items.
func Points(e *ExamResults, s int, abilities bool) []PointRate {
	var out []PointRate
	at := map[string]int{}
	for _, it := range e.Subjects[s].Items {
		names := it.Knowledge
		if abilities {
			names = it.Abilities
		}
		for _, n := range names {
			k, ok := at[n]
			if !ok {
				k = len(out)
				at[n] = k
				out = append(out, PointRate{Name: n})
			}
			out[k].Items = append(out[k].Items, it.Code)
			out[k].Max += it.Max
		}
	}
	return out
}

// PointRates computes each point's 得分率 over the members from the item
// rates of ItemRates (rates × maxima are the mean item scores).
func PointRates(e *ExamResults, s int, points []PointRate, itemRates []float64) []PointRate {
	idx := map[string]int{}
	for j, it := range e.Subjects[s].Items {
		idx[it.Code] = j
	}
	out := make([]PointRate, len(points))
	for k, p := range points {
		var got float64
		for _, code := range p.Items {
			j := idx[code]
			got += itemRates[j] * e.Subjects[s].Items[j].Max
		}
		p.Rate = math.NaN()
		if p.Max > 0 {
			p.Rate = got / p.Max
		}
		out[k] = p
	}
	return out
}
