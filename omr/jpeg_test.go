package omr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/fixtures"
)

// The reader decodes grey JPEGs itself, split across two cores; every
// figure of the accuracy corpora was measured on OpenCV's decode, so the
// pixels must be exactly OpenCV's, on one core or two, whatever the size.
func TestDecodeGraySplitEqualsIMDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// A grey page-like image: gradient, noise and some dark strokes.
	synth := func(w, h int) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := 200 + (x+y)%40 - rng.IntN(20)
				if (x/37+y/23)%5 == 0 {
					v = 40 + rng.IntN(30)
				}
				g.SetGray(x, y, color.Gray{Y: uint8(v)})
			}
		}
		return g
	}
	goJPEG := func(img image.Image, q int) []byte {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	cvJPEG := func(img *image.Gray, params ...int) []byte {
		m, err := gocv.NewMatFromBytes(img.Rect.Dy(), img.Rect.Dx(), gocv.MatTypeCV8U, img.Pix)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, m, params)
		if err != nil {
			t.Fatal(err)
		}
		defer buf.Close()
		return append([]byte(nil), buf.GetBytes()...)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"generated scan of the math card", benchPage(t)},
		{"odd size, Go encoder", goJPEG(synth(1001, 777), 85)},
		{"height one block row past the split", goJPEG(synth(400, 561), 60)},
		{"libjpeg encoder with restart markers", cvJPEG(synth(913, 1203), gocv.IMWriteJpegQuality, 90, gocv.IMWriteJpegRstInterval, 3)},
		{"libjpeg encoder, quality 100", cvJPEG(synth(640, 480), gocv.IMWriteJpegQuality, 100)},
	}
	// The corpora's own pages: every card, every level, both sides.
	for _, name := range []string{"math-a4.yaml", "english-a3.yaml", "questionnaire.yaml"} {
		for _, level := range []string{"clean", "typical", "hard"} {
			g, err := fixtures.NewGenerator(loadTemplate(t, name), fixtures.Options{Level: level, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				scans, err := g.Card(i)
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range scans {
					if !s.Truth.Color && bytes.HasPrefix(s.Image, []byte{0xFF, 0xD8, 0xFF}) {
						cases = append(cases, struct {
							name string
							data []byte
						}{fmt.Sprintf("%s %s %s", name, level, s.Name), s.Image})
					}
				}
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := gocv.IMDecode(c.data, gocv.IMReadUnchanged)
			if err != nil {
				t.Fatal(err)
			}
			defer want.Close()
			for _, alone := range []bool{true, false} {
				got, ok := splitDecode(c.data, alone)
				if !ok {
					t.Fatalf("alone=%v: not decoded", alone)
				}
				sameMat(t, got, want)
				got.Close()
			}
		})
	}

	// What it must leave to OpenCV.
	colour := image.NewRGBA(image.Rect(0, 0, 400, 400))
	for i := range colour.Pix {
		colour.Pix[i] = uint8(rng.IntN(256))
	}
	page := benchPage(t)
	damaged := append([]byte(nil), page...)
	for i := len(damaged) / 2; i < len(damaged)/2+64; i++ {
		damaged[i] = 0xFF // a run of marker bytes inside the entropy data
	}
	others := []struct {
		name string
		data []byte
	}{
		{"colour", goJPEG(colour, 90)},
		{"progressive", cvJPEG(synth(500, 500), gocv.IMWriteJpegProgressive, 1)},
		{"truncated", page[:len(page)*2/3]},
		{"damaged entropy data", damaged},
		{"not a JPEG", []byte("%PDF-1.4 hello")},
	}
	for _, c := range others {
		t.Run(c.name, func(t *testing.T) {
			for _, alone := range []bool{true, false} {
				if m, ok := splitDecode(c.data, alone); ok {
					m.Close()
					t.Fatalf("alone=%v: decoded; must be left to OpenCV", alone)
				}
			}
		})
	}
}

// splitDecode is decodeGraySplit given the size the header gives, as
// decode gives it (none for what has no readable header).
func splitDecode(data []byte, alone bool) (gocv.Mat, bool) {
	cfg, _, _ := image.DecodeConfig(bytes.NewReader(data))
	m, ok, _ := decodeGraySplit(data, cfg.Width, cfg.Height, alone)
	return m, ok
}

func sameMat(t *testing.T, got, want gocv.Mat) {
	t.Helper()
	if got.Rows() != want.Rows() || got.Cols() != want.Cols() || got.Type() != want.Type() {
		t.Fatalf("%dx%d type %v, want %dx%d type %v", got.Cols(), got.Rows(), got.Type(), want.Cols(), want.Rows(), want.Type())
	}
	diff := gocv.NewMat()
	defer diff.Close()
	gocv.AbsDiff(got, want, &diff)
	if n := gocv.CountNonZero(diff); n != 0 {
		t.Fatalf("%d pixels differ from gocv.IMDecode", n)
	}
}
