package omr

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/fixtures"
)

// rssKB is the process's resident memory: Mats live in C memory that the
// Go heap figures do not show.
func rssKB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	return 0
}

// BenchmarkMemoryFlat reads b.N pages (cycling through 40 generated scans
// of every kind) and reports resident memory after the first tenth and at
// the end: it must not grow with the number of pages. Run with
// -benchtime 10000x for BENCHMARKS.md's figure.
func BenchmarkMemoryFlat(b *testing.B) {
	rs, ts := accuracyReader(b)
	r := rs["math-a4.yaml"]
	var pages [][]byte
	for _, level := range []string{"typical", "hard"} {
		g, err := fixtures.NewGenerator(ts["math-a4.yaml"], fixtures.Options{Level: level, Seed: 3})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; len(pages) < 20*(1+len(pages)/20) && i < 10; i++ {
			scans, _ := g.Card(i)
			for _, s := range scans {
				pages = append(pages, s.Image)
			}
		}
	}
	b.ResetTimer()
	var early int
	for i := 0; i < b.N; i++ {
		r.Read("p.jpg", pages[i%len(pages)])
		if i == b.N/10 {
			runtime.GC()
			early = rssKB()
		}
	}
	b.StopTimer()
	runtime.GC()
	b.ReportMetric(float64(early)/1024, "MB-rss-at-10%")
	b.ReportMetric(float64(rssKB())/1024, "MB-rss-at-end")
}
