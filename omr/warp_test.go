package omr

import (
	"image"
	"testing"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
)

// TestWarpRegionKeepsOnlyTheBox cuts a region out of a page turned by one
// degree (the fast path) and by five (the warp): the crop shows the dark
// box but none of the black page around it.
func TestWarpRegionKeepsOnlyTheBox(t *testing.T) {
	for _, deg := range []float64{1, 5, 180} {
		// A black page with a white box at (200,100)-(600,300) in layout
		// coordinates, drawn already transformed into the image.
		h := rot(deg, 1, 900, 700)
		if deg == 180 {
			h = rot(180, 1, 1000, 600)
		}
		img := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(0, 0, 0, 0), 1200, 1200, gocv.MatTypeCV8U)
		inv, _ := h.inverse()
		v, _ := viewOf(img)
		for y := 0; y < v.h; y++ {
			for x := 0; x < v.w; x++ {
				p := inv.apply(pt{float64(x) + 0.5, float64(y) + 0.5})
				if p.X >= 200 && p.X < 600 && p.Y >= 100 && p.Y < 300 {
					v.pix[y*v.stride+x] = 255
				}
			}
		}
		crop, err := warpRegion(img, h, card.Rect{X: 210, Y: 110, W: 380, H: 180}, 0.75, 0)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		cv, _ := viewOf(crop)
		dark := 0
		for y := 2; y < cv.h-2; y++ {
			for x := 2; x < cv.w-2; x++ {
				if cv.pix[y*cv.stride+x] < 128 {
					dark++
				}
			}
		}
		if got := crop.Cols(); got != 285 {
			t.Errorf("%v°: crop is %d px wide, want 285", deg, got)
		}
		crop.Close()
		if dark > 0 {
			t.Errorf("%v°: %d dark pixels of the surrounding page in the crop", deg, dark)
		}
	}
	_ = image.Pt
}
