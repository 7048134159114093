package omr

import (
	"math"

	"github.com/saoyue/saoyue/card"
)

// A barcode sticker that is there but cannot be decoded (torn, scribbled
// over, blurred) still says that the card has an identity the grid alone
// must not overrule: the grid may hold a mis-filled digit that makes it
// another candidate's number. Its bars are what tells it from the empty
// 贴条形码区 box: tall dark columns that no printed character makes.

// barRows are the heights (share of the barcode box) where a sticker
// centred in the box has its bars, whatever its small offset and turn.
var barRows = [...]float64{0.35, 0.39, 0.43, 0.47, 0.51, 0.55}

// barColumns measures, across the barcode box, the columns that are dark
// at (nearly) every barRows height: how many runs of them and what share
// of the box's width they cover.
func barColumns(v view, h homography, box card.Rect) (runs int, share float64) {
	const step = 0.5 // layout pixels
	var cols []bool
	var white float64
	for _, fy := range barRows {
		for x := box.X + 0.03*box.W; x < box.X+0.97*box.W; x += 4 * step {
			p := h.apply(pt{x, box.Y + fy*box.H})
			white = math.Max(white, float64(v.at(int(p.X), int(p.Y))))
		}
	}
	if white < 64 {
		return 0, 0
	}
	dark := 0.6 * white
	n := 0
	for x := box.X + 0.03*box.W; x < box.X+0.97*box.W; x += step {
		hits := 0
		for _, fy := range barRows {
			p := h.apply(pt{x, box.Y + fy*box.H})
			if float64(v.at(int(p.X), int(p.Y))) < dark {
				hits++
			}
		}
		cols = append(cols, hits >= len(barRows)-1)
	}
	prev := false
	for _, c := range cols {
		if c {
			n++
			if !prev {
				runs++
			}
		}
		prev = c
	}
	if len(cols) == 0 {
		return 0, 0
	}
	return runs, float64(n) / float64(len(cols))
}

// stickerBars is what the blank card shows in its barcode box.
type stickerBars struct {
	runs  int
	share float64
}

// stickerPresent reports whether a sticker's bars are in the barcode box,
// beyond what the blank card prints there.
func stickerPresent(v view, h homography, box card.Rect, blank stickerBars) bool {
	runs, share := barColumns(v, h, box)
	return runs >= blank.runs+6 || share >= blank.share+0.15
}
