package roster

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/store"
)

// SplitRooms returns the room sizes for n candidates of one school with
// rooms of the given capacity (DOMAIN rule 12): up to capacity one room;
// beyond, ceil(n/capacity) rooms split as evenly as possible, the earlier
// rooms taking the extra candidates (43 with 42 seats: 22+21; 85: 29+28+28).
func SplitRooms(n, capacity int) []int {
	if n <= 0 || capacity <= 0 {
		return nil
	}
	k := (n + capacity - 1) / capacity
	sizes := make([]int, k)
	for i := range sizes {
		sizes[i] = n / k
		if i < n%k {
			sizes[i]++
		}
	}
	return sizes
}

// ExamNo builds an exam number as described in docs/EXAM_NUMBERS.md:
// exam code (2 digits) + school code zero-padded to 4 + room (2) + seat (2).
func ExamNo(examCode, schoolCode string, room, seat int) (string, error) {
	switch {
	case !examCodeRE.MatchString(examCode):
		return "", fmt.Errorf("考试代码 %q 不是两位数字", examCode)
	case !schoolCodeRE.MatchString(schoolCode):
		return "", fmt.Errorf("学校代码 %q 不是 2 到 4 位数字，放不进考号", schoolCode)
	case room < 1 || room > 99:
		return "", fmt.Errorf("学校 %s：考场号 %d 超出考号中的两位", schoolCode, room)
	case seat < 1 || seat > 99:
		return "", fmt.Errorf("学校 %s 第 %d 考场：座位号 %d 超出两位", schoolCode, room, seat)
	}
	return fmt.Sprintf("%s%s%02d%02d", examCode, pad4(schoolCode), room, seat), nil
}

func pad4(code string) string {
	if len(code) >= 4 {
		return code
	}
	return strings.Repeat("0", 4-len(code)) + code
}

// SeatColumns is how many columns of desks a room chart has: a classroom
// of 30 or 42 is set out as 6 columns of 5 or 7 desks.
const SeatColumns = 6

// SeatRows is how many desks deep a room of the given capacity is.
func SeatRows(capacity int) int { return (capacity + SeatColumns - 1) / SeatColumns }

// SeatPosition says where seat (1-based) stands in a room of the given
// capacity, in the vertical S order of the city manual (001 四(一)): seat
// 01 is at the front of the first column (by the door, against the wall),
// the numbers run back down the first column, forward up the second, back
// down the third, and so on. Column 0 is the first column, row 0 the front.
func SeatPosition(seat, capacity int) (col, row int) {
	rows := SeatRows(capacity)
	i := seat - 1
	col, row = i/rows, i%rows
	if col%2 == 1 {
		row = rows - 1 - row
	}
	return col, row
}

// Sample picks n students of one school, or all of them if the school has
// no more than n (or n is 0). It is reproducible: the students are sorted
// by student number, then shuffled by Fisher-Yates with a PCG generator
// (math/rand/v2, whose output is fixed by its specification) seeded with
// (seed, FNV-1a-64 of the school code), and the first n are taken. The
// school code in the seed keeps one school's sample independent of the
// others'; bounded draws use our own rejection sampling, not rand's IntN,
// whose algorithm Go does not promise to keep. The sample is returned in
// student-number order.
func Sample(students []store.Student, n int, seed int64, schoolCode string) []store.Student {
	out := slices.Clone(students)
	slices.SortFunc(out, func(a, b store.Student) int { return strings.Compare(a.StudentNo, b.StudentNo) })
	if n <= 0 || len(out) <= n {
		return out
	}
	h := fnv.New64a()
	h.Write([]byte(schoolCode))
	rng := rand.NewPCG(uint64(seed), h.Sum64())
	for i := len(out) - 1; i > 0; i-- {
		j := uniform(rng, uint64(i+1))
		out[i], out[j] = out[j], out[i]
	}
	out = out[:n]
	slices.SortFunc(out, func(a, b store.Student) int { return strings.Compare(a.StudentNo, b.StudentNo) })
	return out
}

// uniform returns a number in [0, n) without modulo bias.
func uniform(src rand.Source, n uint64) uint64 {
	limit := -n % n // 2^64 mod n: values below it would favour small results
	for {
		if v := src.Uint64(); v >= limit {
			return v % n
		}
	}
}

// SeatOrder sorts a school's candidates the way they take seats 01..: by
// class, then student number, comparing digit runs as numbers so that
// 五(2)班 comes before 五(10)班.
func SeatOrder(students []store.Student) {
	slices.SortStableFunc(students, func(a, b store.Student) int {
		return cmp.Or(naturalCompare(a.ClassName, b.ClassName), naturalCompare(a.StudentNo, b.StudentNo))
	})
}

func naturalCompare(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	for len(ra) > 0 && len(rb) > 0 {
		if unicode.IsDigit(ra[0]) && unicode.IsDigit(rb[0]) {
			da, db := digitRun(ra), digitRun(rb)
			na, nb := strings.TrimLeft(string(ra[:da]), "0"), strings.TrimLeft(string(rb[:db]), "0")
			if c := cmp.Compare(len(na), len(nb)); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			ra, rb = ra[da:], rb[db:]
			continue
		}
		if c := cmp.Compare(ra[0], rb[0]); c != 0 {
			return c
		}
		ra, rb = ra[1:], rb[1:]
	}
	return cmp.Compare(len(ra), len(rb))
}

func digitRun(r []rune) int {
	n := 0
	for n < len(r) && unicode.IsDigit(r[n]) {
		n++
	}
	return n
}

// Room is a planned room of one school: its seats in seat order.
type Room struct {
	Number   int
	Capacity int
	Seats    []Seat
}

// Seat is one planned seat.
type Seat struct {
	Number  int
	ExamNo  string
	Student store.Student
}

// PlanSchool seats a school's candidates: ordered by SeatOrder, split into
// rooms by SplitRooms, seats 01.. in each room, exam numbers by ExamNo.
// Because the exam number is the room and seat, numbers ascend in room and
// seat order and a bag sorted by exam number is in seat order (rule 11).
func PlanSchool(examCode, schoolCode string, candidates []store.Student, capacity int) ([]Room, error) {
	ordered := slices.Clone(candidates)
	SeatOrder(ordered)
	var rooms []Room
	next := 0
	for i, size := range SplitRooms(len(ordered), capacity) {
		room := Room{Number: i + 1, Capacity: capacity}
		for seat := 1; seat <= size; seat++ {
			no, err := ExamNo(examCode, schoolCode, room.Number, seat)
			if err != nil {
				return nil, err
			}
			room.Seats = append(room.Seats, Seat{Number: seat, ExamNo: no, Student: ordered[next]})
			next++
		}
		rooms = append(rooms, room)
	}
	return rooms, nil
}

// SchoolAllocation is the outcome for one school.
type SchoolAllocation struct {
	Code, Name string
	Roster     int   // students of the exam's grade on the roster
	Candidates int   // sampled into the exam
	RoomSizes  []int // candidates per room
}

// AllocationResult says what an allocation did.
type AllocationResult struct {
	Schools []SchoolAllocation
	Removed int // candidate rows removed because they moved or left
	Added   int // candidate rows inserted; 0 and 0 means nothing changed
}

// AllocateExam (re)allocates rooms, seats and exam numbers for every
// school of the exam from the roster in the database, in one transaction.
// It is idempotent: the same roster and seed give the same rows. Once the
// exam's numbers are frozen (labels printed) it is refused.
func AllocateExam(ctx context.Context, db *store.DB, examCode string) (*AllocationResult, error) {
	var res *AllocationResult
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		exam, err := store.GetExam(ctx, tx, examCode)
		if err != nil {
			return err
		}
		// Numbers never move once labels are printed.
		frozenAt, err := store.LockNumbersFrozenAt(ctx, tx, exam.ID)
		if err != nil {
			return err
		}
		if frozenAt != nil {
			return errNumbersFrozen(exam.Code)
		}
		res, err = allocate(ctx, tx, exam)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("allocate exam %s: %w", examCode, err)
	}
	return res, nil
}

func allocate(ctx context.Context, tx pgx.Tx, exam *store.Exam) (*AllocationResult, error) {
	schools, err := store.ListExamSchools(ctx, tx, exam.ID)
	if err != nil {
		return nil, err
	}
	res := &AllocationResult{}
	for _, school := range schools {
		students, err := store.ListStudents(ctx, tx, school.ID, exam.Grade)
		if err != nil {
			return nil, err
		}
		sample := Sample(students, exam.SampleSize, exam.SampleSeed, school.Code)
		rooms, err := PlanSchool(exam.Code, school.Code, sample, exam.RoomCapacity)
		if err != nil {
			return nil, err
		}
		sa := SchoolAllocation{Code: school.Code, Name: school.Name, Roster: len(students), Candidates: len(sample)}
		capacities := make([]int, len(rooms))
		for i, r := range rooms {
			capacities[i] = r.Capacity
			sa.RoomSizes = append(sa.RoomSizes, len(r.Seats))
		}
		roomIDs, err := store.UpsertRooms(ctx, tx, exam.ID, school.ID, capacities)
		if err != nil {
			return nil, fmt.Errorf("school %s: %w", school.Code, err)
		}
		var ps []store.Placement
		for _, r := range rooms {
			for _, s := range r.Seats {
				ps = append(ps, store.Placement{StudentID: s.Student.ID, RoomID: roomIDs[r.Number], Seat: s.Number, ExamNo: s.ExamNo})
			}
		}
		removed, added, err := store.SavePlacements(ctx, tx, exam.ID, school.ID, ps)
		if err != nil {
			return nil, fmt.Errorf("school %s: %w", school.Code, err)
		}
		if err := store.DeleteRoomsAfter(ctx, tx, exam.ID, school.ID, len(rooms)); err != nil {
			return nil, fmt.Errorf("school %s: %w", school.Code, err)
		}
		res.Removed += removed
		res.Added += added
		res.Schools = append(res.Schools, sa)
	}
	return res, nil
}
