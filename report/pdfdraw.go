package report

import (
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/saoyue/saoyue/card"
)

// Drawing helpers for the PDF reports: the project's PDF stack (fpdf with
// the Droid CJK fallback font, as card/ and roster/ print). The CJK font
// has no Latin glyphs, so ASCII runs are set in Helvetica.

const (
	pageW, pageH = 210.0, 297.0 // A4 portrait, mm
	margin       = 15.0
	contentW     = pageW - 2*margin
)

func newReportPDF(title, fontPath string) (*fpdf.Fpdf, error) {
	path, err := card.FindFont(fontPath)
	if err != nil {
		return nil, err
	}
	font, err := readFontFile(path)
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetCreationDate(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetModificationDate(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	pdf.SetCatalogSort(true)
	pdf.SetTitle(title, true)
	pdf.AddUTF8FontFromBytes("cjk", "", font)
	if pdf.Err() {
		return nil, fmt.Errorf("load the Chinese font for the PDF report: %w", pdf.Error())
	}
	return pdf, nil
}

// sayRight ends s at x.
func sayRight(pdf *fpdf.Fpdf, x, y, size float64, s string) {
	card.Text(pdf, x-card.TextWidth(pdf, size, s), y, size, s)
}

// sayCentre centres s on cx.
func sayCentre(pdf *fpdf.Fpdf, cx, y, size float64, s string) {
	card.Text(pdf, cx-card.TextWidth(pdf, size, s)/2, y, size, s)
}

// paragraph wraps s into lines of at most w mm (CJK text breaks anywhere)
// from baseline y, and returns the baseline after the last line.
func paragraph(pdf *fpdf.Fpdf, x, y, w, size float64, s string) float64 {
	lead := size * 0.3528 * 1.6
	line := ""
	for _, r := range s {
		next := line + string(r)
		if card.TextWidth(pdf, size, next) > w && line != "" {
			card.Text(pdf, x, y, size, line)
			y += lead
			line = string(r)
			continue
		}
		line = next
	}
	if line != "" {
		card.Text(pdf, x, y, size, line)
		y += lead
	}
	return y
}

// table draws rows of cells with column widths; the first row is the
// header, shaded. Numbers are right-aligned. Returns the y below it.
func table(pdf *fpdf.Fpdf, x, y float64, widths []float64, rows [][]string, size float64) float64 {
	h := size*0.3528 + 3
	for i, row := range rows {
		cx := x
		if i == 0 {
			pdf.SetFillColor(221, 235, 247)
			pdf.Rect(x, y, sum(widths), h, "F")
		}
		for j, cell := range row {
			if j >= len(widths) {
				break
			}
			pdf.SetDrawColor(191, 191, 191)
			pdf.Rect(cx, y, widths[j], h, "D")
			base := y + h - 1.6
			if i > 0 && j > 0 && numeric(cell) {
				sayRight(pdf, cx+widths[j]-1.2, base, size, cell)
			} else {
				card.Text(pdf, cx+1.2, base, size, fit(pdf, size, cell, widths[j]-2.4))
			}
			cx += widths[j]
		}
		y += h
	}
	return y
}

func fit(pdf *fpdf.Fpdf, size float64, s string, w float64) string {
	for card.TextWidth(pdf, size, s) > w && len([]rune(s)) > 1 {
		rs := []rune(s)
		s = string(rs[:len(rs)-1])
	}
	return s
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '%' || r == '+' || r == '−') {
			return false
		}
	}
	return true
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// barSeries is one coloured series of a bar chart.
type barSeries struct {
	Name   string
	Values []float64 // NaN: no bar
	RGB    [3]int
}

// barChart draws grouped vertical bars of values between 0 and top with
// category labels below and a legend above, in the box x, y, w, h.
func barChart(pdf *fpdf.Fpdf, x, y, w, h float64, title string, cats []string, series []barSeries, top float64, percent bool) {
	card.Text(pdf, x, y+4, 10, title)
	lx := x + w
	for i := len(series) - 1; i >= 0; i-- {
		s := series[i]
		lx -= card.TextWidth(pdf, 8, s.Name) + 8
		pdf.SetFillColor(s.RGB[0], s.RGB[1], s.RGB[2])
		pdf.Rect(lx, y+1.3, 3, 3, "F")
		card.Text(pdf, lx+4, y+4, 8, s.Name)
	}
	px, py, pw, ph := x+12, y+8, w-12, h-16
	pdf.SetDrawColor(200, 200, 200)
	for k := 0; k <= 4; k++ {
		gy := py + ph - ph*float64(k)/4
		pdf.Line(px, gy, px+pw, gy)
		v := top * float64(k) / 4
		label := fmt.Sprintf("%g", math.Round(v*10)/10)
		if percent {
			label = fmt.Sprintf("%.0f%%", v*100)
		}
		sayRight(pdf, px-1, gy+1, 7, label)
	}
	if len(cats) == 0 {
		return
	}
	slot := pw / float64(len(cats))
	bw := math.Min(slot*0.8/float64(len(series)), 8)
	for c, cat := range cats {
		cx := px + slot*float64(c) + (slot-bw*float64(len(series)))/2
		for _, s := range series {
			if c < len(s.Values) && !math.IsNaN(s.Values[c]) {
				v := math.Max(0, math.Min(s.Values[c], top))
				bh := ph * v / top
				pdf.SetFillColor(s.RGB[0], s.RGB[1], s.RGB[2])
				pdf.Rect(cx, py+ph-bh, bw, bh, "F")
			}
			cx += bw
		}
		if len(cats) <= 30 || c%2 == 0 {
			sayCentre(pdf, px+slot*(float64(c)+0.5), py+ph+4, 6.5, fit(pdf, 6.5, cat, slot*1.9))
		}
	}
}

var (
	blue   = [3]int{68, 114, 196}
	orange = [3]int{237, 125, 49}
	grey   = [3]int{165, 165, 165}
)

var fontFiles = map[string][]byte{}

// readFontFile reads the 4 MB font once per process.
func readFontFile(path string) ([]byte, error) {
	fontMu.Lock()
	defer fontMu.Unlock()
	if b, ok := fontFiles[path]; ok {
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the Chinese font for the PDF report: %w", err)
	}
	fontFiles[path] = b
	return b, nil
}

var fontMu sync.Mutex
