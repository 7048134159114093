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
		return "答题卡模板有误：" + e.Problems[0]
	}
	return "答题卡模板有误：\n  " + strings.Join(e.Problems, "\n  ")
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
		c.add(path, "不是有效的数字")
		return false
	}
	return true
}

func (c *checker) positive(path string, v float64) bool {
	if !c.num(path, v) {
		return false
	}
	if v <= 0 {
		c.add(path, "必须大于 0（现为 %v）", v)
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
		c.add("id", "缺少")
	} else if !validID(t.ID) {
		c.add("id", "%q 应为 1-64 个字母、数字、'.'、'_' 或 '-'", t.ID)
	}
	if strings.TrimSpace(t.Title) == "" {
		c.add("title", "缺少")
	}
	if strings.TrimSpace(t.Subject) == "" {
		c.add("subject", "缺少")
	}
	if _, _, err := t.PaperSize(); err != nil {
		c.add("paper", "%v", err)
	}
	if t.Orientation != "portrait" && t.Orientation != "landscape" {
		c.add("orientation", "%q 不是 portrait（纵向）或 landscape（横向）", t.Orientation)
	}
	if t.Color != "black" && t.Color != "red" {
		c.add("color", "%q 不是 black（黑）或 red（红）", t.Color)
	}
	if t.BubbleStyle != "bracket" && t.BubbleStyle != "ellipse" {
		c.add("bubble_style", "%q 不是 bracket（方括号）或 ellipse（椭圆）", t.BubbleStyle)
	}
	if c.positive("bubble.w", t.Bubble.W) && (t.Bubble.W < 2.5 || t.Bubble.W > 12) {
		c.add("bubble.w", "%v mm 超出 2.5-12 mm", t.Bubble.W)
	}
	if c.positive("bubble.h", t.Bubble.H) && (t.Bubble.H < 2 || t.Bubble.H > 8) {
		c.add("bubble.h", "%v mm 超出 2-8 mm", t.Bubble.H)
	}
	if t.PrintedForm != "" && t.PrintedForm != "A" && t.PrintedForm != "B" {
		c.add("printed_form", "%q 不是 A、B 或空", t.PrintedForm)
	}
	if len(t.Pages) == 0 {
		c.add("pages", "缺少：答题卡至少要有一页")
	}
	if len(t.Pages) > MaxPages {
		c.add("pages", "%d 页超过上限 %d 页", len(t.Pages), MaxPages)
		return
	}
	for i := range t.Pages {
		t.checkPageFields(c, i)
	}
}

// checkPageFields checks one page's fields section by section: the
// locators the reader finds the page by, the header, the marks, the
// objective blocks, the subjective boxes, and the printed text. A section
// over its limit stops the page's checks, as the rest would only repeat it.
func (t *Template) checkPageFields(c *checker, pi int) {
	t.checkLocators(c, pi)
	t.checkHeader(c, pi)
	t.checkMarks(c, pi)
	if t.checkObjective(c, pi) && t.checkSubjective(c, pi) {
		t.checkLabels(c, pi)
	}
}

// pageAt returns a formatter of paths within page pi.
func pageAt(pi int) func(f string, a ...any) string {
	return func(f string, a ...any) string { return fmt.Sprintf("pages[%d].", pi) + fmt.Sprintf(f, a...) }
}

// checkLocators checks the fiducials and the QR code.
func (t *Template) checkLocators(c *checker, pi int) {
	p := &t.Pages[pi]
	at := pageAt(pi)
	switch {
	case len(p.Fiducials) == 0:
		c.add(at("fiducials"), "缺少：定位需要四角的四个定位方块")
	case len(p.Fiducials) != 4:
		c.add(at("fiducials"), "需要正好 4 个角上的定位方块，现有 %d 个", len(p.Fiducials))
	}
	for i, f := range p.Fiducials {
		c.num(at("fiducials[%d].x", i), f.X)
		c.num(at("fiducials[%d].y", i), f.Y)
		if c.positive(at("fiducials[%d].size", i), f.Size) && (f.Size < minFiducial || f.Size > 15) {
			c.add(at("fiducials[%d].size", i), "%v mm 超出 %v-15 mm", f.Size, minFiducial)
		}
	}
	if p.QR == nil {
		c.add(at("qr"), "缺少：每页都要印识别码")
	} else {
		c.num(at("qr.x"), p.QR.X)
		c.num(at("qr.y"), p.QR.Y)
		if c.positive(at("qr.size"), p.QR.Size) && (p.QR.Size < minQR || p.QR.Size > 60) {
			c.add(at("qr.size"), "%v mm 超出 %v-60 mm", p.QR.Size, minQR)
		}
	}
}

// checkHeader checks the header, notice, barcode, student information and
// exam number.
func (t *Template) checkHeader(c *checker, pi int) {
	p := &t.Pages[pi]
	at := pageAt(pi)
	for _, nb := range []struct {
		name string
		box  *Box
	}{{"header", p.Header}, {"notice", p.Notice}, {"barcode", p.Barcode}} {
		if nb.box != nil {
			c.box(at("%s", nb.name), *nb.box)
		}
	}
	if p.Barcode != nil && p.Barcode.W > 0 && (p.Barcode.W < 35 || p.Barcode.H < 15) {
		c.add(at("barcode"), "%vx%v mm 太小，贴不下考号条形码（至少 35x15）", p.Barcode.W, p.Barcode.H)
	}
	if s := p.StudentInfo; s != nil {
		c.box(at("student_info"), s.Box)
		if len(s.Fields) > 6 {
			c.add(at("student_info.fields"), "超过 6 个栏目")
		}
	}
	if e := p.ExamNumber; e != nil {
		c.num(at("exam_number.x"), e.X)
		c.num(at("exam_number.y"), e.Y)
		if e.Digits < 1 || e.Digits > maxDigits {
			c.add(at("exam_number.digits"), "应为 1-%d（现为 %d）", maxDigits, e.Digits)
		}
		if c.positive(at("exam_number.col_pitch"), e.ColPitch) && e.ColPitch < t.Bubble.W+0.5 {
			c.add(at("exam_number.col_pitch"), "%v mm 的间距容不下 %v mm 的填涂点", e.ColPitch, t.Bubble.W)
		}
		if c.positive(at("exam_number.row_pitch"), e.RowPitch) && e.RowPitch < t.Bubble.H+0.5 {
			c.add(at("exam_number.row_pitch"), "%v mm 的间距容不下 %v mm 的填涂点", e.RowPitch, t.Bubble.H)
		}
	}
}

// checkMarks checks the absent and violation marks and the form choice.
func (t *Template) checkMarks(c *checker, pi int) {
	p := &t.Pages[pi]
	at := pageAt(pi)
	for _, nm := range []struct {
		name string
		m    *Mark
	}{{"absent", p.Absent}, {"violation", p.Violation}} {
		if name, m := nm.name, nm.m; m != nil {
			c.num(at("%s.x", name), m.X)
			c.num(at("%s.y", name), m.Y)
			if runeLen(m.Label) > 12 {
				c.add(at("%s.label", name), "超过 12 个字")
			}
		}
	}
	if f := p.Form; f != nil {
		c.num(at("form.x"), f.X)
		c.num(at("form.y"), f.Y)
		c.positive(at("form.pitch"), f.Pitch)
		if len(f.Forms) < 2 || len(f.Forms) > 4 {
			c.add(at("form.forms"), "需要 2-4 种题本（现为 %d 种）", len(f.Forms))
		}
		checkOptionNames(c, at("form.forms"), f.Forms)
		if runeLen(f.Label) > 12 {
			c.add(at("form.label"), "超过 12 个字")
		}
	}
}

// checkObjective checks the objective blocks; false if there are too many.
func (t *Template) checkObjective(c *checker, pi int) bool {
	p := &t.Pages[pi]
	at := pageAt(pi)
	if len(p.Objective) > maxBlocks {
		c.add(at("objective"), "%d 个题块超过上限 %d 个", len(p.Objective), maxBlocks)
		return false
	}
	for i := range p.Objective {
		b := &p.Objective[i]
		bp := at("objective[%d]", i)
		c.num(bp+".x", b.X)
		c.num(bp+".y", b.Y)
		if b.Start < 1 || b.Start > 9999 {
			c.add(bp+".start", "起始题号应为 1-9999（现为 %d）", b.Start)
		}
		if b.Count < 1 || b.Count > maxItemsPerBlock {
			c.add(bp+".count", "应为 1-%d（现为 %d）", maxItemsPerBlock, b.Count)
		}
		switch {
		case len(b.Options) < 2:
			c.add(bp+".options", "至少需要 2 个选项（现为 %d 个）", len(b.Options))
		case len(b.Options) > maxOptions:
			c.add(bp+".options", "超过 %d 个选项（现为 %d 个）", maxOptions, len(b.Options))
		}
		checkOptionNames(c, bp+".options", b.Options)
		if b.Rows < 1 || b.Rows > maxItemsPerBlock {
			c.add(bp+".rows", "应为 1-%d（现为 %d）", maxItemsPerBlock, b.Rows)
		}
		c.positive(bp+".col_pitch", b.ColPitch)
		c.positive(bp+".row_pitch", b.RowPitch)
		c.positive(bp+".option_pitch", b.OptionPitch)
		c.positive(bp+".number_width", b.NumberWidth)
	}
	return true
}

// checkSubjective checks the subjective boxes; false if there are too many.
func (t *Template) checkSubjective(c *checker, pi int) bool {
	p := &t.Pages[pi]
	at := pageAt(pi)
	if len(p.Subjective) > maxSubjective {
		c.add(at("subjective"), "%d 个答题框超过上限 %d 个", len(p.Subjective), maxSubjective)
		return false
	}
	for i := range p.Subjective {
		checkSubjectiveBox(c, at("subjective[%d]", i), &p.Subjective[i])
	}
	return true
}

// checkSubjectiveBox checks one subjective box: its group, its scores and
// its lines.
func checkSubjectiveBox(c *checker, sp string, s *SubjectiveBox) {
	c.box(sp, s.Box)
	if strings.TrimSpace(s.Group) == "" {
		c.add(sp+".group", "缺少题组编号")
	} else if runeLen(s.Group) > 16 || strings.ContainsAny(s.Group, "|/\\") {
		c.add(sp+".group", "%q 最多 16 个字符，且不能含 | / \\", s.Group)
	}
	if runeLen(s.Sub) > 16 {
		c.add(sp+".sub", "超过 16 个字符")
	}
	okMax := c.positive(sp+".max_score", s.MaxScore)
	okStep := c.positive(sp+".step", s.Step)
	if okMax && s.MaxScore > 1000 {
		c.add(sp+".max_score", "%v 超过 1000 分", s.MaxScore)
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
			c.add(sp+".max_score", "%v 不是步长 %v 的整数倍", s.MaxScore, s.Step)
		}
	}
	if s.Lines < 0 || s.Lines > 60 {
		c.add(sp+".lines", "应为 0-60（现为 %d）", s.Lines)
	}
}

// checkLabels checks the printed text and frames.
func (t *Template) checkLabels(c *checker, pi int) {
	p := &t.Pages[pi]
	at := pageAt(pi)
	if len(p.Labels) > maxLabels {
		c.add(at("labels"), "%d 个文字超过上限 %d 个", len(p.Labels), maxLabels)
		return
	}
	for i, l := range p.Labels {
		c.num(at("labels[%d].x", i), l.X)
		c.num(at("labels[%d].y", i), l.Y)
		if c.positive(at("labels[%d].size", i), l.Size) && (l.Size < 5 || l.Size > 36) {
			c.add(at("labels[%d].size", i), "%v pt 超出 5-36 pt", l.Size)
		}
		if strings.TrimSpace(l.Text) == "" {
			c.add(at("labels[%d].text", i), "缺少")
		}
	}
	if len(p.Frames) > maxLabels {
		c.add(at("frames"), "%d 个框超过上限 %d 个", len(p.Frames), maxLabels)
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
			c.add(fmt.Sprintf("%s[%d]", path, i), "%q 应为印在填涂点里的单个字符", o)
		}
		if seen[o] {
			c.add(fmt.Sprintf("%s[%d]", path, i), "选项 %q 重复", o)
		}
		seen[o] = true
	}
}

func (t *Template) checkGeometry(c *checker) {
	t.checkDuplicates(c)
	for pi := range t.Pages {
		t.checkPageGeometry(c, pi)
	}
}

// checkDuplicates checks item numbers and question ids across pages: they
// identify answers for the whole card.
func (t *Template) checkDuplicates(c *checker) {
	items := map[int]string{}
	groups := map[string]string{}
	for pi := range t.Pages {
		p := &t.Pages[pi]
		at := pageAt(pi)
		for bi, b := range p.Objective {
			for k := 0; k < b.Count; k++ {
				n := b.Start + k
				if prev, ok := items[n]; ok {
					c.add(at("objective[%d]", bi), "题号 %d 已在 %s 中使用", n, prev)
					break
				}
				items[n] = at("objective[%d]", bi)
			}
		}
		for si, s := range p.Subjective {
			key := s.Group + "\x00" + s.Sub
			if prev, ok := groups[key]; ok {
				c.add(at("subjective[%d]", si), "题 %s%s 已在 %s 中定义", s.Group, s.Sub, prev)
				continue
			}
			groups[key] = at("subjective[%d]", si)
		}
	}
}

// checkPageGeometry checks that page pi is printable and readable.
func (t *Template) checkPageGeometry(c *checker, pi int) {
	p := &t.Pages[pi]
	at := pageAt(pi)
	bubbles := 0
	if p.ExamNumber != nil {
		bubbles += 10 * p.ExamNumber.Digits
	}
	for _, b := range p.Objective {
		bubbles += b.Count * len(b.Options)
	}
	if bubbles > maxBubblesPage {
		c.add(at("objective"), "一页 %d 个填涂点超过上限 %d 个", bubbles, maxBubblesPage)
		return
	}

	g := t.geometry(pi)
	paper := rectMM{printMargin, printMargin, g.w - 2*printMargin, g.h - 2*printMargin}
	inside := func(path string, r rectMM) {
		if r.x < paper.x-1e-9 || r.y < paper.y-1e-9 || r.right() > paper.right()+1e-9 || r.bottom() > paper.bottom()+1e-9 {
			c.add(path, "超出纸张：占 x %.1f-%.1f、y %.1f-%.1f mm，而 %vx%v mm 纸的可打印区域为 x %.0f-%.0f、y %.0f-%.0f",
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
			c.add(at("fiducials[%d]", i), "%s角上有第二个定位方块；每个角只能有一个", cornerNames[name])
		}
		corners[name] = true
	}

	checkKeepClear(c, p, g, at)

	// Blocks may not overlap each other (frames and labels may sit on
	// or around them). Fiducials and QR were reported above.
	for i := 0; i < len(g.elements); i++ {
		for j := i + 1; j < len(g.elements); j++ {
			a, b := g.elements[i], g.elements[j]
			if isKeepClear(a.path) || isKeepClear(b.path) {
				continue
			}
			if a.rect.overlaps(b.rect) {
				c.add(b.path, "与 %s 重叠", a.path)
			}
		}
	}

	// Bubbles must be apart so a mark in one cannot be read in another.
	if a, b, ok := firstBubbleOverlap(g.bubbles); ok {
		c.add(b.path, "填涂点 %s 与 %s 的填涂点 %s 重叠", bubbleName(b), a.path, bubbleName(a))
	}
}

// checkKeepClear checks that nothing sits on the white fiducials and the QR
// code need around them to be found.
func checkKeepClear(c *checker, p *Page, g pageGeom, at func(string, ...any) string) {
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
				c.add(e.path, "与 %s 或其留白重叠", k.path)
			}
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

// cornerNames are the corners as the template's author reads them.
var cornerNames = map[string]string{"tl": "左上", "tr": "右上", "br": "右下", "bl": "左下"}

func isKeepClear(path string) bool {
	return strings.HasSuffix(path, ".qr") || strings.Contains(path, ".fiducials[")
}

func bubbleName(b bubbleMM) string {
	switch b.kind {
	case BubbleOption:
		return fmt.Sprintf("%d%s", b.item, b.option)
	case BubbleGrid:
		return fmt.Sprintf("第 %d 列的数字 %d", b.column+1, b.index)
	}
	return string(b.kind) + b.option
}
