package scanner

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// testPage returns a grey page image with a unique pattern for n: noise
// seeded by n, like a scan's, so two pages never share bytes.
func testPage(t testing.TB, n int, w, h int) *image.Gray {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(n), 42))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = byte(200 + r.IntN(56))
	}
	// A dark bar whose position depends on n, to tell pages apart by eye.
	for y := (n * 7) % h; y < min(h, (n*7)%h+5); y++ {
		for x := 0; x < w; x++ {
			g.Pix[y*g.Stride+x] = 0
		}
	}
	return g
}

func testJPEG(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testPage(t, n, 320, 400), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testPNG(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testPage(t, n, 320, 400)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodeGray(t testing.TB, data []byte) *image.Gray {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode page: %v", err)
	}
	g := image.NewGray(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}
