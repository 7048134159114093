package scanner

import (
	"crypto/rand"
	"fmt"
	"syscall"
	"testing"
)

// The cost of keeping a page on the scan station: a scan's size of image,
// its SHA-256, its record, and one sync. cpu-ms/op is what BENCHMARKS.md
// records (the wall time is mostly the disk's).
func BenchmarkSpoolAdd(b *testing.B) {
	sp, err := OpenSpool(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	images := make([][]byte, b.N)
	for i := range images {
		images[i] = make([]byte, 262<<10)
		rand.Read(images[i])
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	for i := range images {
		if _, _, err := sp.Add(Image{Name: fmt.Sprintf("p%d.jpg", i), Data: images[i]}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/op")
}
