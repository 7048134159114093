package stats

import (
	"math"
	"sort"
	"strconv"
	"unicode"
)

// CompetitionRanks ranks values, highest first, the way Chinese schools
// print ranks: equal values share a rank and the next rank skips ("1224"
// standard competition ranking), so a rank always says how many did better.
// NaN values (nobody to rank) get rank 0.
func CompetitionRanks(values []float64) []int {
	idx := make([]int, 0, len(values))
	for i, v := range values {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return values[idx[a]] > values[idx[b]] })
	ranks := make([]int, len(values))
	for pos, i := range idx {
		if pos > 0 && sameScore(values[i], values[idx[pos-1]]) {
			ranks[i] = ranks[idx[pos-1]]
		} else {
			ranks[i] = pos + 1
		}
	}
	return ranks
}

// sameScore treats scores that differ only by float noise as equal: sums
// of 0.5 steps are exact, but sums read from numeric columns may not be.
func sameScore(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// rankWithin ranks the present candidates' scores inside each group given
// by key (one group for the county) and stores the rank with set; absent
// and violation candidates keep rank 0.
func rankWithin(e *ExamResults, scores []CandidateScores, get func(*CandidateScores) *CandidateScore,
	key func(*CandidateResults) string, set func(*CandidateScore, int)) {
	members := map[string][]int{}
	var order []string
	for i := range e.Candidates {
		if get(&scores[i]).Status != Present {
			continue
		}
		k := key(&e.Candidates[i])
		if _, ok := members[k]; !ok {
			order = append(order, k)
		}
		members[k] = append(members[k], i)
	}
	for _, k := range order {
		idx := members[k]
		values := make([]float64, len(idx))
		for j, i := range idx {
			values[j] = get(&scores[i]).Total
		}
		for j, r := range CompetitionRanks(values) {
			set(get(&scores[idx[j]]), r)
		}
	}
}

// naturalLess compares strings with runs of digits as numbers, so "2班"
// sorts before "10班" and item "9" before item "10".
func naturalLess(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	i, j := 0, 0
	for i < len(ra) && j < len(rb) {
		if unicode.IsDigit(ra[i]) && unicode.IsDigit(rb[j]) {
			si := i
			for i < len(ra) && unicode.IsDigit(ra[i]) {
				i++
			}
			sj := j
			for j < len(rb) && unicode.IsDigit(rb[j]) {
				j++
			}
			na, errA := strconv.ParseUint(string(ra[si:i]), 10, 64)
			nb, errB := strconv.ParseUint(string(rb[sj:j]), 10, 64)
			if errA == nil && errB == nil && na != nb {
				return na < nb
			}
			if string(ra[si:i]) != string(rb[sj:j]) {
				return string(ra[si:i]) < string(rb[sj:j])
			}
			continue
		}
		if ra[i] != rb[j] {
			return ra[i] < rb[j]
		}
		i++
		j++
	}
	return len(ra)-i < len(rb)-j
}

// NaturalLess is naturalLess for callers outside the package that order
// items and classes the same way the tables do.
func NaturalLess(a, b string) bool { return naturalLess(a, b) }
