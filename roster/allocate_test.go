package roster

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/saoyue/saoyue/store"
)

func TestSplitRooms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, capacity int
		want        []int
	}{
		{0, 42, nil},
		{1, 42, []int{1}},
		{30, 30, []int{30}},
		{30, 42, []int{30}},
		{42, 42, []int{42}},
		{43, 42, []int{22, 21}}, // rule 12: the first room takes the odd one
		{44, 42, []int{22, 22}},
		{61, 42, []int{31, 30}},
		{84, 42, []int{42, 42}},
		{85, 42, []int{29, 28, 28}},
		{86, 42, []int{29, 29, 28}},
		{126, 42, []int{42, 42, 42}},
		{31, 30, []int{16, 15}},
		{60, 30, []int{30, 30}},
		{61, 30, []int{21, 20, 20}},
		{95, 30, []int{24, 24, 24, 23}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d", tt.n, tt.capacity), func(t *testing.T) {
			t.Parallel()
			got := SplitRooms(tt.n, tt.capacity)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitRooms(%d, %d) = %v, want %v", tt.n, tt.capacity, got, tt.want)
			}
		})
	}
}

func TestExamNo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		exam, school string
		room, seat   int
		want         string
		err          bool
	}{
		{"21", "0101", 1, 1, "2101010101", false},
		{"21", "101", 2, 22, "2101010222", false},
		{"07", "12", 10, 42, "0700121042", false},
		{"7", "0101", 1, 1, "", true},
		{"21", "12345", 1, 1, "", true},
		{"21", "0101", 100, 1, "", true},
		{"21", "0101", 1, 0, "", true},
	}
	for _, tt := range tests {
		got, err := ExamNo(tt.exam, tt.school, tt.room, tt.seat)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ExamNo(%q, %q, %d, %d) = %q, %v; want %q (error %v)", tt.exam, tt.school, tt.room, tt.seat, got, err, tt.want, tt.err)
		}
	}
}

func TestSeatPositionIsSerpentine(t *testing.T) {
	t.Parallel()
	// 42 seats: 6 columns of 7; the numbers go down column 0, up column 1...
	want := [7][6]int{
		{1, 14, 15, 28, 29, 42},
		{2, 13, 16, 27, 30, 41},
		{3, 12, 17, 26, 31, 40},
		{4, 11, 18, 25, 32, 39},
		{5, 10, 19, 24, 33, 38},
		{6, 9, 20, 23, 34, 37},
		{7, 8, 21, 22, 35, 36},
	}
	var got [7][6]int
	for s := 1; s <= 42; s++ {
		c, r := SeatPosition(s, 42)
		got[r][c] = s
	}
	if got != want {
		t.Errorf("42-seat chart:\n got %v\nwant %v", got, want)
	}
	// 30 seats: 6 columns of 5.
	for s, want := range map[int][2]int{1: {0, 0}, 5: {0, 4}, 6: {1, 4}, 10: {1, 0}, 11: {2, 0}, 30: {5, 0}} {
		if c, r := SeatPosition(s, 30); [2]int{c, r} != want {
			t.Errorf("SeatPosition(%d, 30) = %d,%d want %v", s, c, r, want)
		}
	}
}

func roster(school string, n int) []store.Student {
	var out []store.Student
	for i := range n {
		out = append(out, store.Student{
			ID: int64(i + 1), SchoolCode: school,
			StudentNo: fmt.Sprintf("G%04d", (i*7919)%10000), // not in roster order
			ClassName: fmt.Sprintf("五(%d)班", 1+i%11),
		})
	}
	return out
}

func studentNos(ss []store.Student) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.StudentNo)
	}
	return out
}

func TestSample(t *testing.T) {
	t.Parallel()
	students := roster("0101", 100)
	a := Sample(students, 42, 7, "0101")
	if len(a) != 42 {
		t.Fatalf("sampled %d, want 42", len(a))
	}
	shuffled := slices.Clone(students)
	slices.Reverse(shuffled)
	b := Sample(shuffled, 42, 7, "0101")
	if !reflect.DeepEqual(studentNos(a), studentNos(b)) {
		t.Errorf("same roster in another order and same seed gave another sample")
	}
	if c := Sample(students, 42, 8, "0101"); reflect.DeepEqual(studentNos(a), studentNos(c)) {
		t.Errorf("another seed gave the same sample")
	}
	if d := Sample(students, 42, 7, "0102"); reflect.DeepEqual(studentNos(a), studentNos(d)) {
		t.Errorf("another school gave the same sample")
	}
	if !slices.IsSortedFunc(a, func(x, y store.Student) int { return naturalCompare(x.StudentNo, y.StudentNo) }) {
		t.Errorf("sample not in student-number order")
	}
	seen := map[string]bool{}
	for _, s := range a {
		if seen[s.StudentNo] {
			t.Errorf("student %s sampled twice", s.StudentNo)
		}
		seen[s.StudentNo] = true
	}
	// Fewer than the sample size, or no sampling: everyone.
	if got := Sample(students[:30], 42, 7, "0101"); len(got) != 30 {
		t.Errorf("30 students sampled to %d, want all 30", len(got))
	}
	if got := Sample(students, 0, 7, "0101"); len(got) != 100 {
		t.Errorf("no sampling gave %d, want 100", len(got))
	}
	// Pin the algorithm: a change to it would silently change every
	// sample drawn before, which the seed promises not to do.
	want := []string{"G3352", "G3757", "G4623", "G5433"}
	if got := studentNos(Sample(roster("0101", 20), 4, 7, "0101")); !reflect.DeepEqual(got, want) {
		t.Errorf("Sample(20 students, 4, seed 7) = %v; the sampling algorithm changed (was %v)", got, want)
	}
}

func TestPlanSchool(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 30, 42, 43, 84, 85, 95} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			rooms, err := PlanSchool("21", "0101", roster("0101", n), 42)
			if err != nil {
				t.Fatal(err)
			}
			var nos []string
			var order []store.Student
			for i, r := range rooms {
				if r.Number != i+1 {
					t.Errorf("room %d numbered %d", i+1, r.Number)
				}
				for j, s := range r.Seats {
					if s.Number != j+1 {
						t.Errorf("room %d seat %d numbered %d", r.Number, j+1, s.Number)
					}
					want, _ := ExamNo("21", "0101", r.Number, s.Number)
					if s.ExamNo != want {
						t.Errorf("room %d seat %d exam number %s, want %s", r.Number, s.Number, s.ExamNo, want)
					}
					nos = append(nos, s.ExamNo)
					order = append(order, s.Student)
				}
			}
			if len(nos) != n {
				t.Errorf("%d seats for %d students", len(nos), n)
			}
			if !slices.IsSorted(nos) || len(slices.Compact(slices.Clone(nos))) != n {
				t.Errorf("exam numbers not unique and ascending in room/seat order: %v", nos)
			}
			if !slices.IsSortedFunc(order, func(a, b store.Student) int {
				if c := naturalCompare(a.ClassName, b.ClassName); c != 0 {
					return c
				}
				return naturalCompare(a.StudentNo, b.StudentNo)
			}) {
				t.Errorf("seats are not in (class, student number) order")
			}
		})
	}
}

func TestNaturalCompare(t *testing.T) {
	t.Parallel()
	in := []string{"五(10)班", "五(2)班", "五(1)班", "四(3)班", "五(02)班x", ""}
	slices.SortFunc(in, naturalCompare)
	want := []string{"", "五(1)班", "五(2)班", "五(02)班x", "五(10)班", "四(3)班"}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got %q want %q", in, want)
	}
}
