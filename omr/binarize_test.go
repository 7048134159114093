package omr

import (
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"
)

// binarize rebuilds OpenCV's adaptive threshold from faster parts; it must
// give exactly what adaptiveThreshold gives, whatever the size of the page,
// since the corner marks and the blank-page check are found in it and the
// accuracy figures were measured with it.
func TestBinarizeEqualsAdaptiveThreshold(t *testing.T) {
	page := benchPage(t)
	pl, err := decode(page, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	noise := func(w, h int) gocv.Mat {
		m := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.SetUCharAt(y, x, uint8(rng.IntN(256)))
			}
		}
		return m
	}
	cases := []struct {
		name string
		img  func() gocv.Mat
	}{
		{"scanned page at 1/4", func() gocv.Mat { m := gocv.NewMat(); shrink(pl.gray, &m, 4); return m }},
		{"scanned page at 1/3", func() gocv.Mat { m := gocv.NewMat(); shrink(pl.gray, &m, 3); return m }},
		{"noise, odd height", func() gocv.Mat { return noise(97, 211) }},
		{"noise, smaller than the block", func() gocv.Mat { return noise(13, 7) }},
		{"noise, wide and short", func() gocv.Mat { return noise(300, 30) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := c.img()
			defer img.Close()
			want := gocv.NewMat()
			defer want.Close()
			gocv.AdaptiveThreshold(img, &want, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinaryInv, binBlock, binOffset)
			got := binarize(img)
			defer got.Close()
			if got.Rows() != want.Rows() || got.Cols() != want.Cols() {
				t.Fatalf("size %dx%d, want %dx%d", got.Cols(), got.Rows(), want.Cols(), want.Rows())
			}
			diff := gocv.NewMat()
			defer diff.Close()
			gocv.AbsDiff(got, want, &diff)
			if n := gocv.CountNonZero(diff); n != 0 {
				t.Fatalf("%d pixels differ from adaptiveThreshold", n)
			}
			if gocv.CountNonZero(want) == 0 {
				t.Fatal("the case has no ink: it tests nothing")
			}
		})
	}
}
