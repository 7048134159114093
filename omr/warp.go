package omr

import (
	"errors"
	"image"
	"image/color"
	"math"

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
		return gocv.NewMat(), errors.New("region too small")
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
	if straight(t, float64(ow), float64(oh)) {
		// Upright (or upside down) within a fraction of a pixel over the
		// region: a plain resize of the rectangle is several times faster
		// than a warp and looks the same.
		p0, p1 := t.apply(pt{0, 0}), t.apply(pt{float64(ow), float64(oh)})
		r := image.Rect(int(math.Round(math.Min(p0.X, p1.X))), int(math.Round(math.Min(p0.Y, p1.Y))),
			int(math.Round(math.Max(p0.X, p1.X))), int(math.Round(math.Max(p0.Y, p1.Y))))
		if r.In(image.Rect(0, 0, src.Cols(), src.Rows())) && r.Dx() > 0 && r.Dy() > 0 {
			roi := src.Region(r)
			gocv.Resize(roi, &dst, image.Pt(ow, oh), 0, 0, gocv.InterpolationLinear)
			roi.Close()
			if p0.X > p1.X {
				gocv.Flip(dst, &dst, -1)
			}
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

// grayImage copies a Mat into an image.Gray for gozxing.
func grayImage(m gocv.Mat) (*image.Gray, error) {
	v, err := viewOf(m)
	if err != nil {
		return nil, err
	}
	img := image.NewGray(image.Rect(0, 0, v.w, v.h))
	for y := 0; y < v.h; y++ {
		copy(img.Pix[y*img.Stride:y*img.Stride+v.w], v.pix[y*v.stride:])
	}
	return img, nil
}

// straight reports whether the output rectangle lands on an axis-aligned
// rectangle of the image (upright or upside down) to within a pixel at its
// corners: then cutting and resizing is as good as warping.
func straight(t homography, w, h float64) bool {
	c00, c10, c01, c11 := t.apply(pt{0, 0}), t.apply(pt{w, 0}), t.apply(pt{0, h}), t.apply(pt{w, h})
	const tol = 0.8
	return math.Abs(c00.Y-c10.Y) < tol && math.Abs(c01.Y-c11.Y) < tol &&
		math.Abs(c00.X-c01.X) < tol && math.Abs(c10.X-c11.X) < tol
}
