package omr

import "testing"

func opts(fills ...float64) []Option {
	out := make([]Option, len(fills))
	for i, f := range fills {
		out[i] = Option{Label: string(rune('A' + i)), Fill: f, State: stateOf(reading{fill: f})}
	}
	return out
}

func TestFaintMarkOnAnItemThatWouldReadBlank(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		multiple bool
		fills    []float64
		faint    float64
		status   ItemStatus
		chosen   string
	}{
		{"empty item", false, []float64{0, 0.02, 0.01, 0}, fillFaint, StatusBlank, ""},
		{"faint mark alone", false, []float64{0, 0.18, 0.01, 0}, fillFaint, StatusDoubtful, ""},
		{"faint mark on a noisy page", false, []float64{0, 0.18, 0.01, 0}, 0.22, StatusBlank, ""},
		{"evenly grey options are not a mark", false, []float64{0.16, 0.17, 0.15, 0.16}, fillFaint, StatusBlank, ""},
		{"answer with an erasure beside it", false, []float64{0, 0.2, 1.0, 0}, fillFaint, StatusOK, "C"},
		{"multiple choice missing a faint option", true, []float64{0.71, 0.17, 0.77, 0}, fillFaint, StatusDoubtful, "AC"},
		{"multiple choice, clean", true, []float64{0.9, 0.02, 0.8, 0}, fillFaint, StatusOK, "AC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := decideItem(1, tc.multiple, opts(tc.fills...), tc.faint)
			chosen := ""
			for _, c := range it.Chosen {
				chosen += c
			}
			if it.Status != tc.status || chosen != tc.chosen {
				t.Errorf("got %s %q, want %s %q", it.Status, chosen, tc.status, tc.chosen)
			}
			if it.Status == StatusDoubtful && describe(it) == "" {
				t.Error("a doubtful item does not say which option is unclear")
			}
		})
	}
}

func TestFaintLevelFollowsThePageNoise(t *testing.T) {
	t.Parallel()
	clean := make([]float64, 100)
	noisy := make([]float64, 100)
	for i := range noisy {
		noisy[i] = 0.12 * float64(i) / 100
	}
	if got := faintLevel(opts(clean...)); got != fillFaint {
		t.Errorf("clean page: faint level %.3f, want %.3f", got, fillFaint)
	}
	if got := faintLevel(opts(noisy...)); got < 0.2 || got > 0.23 {
		t.Errorf("noisy page: faint level %.3f, want about 0.21", got)
	}
	if got := faintLevel(opts(0.1, 0.12)); got != fillFaint {
		t.Errorf("too few bubbles to judge: %.3f, want %.3f", got, fillFaint)
	}
}

func TestErasureBesideASolidAnswer(t *testing.T) {
	t.Parallel()
	withStrokes := func(o []Option, i int, cover float64) []Option {
		o[i].Strokes = cover
		o[i].State = stateOf(reading{fill: o[i].Fill, coverEx: cover})
		return o
	}
	tests := []struct {
		name     string
		multiple bool
		opts     []Option
		status   ItemStatus
		chosen   string
	}{
		{"smudge of a changed answer", false, opts(0, 0.27, 1.0, 0.02), StatusOK, "C"},
		{"darker than an erasure leaves", false, opts(0, 0.36, 1.0, 0.02), StatusDoubtful, "C"},
		{"light but with strokes (a tick)", false, withStrokes(opts(0, 0.27, 1.0, 0.02), 1, 0.2), StatusDoubtful, "C"},
		{"beside a mark that is not solid", false, opts(0, 0.27, 0.55, 0.02), StatusDoubtful, ""},
		{"beside two marks", false, opts(0.9, 0.27, 1.0, 0.02), StatusDoubtful, "AC"},
		{"with no answer at all", false, opts(0, 0.27, 0.01, 0.02), StatusDoubtful, ""},
		{"multiple choice: may be a second answer", true, opts(0, 0.27, 1.0, 0.02), StatusDoubtful, "C"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := decideItem(1, tc.multiple, tc.opts, fillFaint)
			chosen := ""
			for _, c := range it.Chosen {
				chosen += c
			}
			if it.Status != tc.status || chosen != tc.chosen {
				t.Errorf("got %s %q, want %s %q", it.Status, chosen, tc.status, tc.chosen)
			}
		})
	}
}
