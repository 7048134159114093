package scanner

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of embedded page images
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// A PDF from a scanner's software is, almost always, one JPEG per page
// stored as-is (DCTDecode). decodePDF follows the page tree to the image
// each page draws and takes those JPEGs out in pure Go, so
// the county gets the scanner's own bytes and Windows stations need no
// extra program. A PDF whose pages are not plain JPEGs (CCITT or Flate
// images, compressed object streams, vector pages) is rendered with
// pdftoppm from poppler-utils at 200 dpi grey when that program is on
// PATH (the county's Linux servers have it); otherwise it is refused with
// what to do instead.

var (
	pdfObj     = regexp.MustCompile(`(?:^|[^0-9])(\d+)\s+(\d+)\s+obj\b`)
	pdfRef     = regexp.MustCompile(`^\s*(\d+)\s+(\d+)\s+R`)
	pdfRefs    = regexp.MustCompile(`(\d+)\s+\d+\s+R`)
	pdfDo      = regexp.MustCompile(`/([^\s/\[\]<>()]+)\s+Do\b`)
	pdfLength  = regexp.MustCompile(`/Length\s+(\d+)\s*[/>\s]`)
	pdfNameRef = regexp.MustCompile(`/([^\s/\[\]<>()]+)\s+(\d+)\s+\d+\s+R`)
)

// minPageSide is the smallest image a PDF page scan can be; logos and
// thumbnails are smaller and are not pages.
const minPageSide = 300

func decodePDF(name string, data []byte) ([]Image, error) {
	d := parsePDF(data)
	jpegs, ok := d.pageJPEGs()
	if ok {
		out := make([]Image, len(jpegs))
		for i, j := range jpegs {
			out[i] = Image{Name: name + "#" + strconv.Itoa(i+1), Data: j}
		}
		return out, nil
	}
	if _, err := exec.LookPath("pdftoppm"); err == nil {
		return renderPDF(name, data)
	}
	return nil, fmt.Errorf("%s: the PDF's pages are not plain JPEG scans and pdftoppm (poppler-utils) is not installed: "+
		"have the scanner software save JPEG or TIFF files instead", name)
}

// pdfDoc is just enough of a PDF to follow the page tree: where each
// object starts. Files whose objects sit in compressed object streams are
// not followed (pageJPEGs says so, and pdftoppm takes over).
type pdfDoc struct {
	data []byte
	objs map[int]int // object number -> offset just after "obj"
}

func parsePDF(data []byte) *pdfDoc {
	d := &pdfDoc{data: data, objs: map[int]int{}}
	for _, m := range pdfObj.FindAllSubmatchIndex(data, -1) {
		n, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		d.objs[n] = m[1] // a later definition (incremental update) wins
	}
	return d
}

// object returns the text of an object from its start: its dictionary
// (if any) is at the front.
func (d *pdfDoc) object(n int) []byte {
	off, ok := d.objs[n]
	if !ok {
		return nil
	}
	return d.data[off:]
}

// dict returns the dictionary an object holds, or nil.
func (d *pdfDoc) dict(n int) []byte {
	obj := bytes.TrimLeft(d.object(n), " \t\r\n")
	if !bytes.HasPrefix(obj, []byte("<<")) {
		return nil
	}
	end := pdfDictEnd(obj, 0)
	if end < 0 {
		return nil
	}
	return obj[:end]
}

// value returns the value of key in the dictionary text: a nested
// dictionary, an array, or the dictionary of the object a reference
// points to.
func (d *pdfDoc) value(dict []byte, key string) []byte { return d.lookup(dict, key, true) }

// raw is value without following a reference: "4 0 R" stays as it is.
func (d *pdfDoc) raw(dict []byte, key string) []byte { return d.lookup(dict, key, false) }

func (d *pdfDoc) lookup(dict []byte, key string, follow bool) []byte {
	re := regexp.MustCompile(`/` + regexp.QuoteMeta(key) + `\b\s*`)
	// Skip the outer "<<" so nested keys of the same name are found only
	// after the top-level one.
	loc := re.FindIndex(dict)
	if loc == nil {
		return nil
	}
	v := dict[loc[1]:]
	switch {
	case bytes.HasPrefix(v, []byte("<<")):
		if end := pdfDictEnd(v, 0); end > 0 {
			return v[:end]
		}
	case bytes.HasPrefix(v, []byte("[")):
		if end := bytes.IndexByte(v, ']'); end > 0 {
			return v[:end+1]
		}
	default:
		if m := pdfRef.FindSubmatch(v); m != nil {
			if !follow {
				return m[0]
			}
			n, _ := strconv.Atoi(string(m[1]))
			if dd := d.dict(n); dd != nil {
				return dd
			}
			return m[0] // a reference to a non-dictionary (a stream array, a number)
		}
	}
	return nil
}

func refNumbers(b []byte) []int {
	var out []int
	for _, m := range pdfRefs.FindAllSubmatch(b, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		out = append(out, n)
	}
	return out
}

// stream returns an object's stream, decompressed when it is Flate.
func (d *pdfDoc) stream(n int) (dict, body []byte, ok bool) {
	dict = d.dict(n)
	if dict == nil {
		return nil, nil, false
	}
	obj := bytes.TrimLeft(d.object(n), " \t\r\n")
	rest := obj[len(dict):]
	i := bytes.Index(rest, []byte("stream"))
	if i < 0 || len(bytes.TrimSpace(rest[:i])) != 0 {
		return nil, nil, false
	}
	rest = rest[i+len("stream"):]
	rest = bytes.TrimPrefix(rest, []byte("\r"))
	rest = bytes.TrimPrefix(rest, []byte("\n"))
	length := -1
	if m := pdfRef.FindSubmatch(d.raw(dict, "Length")); m != nil { // indirect: "12 0 obj 41024 endobj"
		ln, _ := strconv.Atoi(string(m[1]))
		fmt.Sscan(string(d.object(ln)), &length)
	} else if m := pdfLength.FindSubmatch(dict); m != nil {
		length, _ = strconv.Atoi(string(m[1]))
	}
	switch {
	case length >= 0 && length <= len(rest):
		body = rest[:length]
	default:
		e := bytes.Index(rest, []byte("endstream"))
		if e < 0 {
			return nil, nil, false
		}
		body = bytes.TrimRight(rest[:e], "\r\n")
	}
	if bytes.Contains(dict, []byte("/FlateDecode")) && !bytes.Contains(dict, []byte("/DCTDecode")) {
		zr, err := zlib.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, nil, false
		}
		defer zr.Close()
		body, err = io.ReadAll(io.LimitReader(zr, 64<<20))
		if err != nil {
			return nil, nil, false
		}
	}
	return dict, body, true
}

// pages returns the page objects in page-tree order, each with the
// resources it has or inherits.
func (d *pdfDoc) pages() (pages []int, resources map[int][]byte) {
	resources = map[int][]byte{}
	var root []byte
	for n := range d.objs {
		if dict := d.dict(n); dict != nil && regexp.MustCompile(`/Type\s*/Catalog\b`).Match(dict) {
			root = d.value(dict, "Pages")
		}
	}
	seen := map[int]bool{}
	var walk func(node []byte, inherited []byte, depth int)
	walk = func(node []byte, inherited []byte, depth int) {
		if depth > 32 {
			return
		}
		if r := d.value(node, "Resources"); r != nil {
			inherited = r
		}
		for _, k := range refNumbers(d.value(node, "Kids")) {
			if seen[k] {
				continue
			}
			seen[k] = true
			kid := d.dict(k)
			if regexp.MustCompile(`/Type\s*/Pages\b`).Match(kid) {
				walk(kid, inherited, depth+1)
			} else if regexp.MustCompile(`/Type\s*/Page\b`).Match(kid) {
				res := inherited
				if r := d.value(kid, "Resources"); r != nil {
					res = r
				}
				pages = append(pages, k)
				resources[k] = res
			}
		}
	}
	if root != nil {
		walk(root, nil, 0)
	}
	return pages, resources
}

// pageJPEGs returns, for every page in order, the page-sized JPEG it
// draws; ok is false unless every page has exactly that.
func (d *pdfDoc) pageJPEGs() (out [][]byte, ok bool) {
	pages, resources := d.pages()
	if len(pages) == 0 {
		return nil, false
	}
	for _, pg := range pages {
		xobjects := d.value(resources[pg], "XObject")
		byName := map[string]int{}
		for _, m := range pdfNameRef.FindAllSubmatch(xobjects, -1) {
			n, _ := strconv.Atoi(string(m[2]))
			byName[string(m[1])] = n
		}
		var drawn []string
		contents := d.raw(d.dict(pg), "Contents")
		for _, c := range refNumbers(contents) {
			if _, body, ok := d.stream(c); ok {
				for _, m := range pdfDo.FindAllSubmatch(body, -1) {
					drawn = append(drawn, string(m[1]))
				}
			}
		}
		var found []byte
		for _, name := range drawn {
			dict, body, ok := d.stream(byName[name])
			if !ok || !bytes.Contains(dict, []byte("/DCTDecode")) || !isJPEG(body) {
				continue
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
			if err != nil || cfg.Width < minPageSide || cfg.Height < minPageSide {
				continue
			}
			if found != nil {
				return nil, false // two page images on one page: render it instead
			}
			found = body
		}
		if found == nil {
			return nil, false
		}
		out = append(out, found)
	}
	return out, true
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
