package omr

import (
	"bytes"
	"math"
	"syscall"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
)

// benchPage is a typical-level scan of side 1 of the math card at 200 dpi:
// what a school's document scanner returns.
func benchPage(b testing.TB) []byte {
	tp := loadTemplate(b, "math-a4.yaml")
	g, err := fixtures.NewGenerator(tp, fixtures.Options{Level: "typical", Seed: 9})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		scans, err := g.Card(i)
		if err != nil {
			b.Fatal(err)
		}
		s := scans[0]
		if math.Abs(s.Truth.DPI-200) < 1 && !s.Truth.Color && !s.Truth.Absent {
			return s.Image
		}
	}
	b.Fatal("no 200 dpi page generated")
	return nil
}

// reportCPU reports the process's CPU time per operation when the returned
// function runs: the crops of a page are encoded beside its bubbles, so
// wall time per page (ns/op) and CPU time per page differ, and throughput
// depends on the second.
func reportCPU(b *testing.B) func() {
	before := cpuTime()
	return func() {
		b.ReportMetric(float64((cpuTime()-before).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRead compares reading a 200-dpi A4 page (decode, register, all
// bubbles and the grid, barcode, page code, crops) with just decoding the
// same JPEG: the budget is 2x the decode and 40 pages/s per core.
// The reader is the one the pipeline builds for the page's subject: it
// knows that subject's card only.
func BenchmarkRead(b *testing.B) {
	r, err := NewReader([]*card.Template{loadTemplate(b, "math-a4.yaml")}, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	data := benchPage(b)
	b.Run("decode-only", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			m, err := gocv.IMDecode(data, gocv.IMReadUnchanged)
			if err != nil {
				b.Fatal(err)
			}
			m.Close()
		}
	})
	// The reader's own decode of a grey JPEG: split across both cores when
	// its page is the only one being read (jpeg.go).
	b.Run("decode-reader", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			m, ok := splitDecode(data, true)
			if !ok {
				b.Fatal("not decoded")
			}
			m.Close()
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		defer reportCPU(b)()
		for i := 0; i < b.N; i++ {
			res := r.Read("p.jpg", data)
			if res.Template == "" || len(res.Items) != 25 || len(res.Crops) == 0 {
				b.Fatalf("page not read: %+v", res.Exceptions)
			}
		}
	})
	// Throughput with one reader per core, as the worker runs it.
	b.Run("read-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Read("p.jpg", data)
			}
		})
	})
}

// BenchmarkColourCheck is what checking a colour JPEG for damage costs
// (libjpeg through every scan at 1/8 scale, jpeg.go) beside OpenCV's
// decode of the same page, which follows it: the check is added to every
// colour or progressive JPEG's read.
func BenchmarkColourCheck(b *testing.B) {
	g, err := fixtures.NewGenerator(loadTemplate(b, "math-a4.yaml"), fixtures.Options{Level: "typical", Seed: 9})
	if err != nil {
		b.Fatal(err)
	}
	var data []byte
	for i := 0; data == nil && i < 200; i++ {
		scans, err := g.Card(i)
		if err != nil {
			b.Fatal(err)
		}
		if s := scans[0]; s.Truth.Color && bytes.HasPrefix(s.Image, []byte{0xFF, 0xD8}) {
			data = s.Image
		}
	}
	if data == nil {
		b.Fatal("no colour JPEG generated")
	}
	b.Run("decode", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			m, _ := gocv.IMDecode(data, gocv.IMReadUnchanged)
			m.Close()
		}
	})
	b.Run("check", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := checkJPEG(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
