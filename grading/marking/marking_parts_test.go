package marking

import (
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// Part scores follow the settlement of the totals, by hand. Group 28 has
// parts (1) max 4 and (2) max 6; 2+1 with tolerance 2, mean rule.
func TestSettleParts(t *testing.T) {
	g := &store.MarkingGroup{Mode: "2+1", Tolerance: 2, FinalRule: "mean", MaxScore: 10, Step: 1,
		Subs: []store.SubQuestion{{Sub: "(1)", Max: 4}, {Sub: "(2)", Max: 6}}}
	mk := func(round int, kind saoyue.MarkKind, s1, s2 float64) store.CropMark {
		return store.CropMark{Round: round, Kind: kind, Total: s1 + s2, Scores: []float64{s1, s2}}
	}
	cases := []struct {
		name  string
		marks []store.CropMark
		want  []float64
	}{
		// 7 and 8 agree: parts (3+4)/2, (4+4)/2.
		{"pair agrees", []store.CropMark{mk(1, "normal", 3, 4), mk(2, "normal", 4, 4)}, []float64{3.5, 4}},
		// 3 and 9 disagree, arbiter 8 is within 2 of 9 only: mean of 9 and 8.
		{"arbitration, mean with the closer", []store.CropMark{mk(1, "normal", 1, 2), mk(2, "normal", 4, 5), mk(3, "arbitration", 3, 5)}, []float64{3.5, 5}},
		{"undecided", []store.CropMark{mk(1, "normal", 1, 2), mk(2, "normal", 4, 5)}, nil},
		{"leader overrides", []store.CropMark{mk(1, "normal", 1, 2), mk(2, "normal", 4, 5), mk(0, "leader", 2, 2)}, []float64{2, 2}},
		{"one part missing", []store.CropMark{{Round: 1, Total: 3, Scores: []float64{3}}, mk(2, "normal", 1, 2)}, nil},
	}
	for _, c := range cases {
		got := SettleParts(g, c.marks)
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for k := range got {
			if got[k] != c.want[k] {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
	}
	one := &store.MarkingGroup{Mode: "1+0", Subs: g.Subs}
	if got := SettleParts(one, []store.CropMark{mk(1, "normal", 2, 5)}); len(got) != 2 || got[1] != 5 {
		t.Errorf("1+0: %v", got)
	}
}
