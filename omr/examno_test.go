package omr

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"testing"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

// eightDigitCard is a clean scan of the 8K science card (8-digit exam
// number) with a legible sticker and a filled grid, as a grey image.
func eightDigitCard(t *testing.T) (*card.Template, *image.Gray, fixtures.Truth) {
	t.Helper()
	tp := loadTemplate(t, "science-8k.yaml")
	g, err := fixtures.NewGenerator(tp, fixtures.Options{Level: "clean", Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		scans, err := g.Card(i)
		if err != nil {
			t.Fatal(err)
		}
		s := scans[0]
		if !s.Truth.BarcodeLegible || s.Truth.Absent || len(s.Truth.ExamNo) != 8 || s.Truth.Grid != s.Truth.ExamNo {
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(s.Image))
		if err != nil {
			t.Fatal(err)
		}
		gray := image.NewGray(img.Bounds())
		draw.Draw(gray, gray.Rect, img, img.Bounds().Min, draw.Src)
		return tp, gray, s.Truth
	}
	t.Fatal("no card with a legible sticker and a whole grid generated")
	return nil, nil, fixtures.Truth{}
}

// paintBarcodeBox paints white over a horizontal share [from, to) of the
// barcode box on the image: a torn sticker keeps its bars either side of
// the tear; the whole box (0, 1) is a sticker never stuck.
func paintBarcodeBox(t *testing.T, tp *card.Template, img *image.Gray, tr fixtures.Truth, from, to float64) *image.Gray {
	t.Helper()
	lay, err := card.Layout(tp, tr.LayoutDPI)
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewGray(img.Rect)
	copy(out.Pix, img.Pix)
	box := barcodeRegion(&lay.Pages[0]).Rect
	for y := box.Y + 0.1*box.H; y < box.Y+0.9*box.H; y += 0.3 {
		for x := box.X + from*box.W; x < box.X+to*box.W; x += 0.3 {
			ix, iy := tr.Map(x, y)
			out.SetGray(int(ix), int(iy), color.Gray{Y: 250})
		}
	}
	return out
}

// The exam number's length is the template's: an 8-digit card reads its
// 8-digit barcode and grid; a sticker that is there but cannot be read
// lets the grid through only when the grid's number is on the roster; and
// the roster is applied to the grid as to the barcode.
func TestExamNumberOfEightDigits(t *testing.T) {
	t.Parallel()
	tp, img, tr := eightDigitCard(t)
	torn := paintBarcodeBox(t, tp, img, tr, 0.42, 0.62)
	none := paintBarcodeBox(t, tp, img, tr, 0, 1)
	other := map[string]bool{"24999999": true}
	mine := map[string]bool{tr.ExamNo: true}
	cases := []struct {
		name    string
		img     *image.Gray
		roster  map[string]bool // nil: no roster
		verdict Verdict
		value   string
	}{
		{"legible sticker", img, mine, VerdictAgree, tr.ExamNo},
		{"legible sticker, no roster", img, nil, VerdictAgree, tr.ExamNo},
		{"torn sticker, grid on the roster", torn, mine, VerdictGridOnly, tr.ExamNo},
		{"torn sticker, no roster", torn, nil, VerdictNone, ""},
		{"torn sticker, grid not on the roster", torn, other, VerdictNone, ""},
		{"no sticker, no roster", none, nil, VerdictGridOnly, tr.ExamNo},
		{"no sticker, grid not on the roster", none, other, VerdictNone, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.Crops = false
			if c.roster != nil {
				opts.Roster = func(no string) bool { return c.roster[no] }
			}
			r, err := NewReader([]*card.Template{tp}, opts)
			if err != nil {
				t.Fatal(err)
			}
			res := r.Read("card.jpg", encodeJPEG(t, c.img, 92))
			if res.ExamNo == nil {
				t.Fatalf("no exam number reading; exceptions %+v", res.Exceptions)
			}
			if res.ExamNo.Verdict != c.verdict || res.ExamNo.Value != c.value {
				t.Fatalf("exam number %+v, want %s %q; quality %v", res.ExamNo, c.verdict, c.value, res.Quality)
			}
			if (c.value == "") != hasException(res, ExcExamNo) {
				t.Errorf("exceptions %+v: want an exam-number exception exactly when no number is read", res.Exceptions)
			}
		})
	}
}
