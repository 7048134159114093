package stats

import (
	"math"
	"sort"
	"strings"

	"github.com/saoyue/saoyue"
)

// Classical test theory item analysis of one subject's paper. The
// formulas, with references, are in docs/STATISTICS.md.

// ItemStats is the analysis of one item (objective item or question group).
type ItemStats struct {
	Item     PaperItem
	N        int     // candidates analysed: present in the subject
	Mean     float64 // mean score
	SD       float64 // population standard deviation of the item score
	P        float64 // difficulty: score rate, Mean / Max
	D        float64 // discrimination: (mean of top 27% − mean of bottom 27%) / Max; NaN when the item has no variance
	R        float64 // corrected item-total correlation (point-biserial for 0/1 items): item against total minus item; NaN when undefined
	ZeroRate float64 // share with score 0
	FullRate float64 // share with the full score of the item
	Options  []OptionStats
	Blank    OptionStats // candidates who left an objective item blank
}

// OptionStats is how often one option of an objective item was chosen,
// overall and in the top and bottom 27% groups: a good distractor draws
// more of the bottom group than of the top.
type OptionStats struct {
	Option   string
	Correct  bool // part of an accepted answer
	Count    int
	Rate     float64
	HighRate float64
	LowRate  float64
}

// PaperStats is the reliability of the whole paper.
type PaperStats struct {
	Items  int     // items analysed (excluded and zero-point items are left out)
	N      int     // candidates analysed
	Mean   float64 // of the paper total
	SD     float64
	Alpha  float64 // Cronbach's alpha, always
	Method string  // "Cronbach α"; the reliability column is always alpha
	KR20   float64 // KR-20, only when every item is scored 0/1 (maximum 1): there it equals α; NaN otherwise
	SEM    float64 // standard error of measurement: SD × √(1 − α)
}

// GroupShare is the share of candidates in each of the top and bottom
// groups used for discrimination: Kelley's 27%.
const GroupShare = 0.27

// AnalyzeItems analyses one subject over the candidates that in() accepts
// (nil: everybody) who were present in it. Candidates are ordered by their
// subject total, highest first, ties by exam number, and the top and bottom
// round(27% × N) form the groups; ties across the cut are split by exam
// number so that the result is reproducible.
func AnalyzeItems(e *ExamResults, subject int, in func(*CandidateResults) bool) ([]ItemStats, PaperStats) {
	paper := e.Subjects[subject]
	var rows []SubjectResult
	var examNos []string
	var w []float64 // sampling weights: all 1 unless the exam is a sample
	for i := range e.Candidates {
		c := &e.Candidates[i]
		if in != nil && !in(c) {
			continue
		}
		r := c.result(subject)
		if r.Status == Present {
			rows = append(rows, r)
			examNos = append(examNos, c.ExamNo)
			w = append(w, c.W())
		}
	}
	n := len(rows)
	k := len(paper.Items)
	// The score matrix, items in columns; a missing score counts 0.
	x := make([][]float64, k)
	for j := range x {
		x[j] = make([]float64, n)
		for i, r := range rows {
			if j < len(r.Scores) {
				x[j][i] = r.Scores[j]
			}
		}
	}
	totals := make([]float64, n)
	for j := range x {
		for i := range totals {
			totals[i] += x[j][i]
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ta, tb := totals[order[a]], totals[order[b]]
		if !sameScore(ta, tb) {
			return ta > tb
		}
		return examNos[order[a]] < examNos[order[b]]
	})
	g := int(math.Round(GroupShare * float64(n)))
	if n >= 2 && g < 1 {
		g = 1
	}
	var high, low []int
	if g >= 1 && n >= 2 {
		high, low = order[:g], order[n-g:]
	}

	stats := make([]ItemStats, k)
	for j, it := range paper.Items {
		st := ItemStats{Item: it, N: n}
		st.Mean = wmean(x[j], w)
		st.SD = math.Sqrt(wvariance(x[j], w))
		st.P, st.D, st.R = math.NaN(), math.NaN(), math.NaN()
		st.ZeroRate, st.FullRate = math.NaN(), math.NaN()
		if n > 0 && it.Max > 0 {
			st.P = st.Mean / it.Max
			var zero, full, sw float64
			for i, v := range x[j] {
				sw += w[i]
				if v <= eps {
					zero += w[i]
				}
				if v >= it.Max-eps {
					full += w[i]
				}
			}
			st.ZeroRate, st.FullRate = weightedRate(zero, sw), weightedRate(full, sw)
			// An item everybody scored the same on says nothing about who is
			// better: its discrimination and correlation are undefined, not 0.
			if st.SD > eps && len(high) > 0 {
				st.D = (meanAt(x[j], w, high) - meanAt(x[j], w, low)) / it.Max
				rest := make([]float64, n)
				for i := range rest {
					rest[i] = totals[i] - x[j][i]
				}
				st.R = correlation(x[j], rest, w)
			}
		}
		if it.Objective {
			st.Options, st.Blank = optionStats(it, rows, j, high, low, w)
		}
		stats[j] = st
	}
	return stats, paperStats(paper, x, totals, w)
}

// meanAt is the weighted mean of v over the indexes.
func meanAt(v, w []float64, idx []int) float64 {
	var s, sw float64
	for _, i := range idx {
		s += w[i] * v[i]
		sw += w[i]
	}
	return s / sw
}

// wmean and wvariance are the weighted mean and population variance.
func wmean(v, w []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s, sw float64
	for i, x := range v {
		s += w[i] * x
		sw += w[i]
	}
	return s / sw
}

func wvariance(v, w []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	m := wmean(v, w)
	var s, sw float64
	for i, x := range v {
		s += w[i] * (x - m) * (x - m)
		sw += w[i]
	}
	return s / sw
}

// correlation is the weighted Pearson r, NaN when either side has no
// variance.
func correlation(a, b, w []float64) float64 {
	ma, mb := wmean(a, w), wmean(b, w)
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += w[i] * da * db
		saa += w[i] * da * da
		sbb += w[i] * db * db
	}
	if saa <= eps || sbb <= eps {
		return math.NaN()
	}
	return sab / math.Sqrt(saa*sbb)
}

// optionStats counts each option of an objective item. A candidate who
// chose "AC" counts for A and for C, so a multiple-choice item's counts may
// add up to more than N. The options listed are A–D (A–B for true/false)
// plus any other letter somebody chose or the key holds.
func optionStats(it PaperItem, rows []SubjectResult, j int, high, low []int, w []float64) ([]OptionStats, OptionStats) {
	letters := map[string]bool{}
	base := "ABCD"
	if it.Kind == saoyue.ItemTF {
		base = "AB"
	}
	for _, r := range base {
		letters[string(r)] = true
	}
	correct := map[string]bool{}
	for _, r := range strings.ReplaceAll(it.Key, "/", "") {
		letters[string(r)] = true
		correct[string(r)] = true
	}
	resp := make([]string, len(rows))
	for i, r := range rows {
		if j < len(r.Responses) {
			resp[i] = strings.ToUpper(strings.TrimSpace(r.Responses[j]))
		}
		for _, c := range resp[i] {
			letters[string(c)] = true
		}
	}
	var opts []string
	for l := range letters {
		opts = append(opts, l)
	}
	sort.Strings(opts)
	share := func(idx []int, pick func(string) bool) float64 {
		if len(idx) == 0 {
			return math.NaN()
		}
		var c, sw float64
		for _, i := range idx {
			sw += w[i]
			if pick(resp[i]) {
				c += w[i]
			}
		}
		return c / sw
	}
	all := make([]int, len(rows))
	for i := range all {
		all[i] = i
	}
	count := func(pick func(string) bool) OptionStats {
		var s OptionStats
		for _, r := range resp {
			if pick(r) {
				s.Count++
			}
		}
		s.Rate = share(all, pick)
		s.HighRate = share(high, pick)
		s.LowRate = share(low, pick)
		return s
	}
	out := make([]OptionStats, 0, len(opts))
	for _, o := range opts {
		s := count(func(r string) bool { return strings.Contains(r, o) })
		s.Option, s.Correct = o, correct[o]
		out = append(out, s)
	}
	blank := count(func(r string) bool { return r == "" })
	blank.Option = "未作答"
	return out, blank
}

// paperStats computes Cronbach's alpha with population variances:
// α = k/(k−1) × (1 − Σσ²ᵢ / σ²ₓ). KR-20 is reported only where it applies,
// every item scored 0 or 1: there σ²ᵢ = pq and KR-20 is α. An item worth
// 2 points scored 0/2 is not 0/1 scored: KR-20 computed on its right/wrong
// pattern weighs it as 1 and differs from α, so it is left empty. Items
// worth nothing are left out; alpha is NaN with fewer than two items or no
// variance in the totals.
func paperStats(paper SubjectPaper, x [][]float64, totals, w []float64) PaperStats {
	ps := PaperStats{N: len(totals), Mean: wmean(totals, w), SD: math.Sqrt(wvariance(totals, w))}
	var sumVar float64
	zeroOne := true
	for j, it := range paper.Items {
		if it.Max <= 0 {
			continue
		}
		ps.Items++
		sumVar += wvariance(x[j], w)
		if math.Abs(it.Max-1) > eps {
			zeroOne = false
			continue
		}
		for _, v := range x[j] {
			if v > eps && v < 1-eps {
				zeroOne = false
				break
			}
		}
	}
	ps.Method = "Cronbach α"
	ps.Alpha, ps.SEM, ps.KR20 = math.NaN(), math.NaN(), math.NaN()
	vx := wvariance(totals, w)
	if ps.Items >= 2 && ps.N >= 2 && vx > eps {
		k := float64(ps.Items)
		ps.Alpha = k / (k - 1) * (1 - sumVar/vx)
		ps.SEM = ps.SD * math.Sqrt(math.Max(0, 1-ps.Alpha))
		if zeroOne {
			ps.KR20 = ps.Alpha
		}
	}
	return ps
}

// AlphaLow is the alpha below which the report cautions that totals are
// not reliable enough to rank candidates: Nunnally & Bernstein (1994) ask
// 0.70 of a test used for decisions about groups.
const AlphaLow = 0.7

// AlphaCaution is the report's warning about a paper's alpha, "" when
// there is nothing to say. A negative alpha means the items correlate
// negatively on average: usually a wrong key or a reversed item.
func AlphaCaution(alpha float64) string {
	switch {
	case math.IsNaN(alpha):
		return ""
	case alpha < 0:
		return "α 为负：各题之间平均呈负相关，多为答案有误或计分方向相反，请先核对答案和评分再使用本卷分数"
	case alpha < AlphaLow:
		return "信度偏低（α < 0.7）：总分受测量误差影响较大，排名和比较需谨慎"
	}
	return ""
}
