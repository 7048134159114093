package omr

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
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
	s := &small{k: k, img: gocv.NewMat()}
	shrink(gray, &s.img, k)
	s.bin = binarize(s.img)
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

// Adaptive threshold of the working copy: a pixel is ink when it is darker
// than the mean of its 41x41 neighbourhood by more than 25 grey levels, so
// uneven lighting does not turn a corner of the page black.
const (
	binBlock  = 41
	binOffset = 25
)

// binarize is OpenCV's mean adaptive threshold (ink where a pixel is at
// least binOffset darker than the mean of its binBlock square, the border
// replicated), made of its vectorised parts: OpenCV's adaptiveThreshold
// compares each pixel with its mean in a scalar loop, which took as long
// as the box filter itself. The result is identical to it (tested).
func binarize(img gocv.Mat) gocv.Mat {
	w, h := img.Cols(), img.Rows()
	pad := binBlock / 2
	padded := gocv.NewMat()
	defer padded.Close()
	gocv.CopyMakeBorder(img, &padded, pad, pad, pad, pad, gocv.BorderReplicate, color.RGBA{})
	means := gocv.NewMat()
	defer means.Close()
	gocv.Blur(padded, &means, image.Pt(binBlock, binBlock))
	mean := means.Region(image.Rect(pad, pad, pad+w, pad+h))
	defer mean.Close()
	// mean - pixel, saturated at 0: binOffset or more is ink.
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.Subtract(mean, img, &diff)
	bin := gocv.NewMat()
	gocv.Threshold(diff, &bin, binOffset-1, 255, gocv.ThresholdBinary)
	return bin
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
	var areas [4]float64
	w, h := s.bin.Cols(), s.bin.Rows()
	// The window reaches 40% in: a page turned by 10° on a wide desk, or
	// photographed at an angle, has its marks well away from the image's
	// corners.
	rw, rh := w*4/10, h*4/10
	origins := [4]image.Point{{0, 0}, {w - rw, 0}, {w - rw, h - rh}, {0, h - rh}}
	cornersAt := [4]image.Point{{0, 0}, {w, 0}, {w, h}, {0, h}}
	k := float64(s.k)
	for ci, o := range origins {
		// The nearest square-looking blob that is a whole square at full
		// resolution: on a photo, a blot of shadow or the desk's edge may
		// lie nearer the image corner than the mark.
		for _, best := range cornerSquares(s, o, rw, rh, cornersAt[ci], k, sideMin, sideMax) {
			p, a, ok := refineCentre(full, image.Rect(best.Min.X*s.k, best.Min.Y*s.k, best.Max.X*s.k, best.Max.Y*s.k))
			if ok {
				out[ci], areas[ci] = &p, a
				break
			}
		}
	}
	// The four squares are printed the same size; one much smaller or larger
	// than the others is something else. A photo's perspective makes the
	// near ones up to twice the area of the far ones.
	var as []float64
	for _, a := range areas {
		if a > 0 {
			as = append(as, a)
		}
	}
	if len(as) >= 3 {
		sort.Float64s(as)
		med := as[len(as)/2]
		for i, a := range areas {
			if a > 0 && (a < 0.4*med || a > 2.2*med) {
				out[i] = nil
			}
		}
	}
	return out
}

// cornerSquares finds, in the rw x rh window at o of the working copy, the
// solid squares, nearest to the page corner at corner first (at most
// maxCornerCandidates).
func cornerSquares(s *small, o image.Point, rw, rh int, corner image.Point, k, sideMin, sideMax float64) []image.Rectangle {
	roi := s.bin.Region(image.Rect(o.X, o.Y, o.X+rw, o.Y+rh))
	contours := gocv.FindContours(roi, gocv.RetrievalExternal, gocv.ChainApproxSimple)
	roi.Close()
	defer contours.Close()
	type cand struct {
		r image.Rectangle
		d float64
	}
	var cands []cand
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
		// A square turned by up to 15° still covers two thirds of its
		// bounding box; a letter or a frame's corner does not. Counted in
		// ink pixels: the contour runs through the boundary pixels'
		// centres, so at 50 dpi its area is a fifth short of the blob's.
		box := float64(r.Dx() * r.Dy())
		ink := inkIn(s.binv, r) * box
		if ink < 0.6*box {
			continue
		}
		// Ink over the contour's own area: a solid square fills its
		// outline; a QR finder pattern (a ring) does not.
		if area <= 0 || ink/area < 0.85 {
			continue
		}
		cx, cy := float64(r.Min.X+r.Max.X)/2, float64(r.Min.Y+r.Max.Y)/2
		cands = append(cands, cand{r, math.Hypot(cx-float64(corner.X), cy-float64(corner.Y))})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	out := make([]image.Rectangle, 0, min(len(cands), maxCornerCandidates))
	for i := 0; i < len(cands) && i < maxCornerCandidates; i++ {
		out = append(out, cands[i].r)
	}
	return out
}

// maxCornerCandidates bounds the full-resolution checks per corner.
const maxCornerCandidates = 6

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
// which gives sub-pixel centres even on blurred scans. ok is false when the
// dark shape is not a whole square: a fiducial half hidden by a folded
// corner would pull the centre, so it is better not used at all.
func refineCentre(v view, r image.Rectangle) (c pt, area float64, ok bool) {
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
	if hi-lo < 40 {
		return pt{}, 0, false
	}
	mid := float64(lo+hi) / 2
	// Only the square itself: a printed frame line or letter beside it in
	// the padded box is dark too, and would bend its shape and centre.
	in := largestDark(v, r, mid)
	w := r.Dx()
	var sx, sy, sw float64
	var n, mx, my, mxx, myy, mxy float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := v.pix[y*v.stride:]
		fy := float64(y) + 0.5
		for x := r.Min.X; x < r.Max.X; x++ {
			if !in[(y-r.Min.Y)*w+x-r.Min.X] {
				continue
			}
			d := mid - float64(row[x])
			fx := float64(x) + 0.5
			wt := min(d, float64(hi-lo)/4)
			sx += wt * fx
			sy += wt * fy
			sw += wt
			n++
			mx += fx
			my += fy
			mxx += fx * fx
			myy += fy * fy
			mxy += fx * fy
		}
	}
	if n < 16 {
		return pt{}, 0, false
	}
	mx, my = mx/n, my/n
	cxx, cyy, cxy := mxx/n-mx*mx, myy/n-my*my, mxy/n-mx*my
	// A filled square of side a has both principal variances a^2/12, so its
	// area is 12*sqrt(l1*l2) and l1/l2 = 1. Cut corners, triangles and
	// oblong bubbles fail one or the other. A phone photo's perspective
	// foreshortens a mark at the far side of the page by up to a fifth
	// (l1/l2 up to 1.5); the flattest bubble a card has is 1.45 times as
	// wide as high, l1/l2 2.1.
	tr, det := cxx+cyy, cxx*cyy-cxy*cxy
	disc := math.Sqrt(math.Max(0, tr*tr/4-det))
	l1, l2 := tr/2+disc, tr/2-disc
	if l2 <= 0 || l1/l2 > 1.6 {
		return pt{}, 0, false
	}
	if ratio := n / (12 * math.Sqrt(l1*l2)); ratio < 0.85 || ratio > 1.15 {
		return pt{}, 0, false
	}
	return pt{sx / sw, sy / sw}, n, true
}

// largestDark marks, in the box r of v, the largest 4-connected set of
// pixels darker than mid.
func largestDark(v view, r image.Rectangle, mid float64) []bool {
	w, h := r.Dx(), r.Dy()
	// 0: light, 1: dark and not yet labelled; labels from 2. A pixel p is
	// dark when float64(p) < mid, that is p < ceil(mid).
	lim := int(math.Ceil(mid))
	label := make([]int32, w*h)
	for y := 0; y < h; y++ {
		row := v.pix[(y+r.Min.Y)*v.stride+r.Min.X:]
		out := label[y*w : (y+1)*w]
		for x := range out {
			if int(row[x]) < lim {
				out[x] = 1
			}
		}
	}
	var stack []int
	best, next := int32(0), int32(1)
	bestSize := 0
	for i, l := range label {
		if l != 1 {
			continue
		}
		next++
		label[i] = next
		size := 0
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			x := j % w
			if x > 0 && label[j-1] == 1 {
				label[j-1] = next
				stack = append(stack, j-1)
			}
			if x < w-1 && label[j+1] == 1 {
				label[j+1] = next
				stack = append(stack, j+1)
			}
			if j >= w && label[j-w] == 1 {
				label[j-w] = next
				stack = append(stack, j-w)
			}
			if j+w < len(label) && label[j+w] == 1 {
				label[j+w] = next
				stack = append(stack, j+w)
			}
		}
		if size > bestSize {
			best, bestSize = next, size
		}
	}
	in := make([]bool, w*h)
	for i, l := range label {
		in[i] = l == best && best != 0
	}
	return in
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
		return nil, fmt.Errorf("4 个定位标记只找到 %d 个", len(src))
	}
	if len(src) == 4 {
		// Four marks: a perspective fit, as long as the quadrilateral is a
		// plausible view of the page. Whether it is right is checked later
		// against the page code's finder patterns.
		if convex(dst) {
			if h, err := fitHomography(src, dst); err == nil && plausible(h, src) == nil && similar(src, dst, 0.35) {
				return &registration{h: h, rotation: rotation, mode: "perspective", missing: missing}, nil
			}
		}
		// One point disagrees: drop the one whose removal leaves the most
		// template-like triangle.
		best, bestErr := -1, math.Inf(1)
		for leave := 0; leave < 4; leave++ {
			var s3, d3 []pt
			for i := 0; i < 4; i++ {
				if i != leave {
					s3, d3 = append(s3, src[i]), append(d3, dst[i])
				}
			}
			if e := triangleError(s3, d3); e < bestErr {
				best, bestErr = leave, e
			}
		}
		missing = append(missing, names[best])
		src = append(src[:best:best], src[best+1:]...)
		dst = append(dst[:best:best], dst[best+1:]...)
	}
	if !similar(src, dst, 0.03) {
		return nil, fmt.Errorf("定位标记的位置与答题卡版式不符")
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

// convex reports whether four points in order form a convex quadrilateral
// with positive orientation in image coordinates (y down).
func convex(p []pt) bool {
	sign := 0.0
	for i := 0; i < 4; i++ {
		a, b, c := p[i], p[(i+1)%4], p[(i+2)%4]
		cross := (b.X-a.X)*(c.Y-b.Y) - (b.Y-a.Y)*(c.X-b.X)
		if cross == 0 || sign*cross < 0 {
			return false
		}
		sign = cross
	}
	return true
}

// maxResidualMM is how far, after the final fit, any fiducial or finder
// pattern may lie from where the template puts it. Scanner feed jitter
// and paper stretch stay well under it; a wrong mark far exceeds it.
const maxResidualMM = 1.2

// maxAffineResidualMM is the tolerance when a corner mark is missing.
const maxAffineResidualMM = 0.45

// refine fits the final transform to every fiducial found plus the page
// code's three finder patterns, dropping at most one fiducial that
// disagrees with the rest, and refuses a fit whose worst point is off by
// more than maxResidualMM.
func refine(reg *registration, tmpl [4]pt, found [4]*pt, qr card.Rect, code *pageCode, layoutDPI float64) (*registration, error) {
	if !code.found {
		return nil, fmt.Errorf("找不到页码二维码的定位图形")
	}
	// Where the template puts the finder centres: 3.5 modules in from the
	// code's corners. The module size comes from the observed spacing.
	inv, err := reg.h.inverse()
	if err != nil {
		return nil, err
	}
	tl, tr := inv.apply(code.finders[0]), inv.apply(code.finders[1])
	d := dist(tl, tr)
	m := (qr.W - d) / 7
	if m <= 0 || m > qr.W/14 {
		return nil, fmt.Errorf("页码二维码的大小与答题卡版式不符")
	}
	n := math.Round(qr.W / m)
	m = qr.W / n
	exp := [3]pt{{qr.X + 3.5*m, qr.Y + 3.5*m}, {qr.X + qr.W - 3.5*m, qr.Y + 3.5*m}, {qr.X + 3.5*m, qr.Y + qr.H - 3.5*m}}

	type corr struct {
		src, dst pt
		fid      int // corner index, -1 for a finder
	}
	var cs []corr
	for ti := 0; ti < 4; ti++ {
		ii := ti
		if reg.rotation == 180 {
			ii = (ti + 2) % 4
		}
		if found[ii] != nil {
			cs = append(cs, corr{tmpl[ti], *found[ii], ti})
		}
	}
	for i := 0; i < 3; i++ {
		cs = append(cs, corr{exp[i], code.finders[i], -1})
	}
	tol := maxResidualMM * layoutDPI / 25.4
	nf := 0
	for _, c := range cs {
		if c.fid >= 0 {
			nf++
		}
	}
	if nf < 4 {
		// Three corner marks and the page code fit an affine model exactly
		// enough only if the page is flat in the scanner: a photograph's
		// perspective shows as a small misfit here and a large one at the
		// missing corner, so the tolerance is tighter.
		tol = maxAffineResidualMM * layoutDPI / 25.4
	}
	dropped := ""
	for attempt := 0; ; attempt++ {
		var src, dst []pt
		for _, c := range cs {
			src, dst = append(src, c.src), append(dst, c.dst)
		}
		nfid := 0
		for _, c := range cs {
			if c.fid >= 0 {
				nfid++
			}
		}
		// With three corner marks the finder patterns sit next to one of
		// them: a perspective fit would be free to bend the fourth corner
		// anywhere, so the model is affine.
		var h homography
		if nfid == 4 {
			h, err = fitHomographyLS(src, dst)
		} else {
			h, err = fitAffineLS(src, dst)
		}
		if err != nil {
			return nil, err
		}
		hinv, err := h.inverse()
		if err != nil {
			return nil, err
		}
		worst, worstIdx := 0.0, -1
		for i, c := range cs {
			if r := dist(hinv.apply(c.dst), c.src); r > worst {
				worst, worstIdx = r, i
			}
		}
		if worst <= tol {
			out := &registration{h: h, rotation: reg.rotation, mode: "perspective", missing: reg.missing}
			if nfid < 4 {
				out.mode = "affine"
			}
			if dropped != "" {
				out.missing = append(append([]string{}, reg.missing...), dropped)
			}
			if err := plausible(h, src); err != nil {
				return nil, err
			}
			return out, nil
		}
		// A corner mark that was found, looks like one, and still disagrees
		// may be right and the page bent or photographed at an angle: an
		// affine fit without it could be wrong far from the rest, so the
		// page goes to a person instead of being read.
		if attempt > 0 || cs[worstIdx].fid < 0 || nfid <= 3 || nfid == 4 {
			return nil, fmt.Errorf("定位标记与页码二维码的位置相差 %.1f 毫米", worst*25.4/layoutDPI)
		}
		dropped = cornerNames[cs[worstIdx].fid]
		cs = append(cs[:worstIdx:worstIdx], cs[worstIdx+1:]...)
	}
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
		return fmt.Errorf("页面是镜像的")
	}
	sx, sy := math.Hypot(dx.X, dx.Y), math.Hypot(dy.X, dy.Y)
	if sx/sy > 1.15 || sy/sx > 1.15 {
		return fmt.Errorf("页面在一个方向上多拉伸了 %.0f%%", (math.Max(sx/sy, sy/sx)-1)*100)
	}
	if sx < 0.25 || sx > 6 {
		return fmt.Errorf("页面比例 %.2f 不合理", sx)
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
