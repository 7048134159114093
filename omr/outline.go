package omr

import (
	"fmt"
	"math"
)

// Checking an affine registration against the paper's own edges.
//
// With a corner mark missing, the page is registered by an affine fit to
// the other three and the page code. That is right for a flat sheet in a
// scanner; for a photograph taken at an angle it is right at the three
// marks and wrong towards the fourth corner, by up to centimetres, where
// bubbles would then read blank with nothing to show for it. Where the
// paper stands out from the background (a photograph on a desk, a scanner
// with a dark lid), its edges show which it is: the affine fit puts each
// edge where the paper ends, or, in perspective, the paper's edge runs
// away from it towards the missing corner.

// Edge sampling, in millimetres.
const (
	outlineClearMM = 40   // no samples this close to a corner (folds, marks)
	outlineStepMM  = 15   // spacing of the samples along an edge
	outlineInMM    = 12   // the profile starts this far inside the paper...
	outlineOutMM   = 25   // ...and ends this far outside
	outlineHalfMM  = 2    // half length of the stretch of edge averaged
	outlineRes     = 0.25 // profile resolution
	// outlineSpreadMM: the paper's edge may lie off the fitted one (cut
	// tolerance, print offset), but by the same amount along its length;
	// an offset that grows along the edge by more than this is perspective.
	outlineSpreadMM = 2.0
	// outlineContrast is the grey-level difference paper must have from
	// what lies beyond it for the edge to count.
	outlineContrast = 40
)

// outlineMisfit measures the paper's edges where the registration h (layout
// px -> image px) puts them and returns an error when, along some edge, the
// paper's true edge drifts from the fitted one by more than
// outlineSpreadMM: the page is not flat under an affine view. Edges that
// cannot be seen (a white scanner lid, the image border) are not judged.
func outlineMisfit(v view, h homography, widthPx, heightPx int, layoutDPI float64) error {
	mm := layoutDPI / 25.4
	w, hh := float64(widthPx), float64(heightPx)
	type edge struct {
		name     string
		from, to pt // layout, clockwise, paper on the right (y down)
	}
	edges := []edge{
		{"上", pt{0, 0}, pt{w, 0}},
		{"右", pt{w, 0}, pt{w, hh}},
		{"下", pt{w, hh}, pt{0, hh}},
		{"左", pt{0, hh}, pt{0, 0}},
	}
	for _, e := range edges {
		l := dist(e.from, e.to)
		tx, ty := (e.to.X-e.from.X)/l, (e.to.Y-e.from.Y)/l
		nx, ny := ty, -tx // outward normal: paper lies on the other side
		var devs []float64
		for s := outlineClearMM * mm; s <= l-outlineClearMM*mm; s += outlineStepMM * mm {
			at := pt{e.from.X + tx*s, e.from.Y + ty*s}
			if d, ok := edgeOffset(v, h, at, pt{tx, ty}, pt{nx, ny}, mm); ok {
				devs = append(devs, d)
			}
		}
		if len(devs) < 3 {
			continue
		}
		lo, hi := devs[0], devs[0]
		for _, d := range devs {
			lo, hi = math.Min(lo, d), math.Max(hi, d)
		}
		if hi-lo > outlineSpreadMM {
			return fmt.Errorf("纸张%s边一端偏离 %.1f 毫米、另一端偏离 %.1f 毫米：页面为斜拍或弯折，且缺少一个定位标记", e.name, lo, hi)
		}
	}
	return nil
}

// edgeOffset finds, on a profile across the paper's edge at layout point
// at (tangent t, outward normal n, mm layout px per millimetre), how far
// out (mm, negative: inside) the paper really ends. ok is false where the
// edge cannot be told: no contrast with the background, or the image ends.
func edgeOffset(v view, h homography, at, t, n pt, mm float64) (float64, bool) {
	steps := int((outlineInMM+outlineOutMM)/outlineRes) + 1
	prof := make([]float64, 0, steps)
	for i := 0; i < steps; i++ {
		s := (-outlineInMM + float64(i)*outlineRes) * mm
		sum, cnt := 0.0, 0
		for j := -2; j <= 2; j++ {
			u := float64(j) * outlineHalfMM / 2
			q := h.apply(pt{at.X + n.X*s + t.X*u*mm, at.Y + n.Y*s + t.Y*u*mm})
			x, y := int(q.X), int(q.Y)
			if q.X < 0 || q.Y < 0 || x >= v.w || y >= v.h {
				continue
			}
			sum += float64(v.pix[y*v.stride+x])
			cnt++
		}
		if cnt < 5 {
			break // the image ends: the profile stops here
		}
		prof = append(prof, sum/float64(cnt))
	}
	if len(prof) < int(outlineInMM/outlineRes)+4 {
		return 0, false // the image ends at or before the fitted edge
	}
	paper := 0.0
	for _, p := range prof {
		paper = math.Max(paper, p)
	}
	// What lies beyond the paper: the last millimetre of the profile.
	k := int(1 / outlineRes)
	bg := 0.0
	for _, p := range prof[len(prof)-k:] {
		bg += p / float64(k)
	}
	if paper-bg < outlineContrast {
		return 0, false
	}
	mid := (paper + bg) / 2
	for i := len(prof) - 1; i >= 0; i-- {
		if prof[i] >= mid {
			return -outlineInMM + (float64(i)+0.5)*outlineRes, true
		}
	}
	return 0, false
}
