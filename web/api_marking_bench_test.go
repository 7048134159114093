package web

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// BenchmarkMarkingDispatchSubmit measures the marks per second 20 markers
// of 4 schools sustain through the HTTP API (next with two prefetched,
// then a submit for each) on 4,000 answers of one 1+0 group, the database
// doing the dispatch with SKIP LOCKED. Recorded in BENCHMARKS.md:
//
//	go test ./web -run '^$' -bench MarkingDispatchSubmit -benchtime 3x
func BenchmarkMarkingDispatchSubmit(b *testing.B) {
	var marks int64
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a := newMarkingAPI(b, storetest.MarkingSeed{ExamCode: "41", Subject: "math", Schools: 4, TeachersPerSchool: 5, StudentsPerSchool: 1000,
			Groups: []store.QuestionGroup{{Code: "26", MaxScore: 6, Step: 1, Mode: "1+0"}}}, marking.MarkingOptions{Lease: time.Minute})
		a.setUp("41")
		markers, _ := a.markersOf(a.seed.Groups[0])
		h := &holders{by: map[int64]holding{}, lease: time.Minute}
		b.StartTimer()
		start := time.Now()
		marks += a.markAll(markers, h, randomScores(rand.New(rand.NewPCG(5, 6))))
		elapsed += time.Since(start)
		if len(h.bad) > 0 {
			b.Fatal(h.bad[0])
		}
	}
	b.ReportMetric(float64(marks)/elapsed.Seconds(), "marks/s")
}
