package stats

import (
	"math"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
)

// Item analysis of the math paper of smallExam, by hand.
//
// Present: A B C D E F G (n = 7), totals 10 8 6 8 3 5 5. Ordered by total,
// ties by exam number: A(10) B(8) D(8) C(6) F(5) G(5) E(3). Groups of
// round(0.27 × 7) = round(1.89) = 2: top A B, bottom G E.
//
//	item 1 (2 points): 2 2 0 2 0 0 2 → mean 8/7, P = 4/7;
//	  top 2 2, bottom 2 0 → D = (2 − 1)/2 = 0.5;
//	  variance 4·(4/7)(3/7) = 48/49; zero 3/7, full 4/7.
//	item 2: everybody 2 → P = 1, variance 0: D and r undefined.
//	item 3 (1 point): 1 0 1 0 0 1 1 → P = 4/7; top 1 0, bottom 1 0 → D = 0;
//	  variance 12/49.
//	item 4 (max 5): 5 4 3 4 1 2 0 → mean 19/7, P = 19/35;
//	  top 5 4, bottom 0 1 → D = (4.5 − 0.5)/5 = 0.8;
//	  variance 71/7 − (19/7)² = 136/49; zero 1/7, full 1/7.
//
// Corrected item-total r for item 1: item 2 2 0 2 0 0 2 against rest
// (total − item) 8 6 6 6 3 5 3: means 8/7 and 37/7;
// Σ(x−x̄)(y−ȳ) = Σxy − n·x̄·ȳ = 46 − 296/7 = 26/7;
// Σ(x−x̄)² = Σx² − n·x̄² = 16 − 64/7 = 48/7; Σ(y−ȳ)² = 215 − 1369/7 = 136/7;
// r = (26/7) / √(48/7 · 136/7) = 26/√6528 = 0.321798.
//
// Alpha: Σσ²ᵢ = (48 + 0 + 12 + 136)/49 = 4; σ²ₓ = 236/49;
// α = 4/3 × (1 − 4 × 49/236) = 4/3 × 40/236 = 160/708 = 0.225989 (items
// 4 is not 0/max, so Cronbach's α); SEM = √(236/49) × √(1 − α) = 1.930775.
func TestAnalyzeItemsByHand(t *testing.T) {
	e := smallExam()
	items, paper := AnalyzeItems(e, 0, nil)
	if len(items) != 4 {
		t.Fatalf("%d items", len(items))
	}
	i1, i2, i3, i4 := items[0], items[1], items[2], items[3]
	if i1.N != 7 {
		t.Errorf("N = %d, want 7 (absent and violation left out)", i1.N)
	}
	near(t, "item 1 mean", i1.Mean, 8.0/7)
	near(t, "item 1 P", i1.P, 4.0/7)
	near(t, "item 1 D", i1.D, 0.5)
	near(t, "item 1 SD", i1.SD, math.Sqrt(48.0/49))
	near(t, "item 1 r", i1.R, 26/math.Sqrt(6528))
	near(t, "item 1 zero", i1.ZeroRate, 3.0/7)
	near(t, "item 1 full", i1.FullRate, 4.0/7)

	// Everybody right: difficulty 1, no variance: D and r are undefined.
	near(t, "item 2 P", i2.P, 1)
	near(t, "item 2 D", i2.D, math.NaN())
	near(t, "item 2 r", i2.R, math.NaN())
	near(t, "item 2 full", i2.FullRate, 1)
	near(t, "item 2 zero", i2.ZeroRate, 0)

	near(t, "item 3 D", i3.D, 0)
	near(t, "item 3 P", i3.P, 4.0/7)

	near(t, "item 4 mean", i4.Mean, 19.0/7)
	near(t, "item 4 P", i4.P, 19.0/35)
	near(t, "item 4 D", i4.D, 0.8)
	near(t, "item 4 zero", i4.ZeroRate, 1.0/7)
	near(t, "item 4 full", i4.FullRate, 1.0/7)
	if i4.Options != nil {
		t.Errorf("subjective item has options %+v", i4.Options)
	}

	if paper.Method != "Cronbach α" || paper.Items != 4 || paper.N != 7 {
		t.Errorf("paper %+v", paper)
	}
	near(t, "alpha", paper.Alpha, 160.0/708)
	near(t, "KR-20 of a paper with a 5-point group", paper.KR20, math.NaN())
	if c := AlphaCaution(paper.Alpha); !strings.Contains(c, "信度偏低") {
		t.Errorf("alpha 0.226 caution %q", c)
	}
	near(t, "SEM", paper.SEM, math.Sqrt(236.0/49)*math.Sqrt(1-160.0/708))
	near(t, "paper mean", paper.Mean, 45.0/7)

	// Options of item 1 (key A): A by A B D G = 4, B by E, C by C, D none,
	// F blank. Top group (A B): all A. Bottom (G E): A and B half each.
	want := map[string]OptionStats{
		"A": {Option: "A", Correct: true, Count: 4, Rate: 4.0 / 7, HighRate: 1, LowRate: 0.5},
		"B": {Option: "B", Count: 1, Rate: 1.0 / 7, HighRate: 0, LowRate: 0.5},
		"C": {Option: "C", Count: 1, Rate: 1.0 / 7, HighRate: 0, LowRate: 0},
		"D": {Option: "D", Count: 0, Rate: 0, HighRate: 0, LowRate: 0},
	}
	if len(i1.Options) != 4 {
		t.Fatalf("options %+v", i1.Options)
	}
	for _, o := range i1.Options {
		w := want[o.Option]
		if o.Count != w.Count || o.Correct != w.Correct {
			t.Errorf("option %s: %+v, want %+v", o.Option, o, w)
		}
		near(t, "rate "+o.Option, o.Rate, w.Rate)
		near(t, "high "+o.Option, o.HighRate, w.HighRate)
		near(t, "low "+o.Option, o.LowRate, w.LowRate)
	}
	if i1.Blank.Count != 1 {
		t.Errorf("blank %+v", i1.Blank)
	}
	// True/false lists two options only.
	if len(i3.Options) != 2 || i3.Options[0].Count != 4 || i3.Options[1].Count != 3 {
		t.Errorf("tf options %+v", i3.Options)
	}
}

// KR-20 on 0/1 items, by hand. Four candidates, three items:
//
//	1 1 1 (3), 1 1 0 (2), 1 0 0 (1), 0 0 0 (0)
//	p = 3/4, 2/4, 1/4; Σpq = 3/16 + 4/16 + 3/16 = 10/16
//	totals 3 2 1 0: mean 1.5, variance (2.25+0.25+0.25+2.25)/4 = 1.25
//	KR-20 = 3/2 × (1 − 0.625/1.25) = 0.75; SEM = √1.25 × √0.25 = 0.559017
func TestKR20ByHand(t *testing.T) {
	e := &ExamResults{Subjects: []SubjectPaper{{Code: "s", FullScore: 3, Items: []PaperItem{
		{Code: "1", Objective: true, Kind: saoyue.ItemTF, Max: 1, Key: "A"},
		{Code: "2", Objective: true, Kind: saoyue.ItemTF, Max: 1, Key: "A"},
		{Code: "3", Objective: true, Kind: saoyue.ItemTF, Max: 1, Key: "A"},
	}}}}
	for i, s := range [][]float64{{1, 1, 1}, {1, 1, 0}, {1, 0, 0}, {0, 0, 0}} {
		e.Candidates = append(e.Candidates, CandidateResults{ExamNo: string(rune('1' + i)), SchoolCode: "01",
			Subjects: []SubjectResult{{Status: Present, Scores: s}}})
	}
	items, paper := AnalyzeItems(e, 0, nil)
	if paper.Method != "Cronbach α" {
		t.Errorf("method %q", paper.Method)
	}
	near(t, "alpha", paper.Alpha, 0.75)
	near(t, "KR-20", paper.KR20, 0.75)
	near(t, "SEM", paper.SEM, math.Sqrt(1.25)*0.5)
	// Groups of round(1.08) = 1: top candidate 1, bottom candidate 4.
	near(t, "item 1 D", items[0].D, 1)
	near(t, "item 3 D", items[2].D, 1)
	// Blanks counted: nobody gave responses here.
	if items[0].Blank.Count != 4 {
		t.Errorf("blank %+v", items[0].Blank)
	}
}

// The same pattern with item 1 worth 2 points (scored 0 or 2): every item
// is right/wrong, but not 0/1 scored, so KR-20 (which would count item 1 as
// one point) is not reported. α by hand:
//
//	item 1: 2 2 2 0, mean 1.5, σ² = (3×0.25 + 2.25)/4 = 0.75
//	item 2: 1 1 0 0, σ² = 0.25; item 3: 1 0 0 0, σ² = 0.1875
//	totals 4 3 2 0: mean 2.25, σ² = (3.0625+0.5625+0.0625+5.0625)/4 = 2.1875
//	α = 3/2 × (1 − 1.1875/2.1875) = 0.685714…
//	KR-20 on the right/wrong pattern would be 0.75: a different number.
func TestKR20OnlyForZeroOneItems(t *testing.T) {
	e := &ExamResults{Subjects: []SubjectPaper{{Code: "s", FullScore: 4, Items: []PaperItem{
		{Code: "1", Objective: true, Kind: saoyue.ItemSingle, Max: 2, Key: "A"},
		{Code: "2", Objective: true, Kind: saoyue.ItemTF, Max: 1, Key: "A"},
		{Code: "3", Objective: true, Kind: saoyue.ItemTF, Max: 1, Key: "A"},
	}}}}
	for i, s := range [][]float64{{2, 1, 1}, {2, 1, 0}, {2, 0, 0}, {0, 0, 0}} {
		e.Candidates = append(e.Candidates, CandidateResults{ExamNo: string(rune('1' + i)), SchoolCode: "01",
			Subjects: []SubjectResult{{Status: Present, Scores: s}}})
	}
	_, paper := AnalyzeItems(e, 0, nil)
	if paper.Method != "Cronbach α" {
		t.Errorf("method %q", paper.Method)
	}
	near(t, "alpha", paper.Alpha, 1.5*(1-1.1875/2.1875))
	near(t, "KR-20", paper.KR20, math.NaN())
}

func TestAlphaCaution(t *testing.T) {
	for _, c := range []struct {
		alpha float64
		want  string
	}{{-0.406, "α 为负"}, {0, "信度偏低"}, {0.6999, "信度偏低"}, {0.7, ""}, {0.9, ""}, {math.NaN(), ""}} {
		got := AlphaCaution(c.alpha)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("AlphaCaution(%v) = %q, want %q", c.alpha, got, c.want)
		}
	}
}

func TestAnalyzeItemsDegenerate(t *testing.T) {
	e := smallExam()
	// Nobody present: everything undefined, nothing panics.
	items, paper := AnalyzeItems(e, 0, func(c *CandidateResults) bool { return c.Name == "H" })
	if items[0].N != 0 || !math.IsNaN(items[0].P) || !math.IsNaN(paper.Alpha) || !math.IsNaN(paper.SEM) {
		t.Errorf("nobody: %+v %+v", items[0], paper)
	}
	// One candidate: P is defined, D, r and alpha are not.
	items, paper = AnalyzeItems(e, 0, func(c *CandidateResults) bool { return c.Name == "A" })
	near(t, "one P", items[0].P, 1)
	near(t, "one D", items[0].D, math.NaN())
	near(t, "one alpha", paper.Alpha, math.NaN())
	// A school scope: 0102 has F and G present.
	items, _ = AnalyzeItems(e, 0, func(c *CandidateResults) bool { return c.SchoolCode == "0102" })
	if items[0].N != 2 {
		t.Errorf("0102 N = %d", items[0].N)
	}
	near(t, "0102 item 1 P", items[0].P, 0.5)
}
