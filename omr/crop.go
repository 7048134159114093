package omr

import (
	"fmt"

	"gocv.io/x/gocv"
)

// crops cuts each subjective answer box from the registered page: upright,
// grey, JPEG, nothing of the page outside the box (no name, no barcode), so
// a marker sees only the answer.
func (r *Reader) crops(res *Result, pl *planes, pi *pageInfo, reg *registration) {
	scale := r.opts.CropDPI / r.opts.LayoutDPI
	for _, region := range pi.layout.Subjective() {
		m, err := warpRegion(pl.gray, reg.h, region.Rect, scale, 0)
		if err != nil {
			res.Quality = append(res.Quality, fmt.Sprintf("answer box %s%s could not be cut: %v", region.Group, region.Sub, err))
			continue
		}
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, r.opts.CropQuality})
		w, h := m.Cols(), m.Rows()
		m.Close()
		if err != nil {
			res.Quality = append(res.Quality, fmt.Sprintf("answer box %s%s could not be encoded: %v", region.Group, region.Sub, err))
			continue
		}
		data := append([]byte(nil), buf.GetBytes()...)
		buf.Close()
		res.Crops = append(res.Crops, Crop{Group: region.Group, Sub: region.Sub, Width: w, Height: h, Bytes: len(data), JPEG: data})
	}
}
