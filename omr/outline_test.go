package omr

import (
	"math"
	"testing"
)

// sheet draws white paper (the quadrilateral quad, image px) on a
// background of grey level bg.
func sheet(w, h int, quad [4]pt, bg uint8) view {
	v := view{pix: make([]uint8, w*h), w: w, h: h, stride: w}
	inside := func(x, y float64) bool {
		for i := 0; i < 4; i++ {
			a, b := quad[i], quad[(i+1)%4]
			if (b.X-a.X)*(y-a.Y)-(b.Y-a.Y)*(x-a.X) < 0 {
				return false
			}
		}
		return true
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v.pix[y*w+x] = bg
			if inside(float64(x)+0.5, float64(y)+0.5) {
				v.pix[y*w+x] = 235
			}
		}
	}
	return v
}

func TestOutlineMisfitTellsPerspectiveFromAFlatSheet(t *testing.T) {
	t.Parallel()
	const dpi = 50.0 // layout px per inch: an A4 page is 413 x 585
	mm := dpi / 25.4
	pw, ph := int(math.Round(210*mm)), int(math.Round(297*mm))
	off := 60.0
	// The registration: the page lies straight at (off, off), one image
	// pixel per layout pixel.
	h := homography{1, 0, off, 0, 1, off, 0, 0, 1}
	flat := [4]pt{{off, off}, {off + float64(pw), off}, {off + float64(pw), off + float64(ph)}, {off, off + float64(ph)}}
	// The same sheet photographed at an angle: the bottom-right corner
	// 12 mm further in than the fit says.
	bent := flat
	bent[2] = pt{bent[2].X - 12*mm, bent[2].Y - 12*mm}
	tests := []struct {
		name    string
		quad    [4]pt
		bg      uint8
		wantErr bool
	}{
		{"flat sheet on a dark desk", flat, 40, false},
		{"photograph at an angle on a dark desk", bent, 40, true},
		{"photograph at an angle under a white lid: edges unseen, not judged", bent, 235, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := sheet(pw+2*int(off), ph+2*int(off), tc.quad, tc.bg)
			err := outlineMisfit(v, h, pw, ph, dpi)
			if (err != nil) != tc.wantErr {
				t.Errorf("outlineMisfit = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
