package omr

import (
	"fmt"
	"math"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
)

// crops cuts each question group's answer boxes from the registered page
// as one image (the union of its boxes on this page): upright, grey, JPEG,
// nothing of the page outside the boxes (no name, no barcode), so a marker
// sees only the answer. It only reads the page, and returns what it cut and
// what went wrong, so it can run beside the rest of the reading.
func (r *Reader) crops(pl *planes, pi *pageInfo, reg *registration) (crops []Crop, quality []string) {
	scale := r.opts.CropDPI / r.opts.LayoutDPI
	for _, region := range groupRegions(pi.layout.Subjective()) {
		m, err := warpRegion(pl.gray, reg.h, region.Rect, scale, 0)
		if err != nil {
			quality = append(quality, fmt.Sprintf("answer box %s%s could not be cut: %v", region.Group, region.Sub, err))
			continue
		}
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, r.opts.CropQuality})
		w, h := m.Cols(), m.Rows()
		m.Close()
		if err != nil {
			quality = append(quality, fmt.Sprintf("answer box %s%s could not be encoded: %v", region.Group, region.Sub, err))
			continue
		}
		data := append([]byte(nil), buf.GetBytes()...)
		buf.Close()
		crops = append(crops, Crop{Group: region.Group, Sub: region.Sub, Width: w, Height: h, Bytes: len(data), JPEG: data})
	}
	return crops, quality
}

// groupRegions merges the boxes of each question group into their
// bounding rectangle, in the order groups first appear.
func groupRegions(boxes []card.Region) []card.Region {
	var out []card.Region
	index := map[string]int{}
	for _, b := range boxes {
		i, ok := index[b.Group]
		if !ok {
			index[b.Group] = len(out)
			b.Sub = ""
			out = append(out, b)
			continue
		}
		u := &out[i].Rect
		x0, y0 := math.Min(u.X, b.Rect.X), math.Min(u.Y, b.Rect.Y)
		x1, y1 := math.Max(u.X+u.W, b.Rect.X+b.Rect.W), math.Max(u.Y+u.H, b.Rect.Y+b.Rect.H)
		*u = card.Rect{X: x0, Y: y0, W: x1 - x0, H: y1 - y0}
		out[i].MaxScore += b.MaxScore
	}
	return out
}
