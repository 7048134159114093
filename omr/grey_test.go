package omr

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/saoyue/saoyue/card"
)

// rgbOf is a grey image saved with three equal channels, as
// `pdftoppm -png` and many scanner drivers write a grey scan.
func rgbOf(g *image.Gray) *image.RGBA {
	out := image.NewRGBA(g.Rect)
	for i, v := range g.Pix {
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = v, v, v, 255
	}
	return out
}

// A grey scan of the red maths card saved as RGB (PNG, and JPEG with its
// noise) is read as grey: its printed letters are not marks, and the
// marks on it read with no flag.
func TestGreyScanSavedAsRGB(t *testing.T) {
	t.Parallel()
	tp := loadTemplate(t, "math-a4.yaml")
	opts := DefaultOptions()
	opts.Crops = false
	r, err := NewReader([]*card.Template{tp}, opts)
	if err != nil {
		t.Fatal(err)
	}
	lay, err := card.Layout(tp, 200)
	if err != nil {
		t.Fatal(err)
	}
	blank := blankRaster(t, tp, 1, 200)
	marked := image.NewGray(blank.Rect)
	copy(marked.Pix, blank.Pix)
	want := map[int]string{}
	for _, b := range lay.Pages[0].Bubbles {
		if b.Kind == card.BubbleOption && b.Item%3 == 1 && b.Index == b.Item%4 {
			pencil(marked, b, 60, 1)
			want[b.Item] = b.Option
		}
	}
	for _, c := range []struct {
		name string
		img  *image.Gray
		want map[int]string
	}{{"blank", blank, map[int]string{}}, {"marked", marked, want}} {
		var pngData bytes.Buffer
		if err := png.Encode(&pngData, rgbOf(c.img)); err != nil {
			t.Fatal(err)
		}
		for format, data := range map[string][]byte{"png": pngData.Bytes(), "jpeg": encodeJPEG(t, rgbOf(c.img), 80)} {
			t.Run(c.name+" "+format, func(t *testing.T) {
				res := r.Read("grey-rgb", data)
				if res.Template != tp.ID {
					t.Fatalf("not read as the maths card: %+v", res.Exceptions)
				}
				for _, e := range res.Exceptions {
					if e.Kind == ExcDoubtful || e.Kind == ExcMulti {
						t.Errorf("false flag: %+v", e)
					}
				}
				for _, it := range res.Items {
					got := ""
					if len(it.Chosen) > 0 {
						got = it.Chosen[0]
					}
					if len(it.Chosen) > 1 || got != c.want[it.Number] {
						t.Errorf("item %d read %v (%s), want %q; %s", it.Number, it.Chosen, it.Status, c.want[it.Number], fills(it))
					}
				}
			})
		}
	}
}
