package omr

import (
	"errors"
	"math"
)

// pt is a point in pixels.
type pt struct{ X, Y float64 }

// homography maps template-layout pixels to image pixels. Computing it in Go
// (rather than with cv::findHomography) keeps registration free of Mats and
// lets us map only the few thousand points we sample instead of warping
// whole pages.
type homography [9]float64

func (h homography) apply(p pt) pt {
	w := h[6]*p.X + h[7]*p.Y + h[8]
	return pt{(h[0]*p.X + h[1]*p.Y + h[2]) / w, (h[3]*p.X + h[4]*p.Y + h[5]) / w}
}

// jacobian returns the local linear map at p: image displacement per
// template pixel along x and along y.
func (h homography) jacobian(p pt) (dx, dy pt) {
	c := h.apply(p)
	a := h.apply(pt{p.X + 1, p.Y})
	b := h.apply(pt{p.X, p.Y + 1})
	return pt{a.X - c.X, a.Y - c.Y}, pt{b.X - c.X, b.Y - c.Y}
}

// scale is the mean linear magnification at p (image px per template px).
func (h homography) scale(p pt) float64 {
	dx, dy := h.jacobian(p)
	return (math.Hypot(dx.X, dx.Y) + math.Hypot(dy.X, dy.Y)) / 2
}

// angle is the rotation at p in degrees, from the template's x axis.
func (h homography) angle(p pt) float64 {
	dx, _ := h.jacobian(p)
	return math.Atan2(dx.Y, dx.X) * 180 / math.Pi
}

func (h homography) inverse() (homography, error) {
	a := h
	det := a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
	if math.Abs(det) < 1e-12 {
		return homography{}, errors.New("定位点共线，无法计算页面位置")
	}
	inv := homography{
		a[4]*a[8] - a[5]*a[7], a[2]*a[7] - a[1]*a[8], a[1]*a[5] - a[2]*a[4],
		a[5]*a[6] - a[3]*a[8], a[0]*a[8] - a[2]*a[6], a[2]*a[3] - a[0]*a[5],
		a[3]*a[7] - a[4]*a[6], a[1]*a[6] - a[0]*a[7], a[0]*a[4] - a[1]*a[3],
	}
	for i := range inv {
		inv[i] /= det
	}
	return inv, nil
}

// fitHomography solves for the perspective transform taking src[i] to
// dst[i] from exactly four correspondences.
func fitHomography(src, dst []pt) (homography, error) {
	if len(src) != 4 || len(dst) != 4 {
		return homography{}, errors.New("透视校正需要 4 个定位点")
	}
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := src[i].X, src[i].Y, dst[i].X, dst[i].Y
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	sol, err := solve8(a)
	if err != nil {
		return homography{}, err
	}
	return homography{sol[0], sol[1], sol[2], sol[3], sol[4], sol[5], sol[6], sol[7], 1}, nil
}

// fitAffine solves for the affine transform taking three src points to dst;
// it is what registration falls back to when one fiducial is missing.
func fitAffine(src, dst []pt) (homography, error) {
	if len(src) != 3 || len(dst) != 3 {
		return homography{}, errors.New("页面定位需要 3 个定位点")
	}
	var a [8][9]float64
	// Solve the 6 unknowns with the 8x8 solver by pinning the perspective
	// terms to zero through two extra identity rows.
	for i := 0; i < 3; i++ {
		x, y, u, v := src[i].X, src[i].Y, dst[i].X, dst[i].Y
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, 0, 0, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, 0, 0, v}
	}
	a[6] = [9]float64{0, 0, 0, 0, 0, 0, 1, 0, 0}
	a[7] = [9]float64{0, 0, 0, 0, 0, 0, 0, 1, 0}
	sol, err := solve8(a)
	if err != nil {
		return homography{}, err
	}
	return homography{sol[0], sol[1], sol[2], sol[3], sol[4], sol[5], 0, 0, 1}, nil
}

// solve8 runs Gaussian elimination with partial pivoting on an augmented
// 8x9 system.
func solve8(a [8][9]float64) ([8]float64, error) {
	const n = 8
	for col := 0; col < n; col++ {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if math.Abs(a[piv][col]) < 1e-12 {
			return [8]float64{}, errors.New("定位点共线，无法计算页面位置")
		}
		a[col], a[piv] = a[piv], a[col]
		for r := 0; r < n; r++ {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for c := col; c <= n; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	var x [8]float64
	for i := 0; i < n; i++ {
		x[i] = a[i][n] / a[i][i]
	}
	return x, nil
}

// fitHomographyLS fits a homography to four or more correspondences by
// least squares on normalised coordinates (Hartley), so that fiducials and
// page-code finder patterns together pin the page down.
func fitHomographyLS(src, dst []pt) (homography, error) {
	if len(src) < 4 || len(src) != len(dst) {
		return homography{}, errors.New("透视校正需要至少 4 个定位点")
	}
	ns, ts := normaliser(src)
	nd, td := normaliser(dst)
	var ata [8][9]float64
	for i := range src {
		s, d := ns.apply(src[i]), nd.apply(dst[i])
		rows := [2][9]float64{
			{s.X, s.Y, 1, 0, 0, 0, -d.X * s.X, -d.X * s.Y, d.X},
			{0, 0, 0, s.X, s.Y, 1, -d.Y * s.X, -d.Y * s.Y, d.Y},
		}
		for _, r := range rows {
			for a := 0; a < 8; a++ {
				for b := 0; b < 9; b++ {
					ata[a][b] += r[a] * r[b]
				}
			}
		}
	}
	sol, err := solve8(ata)
	if err != nil {
		return homography{}, err
	}
	hn := homography{sol[0], sol[1], sol[2], sol[3], sol[4], sol[5], sol[6], sol[7], 1}
	inv, err := td.inverse()
	if err != nil {
		return homography{}, err
	}
	h := mul(inv, mul(hn, ts))
	for i := range h {
		h[i] /= h[8]
	}
	_ = ns
	return h, nil
}

// normaliser moves points to their centroid and scales them to a mean
// distance of sqrt(2); it returns the transform (twice, as value and as
// homography for composition).
func normaliser(p []pt) (homography, homography) {
	var c pt
	for _, q := range p {
		c.X += q.X / float64(len(p))
		c.Y += q.Y / float64(len(p))
	}
	var d float64
	for _, q := range p {
		d += math.Hypot(q.X-c.X, q.Y-c.Y) / float64(len(p))
	}
	s := math.Sqrt2 / math.Max(d, 1e-9)
	h := homography{s, 0, -s * c.X, 0, s, -s * c.Y, 0, 0, 1}
	return h, h
}

// fitAffineLS fits an affine transform to three or more correspondences by
// least squares.
func fitAffineLS(src, dst []pt) (homography, error) {
	if len(src) < 3 || len(src) != len(dst) {
		return homography{}, errors.New("页面定位需要至少 3 个定位点")
	}
	ns, _ := normaliser(src)
	nd, _ := normaliser(dst)
	// x and y rows are independent: two 3x3 normal systems, solved through
	// the 8x8 solver with the unused unknowns pinned to zero.
	var ata [8][9]float64
	for i := range src {
		s, d := ns.apply(src[i]), nd.apply(dst[i])
		rows := [2][9]float64{{s.X, s.Y, 1, 0, 0, 0, 0, 0, d.X}, {0, 0, 0, s.X, s.Y, 1, 0, 0, d.Y}}
		for _, r := range rows {
			for a := 0; a < 6; a++ {
				for b := 0; b < 9; b++ {
					ata[a][b] += r[a] * r[b]
				}
			}
		}
	}
	ata[6] = [9]float64{0, 0, 0, 0, 0, 0, 1, 0, 0}
	ata[7] = [9]float64{0, 0, 0, 0, 0, 0, 0, 1, 0}
	sol, err := solve8(ata)
	if err != nil {
		return homography{}, err
	}
	hn := homography{sol[0], sol[1], sol[2], sol[3], sol[4], sol[5], 0, 0, 1}
	inv, err := nd.inverse()
	if err != nil {
		return homography{}, err
	}
	h := mul(inv, mul(hn, ns))
	for i := range h {
		h[i] /= h[8]
	}
	return h, nil
}
