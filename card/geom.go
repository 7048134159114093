package card

import (
	"fmt"
	"math"
)

// Stroke widths in mm. They are part of the geometry because the layout
// reports ink extents, which the reader compares with the scan.
const (
	bubbleLineW = 0.25
	boxLineW    = 0.3
	thinLineW   = 0.2
)

// Exam-number grid internals, in mm.
const (
	gridPad    = 1.5
	gridTitleH = 6.0
	gridWriteH = 7.0
	gridTopGap = 1.0
	gridBotGap = 1.5
)

// Gap between a mark's label and its bubble, and the label size, in mm/pt.
const (
	markLabelGap  = 1.5
	markLabelSize = 9.0
	numberSize    = 9.0
)

// rectMM is a rectangle in mm, top-left anchored.
type rectMM struct{ x, y, w, h float64 }

func (r rectMM) right() float64  { return r.x + r.w }
func (r rectMM) bottom() float64 { return r.y + r.h }

func (r rectMM) grow(d float64) rectMM { return rectMM{r.x - d, r.y - d, r.w + 2*d, r.h + 2*d} }

// overlaps reports a real intersection; touching edges are allowed so that
// adjacent answer boxes can share a border.
func (r rectMM) overlaps(o rectMM) bool {
	const eps = 1e-6
	return r.x < o.right()-eps && o.x < r.right()-eps && r.y < o.bottom()-eps && o.y < r.bottom()-eps
}

func union(a, b rectMM) rectMM {
	x0, y0 := math.Min(a.x, b.x), math.Min(a.y, b.y)
	x1, y1 := math.Max(a.right(), b.right()), math.Max(a.bottom(), b.bottom())
	return rectMM{x0, y0, x1 - x0, y1 - y0}
}

type bubbleMM struct {
	kind   BubbleKind
	item   int
	option string
	index  int
	column int
	cx, cy float64 // centre
	rx, ry float64 // half size of the outline's centre line
	path   string  // template field the bubble comes from, for error messages
}

func (b bubbleMM) rect() rectMM { return rectMM{b.cx - b.rx, b.cy - b.ry, 2 * b.rx, 2 * b.ry} }

type regionMM struct {
	kind     RegionKind
	name     string
	group    string
	sub      string
	maxScore float64
	step     float64
	payload  string
	rect     rectMM  // nominal rectangle (centre line of a stroked frame)
	stroke   float64 // 0 for filled shapes
}

type itemMM struct {
	number   int
	multiple bool
	options  []string
	page     int
	numCell  rectMM // where the item number is printed
}

// element is a block of the card that must not overlap another block.
type element struct {
	path string
	rect rectMM
}

type pageGeom struct {
	index    int
	w, h     float64
	bubbles  []bubbleMM
	regions  []regionMM
	items    []itemMM
	elements []element
	labels   []element // free labels and frames: checked for bounds only
}

// estTextW estimates the width in mm of s printed at size pt, without the
// font. CJK glyphs are one em; Latin glyphs (DejaVu Sans) are
// at most 0.7 em for digits and most capitals; the estimate only guards
// the paper edges and neighbouring blocks.
func estTextW(s string, size float64) float64 {
	em := size * 25.4 / 72
	w := 0.0
	for _, c := range s {
		if c >= 0x2E80 {
			w += em
		} else {
			w += 0.7 * em
		}
	}
	return w
}

func ptToMM(size float64) float64 { return size * 25.4 / 72 }

// geometry computes every printed and read shape of page pi in mm. It
// assumes the basic checks of Validate passed (sizes positive, counts sane).
// The shapes are appended section by section in the card's order, which is
// the order the reader and the validation messages see them in.
func (t *Template) geometry(pi int) pageGeom {
	p := &t.Pages[pi]
	pw, ph, _ := t.PaperSize()
	b := &geomBuilder{pageGeom: pageGeom{index: pi, w: pw, h: ph}, bw: t.Bubble.W, bh: t.Bubble.H}
	b.fiducials(p.Fiducials)
	if q := p.QR; q != nil {
		r := rectMM{q.X, q.Y, q.Size, q.Size}
		b.regions = append(b.regions, regionMM{kind: RegionQR, name: "page_code", payload: PageCode(t.ID, pi+1, t.PrintedForm), rect: r})
		b.element(r, "qr")
	}
	b.boxes(p)
	if e := p.ExamNumber; e != nil {
		b.examNumber(e)
	}
	if p.Absent != nil {
		b.mark(p.Absent, BubbleAbsent, "absent")
	}
	if p.Violation != nil {
		b.mark(p.Violation, BubbleViolation, "violation")
	}
	if f := p.Form; f != nil {
		b.form(f)
	}
	for bi := range p.Objective {
		b.objective(bi, &p.Objective[bi])
	}
	b.subjective(p.Subjective)
	b.freeShapes(p)
	return b.pageGeom
}

// geomBuilder accumulates one page's geometry; each method adds one
// section of the page.
type geomBuilder struct {
	pageGeom
	bw, bh float64 // bubble size
}

// path names a template field of this page, for error messages.
func (b *geomBuilder) path(f string, a ...any) string {
	return fmt.Sprintf("pages[%d].", b.index) + fmt.Sprintf(f, a...)
}

func (b *geomBuilder) element(r rectMM, f string, a ...any) {
	b.elements = append(b.elements, element{b.path(f, a...), r})
}

// bubble is a bubble of the card's size with its top-left corner at (x, y).
func (b *geomBuilder) bubble(kind BubbleKind, x, y float64, field string) bubbleMM {
	return bubbleMM{kind: kind, cx: x + b.bw/2, cy: y + b.bh/2, rx: b.bw / 2, ry: b.bh / 2, path: field}
}

func (b *geomBuilder) fiducials(fs []Square) {
	for i, f := range fs {
		r := rectMM{f.X, f.Y, f.Size, f.Size}
		b.regions = append(b.regions, regionMM{kind: RegionFiducial, name: cornerName(r, b.w, b.h), rect: r})
		b.element(r, "fiducials[%d]", i)
	}
}

// boxes adds the printed boxes of the page head: header, student
// information, notice and barcode.
func (b *geomBuilder) boxes(p *Page) {
	if h := p.Header; h != nil {
		b.element(h.mm(), "header")
	}
	if s := p.StudentInfo; s != nil {
		r := s.Box.mm()
		b.regions = append(b.regions, regionMM{kind: RegionStudentInfo, name: "student_info", rect: r})
		b.element(r, "student_info")
	}
	if n := p.Notice; n != nil {
		b.element(n.mm(), "notice")
	}
	if c := p.Barcode; c != nil {
		r := c.mm()
		b.regions = append(b.regions, regionMM{kind: RegionBarcode, name: "barcode", rect: r, stroke: boxLineW})
		b.element(r, "barcode")
	}
}

func (b *geomBuilder) examNumber(e *ExamNumberGrid) {
	r := examNumberFrame(e)
	b.regions = append(b.regions, regionMM{kind: RegionExamNumber, name: "exam_number", rect: r, stroke: boxLineW})
	b.element(r, "exam_number")
	for col := 0; col < e.Digits; col++ {
		for d := 0; d < 10; d++ {
			cx, cy := examNumberBubble(e, col, d)
			b.bubbles = append(b.bubbles, bubbleMM{kind: BubbleGrid, option: fmt.Sprint(d), index: d, column: col,
				cx: cx, cy: cy, rx: b.bw / 2, ry: b.bh / 2, path: b.path("exam_number")})
		}
	}
}

// mark adds an invigilator bubble; its block includes the label printed
// to its left.
func (b *geomBuilder) mark(m *Mark, kind BubbleKind, field string) {
	bb := b.bubble(kind, m.X, m.Y, b.path("%s", field))
	b.bubbles = append(b.bubbles, bb)
	lw := estTextW(m.Label, markLabelSize)
	b.element(union(bb.rect(), rectMM{m.X - markLabelGap - lw, m.Y, lw, b.bh}), "%s", field)
}

func (b *geomBuilder) form(f *FormMark) {
	lw := estTextW(f.Label, markLabelSize)
	r := rectMM{f.X - markLabelGap - lw, f.Y, lw, b.bh}
	for i, name := range f.Forms {
		bb := b.bubble(BubbleForm, f.X+float64(i)*f.Pitch, f.Y, b.path("form"))
		bb.option, bb.index = name, i
		b.bubbles = append(b.bubbles, bb)
		r = union(r, bb.rect())
	}
	b.element(r, "form")
}

// objective adds the items of block bi; the block's element spans every
// item's number cell and bubbles.
func (b *geomBuilder) objective(bi int, blk *ObjectiveBlock) {
	var r rectMM
	for k := 0; k < blk.Count; k++ {
		ox, oy := objectiveOrigin(blk, k)
		it := itemMM{number: blk.Start + k, multiple: blk.Multiple, options: blk.Options, page: b.index,
			numCell: rectMM{ox, oy, blk.NumberWidth, b.bh}}
		b.items = append(b.items, it)
		ir := it.numCell
		for j, opt := range blk.Options {
			bb := bubbleMM{kind: BubbleOption, item: it.number, option: opt, index: j,
				cx: ox + blk.NumberWidth + b.bw/2 + float64(j)*blk.OptionPitch, cy: oy + b.bh/2,
				rx: b.bw / 2, ry: b.bh / 2, path: b.path("objective[%d]", bi)}
			b.bubbles = append(b.bubbles, bb)
			ir = union(ir, bb.rect())
		}
		if k == 0 {
			r = ir
		} else {
			r = union(r, ir)
		}
	}
	b.element(r, "objective[%d]", bi)
}

func (b *geomBuilder) subjective(ss []SubjectiveBox) {
	for si := range ss {
		s := &ss[si]
		r := s.Box.mm()
		b.regions = append(b.regions, regionMM{kind: RegionSubjective, name: s.Group + s.Sub, group: s.Group, sub: s.Sub,
			maxScore: s.MaxScore, step: s.Step, rect: r, stroke: boxLineW})
		b.element(r, "subjective[%d]", si)
	}
}

// freeShapes adds the free labels and frames, which are checked for the
// paper's bounds only.
func (b *geomBuilder) freeShapes(p *Page) {
	for li, l := range p.Labels {
		b.labels = append(b.labels, element{b.path("labels[%d]", li), rectMM{l.X, l.Y, estTextW(l.Text, l.Size), ptToMM(l.Size)}})
	}
	for fi, f := range p.Frames {
		b.labels = append(b.labels, element{b.path("frames[%d]", fi), f.mm()})
	}
}

func cornerName(r rectMM, pw, ph float64) string {
	cx, cy := r.x+r.w/2, r.y+r.h/2
	switch {
	case cx < pw/2 && cy < ph/2:
		return "tl"
	case cy < ph/2:
		return "tr"
	case cx >= pw/2:
		return "br"
	default:
		return "bl"
	}
}

func examNumberFrame(e *ExamNumberGrid) rectMM {
	return rectMM{e.X, e.Y, float64(e.Digits)*e.ColPitch + 2*gridPad,
		gridTitleH + gridWriteH + gridTopGap + 10*e.RowPitch + gridBotGap}
}

func examNumberBubble(e *ExamNumberGrid, col, digit int) (cx, cy float64) {
	cx = e.X + gridPad + e.ColPitch*(float64(col)+0.5)
	cy = e.Y + gridTitleH + gridWriteH + gridTopGap + e.RowPitch*(float64(digit)+0.5)
	return cx, cy
}

// objectiveOrigin is the top-left corner of item k's number cell; the
// bubbles share its top edge.
func objectiveOrigin(b *ObjectiveBlock, k int) (x, y float64) {
	col, row := k/b.Rows, k%b.Rows
	return b.X + float64(col)*b.ColPitch, b.Y + float64(row)*b.RowPitch
}

func (b Box) mm() rectMM { return rectMM{b.X, b.Y, b.W, b.H} }
