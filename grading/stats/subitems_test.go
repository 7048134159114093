package stats

import (
	"math"
	"testing"
)

// AttributeParts by hand: a rise shared by room left, a fall by score,
// every part within [0, max], the parts adding up to the new total.
func TestAttributeParts(t *testing.T) {
	for _, c := range []struct {
		name  string
		parts []float64
		max   []float64
		total float64
		want  []float64 // nil: cannot be attributed
	}{
		{"unchanged", []float64{1, 2}, []float64{2, 3}, 3, []float64{1, 2}},
		{"rise by room", []float64{1, 0}, []float64{2, 3}, 4, []float64{1.75, 2.25}},
		{"rise to full", []float64{1, 1}, []float64{2, 3}, 5, []float64{2, 3}},
		{"full part cannot rise", []float64{2, 0}, []float64{2, 3}, 3, []float64{2, 1}},
		{"fall by score", []float64{2, 2}, []float64{2, 3}, 1, []float64{0.5, 0.5}},
		{"zero part cannot fall", []float64{0, 3}, []float64{2, 3}, 1, []float64{0, 1}},
		{"fall to zero", []float64{1, 2}, []float64{2, 3}, 0, []float64{0, 0}},
		{"above the maxima", []float64{1, 2}, []float64{2, 3}, 6, nil},
		{"below zero", []float64{1, 2}, []float64{2, 3}, -1, nil},
		{"misaligned", []float64{1}, []float64{2, 3}, 1, nil},
	} {
		got := AttributeParts(c.parts, c.max, c.total)
		if (got == nil) != (c.want == nil) || len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		var sum float64
		for k := range got {
			if math.Abs(got[k]-c.want[k]) > 1e-9 || got[k] < 0 || got[k] > c.max[k] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
			sum += got[k]
		}
		if got != nil && math.Abs(sum-c.total) > 1e-9 {
			t.Errorf("%s: parts add to %v, want %v", c.name, sum, c.total)
		}
	}
}
