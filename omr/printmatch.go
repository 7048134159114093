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

// paperLevel is the darkness a point must be below to count as ink under
// a registration: printDark of the paper's own level, the median of the
// page's paper points (marks and print of another page are a minority).
func paperLevel(gv view, h homography, pp printPoints) float64 {
	var hist [256]int
	for _, q := range pp.paper {
		p := h.apply(q)
		hist[minAround(gv, int(p.X), int(p.Y), 1)]++
	}
	return printDark * float64(percentile(hist[:], 0.5))
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

// A side printed in red alone, scanned by a scanner that drops red, keeps
// nothing of its print but the corner marks; with its page code covered
// too, byPrint has nothing to confirm it by. A person still knows it: the
// corner marks say it is a card of this subject, every page that has black
// print is refuted because that print is missing, and the one page left
// has clean paper wherever the card has no print. byElimination accepts
// that page only when all of this holds, and only one template page is
// left; it picks the rotation whose paper is cleaner (marks and writing lie
// in the bubbles and answer boxes), or refuses when the two cannot be told
// apart and the page is not blank.
const (
	printAbsent  = 0.3   // at most this share of a page's print seen: it is not there
	paperBlank   = 0.005 // at most this share of paper dark: nothing written outside
	paperMarginR = 0.01  // the cleaner rotation must win by this share of paper
	// The page left must show next to none of its red print and clean
	// paper: a page of another card with its code covered shows its own
	// black print at 6–16% of our page's print points (measured).
	dropAbsent = 0.05
	dropPaper  = 0.02
)

func byElimination(gv view, pis []*pageInfo, regs []*registration, dpi float64) int {
	best, left := -1, map[*pageInfo]bool{}
	paper := make([]float64, len(pis))
	for i, pi := range pis {
		pp := pi.print
		if len(pp.black) >= printMinPts {
			if ink, _ := printFit(gv, regs[i].h, pp, pp.black); ink >= printAbsent {
				return -1 // a page with black print may be this one
			}
			continue
		}
		if len(pp.ink) < printMinPts {
			return -1 // a page with no print at all: nothing would tell it apart
		}
		ink, p := printFit(gv, regs[i].h, pp, pp.ink)
		if ink > dropAbsent || p > dropPaper {
			continue // its red print is there (not a dropout scan), or print of another card is
		}
		left[pi], paper[i] = true, p
		if best < 0 || p < paper[best] {
			best = i
		}
	}
	if len(left) != 1 {
		return -1
	}
	for i, pi := range pis {
		if i == best || pi != pis[best] || regs[i].rotation == regs[best].rotation {
			continue
		}
		if paper[i]-paper[best] >= paperMarginR || paper[i] > dropPaper {
			continue // the other way up puts marks on bare paper
		}
		return bySlant(gv, pis[best], regs[best], regs[i], best, i, paper[best], dpi)
	}
	return best
}

// bySlant settles which way up a page is when both fit its corner marks
// and leave the paper as clean: as a person does, by where the writing
// sits in the answer boxes. Answers start at a box's top left and rarely
// fill it, so the right way up puts the ink towards the top left of the
// boxes, and upside down towards the bottom right. A page with nothing
// written either way is read as it lies (nothing on it can be misread);
// writing that leans neither way goes to a person.
func bySlant(gv view, pi *pageInfo, a, b *registration, ia, ib int, paper, dpi float64) int {
	sa, na := slant(gv, pi, a, dpi)
	sb, nb := slant(gv, pi, b, dpi)
	switch {
	case na < slantMinPts && nb < slantMinPts && paper <= paperBlank:
		return ia
	case sa-sb >= slantMargin:
		return ia
	case sb-sa >= slantMargin:
		return ib
	}
	return -1
}

// Writing must lean by slantMargin (of a range of -1 to 1) one way more
// than the other, over at least slantMinPts dark sample points.
const (
	slantMargin = 0.15
	slantMinPts = 30
)

// slant is the mean lean towards the top left of the dark points inside
// the page's answer and information boxes under a registration, and how
// many dark points there were.
func slant(gv view, pi *pageInfo, reg *registration, dpi float64) (float64, int) {
	step, inset := 0.6*dpi/25.4, 1.5*dpi/25.4
	level := paperLevel(gv, reg.h, pi.print)
	sum, n := 0.0, 0
	for _, r := range pi.layout.Regions {
		if r.Kind != card.RegionSubjective && r.Kind != card.RegionStudentInfo {
			continue
		}
		for y := r.Rect.Y + inset; y < r.Rect.Y+r.Rect.H-inset; y += step {
			for x := r.Rect.X + inset; x < r.Rect.X+r.Rect.W-inset; x += step {
				p := reg.h.apply(pt{x, y})
				if float64(gv.at(int(p.X), int(p.Y))) >= level {
					continue
				}
				sum += (0.5 - (y-r.Rect.Y)/r.Rect.H) + (0.5 - (x-r.Rect.X)/r.Rect.W)
				n++
			}
		}
	}
	return sum / math.Max(1, float64(n)), n
}
