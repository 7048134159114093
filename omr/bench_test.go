package omr

import (
	"testing"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
)

// BenchmarkRead compares reading a 200-dpi A4 page (decode, register, all
// bubbles and the grid, barcode, page code, crops) with just decoding the
// same JPEG: the budget is 2x the decode.
func BenchmarkRead(b *testing.B) {
	r := sharedReader(b)
	tp := loadTemplate(b, "math-a4.yaml")
	doc, _ := card.Layout(tp, 200)
	img := blankRaster(b, tp, 1, 200)
	for _, bb := range doc.Pages[0].Bubbles {
		if bb.Kind == card.BubbleOption && bb.Item%4 == bb.Index {
			pencil(img, bb, 70, 1)
		}
	}
	data := encodeJPEG(b, img, 85)
	b.Run("decode-only", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			m, err := gocv.IMDecode(data, gocv.IMReadUnchanged)
			if err != nil {
				b.Fatal(err)
			}
			m.Close()
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; i < b.N; i++ {
			res := r.Read("p.jpg", data)
			if res.Template == "" || len(res.Items) != 25 {
				b.Fatalf("page not read: %+v", res.Exceptions)
			}
		}
	})
}
