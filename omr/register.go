package omr

import (
	"fmt"
	"image"
	"math"
	"sort"

	"gocv.io/x/gocv"
)

// Corner order in both image and template: top-left, top-right,
// bottom-right, bottom-left.
var cornerNames = [4]string{"tl", "tr", "br", "bl"}

// small is the page at roughly 50 dpi, where finding fiducials and telling
// a blank page is cheap.
type small struct {
	k    int      // downscale factor
	img  gocv.Mat // grey, downscaled
	bin  gocv.Mat // 255 where ink
	view view
	binv view
}

func (s *small) Close() {
	s.img.Close()
	s.bin.Close()
}

func makeSmall(gray gocv.Mat, k int) (*small, error) {
	s := &small{k: k, img: gocv.NewMat(), bin: gocv.NewMat()}
	shrink(gray, &s.img, k)
	// Adaptive: uneven lighting must not turn a corner of the page black.
	gocv.AdaptiveThreshold(s.img, &s.bin, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinaryInv, 41, 25)
	var err error
	if s.view, err = viewOf(s.img); err != nil {
		s.Close()
		return nil, err
	}
	if s.binv, err = viewOf(s.bin); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// inkFraction is the share of ink pixels in the small binary image.
func (s *small) inkFraction() float64 {
	n := gocv.CountNonZero(s.bin)
	return float64(n) / float64(s.bin.Rows()*s.bin.Cols())
}

// findCorners looks for one solid dark square near each corner of the image.
// sideMin and sideMax bound the fiducial's side in full-resolution pixels.
// A corner with nothing square enough stays nil.
func findCorners(full view, s *small, sideMin, sideMax float64) [4]*pt {
	var out [4]*pt
	w, h := s.bin.Cols(), s.bin.Rows()
	rw, rh := w*3/10, h*3/10
	origins := [4]image.Point{{0, 0}, {w - rw, 0}, {w - rw, h - rh}, {0, h - rh}}
	cornersAt := [4]image.Point{{0, 0}, {w, 0}, {w, h}, {0, h}}
	k := float64(s.k)
	for ci, o := range origins {
		roi := s.bin.Region(image.Rect(o.X, o.Y, o.X+rw, o.Y+rh))
		contours := gocv.FindContours(roi, gocv.RetrievalExternal, gocv.ChainApproxSimple)
		roi.Close()
		best, bestDist := image.Rectangle{}, math.Inf(1)
		for i := 0; i < contours.Size(); i++ {
			c := contours.At(i)
			r := gocv.BoundingRect(c).Add(o)
			area := gocv.ContourArea(c)
			side := float64(r.Dx()+r.Dy()) / 2 * k
			if side < sideMin || side > sideMax {
				continue
			}
			ratio := float64(r.Dx()) / float64(r.Dy())
			if ratio < 0.7 || ratio > 1.43 {
				continue
			}
			// A solid square fills its outline; a QR finder pattern or a
			// letter does not.
			if area < 0.6*float64(r.Dx()*r.Dy()) {
				continue
			}
			if inkIn(s.binv, r) < 0.85 {
				continue
			}
			cx, cy := float64(r.Min.X+r.Max.X)/2, float64(r.Min.Y+r.Max.Y)/2
			d := math.Hypot(cx-float64(cornersAt[ci].X), cy-float64(cornersAt[ci].Y))
			if d < bestDist {
				best, bestDist = r, d
			}
		}
		contours.Close()
		if !math.IsInf(bestDist, 1) {
			p := refineCentre(full, image.Rect(best.Min.X*s.k, best.Min.Y*s.k, best.Max.X*s.k, best.Max.Y*s.k))
			out[ci] = &p
		}
	}
	return out
}

func inkIn(bin view, r image.Rectangle) float64 {
	n, ink := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n++
			if bin.at(x, y) != 0 {
				ink++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(ink) / float64(n)
}

// refineCentre finds the centroid of the dark square at full resolution,
// weighting each pixel by how far below the local ink/paper midpoint it is,
// which gives sub-pixel centres even on blurred scans.
func refineCentre(v view, r image.Rectangle) pt {
	pad := max(2, r.Dx()/3)
	r = r.Inset(-pad).Intersect(image.Rect(0, 0, v.w, v.h))
	lo, hi := 255, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := v.pix[y*v.stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			p := int(row[x])
			lo, hi = min(lo, p), max(hi, p)
		}
	}
	mid := float64(lo+hi) / 2
	var sx, sy, sw float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := v.pix[y*v.stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			if d := mid - float64(row[x]); d > 0 {
				wt := min(d, float64(hi-lo)/4)
				sx += wt * (float64(x) + 0.5)
				sy += wt * (float64(y) + 0.5)
				sw += wt
			}
		}
	}
	if sw == 0 {
		return pt{float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2}
	}
	return pt{sx / sw, sy / sw}
}

// registration is a hypothesis of how a template page lies on the image.
type registration struct {
	h        homography // template layout px -> image px
	rotation int
	mode     string   // perspective or affine
	missing  []string // template corners not used
}

// register fits the transform from a template page's fiducial centres to the
// corner squares found in the image, for rotation 0 or 180. Geometry that
// does not match the template (a stray blob taken for a fiducial, a page of
// another size) is refused rather than used.
func register(tmpl [4]pt, found [4]*pt, rotation int) (*registration, error) {
	var src, dst []pt
	var names []string
	var missing []string
	for ti := 0; ti < 4; ti++ {
		ii := ti
		if rotation == 180 {
			ii = (ti + 2) % 4
		}
		if found[ii] == nil {
			missing = append(missing, cornerNames[ti])
			continue
		}
		src = append(src, tmpl[ti])
		dst = append(dst, *found[ii])
		names = append(names, cornerNames[ti])
	}
	if len(src) < 3 {
		return nil, fmt.Errorf("only %d of 4 corner marks found", len(src))
	}
	if len(src) == 4 {
		// The quadrilateral must agree with the template: each three-point
		// affine fit must predict the fourth point closely (perspective
		// from a phone bends this a little, a wrong blob a lot).
		diag := dist(dst[0], dst[2])
		worst, worstIdx := 0.0, -1
		for leave := 0; leave < 4; leave++ {
			var s3, d3 []pt
			for i := 0; i < 4; i++ {
				if i != leave {
					s3, d3 = append(s3, src[i]), append(d3, dst[i])
				}
			}
			a, err := fitAffine(s3, d3)
			if err != nil {
				return nil, err
			}
			if r := dist(a.apply(src[leave]), dst[leave]) / diag; r > worst {
				worst, worstIdx = r, leave
			}
		}
		if worst < 0.06 && similar(src[:3], dst[:3], 0.08) {
			h, err := fitHomography(src, dst)
			if err != nil {
				return nil, err
			}
			if err := plausible(h, src); err != nil {
				return nil, err
			}
			return &registration{h: h, rotation: rotation, mode: "perspective", missing: missing}, nil
		}
		// One point disagrees: drop the one whose removal leaves the most
		// template-like triangle.
		type cand struct {
			drop int
			err  float64
		}
		var cands []cand
		for leave := 0; leave < 4; leave++ {
			var s3, d3 []pt
			for i := 0; i < 4; i++ {
				if i != leave {
					s3, d3 = append(s3, src[i]), append(d3, dst[i])
				}
			}
			cands = append(cands, cand{leave, triangleError(s3, d3)})
		}
		sort.Slice(cands, func(i, j int) bool { return cands[i].err < cands[j].err })
		_ = worstIdx
		drop := cands[0].drop
		missing = append(missing, names[drop])
		src = append(src[:drop:drop], src[drop+1:]...)
		dst = append(dst[:drop:drop], dst[drop+1:]...)
	}
	if !similar(src, dst, 0.03) {
		return nil, fmt.Errorf("corner marks do not match the template's layout")
	}
	h, err := fitAffine(src, dst)
	if err != nil {
		return nil, err
	}
	if err := plausible(h, src); err != nil {
		return nil, err
	}
	return &registration{h: h, rotation: rotation, mode: "affine", missing: missing}, nil
}

func dist(a, b pt) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// triangleError is the spread of the image/template distance ratios.
func triangleError(src, dst []pt) float64 {
	var rs []float64
	for i := 0; i < len(src); i++ {
		for j := i + 1; j < len(src); j++ {
			if d := dist(src[i], src[j]); d > 0 {
				rs = append(rs, dist(dst[i], dst[j])/d)
			}
		}
	}
	lo, hi := math.Inf(1), 0.0
	for _, r := range rs {
		lo, hi = math.Min(lo, r), math.Max(hi, r)
	}
	if lo <= 0 || math.IsInf(lo, 1) {
		return math.Inf(1)
	}
	return hi/lo - 1
}

// similar reports whether dst is src scaled and rotated, within tol.
func similar(src, dst []pt, tol float64) bool { return triangleError(src, dst) <= tol }

// plausible refuses transforms no scanner or phone produces: mirrored
// pages, wildly different x and y scales, resolutions outside 60-1200 dpi
// relative to the layout.
func plausible(h homography, src []pt) error {
	var c pt
	for _, p := range src {
		c.X += p.X / float64(len(src))
		c.Y += p.Y / float64(len(src))
	}
	dx, dy := h.jacobian(c)
	if dx.X*dy.Y-dx.Y*dy.X <= 0 {
		return fmt.Errorf("page appears mirrored")
	}
	sx, sy := math.Hypot(dx.X, dx.Y), math.Hypot(dy.X, dy.Y)
	if sx/sy > 1.15 || sy/sx > 1.15 {
		return fmt.Errorf("page is stretched %.0f%% more in one direction", (math.Max(sx/sy, sy/sx)-1)*100)
	}
	if sx < 0.25 || sx > 6 {
		return fmt.Errorf("implausible scale %.2f", sx)
	}
	return nil
}

// shrink scales down by k with bilinear sampling: it reads four pixels per
// output pixel instead of k*k, and the small page only has to show
// fiducials and ink, not fine detail.
func shrink(src gocv.Mat, dst *gocv.Mat, k int) {
	w, h := max(1, src.Cols()/k), max(1, src.Rows()/k)
	if k == 1 {
		src.CopyTo(dst)
		return
	}
	gocv.Resize(src, dst, image.Pt(w, h), 1/float64(k), 1/float64(k), gocv.InterpolationLinear)
}
