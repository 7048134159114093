package omr

import (
	"fmt"
	"math"
	"sync"

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
	regions := groupRegions(pi.layout.Subjective())
	// One goroutine per answer box: once the bubbles are read the crops are
	// all that is left of the page, and a box each lets both cores finish
	// them instead of one core cutting them in turn.
	cut := make([]Crop, len(regions))
	errs := make([]string, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cut[i], errs[i] = r.crop(pl, reg, region, scale)
		}()
	}
	wg.Wait()
	for i := range regions {
		if errs[i] != "" {
			quality = append(quality, errs[i])
			continue
		}
		crops = append(crops, cut[i])
	}
	return crops, quality
}

// crop cuts and encodes one question group's box, or says why it could not.
func (r *Reader) crop(pl *planes, reg *registration, region card.Region, scale float64) (Crop, string) {
	m, err := warpRegion(pl.gray, reg.h, region.Rect, scale, 0)
	if err != nil {
		return Crop{}, fmt.Sprintf("答题区 %s%s 无法裁切：%v", region.Group, region.Sub, err)
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, []int{gocv.IMWriteJpegQuality, r.opts.CropQuality})
	w, h := m.Cols(), m.Rows()
	m.Close()
	if err != nil {
		return Crop{}, fmt.Sprintf("答题区 %s%s 无法编码：%v", region.Group, region.Sub, err)
	}
	data := append([]byte(nil), buf.GetBytes()...)
	buf.Close()
	return Crop{Group: region.Group, Sub: region.Sub, Width: w, Height: h, Bytes: len(data), JPEG: data}, ""
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
