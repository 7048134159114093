// Package stats holds the statistics of the county report (成绩统计分析报告)
// as pure functions over in-memory results: no database, no storage, no
// I/O, so every figure can be tested against hand-computed values.
package stats

import (
	"fmt"
	"math"
	"sort"

	"github.com/saoyue/saoyue"
)

// The statistics of the county report (成绩统计分析报告). Everything here is
// a pure function of the in-memory results below, so it can be tested
// against hand-computed values; loading from the database lives in
// package report. Formulas and references: docs/STATISTICS.md.
//
// Undefined values (the mean of nobody, the discrimination of an item
// everybody got right) are NaN, never a made-up 0; writers leave such
// cells empty.

// Attendance is how a candidate took one subject.
type Attendance int

const (
	Present   Attendance = iota
	Absent               // 缺考: the invigilator filled the absent mark
	Violation            // 违纪: the violation mark; the card does not count
	NoResult             // 无成绩: no card was scanned for the candidate
)

// Label is the Chinese word shown instead of a score.
func (a Attendance) Label() string {
	switch a {
	case Absent:
		return "缺考"
	case Violation:
		return "违纪"
	case NoResult:
		return "无成绩"
	}
	return ""
}

// Attended reports whether the candidate sat the paper: violation
// candidates sat it, so they count as participating though their score is
// not used.
func (a Attendance) Attended() bool { return a == Present || a == Violation }

// ExamResults is everything the report is computed from: the papers and
// every candidate's item scores.
type ExamResults struct {
	Code       string
	Name       string
	Sampled    bool           // a sample exam: candidates carry weights and county figures are weighted
	Weights    []SchoolWeight // each sample school's enrolment, sample and weight
	Subjects   []SubjectPaper
	Candidates []CandidateResults // ascending exam number
}

// SubjectPaper is one subject's paper: its items in paper order.
type SubjectPaper struct {
	Code      string
	Name      string
	FullScore float64
	Items     []PaperItem
	Subs      []SubItem // sub-questions of the groups that have them, in paper order
}

// SubItem is one sub-question of a question group: 28(1), 28(2).
type SubItem struct {
	Item  int    // index of the group in Items
	Label string // group code and sub label, "28(1)"
	Max   float64
}

// PaperItem is one objective item or one subjective question group.
type PaperItem struct {
	Code      string // "1".."25" for objective items, the group code for subjective ones
	Objective bool
	Kind      saoyue.ItemKind // single, multi or tf for objective items
	Max       float64
	Key       string   // accepted answers of an objective item, "B" or "A/C"
	Knowledge []string // 知识点 the item tests (from the answer-key file)
	Abilities []string // abilities (能力要求) it tests
}

// CandidateResults is one candidate with their results in every subject,
// aligned with ExamResults.Subjects.
type CandidateResults struct {
	ExamNo     string
	Name       string
	SchoolCode string
	SchoolName string
	Class      string
	StudentID  int64   // the roster row: the same student in another exam
	StudentNo  string  // the roster id within the school (学籍号)
	Weight     float64 // sampling weight, enrolment/sample of the school; 0 means 1
	Subjects   []SubjectResult
}

// SubjectResult is one candidate's result in one subject. Scores and
// Responses are aligned with the paper's items and only meaningful for
// Present candidates.
type SubjectResult struct {
	Status    Attendance
	Scores    []float64
	Responses []string  // chosen options of objective items, "" = blank
	SubScores []float64 // aligned with the paper's Subs; NaN where unknown
	// SubChanged marks the parts of a group whose score was changed in
	// review: their SubScores are attributed (AttributeParts), not marked.
	SubChanged []bool
}

// CandidateScore is one candidate's score in one subject or over all
// subjects, with ranks (0 = not ranked: absent, violation).
type CandidateScore struct {
	Status     Attendance
	Objective  float64
	Subjective float64
	Total      float64
	RankClass  int
	RankSchool int
	RankCounty int
}

// CandidateScores is one candidate's scores in every subject (aligned with
// ExamResults.Subjects) and over all of them.
type CandidateScores struct {
	Subjects []CandidateScore
	Total    CandidateScore
}

// Thresholds are the fractions of the full score that make a pass, an
// excellent and a low score. Pass and excellent are "at least"; low is
// "below".
type Thresholds struct {
	Pass      float64
	Excellent float64
	Low       float64
	Good      float64 // 良好, "at least"; 0 = not reported
}

// DefaultThresholds: pass 60% (DOMAIN rule 14, seed 003), excellent 85%,
// low score below 40%, the usual county-report values.
var DefaultThresholds = Thresholds{Pass: 0.6, Excellent: 0.85, Low: 0.4, Good: 0.75}

// Check rejects thresholds that make no sense.
func (t Thresholds) Check() error {
	for _, v := range []float64{t.Pass, t.Excellent, t.Low} {
		if !(v > 0 && v <= 1) {
			return fmt.Errorf("thresholds are fractions of the full score between 0 and 1, got pass %g, excellent %g, low %g", t.Pass, t.Excellent, t.Low)
		}
	}
	if t.Excellent < t.Pass {
		return fmt.Errorf("the excellent mark (%g) is below the pass mark (%g)", t.Excellent, t.Pass)
	}
	if t.Good != 0 && (t.Good < t.Pass || t.Good > t.Excellent) {
		return fmt.Errorf("良好线（%g）必须在及格线（%g）和优秀线（%g）之间", t.Good, t.Pass, t.Excellent)
	}
	return nil
}

// eps absorbs decimal noise: scores are multiples of 0.5 but 0.6*full may
// be 53.99999999.
const eps = 1e-9

// FullScoreTotal is the full score over all subjects.
func (e *ExamResults) FullScoreTotal() float64 {
	var t float64
	for _, s := range e.Subjects {
		t += s.FullScore
	}
	return t
}

// ComputeScores adds up every candidate's objective, subjective and total
// score per subject and over subjects, and ranks them in class, school and
// county. A candidate's total over subjects counts only if they were
// present in every subject; otherwise the total shows why (违纪 before
// 缺考 before 无成绩), because a partial sum would rank below candidates
// who sat everything and pull the means down.
func ComputeScores(e *ExamResults) []CandidateScores {
	out := make([]CandidateScores, len(e.Candidates))
	for i := range e.Candidates {
		c := &e.Candidates[i]
		cs := CandidateScores{Subjects: make([]CandidateScore, len(e.Subjects))}
		total := CandidateScore{Status: Present}
		for s := range e.Subjects {
			r := c.result(s)
			sc := CandidateScore{Status: r.Status}
			if r.Status == Present {
				for k, it := range e.Subjects[s].Items {
					if k >= len(r.Scores) {
						break
					}
					if it.Objective {
						sc.Objective += r.Scores[k]
					} else {
						sc.Subjective += r.Scores[k]
					}
				}
				sc.Total = sc.Objective + sc.Subjective
			}
			cs.Subjects[s] = sc
			total.Status = worse(total.Status, r.Status)
			total.Objective += sc.Objective
			total.Subjective += sc.Subjective
			total.Total += sc.Total
		}
		if total.Status != Present {
			total.Objective, total.Subjective, total.Total = 0, 0, 0
		}
		cs.Total = total
		out[i] = cs
	}
	rank := func(get func(*CandidateScores) *CandidateScore) {
		rankWithin(e, out, get, func(c *CandidateResults) string { return "" },
			func(s *CandidateScore, r int) { s.RankCounty = r })
		rankWithin(e, out, get, func(c *CandidateResults) string { return c.SchoolCode },
			func(s *CandidateScore, r int) { s.RankSchool = r })
		rankWithin(e, out, get, func(c *CandidateResults) string { return c.SchoolCode + "\x00" + c.Class },
			func(s *CandidateScore, r int) { s.RankClass = r })
	}
	for s := range e.Subjects {
		rank(func(cs *CandidateScores) *CandidateScore { return &cs.Subjects[s] })
	}
	if len(e.Subjects) > 0 {
		rank(func(cs *CandidateScores) *CandidateScore { return &cs.Total })
	}
	return out
}

// result tolerates candidates built with fewer subjects than the exam.
func (c *CandidateResults) result(s int) SubjectResult {
	if s < len(c.Subjects) {
		return c.Subjects[s]
	}
	return SubjectResult{Status: NoResult}
}

// worse orders the reasons a total does not count: a violation in any
// subject outweighs an absence, which outweighs a missing card.
func worse(a, b Attendance) Attendance {
	order := map[Attendance]int{Present: 0, NoResult: 1, Absent: 2, Violation: 3}
	if order[b] > order[a] {
		return b
	}
	return a
}

// Level is where a row of the tables sits.
type Level int

const (
	LevelCounty Level = iota
	LevelSchool
	LevelClass
)

// Group names a county, school or class row.
type Group struct {
	Level      Level
	SchoolCode string
	SchoolName string
	Class      string
}

// GroupStats is one row of the county, school or class table for one
// subject (Subject is its index) or for the total (Subject == -1).
type GroupStats struct {
	Group
	Subject   int
	FullScore float64

	Registered    int     // 应考: candidates of the group
	Attended      int     // 实考: present or violation
	Absent        int     // 缺考, including candidates without a card
	Violation     int     // 违纪
	Counted       int     // 统计人数: present, the scores the figures use
	Participation float64 // 参考率 = Attended / Registered

	Descriptive
	PassRate       float64 // share of Counted with score ≥ Pass × full
	ExcellentRate  float64 // share with score ≥ Excellent × full
	GoodRate       float64 // 良好率: share with score ≥ Good × full; NaN when Good is 0
	LowRate        float64 // share with score < Low × full
	OverMean       float64 // 超均率: (mean − parent mean) / parent mean; NaN for the county
	OverMeanCounty float64 // 超均率 against the county mean: the school's OverMean for schools, NaN for the county

	ObjectiveFull, SubjectiveFull float64 // full score of the objective items and of the subjective groups
	ObjectiveMean, SubjectiveMean float64 // mean objective and subjective score of the counted candidates
	Rank                          int     // by mean among the school's siblings (schools in the county, classes in the school); 0 for the county
}

// Descriptive statistics of a set of scores; NaN when there are none.
type Descriptive struct {
	N         int
	WeightSum float64 // Σ weights: N when the exam is not a sample, the students represented when it is
	Mean      float64
	Median    float64
	Max       float64
	Min       float64
	SD        float64 // population standard deviation (divide by N)
	Skewness  float64 // g1 = m3 / m2^1.5, population moments; NaN without spread
	Kurtosis  float64 // excess kurtosis g2 = m4 / m2² − 3; NaN without spread
	CV        float64 // 差异系数: SD / mean; NaN for a zero mean
}

// Describe computes the descriptive statistics of the values, each
// weighing 1.
func Describe(values []float64) Descriptive { return DescribeWeighted(values, nil) }

// Tables computes the county, school and class rows for every subject and
// the total: for each subject (in exam order, then the total) the county
// row, then each school followed by its classes, schools by code and
// classes by name.
func Tables(e *ExamResults, scores []CandidateScores, th Thresholds) []GroupStats {
	schools, classes := groupsOf(e)
	// Members of each school and class, found once: a county has hundreds
	// of classes and tens of thousands of candidates.
	all := make([]int, len(e.Candidates))
	bySchool, byClass := map[string][]int{}, map[string][]int{}
	for i := range e.Candidates {
		c := &e.Candidates[i]
		all[i] = i
		bySchool[c.SchoolCode] = append(bySchool[c.SchoolCode], i)
		byClass[c.SchoolCode+"\x00"+c.Class] = append(byClass[c.SchoolCode+"\x00"+c.Class], i)
	}
	var out []GroupStats
	subjects := make([]int, 0, len(e.Subjects)+1)
	for s := range e.Subjects {
		subjects = append(subjects, s)
	}
	if len(e.Subjects) > 0 {
		subjects = append(subjects, -1)
	}
	for _, s := range subjects {
		full := e.FullScoreTotal()
		if s >= 0 {
			full = e.Subjects[s].FullScore
		}
		county := groupStats(e, scores, all, s, full, th, Group{Level: LevelCounty})
		out = append(out, county)

		var schoolRows []GroupStats
		for _, g := range schools {
			schoolRows = append(schoolRows, groupStats(e, scores, bySchool[g.SchoolCode], s, full, th, g))
		}
		rankGroups(schoolRows)
		for i := range schoolRows {
			schoolRows[i].OverMean = overMean(schoolRows[i].Mean, county.Mean)
			schoolRows[i].OverMeanCounty = schoolRows[i].OverMean
			out = append(out, schoolRows[i])
			var classRows []GroupStats
			for _, g := range classes[schoolRows[i].SchoolCode] {
				classRows = append(classRows, groupStats(e, scores, byClass[g.SchoolCode+"\x00"+g.Class], s, full, th, g))
			}
			rankGroups(classRows)
			for j := range classRows {
				classRows[j].OverMean = overMean(classRows[j].Mean, schoolRows[i].Mean)
				classRows[j].OverMeanCounty = overMean(classRows[j].Mean, county.Mean)
			}
			out = append(out, classRows...)
		}
	}
	return out
}

// groupsOf lists the schools (by code) and each school's classes (by name).
func groupsOf(e *ExamResults) ([]Group, map[string][]Group) {
	seenSchool := map[string]bool{}
	seenClass := map[string]bool{}
	var schools []Group
	classes := map[string][]Group{}
	for _, c := range e.Candidates {
		if !seenSchool[c.SchoolCode] {
			seenSchool[c.SchoolCode] = true
			schools = append(schools, Group{Level: LevelSchool, SchoolCode: c.SchoolCode, SchoolName: c.SchoolName})
		}
		k := c.SchoolCode + "\x00" + c.Class
		if !seenClass[k] {
			seenClass[k] = true
			classes[c.SchoolCode] = append(classes[c.SchoolCode], Group{Level: LevelClass, SchoolCode: c.SchoolCode, SchoolName: c.SchoolName, Class: c.Class})
		}
	}
	sort.Slice(schools, func(i, j int) bool { return schools[i].SchoolCode < schools[j].SchoolCode })
	for _, cs := range classes {
		sort.Slice(cs, func(i, j int) bool { return classLess(cs[i].Class, cs[j].Class) })
	}
	return schools, classes
}

// classLess puts "2班" before "10班": numbers inside names compare as numbers.
func classLess(a, b string) bool { return naturalLess(a, b) }

// groupStats computes one row over the candidates with the given indexes.
// Every figure is weighted by the candidates' sampling weights; within a
// school they are equal, so only the county row of a sample exam differs
// from the plain figures. Headcounts stay counts of candidates.
func groupStats(e *ExamResults, scores []CandidateScores, members []int, s int, full float64, th Thresholds, g Group) GroupStats {
	gs := GroupStats{Group: g, Subject: s, FullScore: full}
	gs.ObjectiveFull, gs.SubjectiveFull = e.partFulls(s)
	var values, weights []float64
	var pass, excellent, good, low, obj, subj float64
	for _, i := range members {
		sc := scores[i].Total
		if s >= 0 {
			sc = scores[i].Subjects[s]
		}
		gs.Registered++
		switch sc.Status {
		case Present:
			gs.Attended++
			w := e.Candidates[i].W()
			values, weights = append(values, sc.Total), append(weights, w)
			obj += w * sc.Objective
			subj += w * sc.Subjective
			if sc.Total >= th.Pass*full-eps {
				pass += w
			}
			if sc.Total >= th.Excellent*full-eps {
				excellent += w
			}
			if sc.Total >= th.Good*full-eps {
				good += w
			}
			if sc.Total < th.Low*full-eps {
				low += w
			}
		case Violation:
			gs.Attended++
			gs.Violation++
		default:
			gs.Absent++
		}
	}
	gs.Counted = len(values)
	gs.Descriptive = DescribeWeighted(values, weights)
	gs.Participation = ratio(gs.Attended, gs.Registered)
	gs.PassRate = weightedRate(pass, gs.WeightSum)
	gs.ExcellentRate = weightedRate(excellent, gs.WeightSum)
	gs.LowRate = weightedRate(low, gs.WeightSum)
	gs.GoodRate = math.NaN()
	if th.Good > 0 {
		gs.GoodRate = weightedRate(good, gs.WeightSum)
	}
	gs.ObjectiveMean = weightedRate(obj, gs.WeightSum)
	gs.SubjectiveMean = weightedRate(subj, gs.WeightSum)
	gs.OverMean, gs.OverMeanCounty = math.NaN(), math.NaN()
	return gs
}

// partFulls is the full score of the objective items and of the
// subjective groups of subject s, or over all subjects for s = -1.
func (e *ExamResults) partFulls(s int) (objective, subjective float64) {
	for k, p := range e.Subjects {
		if s >= 0 && k != s {
			continue
		}
		for _, it := range p.Items {
			if it.Objective {
				objective += it.Max
			} else {
				subjective += it.Max
			}
		}
	}
	return objective, subjective
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func overMean(m, parent float64) float64 {
	if math.IsNaN(m) || math.IsNaN(parent) || parent == 0 {
		return math.NaN()
	}
	return (m - parent) / parent
}

// rankGroups ranks sibling rows by mean, higher first; rows with nobody
// counted get no rank.
func rankGroups(rows []GroupStats) {
	means := make([]float64, len(rows))
	for i, r := range rows {
		means[i] = r.Mean
	}
	for i, r := range CompetitionRanks(means) {
		rows[i].Rank = r
	}
}

// Band is one score band: Lo ≤ score < Hi, and the top band includes the
// full score.
type Band struct {
	Lo, Hi float64
	Label  string
}

// ScoreBands cuts 0..full into bands of the given width from 0 up: for a
// full score of 100 and width 10 that is 0–10, 10–20, … 90–100, the last
// including 100. A last band narrower than the width (full 105) is kept.
func ScoreBands(full, width float64) []Band {
	if full <= 0 || width <= 0 {
		return nil
	}
	var out []Band
	for lo := 0.0; lo < full-eps; lo += width {
		hi := math.Min(lo+width, full)
		out = append(out, Band{Lo: lo, Hi: hi, Label: fmt.Sprintf("%s-%s", trimFloat(lo), trimFloat(hi))})
	}
	return out
}

func trimFloat(v float64) string { return fmt.Sprintf("%g", v) }

// BandCounts counts the scores in each band.
func BandCounts(values []float64, bands []Band) []int {
	counts := make([]int, len(bands))
	for _, v := range values {
		for i, b := range bands {
			top := i == len(bands)-1
			if v >= b.Lo-eps && (v < b.Hi-eps || top) {
				counts[i]++
				break
			}
		}
	}
	return counts
}

// OnePointRow is one line of the 一分一段 table: how many scored in
// [Score, Score+1), and how many scored at least Score.
type OnePointRow struct {
	Score          int
	Count          int
	Cumulative     int
	CumulativeRate float64
}

// OnePoint is the cumulative one-point table from the highest score down to
// the lowest, every integer in between listed even when nobody has it.
// Half points fall into the integer below (59.5 is in the 59 line), so the
// cumulative count at 60 is exactly the number who passed a 60 mark.
//
// CumulativeRate is the weighted share at or above the line (weights nil:
// every score weighs 1), so on a sample exam it estimates the county's.
func OnePoint(values, weights []float64) []OnePointRow {
	if len(values) == 0 {
		return nil
	}
	counts := map[int]int{}
	wsum := map[int]float64{}
	var total float64
	hi, lo := math.MinInt, math.MaxInt
	for i, v := range values {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		p := int(math.Floor(v + eps))
		counts[p]++
		wsum[p] += w
		total += w
		hi, lo = max(hi, p), min(lo, p)
	}
	var out []OnePointRow
	cum, cumW := 0, 0.0
	for p := hi; p >= lo; p-- {
		cum += counts[p]
		cumW += wsum[p]
		out = append(out, OnePointRow{Score: p, Count: counts[p], Cumulative: cum, CumulativeRate: cumW / total})
	}
	return out
}

// SubjectValues returns the counted (present) scores of one subject, or of
// the total when s is -1, for the candidates that in() accepts.
func SubjectValues(e *ExamResults, scores []CandidateScores, s int, in func(*CandidateResults) bool) []float64 {
	v, _ := SubjectValuesWeighted(e, scores, s, in)
	return v
}

// SubjectValuesWeighted is SubjectValues with each candidate's sampling
// weight beside the score.
func SubjectValuesWeighted(e *ExamResults, scores []CandidateScores, s int, in func(*CandidateResults) bool) (v, w []float64) {
	for i := range e.Candidates {
		if in != nil && !in(&e.Candidates[i]) {
			continue
		}
		sc := scores[i].Total
		if s >= 0 {
			sc = scores[i].Subjects[s]
		}
		if sc.Status == Present {
			v, w = append(v, sc.Total), append(w, e.Candidates[i].W())
		}
	}
	return v, w
}

// BandShares is the weighted share of the scores in each band: Σw in the
// band / Σw (the counts' shares when every weight is 1).
func BandShares(values, weights []float64, bands []Band) []float64 {
	sums := make([]float64, len(bands))
	var total float64
	for i, v := range values {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		total += w
		for k, b := range bands {
			if v >= b.Lo-eps && (v < b.Hi-eps || k == len(bands)-1) {
				sums[k] += w
				break
			}
		}
	}
	for k := range sums {
		sums[k] = weightedRate(sums[k], total)
	}
	return sums
}
