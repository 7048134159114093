package omr

import (
	"errors"
	"image"
	"image/color"

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
	m := gocv.NewMatWithSize(3, 3, gocv.MatTypeCV64F)
	defer m.Close()
	for i := 0; i < 9; i++ {
		m.SetDoubleAt(i/3, i%3, inv[i])
	}
	dst := gocv.NewMat()
	gocv.WarpPerspectiveWithParams(src, &dst, m, image.Pt(ow, oh), gocv.InterpolationLinear, gocv.BorderConstant, color.RGBA{255, 255, 255, 255})
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
