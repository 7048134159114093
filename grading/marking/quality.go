package marking

import (
	"fmt"
	"math"
	"sort"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// Quality control of single marking. With one mark per answer there is no
// second opinion to compare, so a marker is judged against answers whose
// score is known (control answers scored by the leader), against their own
// earlier mark of the same answer (blind re-marks, 回评), and against the
// rest of the group's distribution. Formulas: docs/MARKING.md.

// QualityOptions are the thresholds of the alerts.
type QualityOptions struct {
	SafeBand       float64 // a "safe" score lies within SafeBand*max of max/2: 0.1
	MinMarks       int     // distribution alerts need this many marks: 30
	MinChecks      int     // control and re-mark alerts need this many: 3
	MinAgreement   float64 // below this share of agreeing checks: alert, 0.8
	MaxZ           float64 // |z| of the mean above this: alert, 3
	KSAlpha        float64 // significance of the distribution test: 0.01
	MaxSafeShare   float64 // safe share above this and twice the group's: alert, 0.5
	MinMeanSeconds float64 // faster than this per answer: alert, 3
}

// DefaultQualityOptions are the thresholds used by the API.
var DefaultQualityOptions = QualityOptions{
	SafeBand: 0.1, MinMarks: 30, MinChecks: 3, MinAgreement: 0.8, MaxZ: 3, KSAlpha: 0.01, MaxSafeShare: 0.5, MinMeanSeconds: 3,
}

// Alert is a warning about a marker.
type Alert struct {
	Code    string `json:"code"` // mean_drift, distribution_drift, safe_scores, control_disagreement, remark_disagreement, too_fast
	Message string `json:"message"`
}

// MarkerQuality are one marker's figures in a group. Optional figures are
// nil when there is nothing to compute them from.
type MarkerQuality struct {
	MarkerID    int64    `json:"marker_id"`
	Name        string   `json:"name"`
	SchoolCode  string   `json:"school_code"`
	Count       int      `json:"count"`        // normal and arbitration marks
	MeanSeconds *float64 `json:"mean_seconds"` // mean time per answer
	PerHour     *float64 `json:"per_hour"`     // 3600 / MeanSeconds
	Mean        float64  `json:"mean"`
	SD          float64  `json:"sd"`
	ZeroShare   float64  `json:"zero_share"`
	FullShare   float64  `json:"full_share"`
	SafeShare   float64  `json:"safe_share"`

	Controls         int      `json:"controls"`
	ControlAgreement *float64 `json:"control_agreement"` // share within tolerance of the leader's score
	ControlMeanDiff  *float64 `json:"control_mean_diff"` // mean of (marker - leader): the marker's bias
	Remarks          int      `json:"remarks"`
	RemarkAgreement  *float64 `json:"remark_agreement"` // share within tolerance of their first mark
	RemarkMeanAbs    *float64 `json:"remark_mean_abs"`  // mean |re-mark - first mark|

	MeanZ      *float64 `json:"mean_z"`      // (mean - others' mean) / (others' sd / sqrt(count))
	KS         *float64 `json:"ks"`          // Kolmogorov-Smirnov distance to the others' scores
	KSCritical *float64 `json:"ks_critical"` // the distance significant at KSAlpha

	Alerts []Alert `json:"alerts"`
}

// GroupQuality are the figures of a group and each of its markers.
type GroupQuality struct {
	GroupID   int64           `json:"group_id"`
	Code      string          `json:"code"`
	MaxScore  float64         `json:"max_score"`
	Count     int             `json:"count"`
	Mean      float64         `json:"mean"`
	SD        float64         `json:"sd"`
	SafeShare float64         `json:"safe_share"`
	Markers   []MarkerQuality `json:"markers"`
}

func qMean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// qSD is the population standard deviation.
func qSD(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	m, s := qMean(v), 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(v)))
}

func share(v []float64, pred func(float64) bool) float64 {
	if len(v) == 0 {
		return 0
	}
	n := 0
	for _, x := range v {
		if pred(x) {
			n++
		}
	}
	return float64(n) / float64(len(v))
}

// ksDistance is the largest gap between the two samples' empirical CDFs.
func ksDistance(a, b []float64) float64 {
	a, b = append([]float64(nil), a...), append([]float64(nil), b...)
	sort.Float64s(a)
	sort.Float64s(b)
	var i, j int
	d := 0.0
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

func fp(v float64) *float64 { return &v }

// ComputeQuality computes the figures from the group's marks (kinds
// normal, arbitration, control with the leader's score as reference, remark
// with the first mark as reference).
func ComputeQuality(g *store.MarkingGroup, marks []store.QCMark, o QualityOptions) GroupQuality {
	type acc struct {
		scores, secs      []float64
		ctrlDiff, remDiff []float64
	}
	byMarker := map[int64]*acc{}
	var all []float64
	get := func(id int64) *acc {
		if byMarker[id] == nil {
			byMarker[id] = &acc{}
		}
		return byMarker[id]
	}
	for _, m := range marks {
		a := get(m.MarkerID)
		switch m.Kind {
		case saoyue.MarkNormal, saoyue.MarkArbitration:
			a.scores = append(a.scores, m.Total)
			all = append(all, m.Total)
			if m.DurationMS > 0 {
				a.secs = append(a.secs, float64(m.DurationMS)/1000)
			}
		case saoyue.MarkControl:
			if m.Reference != nil {
				a.ctrlDiff = append(a.ctrlDiff, m.Total-*m.Reference)
			}
		case saoyue.MarkRemark:
			if m.Reference != nil {
				a.remDiff = append(a.remDiff, m.Total-*m.Reference)
			}
		}
	}
	safe := func(x float64) bool { return math.Abs(x-g.MaxScore/2) <= o.SafeBand*g.MaxScore+1e-9 }
	within := func(d float64) bool { return math.Abs(d) <= g.Tolerance+1e-9 }
	q := GroupQuality{GroupID: g.ID, Code: g.Code, MaxScore: g.MaxScore, Count: len(all),
		Mean: qMean(all), SD: qSD(all), SafeShare: share(all, safe)}
	ids := make([]int64, 0, len(byMarker))
	for id := range byMarker {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		a := byMarker[id]
		mq := MarkerQuality{MarkerID: id, Count: len(a.scores), Mean: qMean(a.scores), SD: qSD(a.scores),
			ZeroShare: share(a.scores, func(x float64) bool { return x == 0 }),
			FullShare: share(a.scores, func(x float64) bool { return math.Abs(x-g.MaxScore) < 1e-9 }),
			SafeShare: share(a.scores, safe), Controls: len(a.ctrlDiff), Remarks: len(a.remDiff), Alerts: []Alert{}}
		if len(a.secs) > 0 {
			s := qMean(a.secs)
			mq.MeanSeconds = fp(s)
			if s > 0 {
				mq.PerHour = fp(3600 / s)
			}
			if s < o.MinMeanSeconds && len(a.secs) >= o.MinMarks {
				mq.Alerts = append(mq.Alerts, Alert{"too_fast", fmt.Sprintf("%.1f s per answer on average", s)})
			}
		}
		if len(a.ctrlDiff) > 0 {
			mq.ControlAgreement = fp(share(a.ctrlDiff, within))
			mq.ControlMeanDiff = fp(qMean(a.ctrlDiff))
			if len(a.ctrlDiff) >= o.MinChecks && *mq.ControlAgreement < o.MinAgreement {
				mq.Alerts = append(mq.Alerts, Alert{"control_disagreement",
					fmt.Sprintf("agrees with %.0f%% of control answers (mean difference %+.1f)", 100**mq.ControlAgreement, *mq.ControlMeanDiff)})
			}
		}
		if len(a.remDiff) > 0 {
			mq.RemarkAgreement = fp(share(a.remDiff, within))
			abs := make([]float64, len(a.remDiff))
			for i, d := range a.remDiff {
				abs[i] = math.Abs(d)
			}
			mq.RemarkMeanAbs = fp(qMean(abs))
			if len(a.remDiff) >= o.MinChecks && *mq.RemarkAgreement < o.MinAgreement {
				mq.Alerts = append(mq.Alerts, Alert{"remark_disagreement",
					fmt.Sprintf("agrees with own earlier mark on %.0f%% of re-marks", 100**mq.RemarkAgreement)})
			}
		}
		// The others: everyone else's marks in the group, so a marker with
		// many marks does not pull the reference toward themself.
		var others []float64
		for _, oid := range ids {
			if oid != id {
				others = append(others, byMarker[oid].scores...)
			}
		}
		n, m := float64(len(a.scores)), float64(len(others))
		if n > 0 && m > 0 {
			if sd := qSD(others); sd > 0 {
				mq.MeanZ = fp((mq.Mean - qMean(others)) / (sd / math.Sqrt(n)))
			}
			mq.KS = fp(ksDistance(a.scores, others))
			mq.KSCritical = fp(math.Sqrt(-math.Log(o.KSAlpha/2)/2) * math.Sqrt((n+m)/(n*m)))
			if len(a.scores) >= o.MinMarks {
				if mq.MeanZ != nil && math.Abs(*mq.MeanZ) > o.MaxZ {
					mq.Alerts = append(mq.Alerts, Alert{"mean_drift",
						fmt.Sprintf("mean %.2f against %.2f for the others (z = %+.1f)", mq.Mean, qMean(others), *mq.MeanZ)})
				}
				if *mq.KS > *mq.KSCritical {
					mq.Alerts = append(mq.Alerts, Alert{"distribution_drift",
						fmt.Sprintf("score distribution departs from the others' (KS %.2f > %.2f)", *mq.KS, *mq.KSCritical)})
				}
			}
		}
		if len(a.scores) >= o.MinMarks && mq.SafeShare > o.MaxSafeShare && mq.SafeShare > 2*q.SafeShare {
			mq.Alerts = append(mq.Alerts, Alert{"safe_scores",
				fmt.Sprintf("%.0f%% of scores near the middle against %.0f%% in the group", 100*mq.SafeShare, 100*q.SafeShare)})
		}
		q.Markers = append(q.Markers, mq)
	}
	return q
}
