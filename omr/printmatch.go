package omr

import (
	"math"

	"github.com/saoyue/saoyue/card"
)

// A page whose page code cannot be read (a white label stuck over it, a
// blurred scan) is still identified when its printed layout says which
// template page it is: every (page, rotation) that the corner marks allow
// is laid over the scan, and the one whose black print is where the blank
// card has it, and nowhere else, is the page. It must win by a wide margin
// over every other; otherwise the page goes to a person as before.

// printPoints is where a template page has solid black print, and where it
// has paper that nothing is written on, in layout pixels.
type printPoints struct {
	ink, paper []pt
	black      []pt    // the ink points of black print, which a dropout scan keeps
	pxPerMM    float64 // layout pixels per millimetre
}

// printStepMM is the spacing of the sample grid: a few thousand points
// on A4, which cost well under a millisecond to look up.
const printStepMM = 1.2

// samplePrint finds the sample points of page i on the blank card. Ink
// points are where the grey plane is dark: black print, and red print as
// a grey or colour scan shows it (a scan that drops red keeps too little
// of a red card, and such a page is refused as before). Paper points are
// white around them and outside every bubble and region a candidate
// writes in or a sticker covers.
func (b *blankPages) samplePrint(i int, pl *card.PageLayout, dpi float64) printPoints {
	gray, err := viewOf(b.gray[i])
	red, rerr := viewOf(b.red[i])
	if err != nil || rerr != nil {
		return printPoints{}
	}
	var skip, covered []card.Rect
	for _, r := range pl.Regions {
		if r.Kind != card.RegionFiducial {
			skip = append(skip, grow(r.Rect, dpi/25.4))
		} else {
			covered = append(covered, grow(r.Rect, dpi/25.4)) // every hypothesis fits the corner marks
		}
		if r.Kind == card.RegionQR || r.Kind == card.RegionBarcode {
			covered = append(covered, grow(r.Rect, 3*dpi/25.4)) // a label or sticker may lie over it
		}
	}
	for _, bb := range pl.Bubbles {
		skip = append(skip, grow(bb.Rect, dpi/25.4))
	}
	out := printPoints{pxPerMM: dpi / 25.4}
	inkStep := 0.4 * dpi / 25.4
	for y := inkStep / 2; y < float64(gray.h); y += inkStep {
		for x := inkStep / 2; x < float64(gray.w); x += inkStep {
			if gray.at(int(x), int(y)) < 120 && !inAny(covered, x, y) {
				out.ink = append(out.ink, pt{x, y})
				if red.at(int(x), int(y)) < 100 {
					out.black = append(out.black, pt{x, y})
				}
			}
		}
	}
	step := printStepMM * dpi / 25.4
	for y := step / 2; y < float64(gray.h); y += step {
		for x := step / 2; x < float64(gray.w); x += step {
			if minAround(gray, int(x), int(y), 4) >= 235 && !inAny(skip, x, y) {
				out.paper = append(out.paper, pt{x, y})
			}
		}
	}
	return out
}

func grow(r card.Rect, by float64) card.Rect {
	return card.Rect{X: r.X - by, Y: r.Y - by, W: r.W + 2*by, H: r.H + 2*by}
}

func inAny(rs []card.Rect, x, y float64) bool {
	for _, r := range rs {
		if x >= r.X && x <= r.X+r.W && y >= r.Y && y <= r.Y+r.H {
			return true
		}
	}
	return false
}

func minAround(v view, x, y, r int) uint8 {
	m := uint8(255)
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			m = min(m, v.at(x+dx, y+dy))
		}
	}
	return m
}

// printFit is how well the scan shows a page's print under a
// registration: the share of its ink points dark on the scan, and the
// share of its paper points dark (print of another page, or marks). Dark
// is against the paper around the point, the brightest of eight samples
// printAroundMM away: a photo's shadow or a scanner's uneven lamp darkens
// paper and print alike.
func printFit(gv view, h homography, pp printPoints, inkPts []pt) (ink, paper float64) {
	ring := printAroundMM * pp.pxPerMM * h.scale(pt{0, 0})
	dark := func(q pt) bool {
		p := h.apply(q)
		x, y := int(p.X), int(p.Y)
		white := uint8(0)
		for k := 0; k < 8; k++ {
			a := float64(k) * math.Pi / 4
			white = max(white, gv.at(int(p.X+ring*math.Cos(a)), int(p.Y+ring*math.Sin(a))))
		}
		return float64(minAround(gv, x, y, 1)) < printDark*float64(white)
	}
	n := 0
	for _, q := range inkPts {
		if dark(q) {
			n++
		}
	}
	m := 0
	for _, q := range pp.paper {
		if dark(q) {
			m++
		}
	}
	return float64(n) / math.Max(1, float64(len(inkPts))), float64(m) / math.Max(1, float64(len(pp.paper)))
}

// printDark: a point is dark below this share of the paper's level; red
// print on a light grey scan is still well below it. printAroundMM: how
// far from a point the paper around it is sampled, clear of the strokes
// of print.
const (
	printDark     = 0.8
	printAroundMM = 2.0
)

// Identification by print: the winner's black print must be found at
// printInk of its points with at most printPaper of its paper dark, and
// every other hypothesis must fall printMargin short of its score.
const (
	printInk    = 0.7
	printPaper  = 0.1
	printMargin = 0.3
	printMinPts = 40
)

// byPrint picks the hypothesis whose print fits the scan, or -1.
func byPrint(gv view, pis []*pageInfo, regs []*registration) int {
	best, scores := -1, make([]float64, len(pis))
	for i, pi := range pis {
		// All the print (a grey or colour scan), or its black part alone
		// (a scan that drops red print), whichever fits better.
		scores[i] = math.Inf(-1)
		for _, pts := range [][]pt{pi.print.ink, pi.print.black} {
			ink, paper := printFit(gv, regs[i].h, pi.print, pts)
			scores[i] = math.Max(scores[i], ink-paper)
			// A page with too little print of the kind can be neither
			// confirmed nor told apart by it: it never wins so.
			if len(pts) >= printMinPts && ink >= printInk && paper <= printPaper && (best < 0 || ink-paper > scores[best]) {
				best = i
			}
		}
	}
	if best < 0 {
		return -1
	}
	second := math.Inf(-1)
	for i, s := range scores {
		if i != best && (pis[i] != pis[best] || regs[i].rotation != regs[best].rotation) {
			second = math.Max(second, s)
		}
	}
	if scores[best]-second < printMargin {
		return -1
	}
	return best
}
