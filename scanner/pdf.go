package scanner

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of embedded page images
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// A PDF from a scanner's software is, almost always, one JPEG per page
// stored as-is (DCTDecode). decodePDF takes those JPEGs out in pure Go, so
// the county gets the scanner's own bytes and Windows stations need no
// extra program. A PDF whose pages are not plain JPEGs (CCITT or Flate
// images, compressed object streams, vector pages) is rendered with
// pdftoppm from poppler-utils at 200 dpi grey when that program is on
// PATH (the county's Linux servers have it); otherwise it is refused with
// what to do instead.

var (
	pdfObjStart = regexp.MustCompile(`(\d+)\s+(\d+)\s+obj\s*<<`)
	pdfPageType = regexp.MustCompile(`/Type\s*/Page\b[^s]`)
	pdfImage    = regexp.MustCompile(`/Subtype\s*/Image\b`)
	pdfDCT      = regexp.MustCompile(`/Filter\s*(\[\s*)?/DCTDecode\s*\]?`)
	pdfLength   = regexp.MustCompile(`/Length\s+(\d+)(\s+(\d+)\s+R)?`)
)

// minPageSide is the smallest image a PDF page scan can be; logos and
// thumbnails are smaller and are not pages.
const minPageSide = 300

func decodePDF(name string, data []byte) ([]Image, error) {
	jpegs := pdfJPEGs(data)
	pages := len(pdfPageType.FindAllIndex(data, -1))
	if len(jpegs) > 0 && (pages == 0 || pages == len(jpegs)) {
		out := make([]Image, len(jpegs))
		for i, j := range jpegs {
			out[i] = Image{Name: name + "#" + strconv.Itoa(i+1), Data: j}
		}
		return out, nil
	}
	if _, err := exec.LookPath("pdftoppm"); err == nil {
		return renderPDF(name, data)
	}
	return nil, fmt.Errorf("%s: the PDF's pages are not plain JPEG scans (%d pages, %d JPEG images) and pdftoppm (poppler-utils) is not installed: "+
		"have the scanner software save JPEG or TIFF files instead", name, pages, len(jpegs))
}

// pdfJPEGs returns the page-sized JPEG image streams in file order, which
// is page order in scanner-made PDFs.
func pdfJPEGs(data []byte) [][]byte {
	var out [][]byte
	for _, m := range pdfObjStart.FindAllIndex(data, -1) {
		dictStart := m[1] - 2
		dictEnd := pdfDictEnd(data, dictStart)
		if dictEnd < 0 {
			continue
		}
		dict := data[dictStart:dictEnd]
		if !pdfImage.Match(dict) || !pdfDCT.Match(dict) {
			continue
		}
		rest := data[dictEnd:]
		i := bytes.Index(rest, []byte("stream"))
		if i < 0 || len(bytes.TrimSpace(rest[:i])) != 0 {
			continue
		}
		start := dictEnd + i + len("stream")
		if start < len(data) && data[start] == '\r' {
			start++
		}
		if start < len(data) && data[start] == '\n' {
			start++
		}
		length := pdfStreamLength(data, dict)
		var stream []byte
		if length > 0 && start+length <= len(data) {
			stream = data[start : start+length]
		} else if e := bytes.Index(data[start:], []byte("endstream")); e >= 0 {
			stream = bytes.TrimRight(data[start:start+e], "\r\n")
		}
		if !isJPEG(stream) {
			continue
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(stream))
		if err != nil || cfg.Width < minPageSide || cfg.Height < minPageSide {
			continue
		}
		out = append(out, stream)
	}
	return out
}

// pdfDictEnd returns the index just past the ">>" closing the dictionary
// that opens at start, minding nested dictionaries and strings.
func pdfDictEnd(data []byte, start int) int {
	depth := 0
	for i := start; i+1 < len(data); i++ {
		switch {
		case data[i] == '(': // literal string: skip, it may hold "<<"
			for nest := 0; i < len(data); i++ {
				if data[i] == '\\' {
					i++
				} else if data[i] == '(' {
					nest++
				} else if data[i] == ')' {
					if nest--; nest == 0 {
						break
					}
				}
			}
		case data[i] == '<' && data[i+1] == '<':
			depth++
			i++
		case data[i] == '>' && data[i+1] == '>':
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// pdfStreamLength reads /Length, following an indirect reference ("12 0 R").
func pdfStreamLength(data, dict []byte) int {
	m := pdfLength.FindSubmatch(dict)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	if m[2] == nil {
		return n
	}
	re := regexp.MustCompile(`(?:^|\s)` + string(m[1]) + `\s+` + string(m[3]) + `\s+obj\s*(\d+)\s*endobj`)
	if ref := re.FindSubmatch(data); ref != nil {
		v, _ := strconv.Atoi(string(ref[1]))
		return v
	}
	return -1
}

// renderPDF rasterises every page with pdftoppm at 200 dpi grey, the
// resolution the cards are read at.
func renderPDF(name string, data []byte) ([]Image, error) {
	dir, err := os.MkdirTemp("", "saoyue-pdf-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pdftoppm", "-r", "200", "-gray", "-png", in, filepath.Join(dir, "page"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: pdftoppm could not render the PDF: %v: %s", name, err, bytes.TrimSpace(out))
	}
	files, err := filepath.Glob(filepath.Join(dir, "page-*.png"))
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return naturalLess(files[i], files[j]) })
	out := make([]Image, 0, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, Image{Name: name + "#" + strconv.Itoa(i+1), Data: b})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the PDF has no pages", name)
	}
	return out, nil
}
