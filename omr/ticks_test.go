package omr

import (
	"fmt"
	"image"
	"math"
	"testing"

	"github.com/saoyue/saoyue/card"
)

// line darkens, on img, the pixels within width/2 of segment a-b to level
// (grey), with a soft edge: a pencil stroke.
func line(img *image.Gray, ax, ay, bx, by, width float64, level uint8) {
	r := width / 2
	x0, x1 := int(math.Min(ax, bx)-r-1), int(math.Max(ax, bx)+r+1)
	y0, y1 := int(math.Min(ay, by)-r-1), int(math.Max(ay, by)+r+1)
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
			d := math.Hypot(px-ax-t*dx, py-ay-t*dy)
			cov := math.Max(0, math.Min(1, r+0.5-d))
			if cov == 0 || !image.Pt(x, y).In(img.Rect) {
				continue
			}
			i := y*img.Stride + x
			v := float64(img.Pix[i])*(1-cov) + math.Min(float64(img.Pix[i]), float64(level))*cov
			img.Pix[i] = uint8(v + 0.5)
		}
	}
}

// tick draws ✓ (kind 0), a slash (1) or ✗ (2) over bubble b.
func tick(img *image.Gray, b card.Bubble, kind int, width float64, level uint8) {
	at := func(u, v float64) (float64, float64) { return b.CX + u*b.RX, b.CY + v*b.RY }
	seg := func(u0, v0, u1, v1 float64) {
		ax, ay := at(u0, v0)
		bx, by := at(u1, v1)
		line(img, ax, ay, bx, by, width, level)
	}
	switch kind {
	case 0:
		seg(-0.7, 0, -0.2, 0.8)
		seg(-0.2, 0.8, 0.9, -1)
	case 1:
		seg(-0.8, 0.9, 0.8, -0.9)
	default:
		seg(-0.75, -0.85, 0.75, 0.85)
		seg(-0.75, 0.85, 0.75, -0.85)
	}
}

// box3 blurs a grey image once with a 3x3 box: a soft scanner.
func box3(img *image.Gray) *image.Gray {
	out := image.NewGray(img.Rect)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			s, n := 0, 0
			for j := max(0, y-1); j <= min(h-1, y+1); j++ {
				for i := max(0, x-1); i <= min(w-1, x+1); i++ {
					s += int(img.Pix[j*img.Stride+i])
					n++
				}
			}
			out.Pix[y*out.Stride+x] = uint8(s / n)
		}
	}
	return out
}

// A tick, a slash or a cross over a bubble, light or dark, thin or broad,
// on black ellipses and on red brackets, is never read as blank without a
// flag; nor is a ticked option beside filled ones on a multiple-choice
// item dropped with the item read as clear. Untouched items stay clear.
func TestTicksGoToAPerson(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"biology-a4.yaml", "science-8k.yaml"} {
		tp := loadTemplate(t, name)
		opts := DefaultOptions()
		opts.Crops = false
		r, err := NewReader([]*card.Template{tp}, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, dpi := range []float64{150, 200} {
			lay, err := card.Layout(tp, dpi)
			if err != nil {
				t.Fatal(err)
			}
			blank := blankRaster(t, tp, 1, dpi)
			px := dpi / 25.4
			for _, level := range []uint8{70, 130, 175} {
				for _, blur := range []bool{false, true} {
					if dpi < 200 && (blur || level > 150) {
						// A light stroke on a soft 150-dpi scan is beyond
						// what the reader sees yet (BENCHMARKS.md).
						continue
					}
					img := image.NewGray(blank.Rect)
					copy(img.Pix, blank.Pix)
					ticked := map[int]string{} // item -> the ticked option
					k := 0
					for _, it := range lay.Items {
						if it.Number%5 != 1 && !it.Multiple {
							continue // most items stay untouched, as on a real page
						}
						var bs []card.Bubble
						for _, b := range lay.Pages[0].Bubbles {
							if b.Kind == card.BubbleOption && b.Item == it.Number {
								bs = append(bs, b)
							}
						}
						if it.Multiple {
							// Two filled, another one ticked.
							pencil(img, bs[0], 50, 1)
							pencil(img, bs[1], 50, 1)
						}
						b := bs[(it.Number/2+2)%len(bs)]
						if it.Multiple {
							b = bs[2+it.Number%(len(bs)-2)]
						}
						width := []float64{0.25, 0.45, 0.7}[k%3] * px
						tick(img, b, k%3, width, level)
						ticked[it.Number] = b.Option
						k++
					}
					if blur {
						img = box3(img)
					}
					res := r.Read("ticks.jpg", encodeJPEG(t, img, 85))
					where := fmt.Sprintf("%s %v dpi, strokes grey %d, blurred %v", name, dpi, level, blur)
					if res.Template != tp.ID {
						t.Fatalf("%s: not read: %+v", where, res.Exceptions)
					}
					for _, it := range res.Items {
						opt, isTicked := ticked[it.Number]
						switch {
						case !isTicked && it.Status != StatusBlank:
							t.Errorf("%s: untouched item %d read %v (%s)", where, it.Number, it.Chosen, it.Status)
						case isTicked && it.Status != StatusDoubtful && !contains(it.Chosen, opt):
							t.Errorf("%s: item %d ticked at %s read %v (%s) without a flag; strokes %s", where, it.Number, opt, it.Chosen, it.Status, strokes(it))
						}
					}
				}
			}
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func strokes(it Item) string {
	s := ""
	for _, o := range it.Options {
		s += fmt.Sprintf("%s=%.2f/%.2f ", o.Label, o.Fill, o.Strokes)
	}
	return s
}
