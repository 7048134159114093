package stats

import (
	"math"
	"testing"
)

// Standard scores, grades, 良好率, composite, 名次段 and 临界生 on the small
// exam, by hand (math, full 10: A10 B8 C6 D8 E3 | F5 G5; county mean 45/7,
// SD √236/7; county ranks A1 B2 D2 C4 F5 G5 E7).
func TestBandsByHand(t *testing.T) {
	e := smallExam()
	scores := ComputeScores(e)

	z, tt := Standard(10, 45.0/7, math.Sqrt(236)/7)
	near(t, "Z of A", z, 25/math.Sqrt(236))
	near(t, "T of A", tt, 50+250/math.Sqrt(236))
	z, _ = Standard(3, 3, 0)
	near(t, "Z without spread", z, math.NaN())

	// By score: A ≥ 8.5, B ≥ 7.5, C ≥ 6, D ≥ 4, E below.
	sch, err := GradeScheme{}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	got := Grades(e, scores, 0, 10, sch)
	want := []string{"A", "B", "C", "B", "E", "D", "D", "", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("grades by score %v, want %v", got, want)
		}
	}
	gc := CountGrades(e, got, GroupMembers(e).All)
	if gc.Counts != [5]int{1, 2, 1, 2, 1} {
		t.Errorf("county grade counts %v", gc.Counts)
	}
	near(t, "B share", gc.Shares[1], 2.0/7)

	// By percentile (top 15/40/75/95%): share above = (rank − 1)/7:
	// A 0, B D 1/7 → A; C 3/7, F G 4/7 → C; E 6/7 → D.
	pct, _ := GradeScheme{Mode: GradeByPercentile}.Resolve()
	got = Grades(e, scores, 0, 10, pct)
	want = []string{"A", "A", "C", "A", "D", "C", "C", "", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("grades by percentile %v, want %v", got, want)
		}
	}

	// 良好率 (≥ 7.5): A B D = 3/7. Composite, weights .4/.2/.2/.2:
	// 0101: mean 7/10, pass 4/5, excellent 1/5, low 1/5 → 100 × (.28 + .16 + .04 + .16) = 64
	// 0102: mean 5/10, pass 0, excellent 0, low 0 → 100 × (.2 + .2) = 40
	rows := Tables(e, scores, DefaultThresholds)
	near(t, "county 良好率", rows[0].GoodRate, 3.0/7)
	w := []float64{0.4, 0.2, 0.2, 0.2}
	near(t, "0101 composite", Composite(rows[1], w), 64)
	if rows[1].SchoolCode != "0101" || rows[4].SchoolCode != "0102" {
		t.Fatalf("rows %v %v", rows[1].Group, rows[4].Group)
	}
	near(t, "0102 composite", Composite(rows[4], w), 40)

	// 名次段: top 2 = A B D (0101); top 5 adds C, F, G (F and G share 5th).
	m := GroupMembers(e)
	for _, c := range []struct {
		school  string
		n, want int
	}{{"0101", 2, 3}, {"0102", 2, 0}, {"0101", 5, 4}, {"0102", 5, 2}} {
		if got := TopCount(scores, 0, m.School[c.school], c.n); got != c.want {
			t.Errorf("%s top %d = %d, want %d", c.school, c.n, got, c.want)
		}
	}

	// 临界生 within 1 point of 6 and 8.5: [5, 7) → F G (−1), C (0);
	// [7.5, 9.5) → B D (−0.5).
	b := BorderlineStudents(e, scores, 0, m.All, []NamedLine{{"及格线", 6}, {"优秀线", 8.5}}, 1)
	var names []string
	for _, x := range b {
		names = append(names, e.Candidates[x.Candidate].Name+x.Line)
	}
	wantNames := []string{"F及格线", "G及格线", "C及格线", "B优秀线", "D优秀线"}
	if len(names) != len(wantNames) {
		t.Fatalf("borderline %v, want %v", names, wantNames)
	}
	for i := range wantNames {
		if names[i] != wantNames[i] {
			t.Fatalf("borderline %v, want %v", names, wantNames)
		}
	}
	near(t, "F's gap", b[0].Gap, -1)
}

func TestGradeSchemeResolve(t *testing.T) {
	for _, bad := range []GradeScheme{{Mode: "rank"}, {Cuts: []float64{0.9, 0.8}}, {Cuts: []float64{0.6, 0.75, 0.85, 0.4}},
		{Mode: GradeByPercentile, Cuts: []float64{0.5, 0.4, 0.3, 0.2}}, {Cuts: []float64{1.2, 0.8, 0.6, 0.4}}} {
		if _, err := bad.Resolve(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
