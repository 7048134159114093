package omr

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
)

// blankPages holds the blank card rasterised exactly as printed: the grey
// and red planes of each page.
type blankPages struct {
	gray []gocv.Mat
	red  []gocv.Mat
}

func (b *blankPages) Close() {
	for i := range b.gray {
		b.gray[i].Close()
		b.red[i].Close()
	}
}

// rasterBlank renders the template and rasterises it with pdftoppm, the
// same path the printed card takes, so the baseline is the printed ink.
func rasterBlank(t *card.Template, dpi float64, fonts card.Fonts) (*blankPages, error) {
	var pdf bytes.Buffer
	if err := card.RenderPDFWithOptions(t, &pdf, card.RenderOptions{Form: t.PrintedForm, Fonts: fonts}); err != nil {
		return nil, fmt.Errorf("render blank card: %w", err)
	}
	dir, err := os.MkdirTemp("", "saoyue-blank-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "card.pdf")
	if err := os.WriteFile(in, pdf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	out, err := exec.Command("pdftoppm", "-r", strconv.FormatFloat(dpi, 'f', -1, 64), "-png", in, filepath.Join(dir, "p")).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("rasterise blank card with pdftoppm (install poppler-utils): %v: %s", err, out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "p-*.png"))
	sort.Strings(files)
	if len(files) != len(t.Pages) {
		return nil, fmt.Errorf("pdftoppm produced %d pages, the template has %d", len(files), len(t.Pages))
	}
	b := &blankPages{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Close()
			return nil, err
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("decode blank raster: %w", err)
		}
		g, rd := planesOf(img)
		gm, err1 := gocv.NewMatFromBytes(g.Rect.Dy(), g.Rect.Dx(), gocv.MatTypeCV8U, g.Pix)
		rm, err2 := gocv.NewMatFromBytes(rd.Rect.Dy(), rd.Rect.Dx(), gocv.MatTypeCV8U, rd.Pix)
		if err1 != nil || err2 != nil {
			gm.Close()
			rm.Close()
			b.Close()
			return nil, fmt.Errorf("blank raster: %v %v", err1, err2)
		}
		b.gray = append(b.gray, gm)
		b.red = append(b.red, rm)
	}
	return b, nil
}

// planesOf splits an image into luma (as OpenCV's BGR2GRAY computes it) and
// its red channel.
func planesOf(img image.Image) (*image.Gray, *image.Gray) {
	bnd := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, bnd.Dx(), bnd.Dy()))
	r := image.NewGray(g.Rect)
	for y := 0; y < bnd.Dy(); y++ {
		for x := 0; x < bnd.Dx(); x++ {
			cr, cg, cb, _ := img.At(bnd.Min.X+x, bnd.Min.Y+y).RGBA()
			g.Pix[y*g.Stride+x] = uint8((299*cr + 587*cg + 114*cb) / 1000 >> 8)
			r.Pix[y*r.Stride+x] = uint8(cr >> 8)
		}
	}
	return g, r
}

// baselines measures every bubble of page i on the blank card, in both
// planes, with the same code that measures scans.
func (b *blankPages) baselines(i int, pl *card.PageLayout, dpi float64, probes [][]probe) (gray, red []sample) {
	id := homography{1, 0, 0, 0, 1, 0, 0, 0, 1}
	k := max(1, int(dpi/50))
	measure := func(m gocv.Mat) []sample {
		v, err := viewOf(m)
		if err != nil {
			return make([]sample, len(pl.Bubbles))
		}
		paper, err := newPaperMap(m, k)
		if err != nil {
			return make([]sample, len(pl.Bubbles))
		}
		defer paper.Close()
		out := make([]sample, len(pl.Bubbles))
		for j, bb := range pl.Bubbles {
			out[j] = measureBubble(v, paper, id, bb, probes[j], nil)
		}
		return out
	}
	return measure(b.gray[i]), measure(b.red[i])
}

func pointOf(x, y int) image.Point { return image.Pt(x, y) }

// probes lays out every bubble's sample points of page i, marking those on
// blank paper in the grey raster.
func (b *blankPages) probes(i int, pl *card.PageLayout) [][]probe {
	v, err := viewOf(b.gray[i])
	out := make([][]probe, len(pl.Bubbles))
	for j, bb := range pl.Bubbles {
		if err != nil {
			out[j] = bubbleProbes(bb, nil)
			continue
		}
		out[j] = bubbleProbes(bb, &v)
	}
	return out
}

// stickerBars measures the barcode box of page i on the blank card: the
// printed box and its caption, which no sticker is.
func (b *blankPages) stickerBars(i int, pl *card.PageLayout) stickerBars {
	box := barcodeRegion(pl)
	v, err := viewOf(b.gray[i])
	if box == nil || err != nil {
		return stickerBars{}
	}
	runs, share := barColumns(v, homography{1, 0, 0, 0, 1, 0, 0, 0, 1}, box.Rect)
	return stickerBars{runs, share}
}
