package omr

import (
	"strings"
	"testing"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

// A barcode that decodes to nobody's exam number is not the card's
// identity: with the exam's roster the reader refuses it and says why; a
// card whose number is in the roster reads as before.
func TestRosterRefusesABarcodeOfNobody(t *testing.T) {
	t.Parallel()
	tp := loadTemplate(t, "questionnaire.yaml") // barcode only, no grid
	g, err := fixtures.NewGenerator(tp, fixtures.Options{Level: "clean", Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var scan *fixtures.Scan
	for i := 0; i < 20 && scan == nil; i++ {
		scans, err := g.Card(i)
		if err != nil {
			t.Fatal(err)
		}
		if s := scans[0]; s.Truth.BarcodeLegible && !s.Truth.Absent {
			scan = &s
		}
	}
	if scan == nil {
		t.Fatal("no card with a legible barcode generated")
	}
	for _, c := range []struct {
		name   string
		roster map[string]bool
		want   string
	}{
		{"number in the roster", map[string]bool{scan.Truth.ExamNo: true}, scan.Truth.ExamNo},
		{"number not in the roster", map[string]bool{"2499999999": true}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.Crops = false
			opts.Roster = func(no string) bool { return c.roster[no] }
			r, err := NewReader([]*card.Template{tp}, opts)
			if err != nil {
				t.Fatal(err)
			}
			res := r.Read(scan.Name, scan.Image)
			if res.ExamNo == nil || res.ExamNo.Value != c.want {
				t.Fatalf("exam number %+v, want %q", res.ExamNo, c.want)
			}
			if c.want != "" {
				return
			}
			if res.ExamNo.Verdict != VerdictNone || !hasException(res, ExcExamNo) {
				t.Errorf("verdict %s, exceptions %+v: want no exam number and an exception", res.ExamNo.Verdict, res.Exceptions)
			}
			said := false
			for _, e := range res.Exceptions {
				said = said || e.Kind == ExcExamNo && strings.Contains(e.Reason, scan.Truth.ExamNo) && strings.Contains(e.Reason, "考生名单")
			}
			if !said {
				t.Errorf("the exception does not name the refused number and the roster: %+v", res.Exceptions)
			}
		})
	}
}
