package omr

import (
	"testing"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

// TestWrongCardNamed: a page of a card the reader was not given (here the
// A3 English card in a math-only reader) is reported as a wrong card, by
// name, at every scan resolution the generator uses.
func TestWrongCardNamed(t *testing.T) {
	tp := loadTemplate(t, "math-a4.yaml")
	r, err := NewReader([]*card.Template{tp}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	en := loadTemplate(t, "english-a3.yaml")
	for seed := uint64(1); seed <= 6; seed++ {
		g, err := fixtures.NewGenerator(en, fixtures.Options{Level: "clean", Seed: seed * 100})
		if err != nil {
			t.Fatal(err)
		}
		scans, err := g.Card(0)
		if err != nil {
			t.Fatal(err)
		}
		res := r.Read(scans[0].Name, scans[0].Image)
		if !hasException(res, ExcWrongTemplate) {
			t.Errorf("seed %d (%.0f dpi): %+v, want a wrong-card exception", seed, scans[0].Truth.DPI, res.Exceptions)
		}
	}
}
