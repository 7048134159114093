package marking

import (
	"math"
	"slices"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

func qc(marker int64, kind saoyue.MarkKind, total float64, ms int, ref ...float64) store.QCMark {
	m := store.QCMark{MarkerID: marker, Kind: kind, Total: total, DurationMS: ms}
	if len(ref) > 0 {
		m.Reference = &ref[0]
	}
	return m
}

// handMarks: a group worth 10 with tolerance 1. Marker 1 scored 0, 10, 5,
// 5 (times 2, 4, 6 s and one unknown), agreed with one of two control
// answers (4 for 4, 7 for 5) and with one of two re-marks (5 then 5, 3
// after 5). Marker 2 scored 2, 4, 6, 8.
func handMarks() []store.QCMark {
	return []store.QCMark{
		qc(1, "normal", 0, 2000), qc(1, "normal", 10, 4000), qc(1, "normal", 5, 6000), qc(1, "arbitration", 5, 0),
		qc(1, "control", 4, 0, 4), qc(1, "control", 7, 0, 5),
		qc(1, "remark", 5, 0, 5), qc(1, "remark", 3, 0, 5),
		qc(2, "normal", 2, 0), qc(2, "normal", 4, 0), qc(2, "normal", 6, 0), qc(2, "normal", 8, 0),
	}
}

func qnear(t *testing.T, name string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-3 {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func TestQualityFiguresByHand(t *testing.T) {
	t.Parallel()
	g := &store.MarkingGroup{ID: 7, Code: "26", MaxScore: 10, Tolerance: 1}
	q := ComputeQuality(g, handMarks(), DefaultQualityOptions)
	if q.Count != 8 || q.Mean != 5 || q.SafeShare != 0.5 || len(q.Markers) != 2 {
		t.Fatalf("group: %+v", q)
	}
	m1, m2 := q.Markers[0], q.Markers[1]
	if m1.Count != 4 || m1.Mean != 5 || m1.ZeroShare != 0.25 || m1.FullShare != 0.25 || m1.SafeShare != 0.5 {
		t.Errorf("marker 1: %+v", m1)
	}
	sd1, sd2 := m1.SD, m2.SD
	qnear(t, "sd 1", &sd1, math.Sqrt(12.5))
	qnear(t, "sd 2", &sd2, math.Sqrt(5))
	qnear(t, "mean seconds", m1.MeanSeconds, 4)
	qnear(t, "per hour", m1.PerHour, 900)
	qnear(t, "control agreement", m1.ControlAgreement, 0.5)
	qnear(t, "control mean diff", m1.ControlMeanDiff, 1)
	qnear(t, "remark agreement", m1.RemarkAgreement, 0.5)
	qnear(t, "remark mean abs", m1.RemarkMeanAbs, 1)
	qnear(t, "z", m1.MeanZ, 0)
	qnear(t, "ks", m1.KS, 0.25)
	qnear(t, "ks critical", m1.KSCritical, math.Sqrt(-math.Log(0.005)/2)*math.Sqrt(0.5))
	if m2.MeanSeconds != nil || m2.ControlAgreement != nil || m2.ZeroShare != 0 || m2.SafeShare != 0.5 {
		t.Errorf("marker 2: %+v", m2)
	}
	qnear(t, "z 2", m2.MeanZ, 0)
	if len(m1.Alerts)+len(m2.Alerts) != 0 {
		t.Errorf("alerts below the minimum counts: %v %v", m1.Alerts, m2.Alerts)
	}

	// A third marker giving full marks, fast, drifts; marker 1 disagrees
	// with the checks once the minimum counts are low enough.
	marks := append(handMarks(), qc(3, "normal", 10, 1000), qc(3, "normal", 10, 1000), qc(3, "normal", 10, 1000), qc(3, "normal", 10, 1000))
	o := DefaultQualityOptions
	o.MinMarks, o.MinChecks, o.MaxZ = 4, 2, 2
	q = ComputeQuality(g, marks, o)
	codes := func(m MarkerQuality) []string {
		var c []string
		for _, a := range m.Alerts {
			c = append(c, a.Code)
		}
		return c
	}
	m3 := q.Markers[2]
	// others' mean 5, population sd sqrt(8.75): z = (10 - 5) / (sd / 2)
	qnear(t, "z 3", m3.MeanZ, 5/(math.Sqrt(8.75)/2))
	if c := codes(m3); !slices.Contains(c, "mean_drift") || !slices.Contains(c, "too_fast") {
		t.Errorf("marker 3 alerts %v", m3.Alerts)
	}
	if c := codes(q.Markers[0]); !slices.Contains(c, "control_disagreement") || !slices.Contains(c, "remark_disagreement") {
		t.Errorf("marker 1 alerts %v", q.Markers[0].Alerts)
	}
	if c := codes(q.Markers[1]); len(c) != 0 {
		t.Errorf("marker 2 alerts %v", c)
	}
}

func TestKSDistance(t *testing.T) {
	t.Parallel()
	if d := ksDistance([]float64{1, 2, 3}, []float64{1, 2, 3}); d != 0 {
		t.Errorf("same samples: %v", d)
	}
	if d := ksDistance([]float64{0, 0}, []float64{5, 5}); d != 1 {
		t.Errorf("disjoint samples: %v", d)
	}
}
