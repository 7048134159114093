package omr

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/card"
)

// mutate damages a copy of a JPEG after its headers (from start, the first
// byte of entropy data) the ways a transfer or a disk damages a file.
func mutate(rng *rand.Rand, page []byte, start int) (string, []byte) {
	d := append([]byte(nil), page...)
	body := len(d) - 2 - start // the entropy data, EOI excluded
	at := func() int { return start + rng.IntN(body) }
	switch k := rng.IntN(6); k {
	case 0: // one byte flipped
		i := at()
		d[i] ^= byte(1 + rng.IntN(255))
		return fmt.Sprintf("flip byte %d", i), d
	case 1: // one bit flipped
		i := at()
		d[i] ^= 1 << rng.IntN(8)
		return fmt.Sprintf("flip a bit of byte %d", i), d
	case 2: // a few bytes flipped
		n := 2 + rng.IntN(7)
		for j := 0; j < n; j++ {
			d[at()] ^= byte(1 + rng.IntN(255))
		}
		return fmt.Sprintf("flip %d bytes", n), d
	case 3: // cut short, its end marker put back (a rewritten partial file)
		i := at()
		return fmt.Sprintf("truncate at %d, EOI appended", i), append(d[:i:i], 0xFF, 0xD9)
	case 4: // a run of bytes lost
		i, n := at(), 1+rng.IntN(64)
		n = min(n, len(d)-2-i)
		return fmt.Sprintf("drop %d bytes at %d", n, i), append(d[:i:i], d[i+n:]...)
	default: // a run zeroed (a hole in a sparse file)
		i, n := at(), 16+rng.IntN(512)
		n = min(n, len(d)-2-i)
		clear(d[i : i+n])
		return fmt.Sprintf("zero %d bytes at %d", n, i), d
	}
}

// scanStart is the first byte after a JPEG's SOS header.
func scanStart(t *testing.T, data []byte) int {
	i := bytes.Index(data, []byte{0xFF, 0xDA})
	if i < 0 {
		t.Fatal("no SOS")
	}
	return i + 2 + int(binary.BigEndian.Uint16(data[i+2:]))
}

// silentDifferences lists what a damaged page's reading says differently
// from the intact page's with no one told: an item answered otherwise and
// not flagged, on a page with no exception of its own; the page's card,
// side or exam number otherwise.
func silentDifferences(got, want *Result) []string {
	for _, e := range got.Exceptions {
		if e.Item == 0 {
			return nil // the page goes to a person
		}
	}
	var out []string
	if got.Template != want.Template || got.Page != want.Page {
		out = append(out, fmt.Sprintf("read as %s page %d", got.Template, got.Page))
	}
	if got.ExamNo != nil && want.ExamNo != nil && got.ExamNo.Value != want.ExamNo.Value {
		out = append(out, fmt.Sprintf("exam number %q, intact %q", got.ExamNo.Value, want.ExamNo.Value))
	}
	flagged := map[int]bool{}
	for _, e := range got.Exceptions {
		flagged[e.Item] = true
	}
	for i, it := range got.Items {
		if i >= len(want.Items) {
			break
		}
		w := want.Items[i]
		if it.Number == w.Number && !slices.Equal(it.Chosen, w.Chosen) && !flagged[it.Number] &&
			it.Status != StatusDoubtful && it.Status != StatusMulti {
			out = append(out, fmt.Sprintf("item %d read %v, intact %v", it.Number, it.Chosen, w.Chosen))
		}
	}
	return out
}

// TestDamagedPagesNeverReadSilently is the byte-flip experiment of issue
// 22: 200 seeded mutations of a real page (flipped bytes and bits, cuts,
// lost and zeroed runs, all after the headers). Every one must be refused
// (damaged_image, unreadable_image, or another exception for a person) or
// read as the intact page is: not one item answered otherwise unflagged.
func TestDamagedPagesNeverReadSilently(t *testing.T) {
	page := benchPage(t)
	r, err := NewReader([]*card.Template{loadTemplate(t, "math-a4.yaml")}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := r.Read("intact.jpg", page)
	if len(want.Exceptions) > 0 || len(want.Items) == 0 {
		t.Fatalf("the intact page reads with exceptions %+v", want.Exceptions)
	}
	start := scanStart(t, page)
	rng := rand.New(rand.NewPCG(22, 200))
	kinds := map[Kind]int{}
	var silent []string
	for n := 0; n < 200; n++ {
		what, data := mutate(rng, page, start)
		got := r.Read("damaged.jpg", data)
		switch {
		case len(got.Exceptions) > 0 && got.Exceptions[0].Item == 0:
			kinds[got.Exceptions[0].Kind]++
		default:
			kinds["read"]++
		}
		for _, d := range silentDifferences(got, want) {
			silent = append(silent, fmt.Sprintf("mutation %d (%s): %s", n, what, d))
		}
	}
	t.Logf("200 mutations: %v", kinds)
	if len(silent) > 0 {
		t.Errorf("%d silent wrong readings:\n%s", len(silent), strings.Join(silent, "\n"))
	}
}
