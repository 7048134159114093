package card

import "github.com/go-pdf/fpdf"

// Text on the project's PDFs (cards' captions, labels, room lists,
// reports): the Chinese font, added to the document as "cjk", has no Latin
// glyphs (digits would print as boxes), so runs of ASCII are set in
// Helvetica, a PDF core font that needs no file.

type textRun struct {
	ascii bool
	text  string
}

func textRuns(s string) []textRun {
	var runs []textRun
	for _, r := range s {
		ascii := r < 0x80
		if n := len(runs); n > 0 && runs[n-1].ascii == ascii {
			runs[n-1].text += string(r)
			continue
		}
		runs = append(runs, textRun{ascii: ascii, text: string(r)})
	}
	return runs
}

func setRunFont(pdf *fpdf.Fpdf, ascii bool, size float64) {
	if ascii {
		pdf.SetFont("Helvetica", "", size)
	} else {
		pdf.SetFont("cjk", "", size)
	}
}

// TextWidth is the width in mm of s set at size points.
func TextWidth(pdf *fpdf.Fpdf, size float64, s string) float64 {
	w := 0.0
	for _, r := range textRuns(s) {
		setRunFont(pdf, r.ascii, size)
		w += pdf.GetStringWidth(r.text)
	}
	return w
}

// Text sets s at size points with its baseline at y, starting at x.
func Text(pdf *fpdf.Fpdf, x, y, size float64, s string) {
	for _, r := range textRuns(s) {
		setRunFont(pdf, r.ascii, size)
		pdf.Text(x, y, r.text)
		x += pdf.GetStringWidth(r.text)
	}
}
