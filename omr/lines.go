package omr

import (
	"math"
	"slices"

	"github.com/saoyue/saoyue/card"
)

// Strokes of any darkness. A quick tick, slash or cross is thin and often
// light: too little of the bubble for its mean darkness to count, and too
// light for the pencil-stroke level. What shows it is that the bubble is
// darker, along a line, than an untouched bubble of the same letter on
// the same page. The page's own bubbles of one letter are the reference:
// most are untouched, and they show the print as this scan renders it
// (blurred, shifted a pixel, red print grey or dropped), which the blank
// card cannot. A probe darker by lineDark than the reference at its place
// and the places next to it (registration is good to about a pixel) is on
// a line; the share of such probes is the bubble's line share.

// lineDark is how much darker than the page's untouched bubbles of its
// letter a probe must be to be on a stroke: three times the noise of a
// poor scanner and JPEG's ringing. A share counts only with a core of
// lineCores probes lineCore darker, which a pencil line has where the tip
// pressed and the even grey left by a clean erasure has not.
const (
	lineDark  = 0.08
	lineCore  = 0.15
	lineCores = 2
)

// lineSample is how many of a letter's bubbles make its reference: the
// median of that many is as good as of all, and costs a fraction.
const lineSample = 15

// sampleOf is up to n members spread evenly over the list.
func sampleOf(members []int, n int) []int {
	if len(members) <= n {
		return members
	}
	out := make([]int, n)
	for k := range out {
		out[k] = members[k*len(members)/n]
	}
	return out
}

// lineRef is the least number of bubbles of one letter and size a page
// needs for their median to stand for an untouched one.
const lineRef = 5

// lineShares measures every bubble's line length: the probes on a stroke
// (see above) over the square root of the bubble's probes, so that a line
// across a bubble counts about the same on a small bubble and a large one.
// A probe is on a stroke when it is darker than the reference by lineDark
// plus twice how much the untouched bubbles themselves vary there
// (print edges vary with registration and blur; paper hardly does).
// Bubbles of a letter too rare on the page to have a reference get 0.
func lineShares(bubbles []card.Bubble, probes [][]probe, vals [][]float32) []float64 {
	type key struct {
		kind  card.BubbleKind
		label string
		n     int
	}
	groups := map[key][]int{}
	for i, b := range bubbles {
		if b.Kind != card.BubbleOption {
			continue // the exam-number grid has digits fewer times than a letter of the items
		}
		k := key{b.Kind, b.Option, len(probes[i])}
		groups[k] = append(groups[k], i)
	}
	out := make([]float64, len(bubbles))
	for k, members := range groups {
		if len(members) < lineRef || k.n == 0 {
			continue
		}
		ref, spread := lineReference(probes[members[0]], vals, sampleOf(members, lineSample))
		for _, i := range members {
			n, core := 0, 0
			for j, v := range vals[i] {
				d := ref[j] - v - 2*spread[j]
				switch {
				case d > lineCore:
					core++
					n++
				case d > lineDark:
					n++
				}
			}
			// A line has a dark core along it; the even grey of an
			// erasure spreads over the bubble with next to none.
			if core >= lineCores && 4*core >= n {
				out[i] = float64(n) / math.Sqrt(float64(k.n))
			}
		}
	}
	return out
}

// lineReference is, for each probe of a bubble of the group, the darkest
// of the group's median brightness at that probe and at its lattice
// neighbours, and the largest spread (robust standard deviation) there.
func lineReference(ps []probe, vals [][]float32, members []int) (ref, spread []float32) {
	med := make([]float32, len(ps))
	dev := make([]float32, len(ps))
	col := make([]float32, len(members))
	for j := range ps {
		for m, i := range members {
			col[m] = vals[i][j]
		}
		slices.Sort(col)
		med[j] = col[len(col)/2]
		for m, i := range members {
			col[m] = float32(math.Abs(float64(vals[i][j] - med[j])))
		}
		slices.Sort(col)
		dev[j] = 1.4826 * col[len(col)/2]
	}
	// The lattice as a grid of probe indexes (-1: outside the bubble).
	w, h := 0, 0
	for _, p := range ps {
		w, h = max(w, int(p.ix)+1), max(h, int(p.iy)+1)
	}
	grid := make([]int, w*h)
	for i := range grid {
		grid[i] = -1
	}
	for j, p := range ps {
		grid[int(p.iy)*w+int(p.ix)] = j
	}
	ref = make([]float32, len(ps))
	spread = make([]float32, len(ps))
	for j, p := range ps {
		ref[j], spread[j] = med[j], dev[j]
		for y := max(0, int(p.iy)-1); y <= min(h-1, int(p.iy)+1); y++ {
			for x := max(0, int(p.ix)-1); x <= min(w-1, int(p.ix)+1); x++ {
				if n := grid[y*w+x]; n >= 0 {
					ref[j] = min(ref[j], med[n])
					spread[j] = max(spread[j], dev[n])
				}
			}
		}
	}
	return ref, spread
}
