package omr

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/saoyue/saoyue/card"
)

var (
	readerOnce sync.Once
	testReader *Reader
	readerErr  error
)

func loadTemplate(t testing.TB, name string) *card.Template {
	t.Helper()
	tp, err := card.Load(filepath.Join("..", "fixtures", "templates", name))
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func sharedReader(t testing.TB) *Reader {
	t.Helper()
	readerOnce.Do(func() {
		var ts []*card.Template
		for _, n := range []string{"math-a4.yaml", "english-a3.yaml"} {
			tp, err := card.Load(filepath.Join("..", "fixtures", "templates", n))
			if err != nil {
				readerErr = err
				return
			}
			ts = append(ts, tp)
		}
		testReader, readerErr = NewReader(ts, DefaultOptions())
	})
	if readerErr != nil {
		t.Fatal(readerErr)
	}
	return testReader
}

// blankRaster renders a template page as the printer would and rasterises
// it in grey at dpi.
func blankRaster(t testing.TB, tp *card.Template, page int, dpi float64) *image.Gray {
	t.Helper()
	var pdf bytes.Buffer
	if err := card.RenderPDF(tp, &pdf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "c.pdf")
	os.WriteFile(in, pdf.Bytes(), 0o644)
	out, err := exec.Command("pdftoppm", "-r", strconv.FormatFloat(dpi, 'f', -1, 64), "-gray", "-png", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), in, filepath.Join(dir, "p")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	sort.Strings(files)
	data, _ := os.ReadFile(files[0])
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := planesOf(img)
	return g
}

// pencil darkens an ellipse like a 2B fill: level is the grey of graphite.
func pencil(img *image.Gray, b card.Bubble, level uint8, cover float64) {
	for y := int(b.CY - b.RY*1.1); y <= int(b.CY+b.RY*1.1); y++ {
		for x := int(b.CX - b.RX*1.1); x <= int(b.CX+b.RX*1.1); x++ {
			dx, dy := (float64(x)+0.5-b.CX)/(b.RX*1.05), (float64(y)+0.5-b.CY)/(b.RY*1.05)
			if dx*dx+dy*dy > cover {
				continue
			}
			i := y*img.Stride + x
			if img.Pix[i] > level {
				img.Pix[i] = level
			}
		}
	}
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rotate180(img *image.Gray) *image.Gray {
	out := image.NewGray(img.Rect)
	n := len(img.Pix)
	for i := range img.Pix {
		out.Pix[n-1-i] = img.Pix[i]
	}
	return out
}

func TestReadFilledMathPage(t *testing.T) {
	r := sharedReader(t)
	tp := loadTemplate(t, "math-a4.yaml")
	doc, err := card.Layout(tp, 200)
	if err != nil {
		t.Fatal(err)
	}
	img := blankRaster(t, tp, 1, 200)
	want := map[int]string{}
	examNo := "2101230417"
	for _, b := range doc.Pages[0].Bubbles {
		switch {
		case b.Kind == card.BubbleOption && b.Item%4 == b.Index && b.Item != 7:
			pencil(img, b, 70, 1)
			want[b.Item] += b.Option
		case b.Kind == card.BubbleGrid && string(examNo[b.Column]) == b.Option:
			pencil(img, b, 60, 1)
		case b.Kind == card.BubbleForm && b.Option == "A":
			pencil(img, b, 60, 1)
		}
	}
	for _, upside := range []bool{false, true} {
		page := img
		if upside {
			page = rotate180(img)
		}
		res := r.Read("p1.jpg", encodeJPEG(t, page, 85))
		if len(res.Exceptions) > 0 {
			t.Fatalf("exceptions: %+v", res.Exceptions)
		}
		if res.Template != tp.ID || res.Page != 1 {
			t.Fatalf("identified as %s page %d", res.Template, res.Page)
		}
		if wantRot := map[bool]int{false: 0, true: 180}[upside]; res.Rotation != wantRot {
			t.Errorf("rotation %d, want %d", res.Rotation, wantRot)
		}
		for _, it := range res.Items {
			got := ""
			for _, c := range it.Chosen {
				got += c
			}
			if got != want[it.Number] {
				t.Errorf("item %d: read %q (%s), want %q; options %+v", it.Number, got, it.Status, want[it.Number], it.Options)
			}
		}
		if res.ExamNo == nil || res.ExamNo.Grid != examNo {
			t.Errorf("exam number grid %+v, want %s", res.ExamNo, examNo)
		}
		if res.Form != "A" {
			t.Errorf("form %q, want A", res.Form)
		}
		if math.Abs(res.DPI-200) > 2 {
			t.Errorf("dpi %v", res.DPI)
		}
		if len(res.Crops) != 3 { // groups 26, 27 and 28 (two boxes, one crop)
			t.Errorf("%d crops, want 3", len(res.Crops))
		}
	}
}
