package omr

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sort"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
)

// Registration by the printed layout, for a page whose corner marks are
// cut off, covered or too few to fit it (a phone photo with a finger over
// a corner, a sheet scanned askew past the glass).
//
// The blank card's print (frames, letters, the header) is a rich set of
// corners: ORB keypoints of the blank page, computed once when the reader
// is made, are matched with those of the scan, and a homography is fitted
// to the matches by RANSAC. It runs only when the corner marks failed, so
// a normal page costs nothing more. The fit is trusted only when its
// inliers are many and close, and when the card's black print then lies
// where the blank card has it (printFit): a poor fit is refused, never
// read.

// featureDPI is the resolution both sides are matched at: the print's
// frames and letters are a few pixels wide, enough for ORB's corners, and
// an A3 page is still under 1,200 pixels.
const featureDPI = 72

// Matching and fitting thresholds.
const (
	featureCount    = 3000 // ORB keypoints per page
	featureRatio    = 0.8  // Lowe's ratio test on the two nearest descriptors
	featureInlierMM = 1.0  // a match within this of the fit is an inlier
	featureMinIn    = 40   // fewer inliers than this: no fit
	featureMinShare = 0.25 // ... or fewer than this share of the matches
	featureMaxRMSMM = 0.8  // the inliers' RMS distance from the fit: ORB at 72 dpi is coarse, the print check is fine
)

// pageFeatures are the ORB keypoints of a blank page: positions in layout
// pixels, descriptors 32 bytes each.
type pageFeatures struct {
	pts  []pt
	desc []byte
}

// blankFeatures computes the keypoints of a blank page rasterised at
// layoutDPI.
func blankFeatures(gray gocv.Mat, layoutDPI float64) pageFeatures {
	small := gocv.NewMat()
	defer small.Close()
	f := featureDPI / layoutDPI
	gocv.Resize(gray, &small, image.Pt(0, 0), f, f, gocv.InterpolationArea)
	kps, desc := orbOf(small)
	defer desc.Close()
	out := pageFeatures{desc: desc.ToBytes()}
	for _, k := range kps {
		out.pts = append(out.pts, pt{(k.X + 0.5) / f, (k.Y + 0.5) / f})
	}
	if desc.Rows() != len(kps) {
		return pageFeatures{}
	}
	return out
}

func orbOf(m gocv.Mat) ([]gocv.KeyPoint, gocv.Mat) {
	orb := gocv.NewORBWithParams(featureCount, 1.2, 8, 31, 0, 2, gocv.ORBScoreTypeHarris, 31, 20)
	defer orb.Close()
	mask := gocv.NewMat()
	defer mask.Close()
	return orb.DetectAndCompute(m, mask)
}

// featureFit is one page registered by its print.
type featureFit struct {
	pi      *pageInfo
	h       homography // layout px -> image px
	inliers int
	rmsMM   float64
}

// byFeatures registers the page image against every template page by
// their print and returns the fits that pass, best first. dpi is the
// image's resolution as far as it is known (the page filling the image).
func (r *Reader) byFeatures(gray gocv.Mat, dpi float64) []featureFit {
	small := gocv.NewMat()
	defer small.Close()
	f := math.Min(1, featureDPI/dpi)
	gocv.Resize(gray, &small, image.Pt(0, 0), f, f, gocv.InterpolationArea)
	kps, desc := orbOf(small)
	defer desc.Close()
	if len(kps) < featureMinIn || desc.Rows() != len(kps) {
		return nil
	}
	bf := gocv.NewBFMatcherWithParams(gocv.NormHamming, false)
	defer bf.Close()
	var fits []featureFit
	for _, pi := range r.order {
		if len(pi.feat.pts) < featureMinIn {
			continue
		}
		train, err := gocv.NewMatFromBytes(len(pi.feat.pts), 32, gocv.MatTypeCV8U, pi.feat.desc)
		if err != nil {
			continue
		}
		matches := bf.KnnMatch(desc, train, 2)
		train.Close()
		var src, dst []pt
		for _, m := range matches {
			if len(m) == 2 && m[0].Distance < featureRatio*m[1].Distance {
				src = append(src, pi.feat.pts[m[0].TrainIdx])
				k := kps[m[0].QueryIdx]
				dst = append(dst, pt{(k.X + 0.5) / f, (k.Y + 0.5) / f})
			}
		}
		// Tolerances in image pixels: the fit's scale is about dpi.
		mmPx := dpi / 25.4
		h, in, rms, ok := ransacHomography(src, dst, featureInlierMM*mmPx)
		if !ok || in < featureMinIn || float64(in) < featureMinShare*float64(len(src)) || rms > featureMaxRMSMM*h.scale(pt{0, 0})*r.opts.LayoutDPI/25.4 {
			continue
		}
		if plausible(h, []pt{{0, 0}, {float64(pi.layout.WidthPx), float64(pi.layout.HeightPx)}}) != nil {
			continue
		}
		fits = append(fits, featureFit{pi: pi, h: h, inliers: in, rmsMM: rms / (h.scale(pt{0, 0}) * r.opts.LayoutDPI / 25.4)})
	}
	sort.SliceStable(fits, func(i, j int) bool { return fits[i].inliers > fits[j].inliers })
	return fits
}

// ransacHomography fits src -> dst robustly: four random matches propose
// a homography, the one with most matches within tol wins, and it is
// refitted by least squares to its inliers. The draw is seeded, so a page
// always registers the same way. rms is the inliers' distance from the
// final fit, in dst units.
func ransacHomography(src, dst []pt, tol float64) (h homography, inliers int, rms float64, ok bool) {
	if len(src) < 8 {
		return homography{}, 0, 0, false
	}
	rng := rand.New(rand.NewPCG(24, uint64(len(src))))
	count := func(h homography) []int {
		var in []int
		for i := range src {
			if dist(h.apply(src[i]), dst[i]) <= tol {
				in = append(in, i)
			}
		}
		return in
	}
	var best []int
	for it := 0; it < 400; it++ {
		idx := rng.Perm(len(src))[:4]
		s4, d4 := make([]pt, 4), make([]pt, 4)
		for k, i := range idx {
			s4[k], d4[k] = src[i], dst[i]
		}
		cand, err := fitHomography(s4, d4)
		if err != nil {
			continue
		}
		if in := count(cand); len(in) > len(best) {
			best = in
		}
	}
	if len(best) < 8 {
		return homography{}, 0, 0, false
	}
	// Refit to the inliers, twice: the refit may take in a few more.
	for round := 0; round < 2; round++ {
		s, d := make([]pt, len(best)), make([]pt, len(best))
		for k, i := range best {
			s[k], d[k] = src[i], dst[i]
		}
		var err error
		if h, err = fitHomographyLS(s, d); err != nil {
			return homography{}, 0, 0, false
		}
		best = count(h)
		if len(best) < 8 {
			return homography{}, 0, 0, false
		}
	}
	var sum float64
	for _, i := range best {
		d := dist(h.apply(src[i]), dst[i])
		sum += d * d
	}
	return h, len(best), math.Sqrt(sum / float64(len(best))), true
}

// featureRegistration turns a fit by print into a registration: upright
// or upside down from the angle it finds.
func featureRegistration(ff featureFit) *registration {
	c := pt{float64(ff.pi.layout.WidthPx) / 2, float64(ff.pi.layout.HeightPx) / 2}
	rot := 0
	if a := ff.h.angle(c); math.Abs(a) > 90 {
		rot = 180
	}
	return &registration{h: ff.h, rotation: rot, mode: "layout"}
}

// identifyByFeatures registers the page by its print when the corner
// marks could not: the fit whose black print lies where its blank card
// has it, by a wide margin over any other page's fit (byPrint), and whose
// page code, where it can be read, names that page. note is the page's
// quality note; fail.reason says why nothing fitted.
func (r *Reader) identifyByFeatures(pl *planes, gv view, fail *identifyFailure) (pi *pageInfo, reg *registration, payload, note string) {
	long := float64(max(gv.w, gv.h))
	fits := r.byFeatures(pl.gray, long/r.paperMax*25.4)
	if len(fits) == 0 {
		return nil, nil, "", ""
	}
	pis, regs := make([]*pageInfo, len(fits)), make([]*registration, len(fits))
	for i, ff := range fits {
		pis[i], regs[i] = ff.pi, featureRegistration(ff)
	}
	i := byPrint(gv, pis, regs)
	if i < 0 {
		fail.reason = "定位标记不全，按印刷版式对位后印刷内容对不上"
		return nil, nil, "", ""
	}
	ff := fits[i]
	if code, err := decodeQR(pl.gray, regs[i].h, ff.pi.qr.Rect); err == nil {
		id, err := card.ParsePageCode(code.text)
		if err != nil || id.TemplateID != ff.pi.tmpl.t.ID || id.Page != ff.pi.layout.Page {
			fail.reason = fmt.Sprintf("定位标记不全，按印刷版式对位的结果与页码二维码 %q 不符", code.text)
			return nil, nil, "", ""
		}
		payload = code.text
	}
	return ff.pi, regs[i], payload, fmt.Sprintf("定位标记不全，按印刷版式对位（%d 个特征点，误差 %.2f 毫米）", ff.inliers, ff.rmsMM)
}
