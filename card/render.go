package card

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
)

// Ink colours. The dropout red is lifted by a scanner's red channel, so on
// a red card only the pencil marks, fiducials and QR code remain.
var (
	inkBlack = [3]int{0, 0, 0}
	inkRed   = [3]int{232, 56, 61}
)

// RenderOptions tune printing; the zero value prints what the template says.
type RenderOptions struct {
	// Form overrides Template.PrintedForm in the page QR codes, to print
	// the A and B cards of one template.
	Form string
	// Fonts: the zero value takes the installed candidates.
	Fonts Fonts
}

// RenderPDF writes the print-ready card, one PDF page per side.
func RenderPDF(t *Template, w io.Writer) error {
	return RenderPDFWithOptions(t, w, RenderOptions{Form: t.PrintedForm})
}

// RenderPDFWithOptions is RenderPDF with a choice of printed form.
func RenderPDFWithOptions(t *Template, w io.Writer, opt RenderOptions) error {
	if opt.Form != "" && opt.Form != "A" && opt.Form != "B" {
		return fmt.Errorf("render card: form %q is not A or B", opt.Form)
	}
	if err := t.Validate(); err != nil {
		return fmt.Errorf("render card: %w", err)
	}
	cjkPath, err := FindFont(opt.Fonts.CJK)
	if err != nil {
		return fmt.Errorf("render card: %w", err)
	}
	cjk, err := readFont(cjkPath)
	if err != nil {
		return fmt.Errorf("render card: CJK font %s: %w", cjkPath, err)
	}
	latinPath, err := FindLatinFont(opt.Fonts.Latin)
	if err != nil {
		return fmt.Errorf("render card: %w", err)
	}
	cjkHas, err := fontCoverage(cjkPath, cjk)
	if err != nil {
		return fmt.Errorf("render card: %w", err)
	}
	var latin []byte
	latinHas := glyphSet(func(r rune) bool { return r < 0x80 })
	if latinPath != "" {
		if latin, err = readFont(latinPath); err != nil {
			return fmt.Errorf("render card: Latin font %s: %w", latinPath, err)
		}
		if latinHas, err = fontCoverage(latinPath, latin); err != nil {
			return fmt.Errorf("render card: %w", err)
		}
	}
	pw, ph, _ := t.PaperSize()
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", OrientationStr: "P", Size: fpdf.SizeType{Wd: pw, Ht: ph}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCompression(true)
	// A fixed date and sorted catalog make the same template print to the
	// same bytes, so printed batches can be compared by hash.
	pdf.SetCreationDate(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetCatalogSort(true)
	pdf.SetTitle(t.Title+" "+t.Subject+" 答题卡", true)
	pdf.SetSubject(t.ID, true)
	pdf.SetCreator("saoyue", true)
	pdf.AddUTF8FontFromBytes("cjk", "", cjk)
	latinFamily := "helvetica"
	if latin != nil {
		pdf.AddUTF8FontFromBytes("latin", "", latin)
		latinFamily = "latin"
	}
	pdf.SetLineCapStyle("butt")
	pdf.SetLineJoinStyle("miter")

	ink := inkBlack
	if t.Color == "red" {
		ink = inkRed
	}
	r := &renderer{pdf: pdf, t: t, ink: ink, latin: latinFamily, cjkHas: cjkHas, latinHas: latinHas}
	for pi := range t.Pages {
		pdf.AddPage()
		if err := r.page(pi, opt.Form); err != nil {
			return fmt.Errorf("render card page %d: %w", pi+1, err)
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render card: write PDF: %w", err)
	}
	return nil
}

type renderer struct {
	pdf   *fpdf.Fpdf
	t     *Template
	ink   [3]int
	latin string // font family for ASCII runs

	// The CJK fallback font has no Latin letters and few symbols (√ ×);
	// each rune is printed with the font that has it.
	cjkHas, latinHas glyphSet
}

func (r *renderer) useInk() {
	r.pdf.SetDrawColor(r.ink[0], r.ink[1], r.ink[2])
	r.pdf.SetFillColor(r.ink[0], r.ink[1], r.ink[2])
	r.pdf.SetTextColor(r.ink[0], r.ink[1], r.ink[2])
}

func (r *renderer) useBlack() {
	r.pdf.SetDrawColor(0, 0, 0)
	r.pdf.SetFillColor(0, 0, 0)
	r.pdf.SetTextColor(0, 0, 0)
}

func (r *renderer) page(pi int, form string) error {
	t, p, pdf := r.t, &r.t.Pages[pi], r.pdf
	g := t.geometry(pi)

	// Registration marks are black on every card: the reader needs them
	// even when the red print has been dropped by the scanner.
	r.useBlack()
	for _, f := range p.Fiducials {
		pdf.Rect(f.X, f.Y, f.Size, f.Size, "F")
	}
	if q := p.QR; q != nil {
		if err := r.qr(PageCode(t.ID, pi+1, form), q.X, q.Y, q.Size); err != nil {
			return err
		}
	}

	r.useInk()
	if b := p.Header; b != nil {
		r.header(*b, form)
	}
	if s := p.StudentInfo; s != nil {
		r.studentInfo(s)
	}
	if b := p.Notice; b != nil {
		r.notice(*b)
	}
	if b := p.Barcode; b != nil {
		r.barcode(*b)
	}
	if e := p.ExamNumber; e != nil {
		r.examNumberFrame(e)
	}
	for _, f := range p.Frames {
		pdf.SetLineWidth(boxLineW)
		pdf.Rect(f.X, f.Y, f.W, f.H, "D")
	}
	for _, l := range p.Labels {
		r.text(l.X, l.Y+0.86*ptToMM(l.Size), l.Text, l.Size)
	}
	if m := p.Absent; m != nil {
		r.markLabel(m.X, m.Y, m.Label)
	}
	if m := p.Violation; m != nil {
		r.markLabel(m.X, m.Y, m.Label)
	}
	if f := p.Form; f != nil {
		r.markLabel(f.X, f.Y, f.Label)
	}
	for _, it := range g.items {
		c := it.numCell
		s := strconv.Itoa(it.number)
		r.text(c.right()-1.2-r.width(s, numberSize), c.y+c.h/2+0.35*ptToMM(numberSize), s, numberSize)
	}
	for _, b := range g.bubbles {
		label := b.option
		if b.kind == BubbleAbsent || b.kind == BubbleViolation {
			label = ""
		}
		r.bubble(b.cx, b.cy, b.rx, b.ry, label)
	}
	for i := range p.Subjective {
		r.subjective(&p.Subjective[i])
	}
	if pdf.Err() {
		return pdf.Error()
	}
	return nil
}

// run is a piece of text printed with one font.
type run struct {
	text  string
	latin bool
}

// runs splits s into pieces that each use one font: ASCII and whatever
// the CJK font lacks go to the Latin font.
func (r *renderer) runs(s string) []run {
	var out []run
	for _, c := range s {
		latin := c < 0x80 || (!r.cjkHas(c) && r.latinHas(c))
		if n := len(out); n > 0 && out[n-1].latin == latin {
			out[n-1].text += string(c)
			continue
		}
		out = append(out, run{string(c), latin})
	}
	return out
}

func (r *renderer) setRunFont(rn run, size float64) {
	if rn.latin {
		r.pdf.SetFont(r.latin, "", size)
	} else {
		r.pdf.SetFont("cjk", "", size)
	}
}

// width is the printed width of s in mm.
func (r *renderer) width(s string, size float64) float64 {
	w := 0.0
	for _, rn := range r.runs(s) {
		r.setRunFont(rn, size)
		w += r.pdf.GetStringWidth(rn.text)
	}
	return w
}

// text prints s with its baseline at y.
func (r *renderer) text(x, y float64, s string, size float64) {
	for _, rn := range r.runs(s) {
		r.setRunFont(rn, size)
		r.pdf.Text(x, y, rn.text)
		x += r.pdf.GetStringWidth(rn.text)
	}
}

// boldText fakes a bold face, which the fallback font lacks, by printing
// twice with a small offset.
func (r *renderer) boldText(x, y float64, s string, size float64) {
	r.text(x, y, s, size)
	r.text(x+0.12, y, s, size)
}

func (r *renderer) centredText(cx, baseline float64, s string, size float64, bold bool) {
	x := cx - r.width(s, size)/2
	if bold {
		r.boldText(x, baseline, s, size)
	} else {
		r.text(x, baseline, s, size)
	}
}

// fitSize shrinks size until s fits in width mm.
func (r *renderer) fitSize(s string, size, width float64) float64 {
	for size > 6 {
		if r.width(s, size) <= width {
			break
		}
		size -= 0.5
	}
	return size
}

func (r *renderer) header(b Box, form string) {
	title := r.t.Title
	sub := r.t.Subject + "答题卡"
	if form != "" {
		sub += "（" + form + "卷）"
	}
	ts := r.fitSize(title, 16, b.W)
	ss := r.fitSize(sub, 14, b.W)
	th, sh := ptToMM(ts), ptToMM(ss)
	gap := (b.H - th - sh) / 3
	if gap < 0.5 {
		gap = 0.5
	}
	r.centredText(b.X+b.W/2, b.Y+gap+0.86*th, title, ts, true)
	r.centredText(b.X+b.W/2, b.Y+2*gap+th+0.86*sh, sub, ss, true)
}

func (r *renderer) studentInfo(s *InfoBox) {
	pdf := r.pdf
	n := len(s.Fields)
	if n == 0 {
		return
	}
	size := 10.5
	cell := s.W / float64(n)
	base := s.Y + s.H/2 + 0.35*ptToMM(size)
	pdf.SetLineWidth(thinLineW)
	for i, f := range s.Fields {
		x := s.X + float64(i)*cell
		label := f + "："
		r.text(x, base, label, size)
		lx := x + r.width(label, size)
		pdf.Line(lx, base+0.8, x+cell-3, base+0.8)
	}
}

func (r *renderer) notice(b Box) {
	pdf := r.pdf
	pdf.SetLineWidth(boxLineW)
	pdf.Rect(b.X, b.Y, b.W, b.H, "D")
	const titleSize = 10.0
	titleH := ptToMM(titleSize) + 2
	exampleH := r.t.Bubble.H + 3
	inner := b.W - 4
	var lines []string
	size := 8.0
	for ; size >= 5.5; size -= 0.5 {
		lines = r.wrapNotes(r.t.Notes, size, inner)
		if titleH+float64(len(lines))*ptToMM(size)*1.3+exampleH <= b.H-1 {
			break
		}
	}
	r.centredText(b.X+b.W/2, b.Y+1+0.86*ptToMM(titleSize), "注意事项", titleSize, true)
	lh := ptToMM(size) * 1.3
	y := b.Y + titleH + 0.86*ptToMM(size)
	for _, l := range lines {
		r.text(b.X+2, y, l, size)
		y += lh
	}
	r.fillExample(b.X+2, b.Y+b.H-exampleH+1)
}

// wrapNotes breaks each note to width, indenting continuation lines under
// the text after the note's number ("1．").
func (r *renderer) wrapNotes(notes []string, size, width float64) []string {
	var out []string
	for _, n := range notes {
		indent := ""
		if rs := []rune(n); len(rs) > 2 && (rs[1] == '．' || rs[1] == '.' || rs[1] == '、') {
			indent = strings.Repeat(" ", int(r.width(string(rs[:2]), size)/r.width(" ", size)+0.5))
		}
		line := ""
		for _, c := range n {
			// Closing punctuation hangs at the line end rather than
			// starting the next line, as Chinese typesetting does.
			if line != "" && !strings.ContainsRune("。，、；：？！）》」』”", c) && r.width(line+string(c), size) > width {
				out = append(out, line)
				line = indent
			}
			line += string(c)
		}
		out = append(out, line)
	}
	return out
}

// fillExample prints the 正确填涂 / 错误填涂 row with vector marks, so the
// example looks the same whatever glyphs the font has.
func (r *renderer) fillExample(x, y float64) {
	pdf := r.pdf
	bw, bh := r.t.Bubble.W, r.t.Bubble.H
	size := 8.0
	base := y + bh/2 + 0.35*ptToMM(size)
	r.text(x, base, "正确填涂", size)
	x += r.width("正确填涂", size) + 1.5
	cy := y + bh/2
	r.bubble(x+bw/2, cy, bw/2, bh/2, "")
	r.useBlack()
	if r.t.BubbleStyle == "ellipse" {
		pdf.Ellipse(x+bw/2, cy, bw/2, bh/2, 0, "F")
	} else {
		pdf.Rect(x, y, bw, bh, "F")
	}
	r.useInk()
	x += bw + 4
	r.text(x, base, "错误填涂", size)
	x += r.width("错误填涂", size) + 1.5
	for i := 0; i < 4; i++ {
		cx := x + bw/2
		r.bubble(cx, cy, bw/2, bh/2, "")
		r.useBlack()
		pdf.SetLineWidth(0.35)
		switch i {
		case 0: // tick
			pdf.MoveTo(cx-1.1, cy)
			pdf.LineTo(cx-0.3, cy+0.9)
			pdf.LineTo(cx+1.2, cy-1)
			pdf.DrawPath("D")
		case 1: // cross
			pdf.Line(cx-1, cy-0.9, cx+1, cy+0.9)
			pdf.Line(cx-1, cy+0.9, cx+1, cy-0.9)
		case 2: // dot
			pdf.Circle(cx, cy, 0.6, "F")
		case 3: // dash
			pdf.Line(cx-1.3, cy, cx+1.3, cy)
		}
		r.useInk()
		x += bw + 2
	}
}

func (r *renderer) barcode(b Box) {
	pdf := r.pdf
	pdf.SetLineWidth(boxLineW)
	pdf.SetDashPattern([]float64{1.5, 1}, 0)
	pdf.Rect(b.X, b.Y, b.W, b.H, "D")
	pdf.SetDashPattern(nil, 0)
	size := r.fitSize("贴条形码区", 14, b.W-4)
	small := r.fitSize("（正面朝上，切勿贴出虚线框外）", 7.5, b.W-4)
	total := ptToMM(size) + 2 + ptToMM(small)
	top := b.Y + (b.H-total)/2
	r.centredText(b.X+b.W/2, top+0.86*ptToMM(size), "贴条形码区", size, true)
	r.centredText(b.X+b.W/2, top+ptToMM(size)+2+0.86*ptToMM(small), "（正面朝上，切勿贴出虚线框外）", small, false)
}

func (r *renderer) examNumberFrame(e *ExamNumberGrid) {
	pdf := r.pdf
	f := examNumberFrame(e)
	pdf.SetLineWidth(boxLineW)
	pdf.Rect(f.x, f.y, f.w, f.h, "D")
	pdf.SetLineWidth(thinLineW)
	pdf.Line(f.x, f.y+gridTitleH, f.right(), f.y+gridTitleH)
	pdf.Line(f.x, f.y+gridTitleH+gridWriteH, f.right(), f.y+gridTitleH+gridWriteH)
	r.centredText(f.x+f.w/2, f.y+gridTitleH/2+0.35*ptToMM(10.5), "考    号", 10.5, true)
	for col := 0; col < e.Digits; col++ {
		x := e.X + gridPad + float64(col)*e.ColPitch
		pdf.Rect(x+0.4, f.y+gridTitleH+1, e.ColPitch-0.8, gridWriteH-2, "D")
	}
}

// markLabel prints a mark's label right-aligned just left of its bubble.
func (r *renderer) markLabel(x, y float64, label string) {
	w := r.width(label, markLabelSize)
	r.text(x-markLabelGap-w, y+r.t.Bubble.H/2+0.35*ptToMM(markLabelSize), label, markLabelSize)
}

// bubble draws one bubble outline centred at (cx, cy) with the outline's
// centre line at half size (rx, ry), and its label inside.
func (r *renderer) bubble(cx, cy, rx, ry float64, label string) {
	pdf := r.pdf
	pdf.SetLineWidth(bubbleLineW)
	if r.t.BubbleStyle == "ellipse" {
		pdf.Ellipse(cx, cy, rx, ry, 0, "D")
	} else {
		// The Chinese bracket box: two square brackets facing each other.
		s := min(2*rx*0.22, 1.2)
		pdf.MoveTo(cx-rx+s, cy-ry)
		pdf.LineTo(cx-rx, cy-ry)
		pdf.LineTo(cx-rx, cy+ry)
		pdf.LineTo(cx-rx+s, cy+ry)
		pdf.DrawPath("D")
		pdf.MoveTo(cx+rx-s, cy-ry)
		pdf.LineTo(cx+rx, cy-ry)
		pdf.LineTo(cx+rx, cy+ry)
		pdf.LineTo(cx+rx-s, cy+ry)
		pdf.DrawPath("D")
	}
	switch label {
	case "":
	case "✓", "√":
		pdf.SetLineWidth(0.3)
		pdf.MoveTo(cx-0.6*ry, cy)
		pdf.LineTo(cx-0.15*ry, cy+0.5*ry)
		pdf.LineTo(cx+0.65*ry, cy-0.5*ry)
		pdf.DrawPath("D")
	case "✗", "×", "✕":
		pdf.SetLineWidth(0.3)
		pdf.Line(cx-0.45*ry, cy-0.45*ry, cx+0.45*ry, cy+0.45*ry)
		pdf.Line(cx-0.45*ry, cy+0.45*ry, cx+0.45*ry, cy-0.45*ry)
	default:
		em := 2 * ry * 0.8
		size := em * 72 / 25.4
		r.text(cx-r.width(label, size)/2, cy+0.35*em, label, size)
	}
}

func (r *renderer) subjective(s *SubjectiveBox) {
	pdf := r.pdf
	pdf.SetLineWidth(boxLineW)
	pdf.Rect(s.X, s.Y, s.W, s.H, "D")
	title := s.Title
	if title == "" {
		title = s.Group + s.Sub + "."
	}
	score := "（本题满分" + formatScore(s.MaxScore) + "分）"
	if s.Sub != "" {
		score = "（" + formatScore(s.MaxScore) + "分）"
	}
	const size = 10.0
	base := s.Y + 1.5 + 0.86*ptToMM(size)
	r.boldText(s.X+2, base, title, size)
	r.text(s.X+2+r.width(title, size)+1, base, score, size)
	if s.Lines > 0 {
		top := s.Y + 3 + ptToMM(size) + 1
		step := (s.Y + s.H - 2 - top) / float64(s.Lines)
		pdf.SetLineWidth(thinLineW)
		for i := 1; i <= s.Lines; i++ {
			y := top + float64(i)*step
			pdf.Line(s.X+3, y, s.X+s.W-3, y)
		}
	}
}

func formatScore(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// qr draws the page code as one filled path, so adjacent modules merge
// without the hairline seams separate rectangles leave after anti-aliasing.
func (r *renderer) qr(payload string, x, y, size float64) error {
	hints := map[gozxing.EncodeHintType]interface{}{
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_M,
		gozxing.EncodeHintType_MARGIN:           0,
	}
	m, err := qrcode.NewQRCodeWriter().Encode(payload, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return fmt.Errorf("encode page QR code: %w", err)
	}
	n := m.GetWidth()
	mod := size / float64(n)
	pdf := r.pdf
	any := false
	for j := 0; j < n; j++ {
		for i := 0; i < n; {
			if !m.Get(i, j) {
				i++
				continue
			}
			k := i
			for k < n && m.Get(k, j) {
				k++
			}
			x0, x1 := x+float64(i)*mod, x+float64(k)*mod
			y0, y1 := y+float64(j)*mod, y+float64(j+1)*mod
			pdf.MoveTo(x0, y0)
			pdf.LineTo(x1, y0)
			pdf.LineTo(x1, y1)
			pdf.LineTo(x0, y1)
			pdf.ClosePath()
			any = true
			i = k
		}
	}
	if any {
		pdf.DrawPath("F")
	}
	return nil
}
