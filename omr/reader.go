package omr

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
)

// Options tune the reader; the zero value is not useful, use DefaultOptions.
type Options struct {
	// LayoutDPI is the resolution the template layout is computed at; image
	// coordinates are mapped from it. Bubble measurements do not depend on it.
	LayoutDPI float64
	// Crops: cut subjective regions, at CropDPI, JPEG quality CropQuality.
	Crops       bool
	CropDPI     float64
	CropQuality int
	// Roster, when set, says whether an exam number belongs to a candidate
	// of the exam. A damaged sticker can decode, the same way every time,
	// into another well-formed number; one that is nobody's is refused
	// here rather than passed on as the card's identity.
	Roster func(examNo string) bool
	// Fonts the blank card is rendered with, to learn the printed ink:
	// those the cards were printed with (the zero value: the installed
	// candidates).
	Fonts card.Fonts
	// ExamNoDigits is the length of the exam's numbers, from the exam's
	// configuration. A template with an exam-number grid says it itself
	// (exam_number.digits) and a barcode of that length is accepted too;
	// 0 means the grid's length, or 10 (docs/EXAM_NUMBERS.md) without one.
	ExamNoDigits int
}

// DefaultOptions reads at 200 dpi layout and crops at 150 dpi: handwriting
// stays legible and a crop stays a few tens of KB.
func DefaultOptions() Options {
	return Options{LayoutDPI: 200, Crops: true, CropDPI: 150, CropQuality: 75, ExamNoDigits: 10}
}

// Reader reads pages against a set of templates. It is immutable after
// NewReader and safe for concurrent use.
type Reader struct {
	opts      Options
	templates map[string]*tmplInfo
	order     []*pageInfo // every page of every template, for identification
	sideMin   float64     // fiducial side, mm
	sideMax   float64
	paperMin  float64 // long side of the paper, mm
	paperMax  float64
}

// WithRoster returns a reader that shares r's templates and checks exam
// numbers against roster (Options.Roster): the templates are the
// subject's and costly to prepare, the roster is the exam's and changes
// when late candidates are added, so the two are joined per page.
func (r *Reader) WithRoster(roster func(examNo string) bool) *Reader {
	c := *r
	c.opts.Roster = roster
	return &c
}

type tmplInfo struct {
	t      *card.Template
	layout *card.LayoutDoc
	pages  []*pageInfo
	items  map[int]card.Item
	// gridDigits is the length of the exam-number grid (0: none);
	// examDigits the length of the exam's numbers, as a barcode carries them.
	gridDigits, examDigits int
}

type pageInfo struct {
	tmpl     *tmplInfo
	layout   *card.PageLayout
	fid      [4]pt
	qr       card.Region
	baseGray []sample     // each bubble on the blank card, grey scan
	baseDrop []sample     // the same in the dropout (red) channel
	probes   [][]probe    // per bubble
	sticker  stickerBars  // the barcode box on the blank card
	print    printPoints  // black print and clear paper, for a page whose code cannot be read
	feat     pageFeatures // the print's keypoints, for a page whose corner marks fail
}

// NewReader prepares templates for reading: their layouts, and what each
// bubble looks like on the blank card (rendered and rasterised once), so
// that the printed letter inside a bubble never reads as a mark.
func NewReader(templates []*card.Template, opts Options) (*Reader, error) {
	if len(templates) == 0 {
		return nil, fmt.Errorf("no template to read against")
	}
	r := &Reader{opts: opts, templates: map[string]*tmplInfo{}, sideMin: math.Inf(1), paperMin: math.Inf(1)}
	for _, t := range templates {
		if _, dup := r.templates[t.ID]; dup {
			return nil, fmt.Errorf("template %q given twice", t.ID)
		}
		doc, err := card.Layout(t, opts.LayoutDPI)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", t.ID, err)
		}
		ti := &tmplInfo{t: t, layout: doc, items: map[int]card.Item{}}
		ti.gridDigits, ti.examDigits = examNoLengths(t, opts.ExamNoDigits)
		for _, it := range doc.Items {
			ti.items[it.Number] = it
		}
		blanks, err := rasterBlank(t, opts.LayoutDPI, opts.Fonts)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", t.ID, err)
		}
		for i := range doc.Pages {
			pl := &doc.Pages[i]
			pi := &pageInfo{tmpl: ti, layout: pl}
			fids := pl.Fiducials()
			if len(fids) != 4 {
				return nil, fmt.Errorf("template %s page %d: needs 4 fiducials, has %d", t.ID, pl.Page, len(fids))
			}
			for j, f := range fids {
				pi.fid[j] = pt{f.Rect.X + f.Rect.W/2, f.Rect.Y + f.Rect.H/2}
				side := math.Sqrt(f.Rect.W*f.Rect.H) * 25.4 / opts.LayoutDPI
				r.sideMin, r.sideMax = math.Min(r.sideMin, side), math.Max(r.sideMax, side)
			}
			for _, reg := range pl.Regions {
				if reg.Kind == card.RegionQR {
					pi.qr = reg
				}
			}
			if pi.qr.Rect.W == 0 {
				return nil, fmt.Errorf("template %s page %d has no page code (QR)", t.ID, pl.Page)
			}
			pi.probes = blanks.probes(i, pl)
			pi.sticker = blanks.stickerBars(i, pl)
			pi.baseGray, pi.baseDrop = blanks.baselines(i, pl, opts.LayoutDPI, pi.probes)
			pi.print = blanks.samplePrint(i, pl, opts.LayoutDPI)
			pi.feat = blankFeatures(blanks.gray[i], opts.LayoutDPI)
			ti.pages = append(ti.pages, pi)
			r.order = append(r.order, pi)
			long := math.Max(pl.WidthMM, pl.HeightMM)
			r.paperMin, r.paperMax = math.Min(r.paperMin, long), math.Max(r.paperMax, long)
		}
		blanks.Close()
		r.templates[t.ID] = ti
	}
	return r, nil
}

// Read reads one page image. It never fails: whatever goes wrong with the
// image becomes an exception on the Result.
func (r *Reader) Read(name string, data []byte) *Result {
	res := &Result{File: name, Items: []Item{}}
	alone := readsRunning.Add(1) == 1
	defer readsRunning.Add(-1)
	pl, err := decode(data, alone)
	if err != nil {
		res.Except(exceptionKind(err), err.Error(), 0)
		return res
	}
	defer pl.Close()
	r.read(res, pl)
	return res
}

func (r *Reader) read(res *Result, pl *planes) {
	gv, err := viewOf(pl.gray)
	if err != nil {
		res.Except(ExcUnreadable, err.Error(), 0)
		return
	}
	long := float64(max(gv.w, gv.h))
	dpiLo, dpiHi := long/r.paperMax*25.4, long/r.paperMin*25.4
	k := max(1, int(math.Round(dpiLo/50)))
	sm, err := makeSmall(pl.gray, k)
	if err != nil {
		res.Except(ExcUnreadable, err.Error(), 0)
		return
	}
	defer sm.Close()
	// The paper map of a grey scan depends only on the working copy: build
	// it while the corner marks and the page code are being found. (A colour
	// scan of a red card is measured in its red channel instead, known only
	// once the card is.)
	type paperResult struct {
		p   *paperMap
		err error
	}
	var early chan paperResult
	if !pl.color {
		early = make(chan paperResult, 1)
		go func() {
			p, err := paperFromSmall(sm.img, k)
			early <- paperResult{p, err}
		}()
		defer func() {
			if early != nil { // not used: wait for it and free it
				if r := <-early; r.p != nil {
					r.p.Close()
				}
			}
		}()
	}
	if sm.inkFraction() < 0.002 {
		res.Except(ExcBlankPage, "空白页：页面上没有印刷内容和填涂", 0)
		return
	}
	// The marks may be smaller than the page's size in the image says: a
	// photo's far side is foreshortened by up to a fifth, beside the desk.
	found := findCorners(gv, sm, r.sideMin*dpiLo/25.4*0.45, r.sideMax*dpiHi/25.4*1.5)

	pi, reg, payload, why := r.identify(pl, gv, sm, found)
	if pi == nil && why.wrongTemplate == "" && !why.misfit {
		// The page does not fit any of our templates. If it carries a
		// saoyue page code anywhere, say which card it is: a card of
		// another subject in the bag is a common slip.
		if id, ok := searchPageCode(pl.gray, k); ok {
			if _, known := r.templates[id.TemplateID]; !known {
				why.wrongTemplate = fmt.Sprintf("此页属于答题卡 %q，不是本科目的答题卡（%s）", id.TemplateID, strings.Join(r.templateIDs(), "、"))
			} else {
				why.reason += fmt.Sprintf("（页码二维码为 %s 第 %d 页）", id.TemplateID, id.Page)
			}
		}
	}
	if pi == nil {
		switch {
		case why.wrongTemplate != "":
			res.Except(ExcWrongTemplate, why.wrongTemplate, 0)
		case why.misfit:
			res.Except(ExcRegistration, "页面与答题卡版式不符："+why.reason, 0)
		case why.registered:
			res.Except(ExcPageIdentity, "页码二维码无法识别："+why.reason, 0)
		default:
			res.Except(ExcRegistration, "定位标记与答题卡版式对不上："+why.reason, 0)
		}
		return
	}
	t := pi.tmpl.t
	if why.byPrint {
		res.Quality = append(res.Quality, fmt.Sprintf("页码二维码无法识别，按印刷版式认定为答题卡 %s 第 %d 页", t.ID, pi.layout.Page))
	}
	if why.byElimination {
		res.Quality = append(res.Quality, fmt.Sprintf("页码二维码无法识别，扫描滤去了红色印刷：按印刷版式排除其余各页，认定为答题卡 %s 第 %d 页", t.ID, pi.layout.Page))
	}
	if why.note != "" {
		res.Quality = append(res.Quality, why.note)
	}
	if reg.mode == "affine" {
		if err := outlineMisfit(gv, reg.h, pi.layout.WidthPx, pi.layout.HeightPx, r.opts.LayoutDPI); err != nil {
			res.Except(ExcRegistration, "页面与答题卡版式不符："+err.Error(), 0)
			return
		}
	}
	res.Template, res.Page, res.Rotation, res.Registered = t.ID, pi.layout.Page, reg.rotation, reg.mode
	centre := pt{float64(pi.layout.WidthPx) / 2, float64(pi.layout.HeightPx) / 2}
	scale := reg.h.scale(centre)
	res.DPI = math.Round(scale * r.opts.LayoutDPI)
	skew := reg.h.angle(centre) - float64(reg.rotation)
	for skew > 180 {
		skew -= 360
	}
	for skew < -180 {
		skew += 360
	}
	res.SkewDeg = math.Round(skew*100) / 100
	if id, err := card.ParsePageCode(payload); err == nil {
		res.Form = id.Form
	}

	// The answer crops need only the registration: cut and encode them on
	// a second goroutine while the bubbles are read, so one page takes
	// the time of the longer of the two, not of both.
	if r.opts.Crops {
		done := make(chan struct{})
		var crops []Crop
		var notes []string
		go func() {
			defer close(done)
			crops, notes = r.crops(pl, pi, reg)
		}()
		defer func() {
			<-done
			res.Crops = append(res.Crops, crops...)
			res.Quality = append(res.Quality, notes...)
		}()
	}

	// The barcode of a card with an exam-number grid is decoded beside the
	// bubbles too; the grid then checks it (identity). Without a grid the
	// barcode needs its second reading, so it is read in identity.
	var bc *earlyBarcode
	if box := barcodeRegion(pi.layout); box != nil && hasGrid(pi.layout) {
		bc = &earlyBarcode{done: make(chan struct{})}
		go func() {
			defer close(bc.done)
			bc.text, bc.err = decodeBarcode(pl.gray, reg.h, box.Rect, false)
		}()
		defer func() { <-bc.done }()
	}

	// Measure in the plane where the printed colour drops out, if we have it.
	plane, base := pl.gray, pi.baseGray
	if pl.color && t.Color == "red" {
		plane, base = pl.dropout, pi.baseDrop
	}
	pv, err := viewOf(plane)
	if err != nil {
		res.Except(ExcUnreadable, err.Error(), 0)
		return
	}
	var paper *paperMap
	switch {
	case plane.Ptr() == pl.gray.Ptr() && early != nil:
		r := <-early
		early = nil
		paper, err = r.p, r.err
	case plane.Ptr() == pl.gray.Ptr():
		paper, err = paperFromSmall(sm.img, k)
	default:
		paper, err = newPaperMap(plane, k)
	}
	if err != nil {
		res.Except(ExcUnreadable, err.Error(), 0)
		return
	}
	defer paper.Close()

	bubbles := pi.layout.Bubbles
	got := make([]sample, len(bubbles))
	vals := make([][]float32, len(bubbles))
	for i, b := range bubbles {
		vals[i] = make([]float32, len(pi.probes[i]))
		got[i] = measureBubble(pv, paper, reg.h, b, pi.probes[i], vals[i])
	}
	fills := relativeFills(got, base, bubbles, lineShares(bubbles, pi.probes, vals))
	r.decide(res, pi, bubbles, got, fills)
	checkPrint(res, bubbles, got, base, fills)
	res.Width, res.Height = gv.w, gv.h
	boxes := map[int][]card.Rect{}
	for _, b := range bubbles {
		if b.Kind == card.BubbleOption {
			boxes[b.Item] = append(boxes[b.Item], b.Rect)
		}
	}
	for i := range res.Items {
		res.Items[i].Box = imageBox(reg.h, boxes[res.Items[i].Number])
	}

	if pi.layout.Page == 1 || hasIdentity(pi.layout) {
		r.identity(res, pl, pi, reg, bubbles, fills, bc)
	}
	r.quality(res, pl, gv, sm, pi, reg, found)
}

// earlyBarcode is a barcode decoded while the bubbles were read.
type earlyBarcode struct {
	done chan struct{}
	text string
	err  error
}

func barcodeRegion(l *card.PageLayout) *card.Region {
	for i := range l.Regions {
		if l.Regions[i].Kind == card.RegionBarcode {
			return &l.Regions[i]
		}
	}
	return nil
}

func hasGrid(l *card.PageLayout) bool {
	for _, b := range l.Bubbles {
		if b.Kind == card.BubbleGrid {
			return true
		}
	}
	return false
}

func hasIdentity(l *card.PageLayout) bool {
	for _, reg := range l.Regions {
		if reg.Kind == card.RegionBarcode || reg.Kind == card.RegionExamNumber {
			return true
		}
	}
	return false
}

type identifyFailure struct {
	reason        string
	registered    bool
	misfit        bool // the page code was read but the page does not fit the template
	wrongTemplate string
	byPrint       bool   // identified by its print, the page code unread
	byElimination bool   // a red-only side under dropout: the one page left
	note          string // registered by the print: the quality note
}

// identify finds which template page this is, and how it lies: every
// (page, rotation) whose fiducials fit the corner marks is a hypothesis,
// tried in order of how QR-like the image is where its page code would be.
// The first page code that decodes settles it.
func (r *Reader) identify(pl *planes, gv view, sm *small, found [4]*pt) (*pageInfo, *registration, string, identifyFailure) {
	type hyp struct {
		pi    *pageInfo
		reg   *registration
		score float64
	}
	var hyps []hyp
	var fail identifyFailure
	for _, pi := range r.order {
		for _, rot := range []int{0, 180} {
			reg, err := register(pi.fid, found, rot)
			if err != nil {
				fail.reason = err.Error()
				continue
			}
			q := pi.qr.Rect
			ink := regionInk(sm, reg.h, q)
			hyps = append(hyps, hyp{pi, reg, math.Abs(ink - 0.5)})
		}
	}
	if len(hyps) == 0 {
		// Too few corner marks: the print may stand in for them.
		if pi, reg, payload, note := r.identifyByFeatures(pl, gv, &fail); pi != nil {
			fail.byPrint, fail.note = payload == "", note
			return pi, reg, payload, fail
		}
		return nil, nil, "", fail
	}
	fail.registered = true
	sort.SliceStable(hyps, func(i, j int) bool { return hyps[i].score < hyps[j].score })
	tried := map[[2]float64]bool{}
	for _, h := range hyps {
		c := h.reg.h.apply(pt{h.pi.qr.Rect.X + h.pi.qr.Rect.W/2, h.pi.qr.Rect.Y + h.pi.qr.Rect.H/2})
		key := [2]float64{math.Round(c.X / 20), math.Round(c.Y / 20)}
		if tried[key] {
			continue // the same spot of the image was already tried
		}
		tried[key] = true
		code, err := decodeQR(pl.gray, h.reg.h, h.pi.qr.Rect)
		if err != nil {
			fail.reason = err.Error()
			continue
		}
		id, err := card.ParsePageCode(code.text)
		if err != nil {
			fail.reason = fmt.Sprintf("二维码 %q 不是本系统的页码", code.text)
			continue
		}
		ti, ok := r.templates[id.TemplateID]
		if !ok {
			fail.wrongTemplate = fmt.Sprintf("此页属于答题卡 %q，不是本科目的答题卡（%s）", id.TemplateID, strings.Join(r.templateIDs(), "、"))
			return nil, nil, "", fail
		}
		if id.Page < 1 || id.Page > len(ti.pages) {
			fail.wrongTemplate = fmt.Sprintf("页码二维码写的是答题卡 %q 的第 %d 页，但该答题卡只有 %d 页", id.TemplateID, id.Page, len(ti.pages))
			return nil, nil, "", fail
		}
		pi := ti.pages[id.Page-1]
		// The code may have been found through another page's geometry:
		// register the page it names, with either rotation, and keep the
		// fit that agrees with the code's finder patterns.
		for _, rot := range []int{h.reg.rotation, 180 - h.reg.rotation} {
			reg := h.reg
			if pi != h.pi || rot != h.reg.rotation {
				if reg, err = register(pi.fid, found, rot); err != nil {
					continue
				}
			}
			final, err := refine(reg, pi.fid, found, pi.qr.Rect, code, r.opts.LayoutDPI)
			if err != nil {
				fail.reason, fail.misfit = err.Error(), true
				continue
			}
			return pi, final, code.text, fail
		}
	}
	if !fail.misfit && fail.wrongTemplate == "" {
		pis, regs := make([]*pageInfo, len(hyps)), make([]*registration, len(hyps))
		for i, h := range hyps {
			pis[i], regs[i] = h.pi, h.reg
		}
		if i := byPrint(gv, pis, regs); i >= 0 {
			fail.byPrint = true
			return pis[i], regs[i], "", fail
		}
		if i := byElimination(gv, pis, regs, r.opts.LayoutDPI); i >= 0 {
			fail.byElimination = true
			return pis[i], regs[i], "", fail
		}
	}
	if fail.wrongTemplate == "" {
		// The corner marks gave nothing that holds: the print may.
		if pi, reg, payload, note := r.identifyByFeatures(pl, gv, &fail); pi != nil {
			fail.byPrint, fail.note = payload == "", note
			return pi, reg, payload, fail
		}
	}
	return nil, nil, "", fail
}

// Pages is how many pages a card of the template has (its sides), or 0 for
// a template the reader does not know.
func (r *Reader) Pages(templateID string) int {
	if ti := r.templates[templateID]; ti != nil {
		return len(ti.pages)
	}
	return 0
}

func (r *Reader) templateIDs() []string {
	var ids []string
	for id := range r.templates {
		ids = append(ids, fmt.Sprintf("%q", id))
	}
	sort.Strings(ids)
	return ids
}

// regionInk is the share of ink in the small binary image inside the image
// footprint of a layout rectangle.
func regionInk(sm *small, h homography, q card.Rect) float64 {
	n, ink := 0, 0
	k := float64(sm.k)
	for fy := 0.1; fy < 0.95; fy += 0.1 {
		for fx := 0.1; fx < 0.95; fx += 0.1 {
			p := h.apply(pt{q.X + fx*q.W, q.Y + fy*q.H})
			n++
			if sm.binv.at(int(p.X/k), int(p.Y/k)) != 0 {
				ink++
			}
		}
	}
	return float64(ink) / float64(n)
}

// paperMap is the local brightness of blank paper around every point: the
// page at ~50 dpi with ink removed by a max filter wider than any bubble.
// Darkness relative to it survives uneven lighting and grey paper.
type paperMap struct {
	m gocv.Mat
	v view
	k int
}

func newPaperMap(plane gocv.Mat, k int) (*paperMap, error) {
	s := gocv.NewMat()
	defer s.Close()
	shrink(plane, &s, k)
	return paperFromSmall(s, k)
}

// paperFromSmall builds the map from a page already shrunk by k.
func paperFromSmall(s gocv.Mat, k int) (*paperMap, error) {
	kernel := gocv.GetStructuringElement(gocv.MorphRect, pointOf(17, 17))
	defer kernel.Close()
	d := gocv.NewMat()
	gocv.Dilate(s, &d, kernel)
	p := &paperMap{m: gocv.NewMat(), k: k}
	gocv.Blur(d, &p.m, pointOf(9, 9))
	d.Close()
	v, err := viewOf(p.m)
	if err != nil {
		p.m.Close()
		return nil, err
	}
	p.v = v
	return p, nil
}

func (p *paperMap) Close() { p.m.Close() }

func (p *paperMap) at(q pt) float64 {
	return math.Max(32, float64(p.v.at(int(q.X)/p.k, int(q.Y)/p.k)))
}

// sample is what is measured in one bubble: in its inner part (away from
// the printed outline) and over the whole bubble including the outline,
// where off-centre ticks and half fills show.
type sample struct {
	dark      float64 // mean darkness inside, 0 white paper .. 1 black
	cover     float64 // share of the inside covered by strokes
	darkFull  float64
	coverFull float64
	ink       float64 // mean darkness where the blank card has printed ink
}

// strokeDark is the darkness from which a pixel counts as a pencil or ink
// stroke rather than paper, smudge or erasure residue.
const strokeDark = 0.42

// probe is one sample point of a bubble, relative to its centre in
// layout pixels. paper is true where the blank card has no printed ink,
// so strokes counted there are the candidate's, whatever the resolution
// and sharpness of the scan make of the printed letter.
type probe struct {
	dx, dy float32
	inner  bool
	paper  bool
	// ix, iy place the probe on its bubble's lattice, the same for every
	// bubble of a size: probe j of one bubble is probe j of the others.
	ix, iy int16
}

const innerRadius, fullRadius = 0.62, 1.08

// probeStep is the probe spacing in layout pixels (200 dpi): a bubble still
// gets a few hundred probes, and sampling is the reader's largest cost
// after decoding.
const probeStep = 1.4

// bubbleProbes lays samples probeStep apart over the whole bubble and
// marks which fall on paper in the blank raster (nil: all are paper).
func bubbleProbes(b card.Bubble, blank *view) []probe {
	ax, ay := b.RX*fullRadius, b.RY*fullRadius
	in2 := (innerRadius / fullRadius) * (innerRadius / fullRadius)
	var out []probe
	for iy, dy := 0, -ay; dy <= ay; iy, dy = iy+1, dy+probeStep {
		for ix, dx := 0, -ax; dx <= ax; ix, dx = ix+1, dx+probeStep {
			ex, ey := dx/ax, dy/ay
			r2 := ex*ex + ey*ey
			if r2 > 1 {
				continue
			}
			p := probe{dx: float32(dx), dy: float32(dy), inner: r2 <= in2, paper: true, ix: int16(ix), iy: int16(iy)}
			if blank != nil {
				// Paper only if the blank card is white here and around: a
				// pixel next to a printed stroke is ink in a blurred scan.
				x, y := int(b.CX+dx), int(b.CY+dy)
				for oy := -1; oy <= 1 && p.paper; oy++ {
					for ox := -1; ox <= 1; ox++ {
						if blank.at(x+ox, y+oy) < 200 {
							p.paper = false
							break
						}
					}
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// measureBubble samples a bubble at its probes mapped into the image, so
// rotation and perspective are followed exactly. Darkness includes the
// printed letter and outline (subtracted later against the blank card);
// stroke coverage counts only probes on blank paper. vals, when not nil,
// receives every probe's brightness relative to the paper around it.
func measureBubble(v view, paper *paperMap, h homography, b card.Bubble, probes []probe, vals []float32) sample {
	c := pt{b.CX, b.CY}
	ic := h.apply(c)
	jx, jy := h.jacobian(c)
	white := paper.at(ic)
	strokeLevel := (1 - strokeDark) * white
	var sumIn, sumAll, sumInk float64
	var nIn, nAll, paperIn, paperAll, strokesIn, strokesAll, nInk int
	for j, q := range probes {
		dx, dy := float64(q.dx), float64(q.dy)
		x := ic.X + jx.X*dx + jy.X*dy
		y := ic.Y + jx.Y*dx + jy.Y*dy
		p := float64(v.at(int(x), int(y)))
		if vals != nil {
			vals[j] = float32(p / white)
		}
		stroke := q.paper && p < strokeLevel
		sumAll += p
		nAll++
		if q.paper {
			paperAll++
		} else {
			sumInk += p
			nInk++
		}
		if stroke {
			strokesAll++
		}
		if q.inner {
			sumIn += p
			nIn++
			if q.paper {
				paperIn++
			}
			if stroke {
				strokesIn++
			}
		}
	}
	if nIn == 0 || nAll == 0 {
		return sample{}
	}
	clamp := func(f float64) float64 { return math.Max(0, math.Min(1, f)) }
	share := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	return sample{
		dark: clamp(1 - sumIn/float64(nIn)/white), cover: share(strokesIn, paperIn),
		darkFull: clamp(1 - sumAll/float64(nAll)/white), coverFull: share(strokesAll, paperAll),
		ink: clamp(1 - sumInk/math.Max(1, float64(nInk))/white),
	}
}

// imageBox is the image-space bounding box (x, y, w, h) of layout
// rectangles, rounded to whole pixels.
func imageBox(h homography, rects []card.Rect) []float64 {
	if len(rects) == 0 {
		return nil
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, r := range rects {
		for _, c := range []pt{{r.X, r.Y}, {r.X + r.W, r.Y}, {r.X, r.Y + r.H}, {r.X + r.W, r.Y + r.H}} {
			p := h.apply(c)
			x0, y0, x1, y1 = math.Min(x0, p.X), math.Min(y0, p.Y), math.Max(x1, p.X), math.Max(y1, p.Y)
		}
	}
	return []float64{math.Floor(x0), math.Floor(y0), math.Ceil(x1 - x0), math.Ceil(y1 - y0)}
}
