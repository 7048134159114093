package omr

import (
	"image"
	"math"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/card"
)

// view of a page: how a rendered, filled card lands on the image.
type pageView struct {
	name      string
	rotDeg    float64 // turn in the image, counter-clockwise as seen
	tiltDeg   float64 // camera tilt from straight above (perspective)
	tiltDir   float64 // direction of the tilt axis, degrees
	bg        uint8   // background around the page: desk, scanner lid
	shadow    float64 // darkening of the shadowed side, 0-1
	cover     []int   // corner marks (0 tl .. 3 br, bl) covered by white
	upside    bool
	viaLayout bool // the marks are too few: registered by the print
}

// photograph places a page image on a background under v: a pinhole
// camera at 1.2 page heights, the page turned and tilted, a soft shadow
// across it.
func photograph(page *image.Gray, v pageView) *image.Gray {
	pw, ph := float64(page.Rect.Dx()), float64(page.Rect.Dy())
	yaw := v.rotDeg
	if v.upside {
		yaw += 180
	}
	yaw *= math.Pi / 180
	t, phi := v.tiltDeg*math.Pi/180, v.tiltDir*math.Pi/180
	ax, ay := math.Cos(phi), math.Sin(phi)
	d := 1.2 * ph
	project := func(x, y float64) pt {
		X, Y := x-pw/2, y-ph/2
		X, Y = X*math.Cos(yaw)+Y*math.Sin(yaw), -X*math.Sin(yaw)+Y*math.Cos(yaw)
		dot := X*ax + Y*ay
		cz := ay*X - ax*Y
		c, s := math.Cos(t), math.Sin(t)
		px, py, pz := X*c+ax*dot*(1-c), Y*c+ay*dot*(1-c), cz*s+d
		return pt{d * px / pz, d * py / pz}
	}
	src := []pt{{0, 0}, {pw, 0}, {pw, ph}, {0, ph}}
	var dst []pt
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range src {
		p := project(c.X, c.Y)
		dst = append(dst, p)
		x0, y0, x1, y1 = math.Min(x0, p.X), math.Min(y0, p.Y), math.Max(x1, p.X), math.Max(y1, p.Y)
	}
	margin := 0.05 * ph
	for i := range dst {
		dst[i].X += margin - x0
		dst[i].Y += margin - y0
	}
	h, _ := fitHomography(src, dst)
	inv, _ := h.inverse()
	w, hh := int(x1-x0+2*margin), int(y1-y0+2*margin)
	out := image.NewGray(image.Rect(0, 0, w, hh))
	for y := 0; y < hh; y++ {
		for x := 0; x < w; x++ {
			p := inv.apply(pt{float64(x) + 0.5, float64(y) + 0.5})
			val := float64(v.bg)
			if p.X >= 0 && p.Y >= 0 && p.X < pw-1 && p.Y < ph-1 {
				// Bilinear.
				ix, iy := int(p.X), int(p.Y)
				fx, fy := p.X-float64(ix), p.Y-float64(iy)
				at := func(x, y int) float64 { return float64(page.Pix[y*page.Stride+x]) }
				val = (at(ix, iy)*(1-fx)+at(ix+1, iy)*fx)*(1-fy) + (at(ix, iy+1)*(1-fx)+at(ix+1, iy+1)*fx)*fy
			}
			// A soft shadow falling across the image's upper left.
			s := math.Max(0, math.Min(1, (1.3-float64(x)/float64(w)-float64(y)/float64(hh))/0.3))
			out.Pix[y*out.Stride+x] = uint8(math.Max(0, val*(1-v.shadow*s*s*(3-2*s))))
		}
	}
	return out
}

// TestRegistrationSurvivesSkewBackgroundsAndPhotos reads one filled math
// page turned, on a dark background, photographed at an angle under a
// shadow, and with corner marks covered: every reading is right, or the
// page is refused. Where two or more marks are gone the print registers it
// and says so.
func TestRegistrationSurvivesSkewBackgroundsAndPhotos(t *testing.T) {
	t.Parallel()
	tp := loadTemplate(t, "math-a4.yaml")
	opts := DefaultOptions()
	opts.Crops = false
	r, err := NewReader([]*card.Template{tp}, opts)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := card.Layout(tp, 200)
	if err != nil {
		t.Fatal(err)
	}
	blank := blankRaster(t, tp, 1, 200)
	want := map[int]string{}
	for _, b := range doc.Pages[0].Bubbles {
		if b.Kind == card.BubbleOption && (b.Item*7)%5 == b.Index && b.Item%6 != 0 {
			pencil(blank, b, 70, 1)
			want[b.Item] += b.Option
		}
	}
	fids := doc.Pages[0].Fiducials()
	cases := []pageView{
		{name: "skew 4.5 dark lid", rotDeg: 4.5, bg: 25},
		{name: "skew -10 white lid", rotDeg: -10, bg: 240},
		{name: "skew 10 dark lid", rotDeg: 10, bg: 20},
		{name: "upside down 7", rotDeg: 7, bg: 30, upside: true},
		{name: "photo 15 tilt", rotDeg: 6, tiltDeg: 15, tiltDir: 30, bg: 90, shadow: 0.35},
		{name: "photo 12 tilt sideways", rotDeg: -8, tiltDeg: 12, tiltDir: 100, bg: 150, shadow: 0.25},
		{name: "one mark covered", rotDeg: 3, bg: 30, cover: []int{0}},
		{name: "two marks covered", rotDeg: 3, bg: 30, cover: []int{0, 3}, viaLayout: true},
		{name: "two marks covered photo", rotDeg: -5, tiltDeg: 10, tiltDir: 60, bg: 80, shadow: 0.2, cover: []int{1, 2}, viaLayout: true},
		{name: "all marks covered", rotDeg: 2, bg: 60, cover: []int{0, 1, 2, 3}, viaLayout: true},
		{name: "two marks covered skew 9", rotDeg: 9, bg: 20, cover: []int{1, 3}, viaLayout: true},
		{name: "three marks covered photo upside down", rotDeg: 4, tiltDeg: 14, tiltDir: 200, bg: 120, shadow: 0.3, cover: []int{0, 1, 2}, upside: true, viaLayout: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := image.NewGray(blank.Rect)
			copy(page.Pix, blank.Pix)
			for _, i := range c.cover {
				f := fids[i].Rect
				for y := int(f.Y - 8); y < int(f.Y+f.H+8); y++ {
					for x := int(f.X - 8); x < int(f.X+f.W+8); x++ {
						page.Pix[y*page.Stride+x] = 250
					}
				}
			}
			res := r.Read(c.name+".jpg", encodeJPEG(t, photograph(page, c), 85))
			if len(res.Exceptions) > 0 && res.Template == "" {
				t.Fatalf("refused: %+v", res.Exceptions)
			}
			if res.Template != tp.ID || res.Page != 1 {
				t.Fatalf("identified as %s page %d", res.Template, res.Page)
			}
			if wantRot := map[bool]int{false: 0, true: 180}[c.upside]; res.Rotation != wantRot {
				t.Errorf("rotation %d, want %d", res.Rotation, wantRot)
			}
			noted := strings.Contains(strings.Join(res.Quality, " "), "按印刷版式对位")
			if noted != c.viaLayout {
				t.Errorf("registered %s, quality notes %q", res.Registered, res.Quality)
			}
			for _, it := range res.Items {
				if it.Status == StatusDoubtful {
					continue // flagged for a person: allowed, never wrong
				}
				if got := strings.Join(it.Chosen, ""); got != want[it.Number] {
					t.Errorf("item %d: read %q (%s), want %q", it.Number, got, it.Status, want[it.Number])
				}
			}
		})
	}
}

// TestLayoutRegistrationRefusesAnotherCard: a page of another card with
// its corner marks and page code covered is not registered by the print
// of the batch's card, however alike their headers are.
func TestLayoutRegistrationRefusesAnotherCard(t *testing.T) {
	t.Parallel()
	math := loadTemplate(t, "math-a4.yaml")
	survey := loadTemplate(t, "questionnaire.yaml")
	opts := DefaultOptions()
	opts.Crops = false
	r, err := NewReader([]*card.Template{math}, opts)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := card.Layout(survey, 200)
	if err != nil {
		t.Fatal(err)
	}
	page := blankRaster(t, survey, 1, 200)
	var covered []card.Rect
	for _, f := range doc.Pages[0].Fiducials() {
		covered = append(covered, f.Rect)
	}
	for _, reg := range doc.Pages[0].Regions {
		if reg.Kind == card.RegionQR {
			covered = append(covered, reg.Rect)
		}
	}
	for _, c := range covered {
		for y := int(c.Y - 8); y < int(c.Y+c.H+8); y++ {
			for x := int(c.X - 8); x < int(c.X+c.W+8); x++ {
				page.Pix[y*page.Stride+x] = 250
			}
		}
	}
	res := r.Read("survey.jpg", encodeJPEG(t, photograph(page, pageView{rotDeg: 3, bg: 40}), 85))
	if res.Template != "" || len(res.Exceptions) == 0 {
		t.Fatalf("another card read as %s page %d, notes %q", res.Template, res.Page, res.Quality)
	}
	t.Logf("refused: %s", res.Exceptions[0].Reason)
}
