package omr

import (
	"math"
	"sort"

	"github.com/saoyue/saoyue/card"
)

// Decision levels on the relative fill (0 = the blank card, 1 = this page's
// typical pencil mark). Between them a person decides.
const (
	fillEmpty  = 0.25 // below: empty (unless strokes are present)
	fillMarked = 0.50 // at or above: marked
	// coverDoubt: a bubble whose strokes cover this much more of it than
	// on the blank card holds a tick, a cross or a half fill, even if its
	// mean darkness is low. Erasure residue is light and covers nothing.
	coverDoubt = 0.12
	// A tick on a bubble with a printed letter (✓, ✗, T, F) shows strokes
	// only where the letter leaves paper: below coverDoubt, but together
	// with this much darkness (fillTick) it is still a mark for a person.
	// A clean erasure is as dark but leaves next to no strokes (under 0.07
	// at the typical level of the sample corpora); the thin band of a half
	// fill blurred on a 150-dpi scan can show as few as 0.078.
	fillTick  = 0.15
	coverTick = 0.07
	// fillFaint: an item that would read blank (or a multiple-choice item)
	// with one unmarked option this much darker than the other unmarked
	// ones may hold a faint pencil mark: reading past it would be a guess,
	// so a person looks. A single-choice item with its answer is not
	// affected: an erasure beside the answer is what changing it leaves.
	fillFaint = 0.15
	// faintAboveNoise: how far above the page's noisiest empty bubbles
	// (the 95th percentile) a faint mark must be.
	faintAboveNoise = 0.10
	// erasedBeside: on a single-choice item with one solid mark, another
	// option below this fill and without pencil strokes is what changing
	// the answer leaves (graphite rubbed into the paper's grain), not a
	// second answer: a third of a pencil mark, where a faint mark meant as
	// an answer is as dark as a light pencil can make it.
	erasedBeside = 0.33
	// absFloor: an excess darkness below this is never a mark, however
	// light the page's pencil; it keeps dust and residue of a clean erasure
	// from being scaled up on a page with no marks at all.
	absFloor = 0.06
	// defaultPencil is the excess darkness of a normal 2B fill, used when a
	// page has too few clear marks to learn its own.
	defaultPencil = 0.45
)

// Bubble states.
const (
	stateEmpty    = StateEmpty
	stateMarked   = StateMarked
	stateDoubtful = StateDoubtful
)

// reading is a bubble measured against the blank card and the page.
type reading struct {
	fill     float64 // excess darkness inside, relative to the page's pencil level
	fillFull float64 // the same over the whole bubble
	coverEx  float64 // stroke coverage beyond the blank card's, inside or overall
	// lineEx is the length of strokes of any darkness on the bubble, by
	// the page's untouched bubbles of its letter (lineShares).
	lineEx float64
}

// Candidate's own level: a page whose marks are all light is read against
// those marks. An item's darkest option is one of the candidate's marks
// when it stands out from the item's others by ownMarkStep and by
// ownMarkRatio times; from ownMarks such marks their median is the page's
// pencil level, down to ownPencilMin.
const (
	ownMarkStep  = 0.08
	ownMarkRatio = 2.5
	ownMarks     = 5
	ownMarkMin   = 0.12 // lighter is a tick or a smudge, not a fill to measure by
	ownPencilMin = 0.15
)

// lineDoubt: a bubble with this line length (lineShares) of strokes
// darker than the page's untouched bubbles of its letter holds a tick, a
// slash or a cross, however light: a person looks. A line right across a
// bubble measures about 1.
const lineDoubt = 0.3

// relativeFills turns samples into fills relative to the blank card's ink
// (base) and the page's own pencil level: the median excess darkness of the
// bubbles that are clearly filled, or, on a page of light marks only, of
// the candidate's own marks.
func relativeFills(got, base []sample, bubbles []card.Bubble, lines []float64) []reading {
	excess := make([]float64, len(got))
	var clear []float64
	for i := range got {
		excess[i] = math.Max(0, got[i].dark-base[i].dark)
		if excess[i] > 0.25 {
			clear = append(clear, excess[i])
		}
	}
	pencil := defaultPencil
	if len(clear) >= 3 {
		sort.Float64s(clear)
		pencil = clear[len(clear)/2]
	}
	pencil = math.Max(0.28, math.Min(0.9, pencil))
	if own, ok := ownLevel(excess, bubbles); ok && own < pencil {
		pencil = math.Max(ownPencilMin, own)
	}
	out := make([]reading, len(got))
	for i, e := range excess {
		out[i].coverEx = math.Max(0, math.Max(got[i].cover-base[i].cover, got[i].coverFull-base[i].coverFull))
		if lines != nil {
			out[i].lineEx = lines[i]
		}
		if ef := got[i].darkFull - base[i].darkFull; ef >= absFloor {
			out[i].fillFull = ef / pencil
		}
		if e < absFloor {
			out[i].fill = e / absFloor * fillEmpty * 0.5 // clearly empty, keep order
			continue
		}
		out[i].fill = e / pencil
	}
	return out
}

// ownLevel is the median darkness of the candidate's own marks: each
// item's (or grid column's) darkest option where it clearly stands out
// from the rest of its row. ok is false with fewer than ownMarks of them.
func ownLevel(excess []float64, bubbles []card.Bubble) (float64, bool) {
	type top struct{ first, second float64 }
	rows := map[[2]int]*top{}
	for i, b := range bubbles {
		var key [2]int
		switch b.Kind {
		case card.BubbleOption:
			key = [2]int{0, b.Item}
		case card.BubbleGrid:
			key = [2]int{1, b.Column}
		default:
			continue
		}
		t := rows[key]
		if t == nil {
			t = &top{}
			rows[key] = t
		}
		switch e := excess[i]; {
		case e > t.first:
			t.first, t.second = e, t.first
		case e > t.second:
			t.second = e
		}
	}
	var marks []float64
	for _, t := range rows {
		if t.first >= ownMarkMin && t.first-t.second >= ownMarkStep && t.first >= ownMarkRatio*t.second {
			marks = append(marks, t.first)
		}
	}
	if len(marks) < ownMarks {
		return 0, false
	}
	sort.Float64s(marks)
	return marks[len(marks)/2], true
}

// A mark just over fillMarked must also cover the bubble with strokes: a
// heavy erasure leaves as much grey but no strokes, and is for a person.
const (
	fillSure   = 0.65
	coverSolid = 0.40
)

func stateOf(r reading) State {
	switch {
	case r.fill >= fillMarked && (r.fill >= fillSure || r.coverEx >= coverSolid):
		return stateMarked
	case r.fill >= fillMarked:
		return stateDoubtful
	case r.fill >= fillEmpty || r.fillFull >= fillEmpty || r.coverEx >= coverDoubt:
		return stateDoubtful
	case r.fill >= fillTick && r.coverEx >= coverTick:
		return stateDoubtful
	case r.lineEx >= lineDoubt:
		return stateDoubtful
	default:
		return stateEmpty
	}
}

// margin is how far a bubble is from the doubtful band, 0..1.
func margin(r reading) float64 {
	switch stateOf(r) {
	case stateEmpty:
		tick := math.Max((fillTick-r.fill)/fillTick, (coverTick-r.coverEx)/coverTick)
		m := math.Min(math.Min(math.Min((fillEmpty-r.fill)/fillEmpty, (fillEmpty-r.fillFull)/fillEmpty), (coverDoubt-r.coverEx)/coverDoubt), tick)
		return math.Min(m, (lineDoubt-r.lineEx)/lineDoubt)
	case stateMarked:
		return math.Min(1, (r.fill-fillMarked)/(1-fillMarked))
	}
	return 0
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// decideItem turns an item's option fills into chosen options and a status.
func decideItem(number int, multiple bool, opts []Option, faint float64) Item {
	it := Item{Number: number, Multiple: multiple, Chosen: []string{}, Options: opts, Confidence: 1}
	if !multiple {
		erasuresBesideAnswer(opts)
	}
	doubtful := false
	for _, o := range opts {
		switch o.State {
		case stateMarked:
			it.Chosen = append(it.Chosen, o.Label)
		case stateDoubtful:
			doubtful = true
		}
		it.Confidence = math.Min(it.Confidence, o.Margin)
	}
	if !doubtful && (len(it.Chosen) == 0 || multiple) {
		if i := faintOnBlank(opts, faint); i >= 0 {
			opts[i].State = stateDoubtful
			doubtful = true
			it.Confidence = 0
		}
	}
	switch {
	case doubtful:
		it.Status = StatusDoubtful
	case len(it.Chosen) == 0:
		it.Status = StatusBlank
	case !multiple && len(it.Chosen) > 1:
		it.Status = StatusMulti
	default:
		it.Status = StatusOK
	}
	it.Confidence = round3(0.5 + it.Confidence/2)
	if doubtful {
		it.Confidence = round3(it.Confidence / 2)
	}
	return it
}

// erasuresBesideAnswer turns the light, strokeless doubtful options of a
// single-choice item with exactly one solid mark into empty ones: a
// changed answer leaves such a smudge beside the new one. Anything darker,
// with strokes (a tick, a half fill), or beside a mark that is not solid
// still goes to a person.
func erasuresBesideAnswer(opts []Option) {
	solid := 0
	for _, o := range opts {
		if o.State == stateMarked {
			if o.Fill < fillSure {
				return
			}
			solid++
		}
	}
	if solid != 1 {
		return
	}
	for i := range opts {
		o := &opts[i]
		if o.State == stateDoubtful && o.Fill < erasedBeside && o.Strokes < coverTick {
			o.State, o.Margin = stateEmpty, 0
		}
	}
}

// faintOnBlank returns the unmarked option that stands out with a faint
// fill while the other unmarked options stay near the paper, or -1. It is
// asked of items that would read blank, and of multiple-choice items,
// where a faint option left out changes the answer.
func faintOnBlank(opts []Option, faint float64) int {
	best, first, second := -1, 0.0, 0.0
	for i, o := range opts {
		if o.State == stateMarked {
			continue
		}
		switch {
		case o.Fill > first:
			best, first, second = i, o.Fill, first
		case o.Fill > second:
			second = o.Fill
		}
	}
	if first >= faint && first-second >= fillFaint/2 {
		return best
	}
	return -1
}

// faintLevel is how dark an unmarked option must be to count as a faint
// mark on this page: fillFaint on a clean page, more where the empty
// bubbles themselves are speckled (scanner noise, a grey page), so that
// noise is not sent to a person as a mark.
func faintLevel(opts []Option) float64 {
	var low []float64
	for _, o := range opts {
		if o.Fill < fillFaint {
			low = append(low, o.Fill)
		}
	}
	if len(low) < 20 {
		return fillFaint
	}
	sort.Float64s(low)
	return math.Max(fillFaint, low[len(low)*95/100]+faintAboveNoise)
}

func option(b card.Bubble, got sample, r reading) Option {
	return Option{Label: b.Option, Fill: round3(r.fill), Darkness: round3(got.dark), Strokes: round3(math.Max(r.coverEx, r.lineEx*coverTick/lineDoubt)),
		State: stateOf(r), Margin: margin(r)}
}

// decide reads objective items, the invigilator marks and the form row.
func (r *Reader) decide(res *Result, pi *pageInfo, bubbles []card.Bubble, got []sample, fills []reading) {
	type entry struct {
		b card.Bubble
		o Option
	}
	items := map[int][]entry{}
	var formOpts []entry
	for i, b := range bubbles {
		o := option(b, got[i], fills[i])
		switch b.Kind {
		case card.BubbleOption:
			items[b.Item] = append(items[b.Item], entry{b, o})
		case card.BubbleAbsent, card.BubbleViolation:
			m := &Mark{Marked: o.State == stateMarked, State: o.State, Fill: o.Fill}
			label := "缺考"
			if b.Kind == card.BubbleAbsent {
				res.Absent = m
			} else {
				res.Violation = m
				label = "违纪"
			}
			if o.State == stateDoubtful {
				res.Except(ExcMark, label+"标记填涂不清，请人工确认", 0)
			}
		case card.BubbleForm:
			formOpts = append(formOpts, entry{b, o})
		}
	}
	var numbers []int
	var all []Option
	for n, es := range items {
		numbers = append(numbers, n)
		for _, e := range es {
			all = append(all, e.o)
		}
	}
	sort.Ints(numbers)
	faint := faintLevel(all)
	for _, n := range numbers {
		es := items[n]
		sort.Slice(es, func(i, j int) bool { return es[i].b.Index < es[j].b.Index })
		opts := make([]Option, len(es))
		for i, e := range es {
			opts[i] = e.o
		}
		it := decideItem(n, pi.tmpl.items[n].Multiple, opts, faint)
		res.Items = append(res.Items, it)
		switch it.Status {
		case StatusDoubtful:
			res.Except(ExcDoubtful, "填涂不清："+describe(it), n)
		case StatusMulti:
			res.Except(ExcMulti, "单选题填涂了多个选项", n)
		}
	}
	if len(formOpts) > 0 {
		sort.Slice(formOpts, func(i, j int) bool { return formOpts[i].b.Index < formOpts[j].b.Index })
		opts := make([]Option, len(formOpts))
		for i, e := range formOpts {
			opts[i] = e.o
		}
		fm := decideItem(0, false, opts, faint)
		res.FormMarks = &fm
	}
}

func describe(it Item) string {
	s := ""
	for _, o := range it.Options {
		if o.State == stateDoubtful {
			if s != "" {
				s += "，"
			}
			s += o.Label + "（填涂度 " + trimFloat(o.Fill) + "）"
		}
	}
	return s
}

func trimFloat(f float64) string {
	return formatFloat(math.Round(f*100) / 100)
}

// checkPrint compares, item by item, the printed outlines and letters of
// the empty bubbles with the blank card. Where the scan shows paper where
// the card has print, the page is not where registration put it there (a
// bent sheet, a photograph whose perspective three corner marks cannot
// show): the item goes to a person instead of being read as blank.
// Scans in the dropout channel show no print at all and are not checked.
func checkPrint(res *Result, bubbles []card.Bubble, got, base []sample, fills []reading) {
	type acc struct{ ink, base float64 }
	per := map[int]*acc{}
	for i, b := range bubbles {
		if b.Kind != card.BubbleOption || stateOf(fills[i]) != stateEmpty {
			continue
		}
		a := per[b.Item]
		if a == nil {
			a = &acc{}
			per[b.Item] = a
		}
		a.ink += got[i].ink
		a.base += base[i].ink
	}
	// A scanner that drops the printed colour shows no print anywhere:
	// then there is nothing to check against.
	var ink, bs float64
	for _, a := range per {
		ink, bs = ink+a.ink, bs+a.base
	}
	if bs == 0 || ink < 0.5*bs {
		return
	}
	page := ink / bs
	for i := range res.Items {
		it := &res.Items[i]
		a := per[it.Number]
		if a == nil || a.base < 0.15*2 || it.Status == StatusDoubtful {
			continue // too little print to tell, or already for a person
		}
		if a.ink < 0.4*page*a.base {
			it.Status = StatusDoubtful
			it.Confidence = 0
			res.Except(ExcDoubtful, "印刷的选项框不在答题卡版式规定的位置（纸张弯折或为拍照图像？），请人工确认", it.Number)
		}
	}
}
