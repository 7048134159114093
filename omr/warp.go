package omr

import (
	"errors"
	"image"
	"image/color"
	"math"

	"github.com/makiuchi-d/gozxing"
	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
)

// warpRegion cuts a layout rectangle (grown by margin, a fraction of its
// size) out of the image, upright and at scale output pixels per layout
// pixel. Only the output is computed, so cutting a small region is cheap
// however big the page.
func warpRegion(src gocv.Mat, h homography, q card.Rect, scale, margin float64) (gocv.Mat, error) {
	x0, y0 := q.X-q.W*margin, q.Y-q.H*margin
	w, hh := q.W*(1+2*margin), q.H*(1+2*margin)
	ow, oh := int(w*scale+0.5), int(hh*scale+0.5)
	if ow < 4 || oh < 4 {
		return gocv.NewMat(), errors.New("区域太小，无法裁切")
	}
	// output (u,v) -> layout (x0+u/scale, y0+v/scale) -> image via h.
	s := homography{1 / scale, 0, x0, 0, 1 / scale, y0, 0, 0, 1}
	t := mul(h, s)
	inv, err := t.inverse()
	if err != nil {
		return gocv.NewMat(), err
	}
	dst := gocv.NewMat()
	white := color.RGBA{255, 255, 255, 255}
	if nearlyStraight(t, float64(ow), float64(oh)) {
		// Upright (or upside down) within a couple of degrees: resize the
		// bounding rectangle, several times faster than a warp, and paint
		// out the slivers of page outside the region's true outline so
		// nothing of the neighbouring page shows.
		corners := [4]pt{t.apply(pt{0, 0}), t.apply(pt{float64(ow), 0}), t.apply(pt{float64(ow), float64(oh)}), t.apply(pt{0, float64(oh)})}
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, c := range corners {
			x0, y0, x1, y1 = math.Min(x0, c.X), math.Min(y0, c.Y), math.Max(x1, c.X), math.Max(y1, c.Y)
		}
		r := image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
		if r.In(image.Rect(0, 0, src.Cols(), src.Rows())) && r.Dx() > 0 && r.Dy() > 0 {
			sx, sy := float64(ow)/float64(r.Dx()), float64(oh)/float64(r.Dy())
			roi := src.Region(r)
			gocv.Resize(roi, &dst, image.Pt(ow, oh), 0, 0, gocv.InterpolationLinear)
			roi.Close()
			flip := corners[0].X > corners[2].X
			quad := make([]image.Point, 4)
			for i, c := range corners {
				x, y := (c.X-float64(r.Min.X))*sx, (c.Y-float64(r.Min.Y))*sy
				if flip {
					x, y = float64(ow)-x, float64(oh)-y
				}
				quad[i] = image.Pt(int(math.Round(x)), int(math.Round(y)))
			}
			if flip {
				gocv.Flip(dst, &dst, -1)
			}
			maskOutside(&dst, quad)
			return dst, nil
		}
	}
	if math.Abs(inv[6]) < 1e-9 && math.Abs(inv[7]) < 1e-9 {
		// Affine: OpenCV's warpAffine is several times faster.
		m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
		defer m.Close()
		for i := 0; i < 6; i++ {
			m.SetDoubleAt(i/3, i%3, inv[i]/inv[8])
		}
		gocv.WarpAffineWithParams(src, &dst, m, image.Pt(ow, oh), gocv.InterpolationLinear, gocv.BorderConstant, white)
		return dst, nil
	}
	m := gocv.NewMatWithSize(3, 3, gocv.MatTypeCV64F)
	defer m.Close()
	for i := 0; i < 9; i++ {
		m.SetDoubleAt(i/3, i%3, inv[i])
	}
	gocv.WarpPerspectiveWithParams(src, &dst, m, image.Pt(ow, oh), gocv.InterpolationLinear, gocv.BorderConstant, white)
	return dst, nil
}

func mul(a, b homography) homography {
	var c homography
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[i*3+j] += a[i*3+k] * b[k*3+j]
			}
		}
	}
	return c
}

// luminanceOf copies a grey Mat into a gozxing luminance source. gozxing's
// own image.Image path asks every pixel for its colour through an
// interface, several times slower than the decoding itself; a planar
// luminance source takes the bytes as they are.
func luminanceOf(m gocv.Mat) (gozxing.LuminanceSource, error) {
	v, err := viewOf(m)
	if err != nil {
		return nil, err
	}
	pix := make([]byte, v.w*v.h)
	for y := 0; y < v.h; y++ {
		copy(pix[y*v.w:(y+1)*v.w], v.pix[y*v.stride:])
	}
	return gozxing.NewPlanarYUVLuminanceSource(pix, v.w, v.h, 0, 0, v.w, v.h, false)
}

// nearlyStraight reports whether the output rectangle lands on the image
// turned by less than about two degrees from upright or upside down, with
// negligible perspective.
func nearlyStraight(t homography, w, h float64) bool {
	c00, c10, c01, c11 := t.apply(pt{0, 0}), t.apply(pt{w, 0}), t.apply(pt{0, h}), t.apply(pt{w, h})
	tilt := math.Max(math.Abs(c00.Y-c10.Y)/math.Max(1, math.Abs(c10.X-c00.X)), math.Abs(c00.X-c01.X)/math.Max(1, math.Abs(c01.Y-c00.Y)))
	// Opposite sides parallel to within a pixel: no visible perspective.
	para := math.Abs((c10.Y-c00.Y)-(c11.Y-c01.Y)) < 1.5 && math.Abs((c01.X-c00.X)-(c11.X-c10.X)) < 1.5
	return tilt < 0.035 && para
}

// maskOutside paints white what lies outside the quadrilateral quad
// (corners in order) of an image.
func maskOutside(m *gocv.Mat, quad []image.Point) {
	w, h := m.Cols(), m.Rows()
	white := color.RGBA{255, 255, 255, 255}
	// Between each side of the quad and the border it faces lies a sliver
	// of neighbouring page.
	box := []image.Point{{0, 0}, {w, 0}, {w, h}, {0, h}}
	pv := gocv.NewPointsVector()
	defer pv.Close()
	for i := 0; i < 4; i++ {
		poly := gocv.NewPointVectorFromPoints([]image.Point{box[i], box[(i+1)%4], quad[(i+1)%4], quad[i]})
		pv.Append(poly)
		poly.Close()
	}
	gocv.FillPoly(m, pv, white)
}
