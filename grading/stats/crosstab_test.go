package stats

import (
	"math"
	"testing"
)

// The new columns of the county, school and class rows on the small exam,
// worked out by hand (math, full 10: objective items 1–3 worth 5, group 4
// worth 5).
//
//	objective: A5 B4 C3 D4 E2 | F3 G5     subjective: A5 B4 C3 D4 E1 | F2 G0
//	county: objective 26/7, subjective 19/7; 0101: 18/5, 17/5; 0102: 4, 1
//	class 0101/1班 mean 8: 超均率 against the county (8 − 45/7)/(45/7) = 11/45
//	class 0101/2班 mean 5.5: (5.5 − 45/7)/(45/7) = −13/90; 0102/1班 mean 5: −2/9
//
// Shape of the county math scores 10 8 6 8 3 5 5 (mean 45/7): deviations
// in sevenths 25 11 −3 11 −24 −10 −10; Σd² = 1652, Σd³ = 2436, Σd⁴ = 771764
// (all over 7², 7³, 7⁴), so m2 = 236/49, m3 = 348/343, m4 = 110252/2401:
// skewness 348/236^1.5, kurtosis 110252/236² − 3, CV √236/45.
func TestTablesCrossColumns(t *testing.T) {
	e := smallExam()
	rows := Tables(e, ComputeScores(e), DefaultThresholds)
	find := func(level Level, school, class string) GroupStats {
		for _, r := range rows {
			if r.Subject == 0 && r.Level == level && r.SchoolCode == school && r.Class == class {
				return r
			}
		}
		t.Fatalf("no row %v %s %s", level, school, class)
		return GroupStats{}
	}
	county := find(LevelCounty, "", "")
	near(t, "county objective mean", county.ObjectiveMean, 26.0/7)
	near(t, "county subjective mean", county.SubjectiveMean, 19.0/7)
	if county.ObjectiveFull != 5 || county.SubjectiveFull != 5 {
		t.Errorf("fulls %v %v", county.ObjectiveFull, county.SubjectiveFull)
	}
	near(t, "county skewness", county.Skewness, 348/math.Pow(236, 1.5))
	near(t, "county kurtosis", county.Kurtosis, 110252.0/(236*236)-3)
	near(t, "county CV", county.CV, math.Sqrt(236)/45)
	near(t, "county 超均率 against itself", county.OverMeanCounty, math.NaN())

	s1 := find(LevelSchool, "0101", "")
	near(t, "0101 objective", s1.ObjectiveMean, 18.0/5)
	near(t, "0101 subjective", s1.SubjectiveMean, 17.0/5)
	near(t, "0101 超均率 county", s1.OverMeanCounty, 4.0/45)
	s2 := find(LevelSchool, "0102", "")
	near(t, "0102 objective", s2.ObjectiveMean, 4)
	near(t, "0102 subjective", s2.SubjectiveMean, 1)

	c1 := find(LevelClass, "0101", "1班")
	near(t, "1班 超均率 school", c1.OverMean, (8-7)/7.0)
	near(t, "1班 超均率 county", c1.OverMeanCounty, 11.0/45)
	near(t, "2班 超均率 county", find(LevelClass, "0101", "2班").OverMeanCounty, -13.0/90)
	near(t, "0102 1班 超均率 county", find(LevelClass, "0102", "1班").OverMeanCounty, -2.0/9)

	// Total over subjects: objective items of both papers (5 + 2), groups (5 + 2).
	for _, r := range rows {
		if r.Subject == -1 && r.Level == LevelCounty && (r.ObjectiveFull != 7 || r.SubjectiveFull != 7) {
			t.Errorf("total fulls %v %v", r.ObjectiveFull, r.SubjectiveFull)
		}
	}
}

// Item 得分率 per school, by hand: 0101 item 1: A2 B2 C0 D2 E0 = 6 of 10;
// item 3: 2 of 5; group 4: 17 of 25. 0102 item 1: 2 of 4, item 3: 2 of 2,
// group 4: 2 of 10. County item 1: 8 of 14, group 4: 19 of 35.
func TestItemRates(t *testing.T) {
	e := smallExam()
	m := GroupMembers(e)
	want := map[string][]float64{
		"0101": {0.6, 1, 0.4, 0.68},
		"0102": {0.5, 1, 1, 0.2},
		"":     {4.0 / 7, 1, 4.0 / 7, 19.0 / 35},
	}
	for school, w := range want {
		members := m.All
		if school != "" {
			members = m.School[school]
		}
		got, n := ItemRates(e, 0, members)
		if wantN := map[string]int{"0101": 5, "0102": 2, "": 7}[school]; n != wantN {
			t.Errorf("%q n = %d, want %d", school, n, wantN)
		}
		for j := range w {
			near(t, "rate "+school+" item "+e.Subjects[0].Items[j].Code, got[j], w[j])
		}
	}
	got, n := ItemRates(e, 0, []int{7, 8}) // H absent, I violation
	if n != 0 || !math.IsNaN(got[0]) {
		t.Errorf("nobody present: %v %d", got, n)
	}
}

// Weighted descriptive statistics, by hand: values 1 2 3 with weights
// 1 1 2 are the values 1 2 3 3: mean 9/4, median 2.5, variance
// ((−5/4)² + (−1/4)² + 2×(3/4)²)/4 = (25+1+18)/64 = 11/16.
func TestDescribeWeighted(t *testing.T) {
	d := DescribeWeighted([]float64{3, 1, 2}, []float64{2, 1, 1})
	plain := Describe([]float64{1, 2, 3, 3})
	near(t, "mean", d.Mean, 9.0/4)
	near(t, "median", d.Median, 2.5)
	near(t, "SD", d.SD, math.Sqrt(11.0/16))
	near(t, "weight sum", d.WeightSum, 4)
	for _, c := range []struct {
		what string
		a, b float64
	}{{"mean", d.Mean, plain.Mean}, {"median", d.Median, plain.Median}, {"SD", d.SD, plain.SD},
		{"skewness", d.Skewness, plain.Skewness}, {"kurtosis", d.Kurtosis, plain.Kurtosis}, {"CV", d.CV, plain.CV}} {
		near(t, "weighted "+c.what+" = repeated values", c.a, c.b)
	}
	// The weighted median where one weight passes half: 1 2 3 weighted 1 1 3.
	near(t, "median past half", DescribeWeighted([]float64{1, 2, 3}, []float64{1, 1, 3}).Median, 3)
	// No spread: skewness and kurtosis undefined; zero mean: CV undefined.
	flat := Describe([]float64{0, 0})
	near(t, "flat skewness", flat.Skewness, math.NaN())
	near(t, "flat CV", flat.CV, math.NaN())
}
