package card

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

var sampleFiles = []string{"math-a4.yaml", "english-a3.yaml", "questionnaire.yaml"}

// renderSample renders a fixture to a PDF file in dir.
func renderSample(t *testing.T, name, dir string) (*Template, string) {
	t.Helper()
	tpl, err := Load(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	var buf bytes.Buffer
	if err := RenderPDF(tpl, &buf); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	path := filepath.Join(dir, strings.TrimSuffix(name, ".yaml")+".pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return tpl, path
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is required to check printed cards against their layout: install poppler-utils (apt-get install -y poppler-utils)", name)
	}
}

// rasterize runs `pdftoppm -r dpi -gray` — the reference the layout's pixel
// convention is defined against — and returns one grey image per page.
func rasterize(t *testing.T, pdf string, dpi float64) []*image.Gray {
	t.Helper()
	requireTool(t, "pdftoppm")
	prefix := filepath.Join(t.TempDir(), "p")
	out, err := exec.Command("pdftoppm", "-r", fmt.Sprint(dpi), "-gray", pdf, prefix).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	files, _ := filepath.Glob(prefix + "-*.pgm")
	sort.Strings(files)
	var pages []*image.Gray
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := decodePGM(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pages = append(pages, g)
	}
	return pages
}

// decodePGM reads the binary (P5) 8-bit grey maps pdftoppm writes.
func decodePGM(data []byte) (*image.Gray, error) {
	var magic string
	var w, h, maxv int
	r := bytes.NewReader(data)
	if _, err := fmt.Fscan(r, &magic, &w, &h, &maxv); err != nil || magic != "P5" {
		return nil, fmt.Errorf("not a binary PGM file: %v", err)
	}
	if maxv != 255 {
		return nil, fmt.Errorf("PGM max value %d, want 255", maxv)
	}
	pix := data[len(data)-r.Len()+1:] // one whitespace byte ends the header
	if len(pix) != w*h {
		return nil, fmt.Errorf("PGM has %d bytes of pixels, want %dx%d", len(pix), w, h)
	}
	return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}, nil
}

// darkBox is the bounding box, as pixel edges, of the pixels darker than
// threshold inside r grown by margin pixels.
func darkBox(img *image.Gray, r Rect, margin float64, threshold uint8) (x0, y0, x1, y1 int, ok bool) {
	b := img.Bounds()
	wx0 := max(int(math.Floor(r.X-margin)), b.Min.X)
	wy0 := max(int(math.Floor(r.Y-margin)), b.Min.Y)
	wx1 := min(int(math.Ceil(r.X+r.W+margin)), b.Max.X)
	wy1 := min(int(math.Ceil(r.Y+r.H+margin)), b.Max.Y)
	x0, y0, x1, y1 = wx1, wy1, wx0, wy0
	for y := wy0; y < wy1; y++ {
		for x := wx0; x < wx1; x++ {
			if img.GrayAt(x, y).Y < threshold {
				ok = true
				x0, y0 = min(x0, x), min(y0, y)
				x1, y1 = max(x1, x+1), max(y1, y+1)
			}
		}
	}
	return
}

// inkThreshold is halfway between paper and the ink's grey, so a pixel
// counts as ink when the ink covers more than half of it.
func inkThreshold(color string) uint8 {
	ink := inkBlack
	if color == "red" {
		ink = inkRed
	}
	grey := 0.299*float64(ink[0]) + 0.587*float64(ink[1]) + 0.114*float64(ink[2])
	return uint8((255 + grey) / 2)
}

// TestLayoutMatchesRaster prints every sample card, rasterises it like a
// scanner would see a perfect scan, and checks that each fiducial, QR code,
// frame and bubble outline in the layout is where the ink is, to one pixel.
func TestLayoutMatchesRaster(t *testing.T) {
	dir := t.TempDir()
	for _, name := range sampleFiles {
		tpl, pdf := renderSample(t, name, dir)
		for _, dpi := range []float64{200, 300} {
			t.Run(fmt.Sprintf("%s@%v", name, dpi), func(t *testing.T) {
				doc, err := Layout(tpl, dpi)
				if err != nil {
					t.Fatal(err)
				}
				pages := rasterize(t, pdf, dpi)
				if len(pages) != len(doc.Pages) {
					t.Fatalf("PDF has %d pages, layout %d", len(pages), len(doc.Pages))
				}
				const tol = 1.0 // pixels
				worst := 0.0
				for pi, pl := range doc.Pages {
					img := pages[pi]
					if b := img.Bounds(); b.Dx() != pl.WidthPx || b.Dy() != pl.HeightPx {
						t.Errorf("page %d: raster is %dx%d px, layout says %dx%d", pl.Page, b.Dx(), b.Dy(), pl.WidthPx, pl.HeightPx)
					}
					check := func(what string, r Rect, threshold uint8) {
						x0, y0, x1, y1, ok := darkBox(img, r, 3, threshold)
						if !ok {
							t.Errorf("page %d %s: no ink near %+v", pl.Page, what, r)
							return
						}
						d := []float64{float64(x0) - r.X, float64(y0) - r.Y, float64(x1) - (r.X + r.W), float64(y1) - (r.Y + r.H)}
						for _, v := range d {
							worst = max(worst, math.Abs(v))
							if math.Abs(v) > tol {
								t.Errorf("page %d %s: ink spans x %d-%d y %d-%d px, layout says x %.2f-%.2f y %.2f-%.2f",
									pl.Page, what, x0, x1, y0, y1, r.X, r.X+r.W, r.Y, r.Y+r.H)
								return
							}
						}
					}
					ink := inkThreshold(tpl.Color)
					for _, r := range pl.Regions {
						switch r.Kind {
						case RegionFiducial, RegionQR:
							check(string(r.Kind)+" "+r.Name, r.Rect, 128) // always black
						case RegionSubjective, RegionBarcode, RegionExamNumber:
							check(string(r.Kind)+" "+r.Name, r.Rect, ink)
						}
					}
					for _, b := range pl.Bubbles {
						check(fmt.Sprintf("%s bubble item %d option %s col %d", b.Kind, b.Item, b.Option, b.Column), b.Rect, ink)
						// The centre and radii describe the same outline.
						if !near(b.Rect.X+b.Rect.W/2, b.CX) || !near(b.Rect.Y+b.Rect.H/2, b.CY) {
							t.Errorf("bubble %+v: centre is not the middle of its rect", b)
						}
					}
				}
				t.Logf("largest difference between layout and ink: %.2f px", worst)
			})
		}
	}
}

// TestQRCodeReadsBack decodes each page's QR code from the raster and
// checks it names the template, page and form.
func TestQRCodeReadsBack(t *testing.T) {
	dir := t.TempDir()
	for _, name := range sampleFiles {
		tpl, pdf := renderSample(t, name, dir)
		doc, err := Layout(tpl, 200)
		if err != nil {
			t.Fatal(err)
		}
		pages := rasterize(t, pdf, 200)
		for pi, pl := range doc.Pages {
			var qr Region
			for _, r := range pl.Regions {
				if r.Kind == RegionQR {
					qr = r
				}
			}
			m := 2 * 200 / 25.4 // the 2 mm quiet zone the validator keeps clear
			crop := pages[pi].SubImage(image.Rect(int(qr.Rect.X-m), int(qr.Rect.Y-m), int(qr.Rect.X+qr.Rect.W+m), int(qr.Rect.Y+qr.Rect.H+m)))
			bmp, err := gozxing.NewBinaryBitmapFromImage(crop)
			if err != nil {
				t.Fatal(err)
			}
			res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
			if err != nil {
				t.Errorf("%s page %d: QR code does not decode: %v", name, pi+1, err)
				continue
			}
			id, err := ParsePageCode(res.GetText())
			if err != nil {
				t.Errorf("%s page %d: %v", name, pi+1, err)
				continue
			}
			if id.TemplateID != tpl.ID || id.Page != pi+1 || res.GetText() != qr.Payload {
				t.Errorf("%s page %d: QR says %q (%+v), layout says %q", name, pi+1, res.GetText(), id, qr.Payload)
			}
		}
	}
}

func TestRenderFormOverride(t *testing.T) {
	tpl, err := Load(filepath.Join(fixtures, "questionnaire.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := RenderPDFWithOptions(tpl, &a, RenderOptions{Form: "A"}); err != nil {
		t.Fatal(err)
	}
	if err := RenderPDFWithOptions(tpl, &b, RenderOptions{Form: "B"}); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("A and B cards are identical; the form must change the page code")
	}
	if err := RenderPDFWithOptions(tpl, &a, RenderOptions{Form: "C"}); err == nil {
		t.Error("form C accepted")
	}
	// Same input, same bytes: printed batches can be compared by hash.
	var c bytes.Buffer
	if err := RenderPDFWithOptions(tpl, &c, RenderOptions{Form: "B"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), c.Bytes()) {
		t.Error("rendering is not deterministic")
	}
}

// TestPDFHasChineseText checks the text layer, which is how we know the
// CJK font is embedded with a usable character map.
func TestPDFHasChineseText(t *testing.T) {
	requireTool(t, "pdftotext")
	dir := t.TempDir()
	for _, name := range sampleFiles {
		tpl, pdf := renderSample(t, name, dir)
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", pdf, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext: %v\n%s", err, out)
		}
		text := string(out)
		want := []string{tpl.Title, tpl.Subject + "答题卡", "注意事项", "正确填涂", "错误填涂", "贴条形码区", "学校"}
		if tpl.Pages[0].Absent != nil {
			want = append(want, "缺考标记", "违纪标记")
		}
		if len(tpl.Pages[0].Subjective) > 0 {
			want = append(want, "（本题满分")
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: PDF text lacks %q", name, w)
			}
		}
		if pages := strings.Count(text, "\f"); pages != len(tpl.Pages) {
			t.Errorf("%s: %d PDF pages, want %d", name, pages, len(tpl.Pages))
		}
	}
}
