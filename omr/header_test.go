package omr

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

// TestSizeLimitsKeepRealScans: the decode limits refuse a 79 MP 16-bit
// RGBA page and keep every real scan, up to an A3 card at 600 dpi
// colour as a progressive JPEG.
func TestSizeLimitsKeepRealScans(t *testing.T) {
	ok := []header{
		{width: 2480, height: 3508, channels: 1, bitDepth: 8},                                    // A4 300 dpi grey JPEG
		{width: 4961, height: 7016, channels: 3, bitDepth: 8, coefSamples: 1.5, multiScan: true}, // A4 600 dpi colour, progressive
		{png: true, width: 4961, height: 7016, channels: 3, bitDepth: 16},                        // A4 600 dpi 48-bit colour
		{width: 7016, height: 9921, channels: 3, bitDepth: 8, coefSamples: 1.5, multiScan: true}, // A3 600 dpi colour, progressive
		{png: true, width: 7016, height: 9921, channels: 3, bitDepth: 8},                         // A3 600 dpi colour PNG
		{png: true, width: 7016, height: 9921, channels: 1, bitDepth: 16},                        // A3 600 dpi 16-bit grey
		{png: true, width: 4961, height: 7016, channels: 4, bitDepth: 8},                         // A4 600 dpi RGBA
		{png: true, width: 3508, height: 4961, channels: 3, bitDepth: 8, paletteOrGA: true},      // A3 300 dpi palette
		{width: 4961, height: 7016, channels: 4, bitDepth: 8, coefSamples: 4, multiScan: true},   // A4 600 dpi CMYK, progressive
	}
	for _, h := range ok {
		if err := checkSize(h); err != nil {
			t.Errorf("%+v refused: %v", h, err)
		}
	}
	refused := []header{
		{png: true, width: 8900, height: 8900, channels: 4, bitDepth: 16}, // a 634 KB PNG that decodes to 634 MB
		{png: true, width: 7016, height: 9921, channels: 3, bitDepth: 16}, // A3 600 dpi 48-bit: 418 MB of samples
		{width: 8900, height: 8900, channels: 4, bitDepth: 8, coefSamples: 4, multiScan: true},
	}
	for _, h := range refused {
		if err := checkSize(h); err == nil {
			t.Errorf("%+v (cost %d MB) not refused", h, h.decodeCost()>>20)
		}
	}
}

// TestHugePNGRefusedFromItsHeader reads a decompression bomb, a 79-megapixel
// 16-bit RGBA PNG of a few hundred KB, in a process of its own: an
// unreadable_image exception with a Chinese reason, and the process's peak
// memory grows by less than a megabyte per megapixel (it cost 800 MB).
func TestHugePNGRefusedFromItsHeader(t *testing.T) {
	if os.Getenv("SAOYUE_PEAK_CASE") != "" {
		return
	}
	peak, res := readInChild(t, "huge")
	if !strings.Contains(res, string(ExcUnreadable)) || !strings.Contains(res, "超过扫描页的上限") {
		t.Errorf("reading: %s", res)
	}
	if peak > 50<<20 {
		t.Errorf("reading the header cost %d MB", peak>>20)
	}
}

// TestDecodeCostCoversPeak reads the largest pages the limits let
// through, each in a process of its own, and checks that the memory the
// process's peak grew by while reading is within decodeCost, what a worker
// reserves for the page from its budget.
func TestDecodeCostCoversPeak(t *testing.T) {
	if os.Getenv("SAOYUE_PEAK_CASE") != "" {
		peakChild(t)
		return
	}
	if testing.Short() {
		t.Skip("reads pages of 35 to 70 megapixels")
	}
	for _, c := range []string{"a3-grey", "a4-rgb", "a4-rgb16"} {
		peak, res := readInChild(t, c)
		hdr, _ := readHeader(peakImage(c))
		t.Logf("%s: peak grew %d MB, cost %d MB; %s", c, peak>>20, hdr.decodeCost()>>20, res)
		if peak > hdr.decodeCost() {
			t.Errorf("%s: reading grew the peak by %d MB, more than its cost %d MB", c, peak>>20, hdr.decodeCost()>>20)
		}
	}
}

func peakImage(c string) []byte {
	switch c {
	case "huge":
		return fixtures.BigPNG(8900, 8900, 16, fixtures.PNGRGBA)
	case "a3-grey":
		return fixtures.BigPNG(7016, 9921, 8, fixtures.PNGGray)
	case "a4-rgb":
		return fixtures.BigPNG(4961, 7016, 8, fixtures.PNGRGB)
	default:
		return fixtures.BigPNG(4961, 7016, 16, fixtures.PNGRGB)
	}
}

// readInChild runs this test binary again to read one image, and returns
// how much its peak resident memory grew while reading, and what it read.
func readInChild(t *testing.T, c string) (int64, string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestDecodeCostCoversPeak$", "-test.v")
	cmd.Env = append(os.Environ(), "SAOYUE_PEAK_CASE="+c)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", c, err, out)
	}
	var grew int64
	var res string
	for _, line := range strings.Split(string(out), "\n") {
		if _, after, ok := strings.Cut(line, "PEAK "); ok {
			grew, _ = strconv.ParseInt(strings.Fields(after)[0], 10, 64)
		}
		if _, after, ok := strings.Cut(line, "RESULT "); ok {
			res = after
		}
	}
	return grew, res
}

// peakChild reads the case's image with a reader built beforehand; the
// kernel's peak-memory mark is reset just before.
func peakChild(t *testing.T) {
	r, err := NewReader([]*card.Template{loadTemplate(t, "math-a4.yaml")}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	data := peakImage(os.Getenv("SAOYUE_PEAK_CASE"))
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatal(err)
	}
	before := statusKB("VmRSS")
	res := r.Read("big.png", data)
	fmt.Printf("PEAK %d\n", (statusKB("VmHWM")-before)<<10)
	fmt.Printf("RESULT %v\n", res.Exceptions)
}

func statusKB(field string) int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	return 0
}
