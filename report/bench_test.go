package report_test

import (
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/store"
)

// BenchmarkWorkbook100k builds and writes the whole county workbook, every
// table included, for 100,000 candidates × 40 items (30 objective, 10
// groups of two sub-questions, every item with a knowledge point and an
// ability) in 100 schools of 10 classes, compared with an earlier exam of
// the same students (进退步). Target (issue 23): ≤ 30 s and
// < 1 GiB. Reports the wall time per workbook and the process's peak
// resident memory (VmHWM), which includes the generated exam itself, and
// the CPU time. SAOYUE_BENCH_PERCLASS changes the 100 candidates a class.
//
//	go test ./report -run '^$' -bench Workbook100k -benchtime 1x
func BenchmarkWorkbook100k(b *testing.B) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("SAOYUE_BENCH_PERCLASS")); err == nil {
		n = v
	}
	res := genExam(100, 10, n, 30, 10, 9)
	withSubsAndKnowledge(res)
	// 进退步 against an earlier exam of the same students.
	prev := genExam(100, 10, n, 30, 10, 10)
	for i := range res.Candidates {
		res.Candidates[i].StudentID, prev.Candidates[i].StudentID = int64(i+1), int64(i+1)
	}
	runtime.GC()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		r, err := report.Build(res, store.DefaultReportSettings, report.Filter{})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.AttachComparison(prev); err != nil {
			b.Fatal(err)
		}
		f, err := os.CreateTemp(b.TempDir(), "*.xlsx")
		if err != nil {
			b.Fatal(err)
		}
		if err := report.WriteXLSX(f, r); err != nil {
			b.Fatal(err)
		}
		st, _ := f.Stat()
		b.ReportMetric(float64(st.Size())/(1<<20), "MB-file")
		f.Close()
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/workbook")
	// The machine is shared: CPU time says what the workbook costs when
	// the wall clock is mostly waiting for a core.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "CPU-s/workbook")
	b.ReportMetric(float64(peakRSS())/(1<<20), "MiB-peak-RSS")
}

// peakRSS is VmHWM of this process in bytes, 0 where /proc is missing.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is the user and system time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
