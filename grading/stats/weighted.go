package stats

import (
	"fmt"
	"math"
	"sort"
)

// Weighted statistics. A sample exam (抽样监测, DOMAIN rule 12) stands for
// every student of the grade: each sampled candidate stands for
// enrolment/sample students of their school, so county figures weight
// them by that. Within one school the weights are equal and the weighted
// figures are the plain ones; an exam that is not a sample has weight 1
// everywhere. Formulas: docs/STATISTICS.md, "Sampling weights".

// W is the candidate's sampling weight: 1 unless the exam is a sample.
func (c *CandidateResults) W() float64 {
	if c.Weight > 0 {
		return c.Weight
	}
	return 1
}

// DescribeWeighted computes the descriptive statistics of values with
// weights (nil = all 1): mean Σwx/Σw, population SD, the weighted median
// (the value where the cumulative weight reaches half; halfway between two
// values when it reaches exactly half, which for equal weights is the
// usual median), skewness and excess kurtosis from the weighted central
// moments, and the coefficient of variation SD/mean.
func DescribeWeighted(values, weights []float64) Descriptive {
	d := Descriptive{N: len(values)}
	nan := math.NaN()
	d.Mean, d.Median, d.Max, d.Min, d.SD, d.Skewness, d.Kurtosis, d.CV, d.WeightSum = nan, nan, nan, nan, nan, nan, nan, nan, 0
	if d.N == 0 {
		return d
	}
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	var sw, swx float64
	d.Min, d.Max = values[0], values[0]
	for i, x := range values {
		sw += w(i)
		swx += w(i) * x
		d.Min, d.Max = math.Min(d.Min, x), math.Max(d.Max, x)
	}
	d.WeightSum = sw
	d.Mean = swx / sw
	var m2, m3, m4 float64
	for i, x := range values {
		dx := x - d.Mean
		m2 += w(i) * dx * dx
		m3 += w(i) * dx * dx * dx
		m4 += w(i) * dx * dx * dx * dx
	}
	m2, m3, m4 = m2/sw, m3/sw, m4/sw
	d.SD = math.Sqrt(m2)
	if m2 > eps {
		d.Skewness = m3 / math.Pow(m2, 1.5)
		d.Kurtosis = m4/(m2*m2) - 3
	}
	if math.Abs(d.Mean) > eps {
		d.CV = d.SD / d.Mean
	}
	d.Median = weightedMedian(values, weights, sw)
	return d
}

func weightedMedian(values, weights []float64, total float64) float64 {
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return values[idx[a]] < values[idx[b]] })
	half := total / 2
	var cum float64
	for k, i := range idx {
		wi := 1.0
		if weights != nil {
			wi = weights[i]
		}
		cum += wi
		switch {
		case math.Abs(cum-half) <= 1e-9*total && k+1 < len(idx):
			return (values[i] + values[idx[k+1]]) / 2
		case cum > half:
			return values[i]
		}
	}
	return values[idx[len(idx)-1]]
}

// weightedRate is Σw over the chosen / Σw, NaN when nothing is weighed.
func weightedRate(hit, total float64) float64 {
	if total <= 0 {
		return math.NaN()
	}
	return hit / total
}

// SchoolWeight is one sample school's weight: Enrolment students of the
// grade stand behind its Sample candidates.
type SchoolWeight struct {
	Group
	Enrolment int
	Sample    int
	Weight    float64
}

// ApplySampleWeights marks the exam as a sample and gives every candidate
// the weight enrolment/sample of their school (sample = the school's
// registered candidates: a sampled student who was absent still belongs
// to the sample). A school without an enrolment figure, or with fewer
// enrolled than sampled, keeps weight 1 and is named in the returned
// warnings (in Chinese, for the report's first sheet).
func ApplySampleWeights(e *ExamResults, enrolment map[string]int) []string {
	e.Sampled = true
	e.Weights = SampleWeights(e, enrolment)
	var warnings []string
	for _, sw := range e.Weights {
		if sw.Enrolment < sw.Sample {
			warnings = append(warnings, fmt.Sprintf("抽样权重：%s（%s）学籍人数 %d 少于样本人数 %d，按权重 1 计", sw.SchoolName, sw.SchoolCode, sw.Enrolment, sw.Sample))
		}
		for i := range e.Candidates {
			if e.Candidates[i].SchoolCode == sw.SchoolCode {
				e.Candidates[i].Weight = sw.Weight
			}
		}
	}
	return warnings
}

// SampleWeights lists each school's enrolment, sample and weight.
func SampleWeights(e *ExamResults, enrolment map[string]int) []SchoolWeight {
	sample := map[string]int{}
	for _, c := range e.Candidates {
		sample[c.SchoolCode]++
	}
	schools, _ := groupsOf(e)
	out := make([]SchoolWeight, 0, len(schools))
	for _, g := range schools {
		sw := SchoolWeight{Group: g, Enrolment: enrolment[g.SchoolCode], Sample: sample[g.SchoolCode], Weight: 1}
		if sw.Sample > 0 && sw.Enrolment >= sw.Sample {
			sw.Weight = float64(sw.Enrolment) / float64(sw.Sample)
		}
		out = append(out, sw)
	}
	return out
}
