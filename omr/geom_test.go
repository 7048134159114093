package omr

import (
	"math"
	"testing"
)

func TestFitHomographyRoundTrip(t *testing.T) {
	src := []pt{{10, 10}, {1600, 12}, {1590, 2300}, {15, 2290}}
	cases := []struct {
		name string
		h    homography
	}{
		{"identity", homography{1, 0, 0, 0, 1, 0, 0, 0, 1}},
		{"rotate 7 deg and scale", rot(7, 1.4, 30, -20)},
		{"upside down", rot(180, 0.75, 1300, 1800)},
		{"perspective", homography{1.02, 0.03, 5, -0.02, 0.98, 8, 1e-5, -2e-5, 1}},
	}
	for _, c := range cases {
		dst := make([]pt, 4)
		for i, p := range src {
			dst[i] = c.h.apply(p)
		}
		h, err := fitHomography(src, dst)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, p := range []pt{{800, 1100}, {100, 2000}, {1500, 50}} {
			want, got := c.h.apply(p), h.apply(p)
			if math.Hypot(want.X-got.X, want.Y-got.Y) > 1e-6 {
				t.Errorf("%s: point %v maps to %v, want %v", c.name, p, got, want)
			}
		}
		inv, err := h.inverse()
		if err != nil {
			t.Fatal(err)
		}
		back := inv.apply(h.apply(pt{321, 654}))
		if math.Hypot(back.X-321, back.Y-654) > 1e-6 {
			t.Errorf("%s: inverse maps back to %v", c.name, back)
		}
		if c.name != "perspective" {
			a, err := fitAffine(src[:3], dst[:3])
			if err != nil {
				t.Fatal(err)
			}
			p := a.apply(src[3])
			if math.Hypot(p.X-dst[3].X, p.Y-dst[3].Y) > 1e-6 {
				t.Errorf("%s: affine from three points misses the fourth: %v vs %v", c.name, p, dst[3])
			}
		}
	}
	if _, err := fitHomography([]pt{{0, 0}, {1, 1}, {2, 2}, {3, 3}}, src); err == nil {
		t.Error("collinear points gave a homography")
	}
}

func rot(deg, s, tx, ty float64) homography {
	r := deg * math.Pi / 180
	c, sn := math.Cos(r)*s, math.Sin(r)*s
	return homography{c, -sn, tx, sn, c, ty, 0, 0, 1}
}

func TestFitHomographyLS(t *testing.T) {
	truth := homography{0.98, 0.05, 40, -0.04, 1.01, 25, 2e-5, -1e-5, 1}
	src := []pt{{10, 10}, {1600, 12}, {1590, 2300}, {15, 2290}, {1450, 120}, {1500, 120}, {1450, 170}}
	dst := make([]pt, len(src))
	for i, p := range src {
		dst[i] = truth.apply(p)
	}
	h, err := fitHomographyLS(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []pt{{800, 1100}, {100, 2000}} {
		if d := dist(h.apply(p), truth.apply(p)); d > 1e-6 {
			t.Errorf("LS homography off by %g at %v", d, p)
		}
	}
}

func TestFitAffineLS(t *testing.T) {
	truth := rot(5, 0.8, 12, -30)
	src := []pt{{10, 10}, {1600, 12}, {15, 2290}, {1450, 120}, {1500, 120}}
	dst := make([]pt, len(src))
	for i, p := range src {
		dst[i] = truth.apply(p)
	}
	h, err := fitAffineLS(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if d := dist(h.apply(pt{1590, 2300}), truth.apply(pt{1590, 2300})); d > 1e-6 {
		t.Errorf("affine LS off by %g", d)
	}
}
