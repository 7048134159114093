//go:build matprofile

package omr

import (
	"bytes"
	"testing"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

// TestNoMatLeaks reads many pages of every kind (good, hard, blank,
// another card, corrupt) and checks that every OpenCV Mat was closed.
// `make test` builds with -tags matprofile, which turns the counter on.
func TestNoMatLeaks(t *testing.T) {
	rs, ts := accuracyReader(t)
	r := rs["math-a4.yaml"]
	before := gocv.MatProfile.Count()
	for _, level := range []string{"typical", "hard"} {
		g, err := fixtures.NewGenerator(ts["math-a4.yaml"], fixtures.Options{Level: level, Seed: 42, Others: []*card.Template{ts["english-a3.yaml"]}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 15; i++ {
			scans, err := g.Card(i)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range scans {
				r.Read(s.Name, s.Image)
				r.Read("cut.jpg", s.Image[:len(s.Image)/3])
			}
		}
	}
	r.Read("empty.jpg", nil)
	r.Read("noise.jpg", bytes.Repeat([]byte{0xFF, 0xD8, 0xFF, 0x00}, 1000))
	if n := gocv.MatProfile.Count() - before; n != 0 {
		var b bytes.Buffer
		gocv.MatProfile.WriteTo(&b, 1)
		t.Fatalf("%d Mats not closed:\n%s", n, b.String())
	}
}
