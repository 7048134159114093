package stats

import "math"

// ItemRates is the 得分率 of every item of subject s over the members who
// were present in it: Σ w·score / (Σ w × item maximum), the weights being
// the sampling weights (1 unless the exam is a sample). n is how many
// candidates were counted. An item worth nothing, or a group with nobody
// present, has NaN.
func ItemRates(e *ExamResults, s int, members []int) (rates []float64, n int) {
	items := e.Subjects[s].Items
	sums := make([]float64, len(items))
	var sw float64
	for _, i := range members {
		c := &e.Candidates[i]
		r := c.result(s)
		if r.Status != Present {
			continue
		}
		n++
		w := c.W()
		sw += w
		for j := range items {
			if j < len(r.Scores) {
				sums[j] += w * r.Scores[j]
			}
		}
	}
	rates = make([]float64, len(items))
	for j, it := range items {
		rates[j] = math.NaN()
		if sw > 0 && it.Max > 0 {
			rates[j] = sums[j] / sw / it.Max
		}
	}
	return rates, n
}

// Members lists the indexes of the candidates of the county (code ""),
// of each school (by code) and of each class (school code, NUL, class).
type Members struct {
	All     []int
	School  map[string][]int
	Class   map[string][]int
	Schools []Group            // by code
	Classes map[string][]Group // per school code, by name
}

// ClassKey is the key of a class in Members.Class.
func ClassKey(school, class string) string { return school + "\x00" + class }

// GroupMembers finds every group's members once: a county has hundreds of
// classes and tens of thousands of candidates.
func GroupMembers(e *ExamResults) *Members {
	m := &Members{All: make([]int, len(e.Candidates)), School: map[string][]int{}, Class: map[string][]int{}}
	for i := range e.Candidates {
		c := &e.Candidates[i]
		m.All[i] = i
		m.School[c.SchoolCode] = append(m.School[c.SchoolCode], i)
		k := ClassKey(c.SchoolCode, c.Class)
		m.Class[k] = append(m.Class[k], i)
	}
	m.Schools, m.Classes = groupsOf(e)
	return m
}

// Of returns the members of a group row.
func (m *Members) Of(g Group) []int {
	switch g.Level {
	case LevelSchool:
		return m.School[g.SchoolCode]
	case LevelClass:
		return m.Class[ClassKey(g.SchoolCode, g.Class)]
	}
	return m.All
}
