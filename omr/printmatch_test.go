package omr

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg"
	"math"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

// coverPageCode sticks a white label over a scan's page code (QR), 2 mm
// beyond it on every side.
func coverPageCode(t *testing.T, tp *card.Template, s fixtures.Scan) []byte {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(s.Image))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := card.Layout(tp, s.Truth.LayoutDPI)
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	for _, r := range doc.Pages[s.Truth.Page-1].Regions {
		if r.Kind != card.RegionQR {
			continue
		}
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, c := range [][2]float64{{r.Rect.X, r.Rect.Y}, {r.Rect.X + r.Rect.W, r.Rect.Y}, {r.Rect.X, r.Rect.Y + r.Rect.H}, {r.Rect.X + r.Rect.W, r.Rect.Y + r.Rect.H}} {
			x, y := s.Truth.Map(c[0], c[1])
			x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
		}
		m := 2 * s.Truth.DPI / 25.4
		label := image.Rect(int(x0-m), int(y0-m), int(x1+m), int(y1+m))
		draw.Draw(out, label, &image.Uniform{color.White}, image.Point{}, draw.Src)
	}
	return encodeJPEG(t, out, 90)
}

// TestCoveredPageCodeReadByPrint: a page whose page code is hidden under a
// white label is identified by its printed layout, page and side, and
// read right; a page of another card of the same size with its code
// hidden is not taken for ours.
func TestCoveredPageCodeReadByPrint(t *testing.T) {
	t.Parallel()
	tp := loadTemplate(t, "math-a4.yaml")
	opts := DefaultOptions()
	opts.Crops = false
	r, err := NewReader([]*card.Template{tp}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []string{"clean", "typical"} {
		read, refused := 0, 0
		g, err := fixtures.NewGenerator(tp, fixtures.Options{Level: level, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			scans, err := g.Card(i)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range scans {
				if s.Truth.BlankPage || s.Truth.OtherTemplate != "" {
					continue
				}
				res := r.Read(s.Name, coverPageCode(t, tp, s))
				if s.Truth.Dropout && s.Truth.Page == 2 && hasException(res, ExcPageIdentity) {
					refused++
					t.Logf("%s %s: red-only side under dropout refused: %+v", level, s.Name, res.Exceptions)
					continue
				}
				if hasException(res, ExcPageIdentity, ExcRegistration) || res.Page != s.Truth.Page {
					t.Errorf("%s %s (dropout %v colour %v dpi %.0f blur %d): page %d (want %d), exceptions %+v", level, s.Name, s.Truth.Dropout, s.Truth.Color, s.Truth.DPI, s.Truth.Blur, res.Page, s.Truth.Page, res.Exceptions)
					continue
				}
				if !strings.Contains(strings.Join(res.Quality, "；"), "按印刷版式") {
					t.Errorf("%s %s: no note that the page was identified by its print: %v", level, s.Name, res.Quality)
				}
				if tl := judge(res, &s.Truth); len(tl.silent) > 0 {
					t.Errorf("%s %s: %v", level, s.Name, tl.silent)
				}
				read++
			}
		}
		t.Logf("%s: %d pages with the page code covered identified by their print, %d refused (red print dropped)", level, read, refused)
		if refused > 0 {
			t.Errorf("%s: %d red-only sides under dropout refused; the one page left should be read", level, refused)
		}
	}
	bio := loadTemplate(t, "biology-a4.yaml")
	g, err := fixtures.NewGenerator(bio, fixtures.Options{Level: "clean", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	scans, err := g.Card(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scans {
		if res := r.Read(s.Name, coverPageCode(t, bio, s)); res.Template != "" {
			t.Errorf("a biology page with its code hidden read as %s page %d", res.Template, res.Page)
		}
	}
}

// TestRedOnlySideReadByElimination: the math card's second side is printed
// in red alone. Scanned with red dropout and its page code covered, it
// keeps only its corner marks and what the candidate wrote; it is still
// read as side 2, the right way up, both as scanned and turned round.
func TestRedOnlySideReadByElimination(t *testing.T) {
	t.Parallel()
	tp := loadTemplate(t, "math-a4.yaml")
	opts := DefaultOptions()
	opts.Crops = false
	r, err := NewReader([]*card.Template{tp}, opts)
	if err != nil {
		t.Fatal(err)
	}
	g, err := fixtures.NewGenerator(tp, fixtures.Options{Level: "typical", Seed: 13})
	if err != nil {
		t.Fatal(err)
	}
	sides := 0
	for i := 0; i < 40 && sides < 6; i++ {
		scans, err := g.Card(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scans {
			if !s.Truth.Dropout || s.Truth.Page != 2 || s.Truth.BlankPage || s.Truth.OtherTemplate != "" {
				continue
			}
			sides++
			covered := coverPageCode(t, tp, s)
			res := r.Read(s.Name, covered)
			if res.Page != 2 || (res.Rotation == 180) != s.Truth.UpsideDown {
				t.Errorf("%s: page %d rotation %d (want page 2, upside down %v), exceptions %+v", s.Name, res.Page, res.Rotation, s.Truth.UpsideDown, res.Exceptions)
				continue
			}
			if !strings.Contains(strings.Join(res.Quality, "；"), "滤去了红色印刷") {
				t.Errorf("%s: no note that the page was identified by elimination: %v", s.Name, res.Quality)
			}
			if tl := judge(res, &s.Truth); len(tl.silent) > 0 {
				t.Errorf("%s: %v", s.Name, tl.silent)
			}
			turned := r.Read(s.Name, turnRound(t, covered))
			if turned.Page != 2 || (turned.Rotation == 180) == s.Truth.UpsideDown {
				t.Errorf("%s turned round: page %d rotation %d (want page 2, upside down %v), exceptions %+v", s.Name, turned.Page, turned.Rotation, !s.Truth.UpsideDown, turned.Exceptions)
			}
		}
	}
	if sides < 6 {
		t.Fatalf("only %d red-only sides under dropout in 40 cards", sides)
	}
}

// turnRound turns a JPEG scan by 180°.
func turnRound(t *testing.T, jpg []byte) []byte {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(b.Max.X-1-(x-b.Min.X), b.Max.Y-1-(y-b.Min.Y), img.At(x, y))
		}
	}
	return encodeJPEG(t, out, 90)
}
