package card

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Limits that keep a hostile or mistyped template from exhausting memory
// and keep the card printable.
const (
	MaxPages         = 16 // sides of one card
	maxOptions       = 7
	maxItemsPerBlock = 300
	maxBlocks        = 64
	maxSubjective    = 100
	maxLabels        = 200
	maxDigits        = 20
	maxBubblesPage   = 3000
	minFiducial      = 3.0  // mm: smaller squares are lost in scanner noise
	fiducialClear    = 1.0  // mm of white around a fiducial
	qrClear          = 2.0  // mm of white around the QR code (quiet zone)
	printMargin      = 3.0  // mm: printers do not print closer to the edge
	minQR            = 10.0 // mm: smaller codes do not survive a 200 dpi scan
)

// ValidationError lists everything wrong with a template, each problem
// prefixed with the path of the offending field.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid card template: " + e.Problems[0]
	}
	return "invalid card template:\n  " + strings.Join(e.Problems, "\n  ")
}

type checker struct{ problems []string }

func (c *checker) add(path, f string, a ...any) {
	// A broken file tends to repeat one mistake; a bounded list stays readable.
	if len(c.problems) < 50 {
		c.problems = append(c.problems, path+": "+fmt.Sprintf(f, a...))
	}
}

func (c *checker) num(path string, v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		c.add(path, "not a finite number")
		return false
	}
	return true
}

func (c *checker) positive(path string, v float64) bool {
	if !c.num(path, v) {
		return false
	}
	if v <= 0 {
		c.add(path, "must be greater than 0 (got %v)", v)
		return false
	}
	return true
}

// tenths reports whether v has at most one decimal, saying so if not.
func (c *checker) tenths(path string, v float64) bool {
	if t := v * 10; math.Abs(t-math.Round(t)) > 1e-9 {
		c.add(path, "分值最多保留一位小数（0.1 分），%v 不行", v)
		return false
	}
	return true
}

func (c *checker) box(path string, b Box) {
	c.num(path+".x", b.X)
	c.num(path+".y", b.Y)
	c.positive(path+".w", b.W)
	c.positive(path+".h", b.H)
}

// Validate checks the template: required fields, limits, and that the page
// geometry is printable and readable (everything on the paper, fiducials and
// QR code clear, no overlapping bubbles or blocks, unique item numbers and
// question ids, scores consistent). It expects SetDefaults to have been
// called, as Parse does.
func (t *Template) Validate() error {
	c := &checker{}
	t.checkFields(c)
	if len(c.problems) == 0 {
		// Geometry is only meaningful once sizes and counts are sane.
		t.checkGeometry(c)
	}
	if len(c.problems) > 0 {
		return &ValidationError{Problems: c.problems}
	}
	return nil
}

func (t *Template) checkFields(c *checker) {
	if t.ID == "" {
		c.add("id", "missing")
	} else if !validID(t.ID) {
		c.add("id", "%q must be 1-64 characters of letters, digits, '.', '_' or '-'", t.ID)
	}
	if strings.TrimSpace(t.Title) == "" {
		c.add("title", "missing")
	}
	if strings.TrimSpace(t.Subject) == "" {
		c.add("subject", "missing")
	}
	if _, _, err := t.PaperSize(); err != nil {
		c.add("paper", "%v", err)
	}
	if t.Orientation != "portrait" && t.Orientation != "landscape" {
		c.add("orientation", "%q is not portrait or landscape", t.Orientation)
	}
	if t.Color != "black" && t.Color != "red" {
		c.add("color", "%q is not black or red", t.Color)
	}
	if t.BubbleStyle != "bracket" && t.BubbleStyle != "ellipse" {
		c.add("bubble_style", "%q is not bracket or ellipse", t.BubbleStyle)
	}
	if c.positive("bubble.w", t.Bubble.W) && (t.Bubble.W < 2.5 || t.Bubble.W > 12) {
		c.add("bubble.w", "%v mm is outside 2.5-12 mm", t.Bubble.W)
	}
	if c.positive("bubble.h", t.Bubble.H) && (t.Bubble.H < 2 || t.Bubble.H > 8) {
		c.add("bubble.h", "%v mm is outside 2-8 mm", t.Bubble.H)
	}
	if t.PrintedForm != "" && t.PrintedForm != "A" && t.PrintedForm != "B" {
		c.add("printed_form", "%q is not A, B or empty", t.PrintedForm)
	}
	if len(t.Pages) == 0 {
		c.add("pages", "missing: a card needs at least one page")
	}
	if len(t.Pages) > MaxPages {
		c.add("pages", "%d pages is more than %d", len(t.Pages), MaxPages)
		return
	}
	for i := range t.Pages {
		t.checkPageFields(c, i)
	}
}

func (t *Template) checkPageFields(c *checker, pi int) {
	p := &t.Pages[pi]
	at := func(f string, a ...any) string { return fmt.Sprintf("pages[%d].", pi) + fmt.Sprintf(f, a...) }
	switch {
	case len(p.Fiducials) == 0:
		c.add(at("fiducials"), "missing: four corner squares are required for registration")
	case len(p.Fiducials) != 4:
		c.add(at("fiducials"), "need exactly 4 corner squares, got %d", len(p.Fiducials))
	}
	for i, f := range p.Fiducials {
		c.num(at("fiducials[%d].x", i), f.X)
		c.num(at("fiducials[%d].y", i), f.Y)
		if c.positive(at("fiducials[%d].size", i), f.Size) && (f.Size < minFiducial || f.Size > 15) {
			c.add(at("fiducials[%d].size", i), "%v mm is outside %v-15 mm", f.Size, minFiducial)
		}
	}
	if p.QR == nil {
		c.add(at("qr"), "missing: every page carries its identity code")
	} else {
		c.num(at("qr.x"), p.QR.X)
		c.num(at("qr.y"), p.QR.Y)
		if c.positive(at("qr.size"), p.QR.Size) && (p.QR.Size < minQR || p.QR.Size > 60) {
			c.add(at("qr.size"), "%v mm is outside %v-60 mm", p.QR.Size, minQR)
		}
	}
	for _, nb := range []struct {
		name string
		box  *Box
	}{{"header", p.Header}, {"notice", p.Notice}, {"barcode", p.Barcode}} {
		if nb.box != nil {
			c.box(at("%s", nb.name), *nb.box)
		}
	}
	if p.Barcode != nil && p.Barcode.W > 0 && (p.Barcode.W < 35 || p.Barcode.H < 15) {
		c.add(at("barcode"), "%vx%v mm is too small for an exam-number sticker (at least 35x15)", p.Barcode.W, p.Barcode.H)
	}
	if s := p.StudentInfo; s != nil {
		c.box(at("student_info"), s.Box)
		if len(s.Fields) > 6 {
			c.add(at("student_info.fields"), "more than 6 fields")
		}
	}
	if e := p.ExamNumber; e != nil {
		c.num(at("exam_number.x"), e.X)
		c.num(at("exam_number.y"), e.Y)
		if e.Digits < 1 || e.Digits > maxDigits {
			c.add(at("exam_number.digits"), "must be 1-%d (got %d)", maxDigits, e.Digits)
		}
		if c.positive(at("exam_number.col_pitch"), e.ColPitch) && e.ColPitch < t.Bubble.W+0.5 {
			c.add(at("exam_number.col_pitch"), "%v mm leaves no gap between %v mm bubbles", e.ColPitch, t.Bubble.W)
		}
		if c.positive(at("exam_number.row_pitch"), e.RowPitch) && e.RowPitch < t.Bubble.H+0.5 {
			c.add(at("exam_number.row_pitch"), "%v mm leaves no gap between %v mm bubbles", e.RowPitch, t.Bubble.H)
		}
	}
	for _, nm := range []struct {
		name string
		m    *Mark
	}{{"absent", p.Absent}, {"violation", p.Violation}} {
		if name, m := nm.name, nm.m; m != nil {
			c.num(at("%s.x", name), m.X)
			c.num(at("%s.y", name), m.Y)
			if runeLen(m.Label) > 12 {
				c.add(at("%s.label", name), "longer than 12 characters")
			}
		}
	}
	if f := p.Form; f != nil {
		c.num(at("form.x"), f.X)
		c.num(at("form.y"), f.Y)
		c.positive(at("form.pitch"), f.Pitch)
		if len(f.Forms) < 2 || len(f.Forms) > 4 {
			c.add(at("form.forms"), "need 2-4 forms (got %d)", len(f.Forms))
		}
		checkOptionNames(c, at("form.forms"), f.Forms)
		if runeLen(f.Label) > 12 {
			c.add(at("form.label"), "longer than 12 characters")
		}
	}
	if len(p.Objective) > maxBlocks {
		c.add(at("objective"), "%d blocks is more than %d", len(p.Objective), maxBlocks)
		return
	}
	for i := range p.Objective {
		b := &p.Objective[i]
		bp := at("objective[%d]", i)
		c.num(bp+".x", b.X)
		c.num(bp+".y", b.Y)
		if b.Start < 1 || b.Start > 9999 {
			c.add(bp+".start", "item numbers start at 1-9999 (got %d)", b.Start)
		}
		if b.Count < 1 || b.Count > maxItemsPerBlock {
			c.add(bp+".count", "must be 1-%d (got %d)", maxItemsPerBlock, b.Count)
		}
		switch {
		case len(b.Options) < 2:
			c.add(bp+".options", "need at least 2 options (got %d)", len(b.Options))
		case len(b.Options) > maxOptions:
			c.add(bp+".options", "more than %d options (got %d)", maxOptions, len(b.Options))
		}
		checkOptionNames(c, bp+".options", b.Options)
		if b.Rows < 1 || b.Rows > maxItemsPerBlock {
			c.add(bp+".rows", "must be 1-%d (got %d)", maxItemsPerBlock, b.Rows)
		}
		c.positive(bp+".col_pitch", b.ColPitch)
		c.positive(bp+".row_pitch", b.RowPitch)
		c.positive(bp+".option_pitch", b.OptionPitch)
		c.positive(bp+".number_width", b.NumberWidth)
	}
	if len(p.Subjective) > maxSubjective {
		c.add(at("subjective"), "%d boxes is more than %d", len(p.Subjective), maxSubjective)
		return
	}
	for i := range p.Subjective {
		s := &p.Subjective[i]
		sp := at("subjective[%d]", i)
		c.box(sp, s.Box)
		if strings.TrimSpace(s.Group) == "" {
			c.add(sp+".group", "missing question group id")
		} else if runeLen(s.Group) > 16 || strings.ContainsAny(s.Group, "|/\\") {
			c.add(sp+".group", "%q must be at most 16 characters without | / \\", s.Group)
		}
		if runeLen(s.Sub) > 16 {
			c.add(sp+".sub", "longer than 16 characters")
		}
		okMax := c.positive(sp+".max_score", s.MaxScore)
		okStep := c.positive(sp+".step", s.Step)
		if okMax && s.MaxScore > 1000 {
			c.add(sp+".max_score", "%v is more than 1000", s.MaxScore)
		}
		// Scores are kept to one decimal (0.5 points is the finest step a
		// marker gives): a finer value would be rounded by the database,
		// and a step rounded to 0 would be refused there in its own words.
		okMax = okMax && c.tenths(sp+".max_score", s.MaxScore)
		okStep = okStep && c.tenths(sp+".step", s.Step)
		if okMax && okStep && s.Step > s.MaxScore {
			c.add(sp+".step", "步长 %v 大于满分 %v", s.Step, s.MaxScore)
		}
		if okMax && okStep {
			n := s.MaxScore / s.Step
			if math.Abs(n-math.Round(n)) > 1e-6 {
				c.add(sp+".max_score", "%v is not a multiple of step %v", s.MaxScore, s.Step)
			}
		}
		if s.Lines < 0 || s.Lines > 60 {
			c.add(sp+".lines", "must be 0-60 (got %d)", s.Lines)
		}
	}
	if len(p.Labels) > maxLabels {
		c.add(at("labels"), "%d labels is more than %d", len(p.Labels), maxLabels)
		return
	}
	for i, l := range p.Labels {
		c.num(at("labels[%d].x", i), l.X)
		c.num(at("labels[%d].y", i), l.Y)
		if c.positive(at("labels[%d].size", i), l.Size) && (l.Size < 5 || l.Size > 36) {
			c.add(at("labels[%d].size", i), "%v pt is outside 5-36 pt", l.Size)
		}
		if strings.TrimSpace(l.Text) == "" {
			c.add(at("labels[%d].text", i), "missing")
		}
	}
	if len(p.Frames) > maxLabels {
		c.add(at("frames"), "%d frames is more than %d", len(p.Frames), maxLabels)
		return
	}
	for i, f := range p.Frames {
		c.box(at("frames[%d]", i), f)
	}
}

func checkOptionNames(c *checker, path string, opts []string) {
	seen := map[string]bool{}
	for i, o := range opts {
		if runeLen(o) != 1 {
			c.add(fmt.Sprintf("%s[%d]", path, i), "%q must be a single character printed in the bubble", o)
		}
		if seen[o] {
			c.add(fmt.Sprintf("%s[%d]", path, i), "duplicate option %q", o)
		}
		seen[o] = true
	}
}

func (t *Template) checkGeometry(c *checker) {
	items := map[int]string{}
	groups := map[string]string{}
	for pi := range t.Pages {
		p := &t.Pages[pi]
		at := func(f string, a ...any) string { return fmt.Sprintf("pages[%d].", pi) + fmt.Sprintf(f, a...) }

		// Duplicates are checked across pages: item numbers and question ids
		// identify answers for the whole card.
		for bi, b := range p.Objective {
			for k := 0; k < b.Count; k++ {
				n := b.Start + k
				if prev, ok := items[n]; ok {
					c.add(at("objective[%d]", bi), "item %d is already numbered in %s", n, prev)
					break
				}
				items[n] = at("objective[%d]", bi)
			}
		}
		for si, s := range p.Subjective {
			key := s.Group + "\x00" + s.Sub
			if prev, ok := groups[key]; ok {
				c.add(at("subjective[%d]", si), "question %s%s is already defined in %s", s.Group, s.Sub, prev)
				continue
			}
			groups[key] = at("subjective[%d]", si)
		}

		bubbles := 0
		if p.ExamNumber != nil {
			bubbles += 10 * p.ExamNumber.Digits
		}
		for _, b := range p.Objective {
			bubbles += b.Count * len(b.Options)
		}
		if bubbles > maxBubblesPage {
			c.add(at("objective"), "%d bubbles on one page is more than %d", bubbles, maxBubblesPage)
			continue
		}

		g := t.geometry(pi)
		paper := rectMM{printMargin, printMargin, g.w - 2*printMargin, g.h - 2*printMargin}
		inside := func(path string, r rectMM) {
			if r.x < paper.x-1e-9 || r.y < paper.y-1e-9 || r.right() > paper.right()+1e-9 || r.bottom() > paper.bottom()+1e-9 {
				c.add(path, "off the paper: spans x %.1f-%.1f, y %.1f-%.1f mm but the printable area of %vx%v mm paper is x %.0f-%.0f, y %.0f-%.0f",
					r.x, r.right(), r.y, r.bottom(), g.w, g.h, paper.x, paper.right(), paper.y, paper.bottom())
			}
		}
		for _, e := range g.elements {
			inside(e.path, e.rect)
		}
		for _, e := range g.labels {
			inside(e.path, e.rect)
		}

		// One fiducial per corner, so the reader can tell the corners apart
		// and the four squares span the page.
		corners := map[string]bool{}
		for i, f := range p.Fiducials {
			name := cornerName(rectMM{f.X, f.Y, f.Size, f.Size}, g.w, g.h)
			if corners[name] {
				c.add(at("fiducials[%d]", i), "a second square in the %s corner; need one square in each corner", name)
			}
			corners[name] = true
		}

		// Fiducials and the QR code need white around them to be found.
		var keepClear []element
		for i, f := range p.Fiducials {
			keepClear = append(keepClear, element{at("fiducials[%d]", i), rectMM{f.X, f.Y, f.Size, f.Size}.grow(fiducialClear)})
		}
		if q := p.QR; q != nil {
			keepClear = append(keepClear, element{at("qr"), rectMM{q.X, q.Y, q.Size, q.Size}.grow(qrClear)})
		}
		all := append(append([]element{}, g.elements...), g.labels...)
		for _, k := range keepClear {
			for _, e := range all {
				if e.path == k.path {
					continue
				}
				if k.rect.overlaps(e.rect) {
					c.add(e.path, "overlaps %s or its clear margin", k.path)
				}
			}
		}

		// Blocks may not overlap each other (frames and labels may sit on
		// or around them). Fiducials and QR were reported above.
		for i := 0; i < len(g.elements); i++ {
			for j := i + 1; j < len(g.elements); j++ {
				a, b := g.elements[i], g.elements[j]
				if isKeepClear(a.path) || isKeepClear(b.path) {
					continue
				}
				if a.rect.overlaps(b.rect) {
					c.add(b.path, "overlaps %s", a.path)
				}
			}
		}

		// Bubbles must be apart so a mark in one cannot be read in another.
		if a, b, ok := firstBubbleOverlap(g.bubbles); ok {
			c.add(b.path, "bubble %s overlaps bubble %s of %s", bubbleName(b), bubbleName(a), a.path)
		}
	}
}

// firstBubbleOverlap finds two bubbles closer than a stroke width. It sweeps
// bubbles sorted by left edge, as a page may hold thousands of them.
func firstBubbleOverlap(bubbles []bubbleMM) (a, b bubbleMM, ok bool) {
	idx := make([]int, len(bubbles))
	for i := range idx {
		idx[i] = i
	}
	rect := func(i int) rectMM { return bubbles[i].rect().grow(bubbleLineW) }
	sort.Slice(idx, func(i, j int) bool { return rect(idx[i]).x < rect(idx[j]).x })
	// Report the pair that comes first in the template, whatever the sweep
	// order, so the message points at the first mistake.
	bestA, bestB := -1, -1
	for i := 0; i < len(idx); i++ {
		ri := rect(idx[i])
		for j := i + 1; j < len(idx) && rect(idx[j]).x < ri.right(); j++ {
			if ri.overlaps(rect(idx[j])) {
				first, second := min(idx[i], idx[j]), max(idx[i], idx[j])
				if bestA < 0 || first < bestA || (first == bestA && second < bestB) {
					bestA, bestB = first, second
				}
			}
		}
	}
	if bestA < 0 {
		return a, b, false
	}
	return bubbles[bestA], bubbles[bestB], true
}

func isKeepClear(path string) bool {
	return strings.HasSuffix(path, ".qr") || strings.Contains(path, ".fiducials[")
}

func bubbleName(b bubbleMM) string {
	switch b.kind {
	case BubbleOption:
		return fmt.Sprintf("%d%s", b.item, b.option)
	case BubbleGrid:
		return fmt.Sprintf("digit %d of column %d", b.index, b.column+1)
	}
	return string(b.kind) + b.option
}
