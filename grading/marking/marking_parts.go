package marking

import (
	"math"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// SettleParts is the per-sub-question side of Settle: the part scores of
// the marks that decide the crop's total, so that a group with
// sub-questions (28(1), 28(2)) can be reported part by part. It follows
// Settle's choice: the latest leader mark; the first mark in 1+0; the mean
// of the agreeing pair in 2+1; after arbitration the arbiter's mark, or
// with FinalRule "mean" the mean of the arbiter's and the closer mark
// (all three when equally close). Means are not rounded, so the parts may
// add up to the rounded total ± 0.05. nil while the total is undecided or
// the marks do not have one score per part.
func SettleParts(g *store.MarkingGroup, marks []store.CropMark) []float64 {
	n := len(GroupParts(g))
	var byRound [4]*store.CropMark
	var leader *store.CropMark
	for i := range marks {
		m := &marks[i]
		if m.Kind == saoyue.MarkLeader {
			leader = m
			continue
		}
		if m.Round >= 1 && m.Round <= 3 && byRound[m.Round] == nil {
			byRound[m.Round] = m
		}
	}
	mean := func(ms ...*store.CropMark) []float64 {
		out := make([]float64, n)
		for _, m := range ms {
			if m == nil || len(m.Scores) != n {
				return nil
			}
			for k, v := range m.Scores {
				out[k] += v / float64(len(ms))
			}
		}
		return out
	}
	if leader != nil {
		return mean(leader)
	}
	if g.Mode != "2+1" {
		return mean(byRound[1])
	}
	a, b, c := byRound[1], byRound[2], byRound[3]
	if a == nil || b == nil {
		return nil
	}
	if agree(g, a.Total, b.Total) {
		return mean(a, b)
	}
	if c == nil {
		return nil
	}
	if g.FinalRule != "mean" {
		return mean(c)
	}
	okA, okB := agree(g, a.Total, c.Total), agree(g, b.Total, c.Total)
	da, db := math.Abs(a.Total-c.Total), math.Abs(b.Total-c.Total)
	switch {
	case okA && okB && math.Abs(da-db) < 1e-9:
		return mean(a, b, c)
	case okA && (!okB || da < db):
		return mean(a, c)
	case okB:
		return mean(b, c)
	}
	return mean(c)
}
