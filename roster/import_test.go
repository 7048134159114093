package roster

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

func fixture(name string) string { return filepath.Join("..", "fixtures", "roster", name) }

var fixtureFiles = Files{
	Schools:  []string{fixture("schools.csv")},   // GBK, Chinese headers
	Students: []string{fixture("students.xlsx")}, // XLSX, Chinese headers
	Teachers: []string{fixture("teachers.csv")},  // UTF-8 with BOM, English headers
}

func importFiles(t *testing.T, db *store.DB, f Files, exam string) (*ImportResult, error) {
	t.Helper()
	r, err := ReadFiles(f)
	if err != nil {
		return nil, err
	}
	return Import(context.Background(), db, r, exam)
}

func createExam(t *testing.T, db *store.DB, code string, capacity, sample int, seed int64) *store.Exam {
	t.Helper()
	subjects, err := ParseSubjects("math:数学,english:英语")
	if err != nil {
		t.Fatal(err)
	}
	e, err := CreateExam(context.Background(), db, ExamSpec{
		Code: code, Name: "2026年秋季五年级监测", Grade: "五年级", Subjects: subjects,
		Capacity: capacity, SampleSize: sample, Seed: seed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type snapshot struct {
	counts     storetest.RosterCounts
	candidates []store.Candidate
}

func snap(t *testing.T, db *store.DB, exam *store.Exam) snapshot {
	t.Helper()
	ctx := context.Background()
	c, err := storetest.CountRoster(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	cands, err := store.ListCandidates(ctx, db.Pool, exam.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{c, cands}
}

func TestImportFixtures(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exam := createExam(t, db, "21", 42, 0, 0)
	res, err := importFiles(t, db, fixtureFiles, "21")
	if err != nil {
		t.Fatal(err)
	}
	if res.Schools != 5 || res.Students != 307 || res.Teachers != 20 {
		t.Errorf("imported %+v, want 5 schools, 307 students, 20 teachers", res)
	}
	first := snap(t, db, exam)
	if want := (storetest.RosterCounts{Counties: 1, Schools: 5, Students: 307, Teachers: 20, TeacherSubjects: 30}); first.counts != want {
		t.Errorf("counts %+v, want %+v", first.counts, want)
	}
	wantRooms := map[string][]int{"0101": {32, 32, 31}, "0102": {31, 30}, "0203": {22, 21}, "0204": {28}, "0305": {40, 40}}
	for _, s := range res.Allocation.Schools {
		if !reflect.DeepEqual(s.RoomSizes, wantRooms[s.Code]) {
			t.Errorf("school %s rooms %v, want %v", s.Code, s.RoomSizes, wantRooms[s.Code])
		}
	}
	// Every teacher teaches math or English: the marking assignment needs both at every school.
	teachers, err := store.ListTeachers(ctx, db.Pool, 0)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]map[string]bool{}
	for _, tc := range teachers {
		if subjects[tc.SchoolCode] == nil {
			subjects[tc.SchoolCode] = map[string]bool{}
		}
		for _, s := range tc.Subjects {
			subjects[tc.SchoolCode][s] = true
		}
	}
	for code, subs := range subjects {
		if !subs["math"] || !subs["english"] {
			t.Errorf("school %s teachers teach %v, want math and english", code, subs)
		}
	}
	checkCandidates(t, db, exam, first.candidates)

	// The same roster again: nothing duplicated, every number and row the same.
	res, err = importFiles(t, db, fixtureFiles, "21")
	if err != nil {
		t.Fatal(err)
	}
	if res.Allocation.Added != 0 || res.Allocation.Removed != 0 {
		t.Errorf("re-import changed %d/%d placements, want none", res.Allocation.Added, res.Allocation.Removed)
	}
	if again := snap(t, db, exam); !reflect.DeepEqual(again, first) {
		t.Errorf("re-import changed the database")
	}
	alloc, err := AllocateExam(ctx, db, "21")
	if err != nil {
		t.Fatal(err)
	}
	if alloc.Added != 0 || alloc.Removed != 0 || !reflect.DeepEqual(snap(t, db, exam), first) {
		t.Errorf("re-allocation changed rows: %+v", alloc)
	}

	// A new student in school 0204 moves seats there, and only there.
	dir := t.TempDir()
	extra := writeFile(t, dir, "new.csv", []byte("学校代码,学籍号,姓名,性别,年级,班级\n0204,G0000000000000000001,新同学,女,五年级,五(1)班\n"))
	if _, err := importFiles(t, db, Files{Students: []string{extra}}, "21"); err != nil {
		t.Fatal(err)
	}
	after := snap(t, db, exam)
	if len(after.candidates) != 308 {
		t.Fatalf("%d candidates after adding one, want 308", len(after.candidates))
	}
	byStudent := map[int64]store.Candidate{}
	for _, c := range first.candidates {
		byStudent[c.StudentID] = c
	}
	for _, c := range after.candidates {
		if old, ok := byStudent[c.StudentID]; ok && c.SchoolCode != "0204" && old != c {
			t.Errorf("candidate of school %s changed: %+v -> %+v", c.SchoolCode, old, c)
		}
		if c.Name == "新同学" && (c.RoomNumber != 1 || c.Seat != 1) {
			t.Errorf("new student (lowest number in the first class) at room %d seat %d, want 1/1", c.RoomNumber, c.Seat)
		}
	}
	checkCandidates(t, db, exam, after.candidates)
}

// checkCandidates checks DOMAIN rules 11 and 12 on the stored allocation.
func checkCandidates(t *testing.T, db *store.DB, exam *store.Exam, cands []store.Candidate) {
	t.Helper()
	rooms, err := store.ListRooms(context.Background(), db.Pool, exam.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	perSchool := map[string][]int{}
	for _, r := range rooms {
		perSchool[r.SchoolCode] = append(perSchool[r.SchoolCode], r.Candidates)
		if r.Capacity != exam.RoomCapacity {
			t.Errorf("room %s/%d capacity %d, want %d", r.SchoolCode, r.Number, r.Capacity, exam.RoomCapacity)
		}
	}
	for code, sizes := range perSchool {
		n := 0
		for _, s := range sizes {
			n += s
		}
		if want := SplitRooms(n, exam.RoomCapacity); !reflect.DeepEqual(sizes, want) {
			t.Errorf("school %s rooms %v, want %v", code, sizes, want)
		}
	}
	seen := map[string]bool{}
	for i, c := range cands {
		want, _ := ExamNo(exam.Code, c.SchoolCode, c.RoomNumber, c.Seat)
		if c.ExamNo != want || seen[c.ExamNo] {
			t.Errorf("candidate %s: exam number %s, want unique %s", c.Name, c.ExamNo, want)
		}
		seen[c.ExamNo] = true
		if i == 0 {
			continue
		}
		p := cands[i-1]
		// In exam-number order the seats run 01.. within each room.
		switch {
		case p.SchoolCode == c.SchoolCode && p.RoomNumber == c.RoomNumber:
			if c.Seat != p.Seat+1 {
				t.Errorf("room %s/%d: seat %d follows seat %d", c.SchoolCode, c.RoomNumber, c.Seat, p.Seat)
			}
			if naturalCompare(p.ClassName, c.ClassName) > 0 {
				t.Errorf("room %s/%d: class %s seated after %s", c.SchoolCode, c.RoomNumber, c.ClassName, p.ClassName)
			}
		case c.Seat != 1:
			t.Errorf("room %s/%d starts at seat %d", c.SchoolCode, c.RoomNumber, c.Seat)
		}
	}
}

func TestImportRejectsBadRosters(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	exam := createExam(t, db, "21", 30, 0, 0)
	if _, err := importFiles(t, db, fixtureFiles, "21"); err != nil {
		t.Fatal(err)
	}
	before := snap(t, db, exam)
	fixtureStudents, err := ReadFiles(Files{Students: []string{fixture("students.xlsx")}})
	if err != nil {
		t.Fatal(err)
	}
	dupe := fixtureStudents.Students[16] // students.xlsx line 18

	const header = "学校代码,学籍号,姓名,性别,年级,班级\n"
	const good = "0101,G9999,王新,男,五年级,五(1)班\n"
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range header + good {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	tests := []struct {
		name  string
		files func(dir string) Files
		want  []string
	}{
		{
			name: "duplicate student across files",
			files: func(dir string) Files {
				return Files{Schools: fixtureFiles.Schools, Students: []string{fixture("students.xlsx"),
					writeFile(t, dir, "more.csv", []byte(header+good+dupe.SchoolCode+","+dupe.StudentNo+",重名,男,五年级,五(1)班\n"))}}
			},
			want: []string{"more.csv line 3: duplicate student: school 0101 student number " + dupe.StudentNo + " is already at students.xlsx line 18"},
		},
		{
			name: "duplicate student in one file",
			files: func(dir string) Files {
				return Files{Students: []string{writeFile(t, dir, "s.csv", []byte(header+good+"0102,G1,甲,男,,\n"+good))}}
			},
			want: []string{"s.csv line 4: duplicate student: school 0101 student number G9999 is already at s.csv line 2"},
		},
		{
			name: "unknown school",
			files: func(dir string) Files {
				return Files{Schools: fixtureFiles.Schools, Students: []string{writeFile(t, dir, "students.csv", []byte(header+good+"0105,G1,甲,男,,\n"))}}
			},
			want: []string{`students.csv line 3: school code "0105" is not in the schools file`},
		},
		{
			name: "unknown school of a teacher, without a schools file",
			files: func(dir string) Files {
				return Files{Teachers: []string{writeFile(t, dir, "t.csv", []byte("学校代码,教师编号,姓名,学科\n0101,T9,王,数学\n0999,T1,李,英语\n"))}}
			},
			want: []string{`t.csv line 3: school code "0999" is not a known school`},
		},
		{
			name: "utf-16",
			files: func(dir string) Files {
				return Files{Students: []string{writeFile(t, dir, "u.csv", utf16)}}
			},
			want: []string{"u.csv: the file is UTF-16"},
		},
		{
			name: "neither utf-8 nor gbk",
			files: func(dir string) Files {
				return Files{Students: []string{writeFile(t, dir, "bad.csv", []byte(header+good+"0101,G2,\xff\xff,男,,\n"))}}
			},
			want: []string{"bad.csv line 3: the file is neither UTF-8 nor GBK"},
		},
		{
			name: "missing column",
			files: func(dir string) Files {
				return Files{Students: []string{writeFile(t, dir, "s.csv", []byte("学校代码,姓名\n0101,王\n"))}}
			},
			want: []string{"s.csv line 1: missing required column student_no"},
		},
		{
			name: "problems of several files together",
			files: func(dir string) Files {
				return Files{
					Schools:  []string{writeFile(t, dir, "schools.csv", gbk(t, "学校代码,学校名称,区县\n0106,新校,青溪县\n106,重号,青溪县\n0107,,青溪县\n"))},
					Students: []string{writeFile(t, dir, "s.xlsx", xlsx(t, [][]string{{"学校代码", "学籍号", "姓名"}, {"0106", "G1", "甲"}, {"0106", "G2", ""}}))},
				}
			},
			want: []string{
				"2 problems",
				"schools.csv line 4 column 学校名称: school name is empty",
				"s.xlsx line 3 column 姓名: name is empty",
			},
		},
		{
			name: "school codes that clash once padded",
			files: func(dir string) Files {
				return Files{Schools: []string{writeFile(t, dir, "schools.csv", []byte("学校代码,学校名称,区县\n101,重号,青溪县\n"))}}
			},
			want: []string{"schools.csv line 2: school code 101 and school code 0101 both become 0101"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: each case must find the database exactly as before.
			_, err := importFiles(t, db, tt.files(t.TempDir()), "21")
			if err == nil {
				t.Fatal("import succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%v\nwant it to contain %q", err, w)
				}
			}
			if after := snap(t, db, exam); !reflect.DeepEqual(after, before) {
				t.Errorf("a rejected import changed the database: %+v -> %+v", before.counts, after.counts)
			}
		})
	}
}

func TestSampledExam(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exam := createExam(t, db, "22", 42, DefaultSampleSize, 7)
	res, err := importFiles(t, db, fixtureFiles, "22")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"0101": 42, "0102": 42, "0203": 42, "0204": 28, "0305": 42}
	for _, s := range res.Allocation.Schools {
		if s.Candidates != want[s.Code] || !reflect.DeepEqual(s.RoomSizes, []int{want[s.Code]}) {
			t.Errorf("school %s: %d of %d sampled into rooms %v, want %d in one room", s.Code, s.Candidates, s.Roster, s.RoomSizes, want[s.Code])
		}
	}
	first := snap(t, db, exam)
	checkCandidates(t, db, exam, first.candidates)
	if _, err := AllocateExam(ctx, db, "22"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(snap(t, db, exam), first) {
		t.Errorf("the same seed drew another sample")
	}

	// Another exam with another seed samples other students.
	other := createExam(t, db, "23", 42, DefaultSampleSize, 8)
	if _, err := importFiles(t, db, Files{Schools: fixtureFiles.Schools}, "23"); err != nil {
		t.Fatal(err)
	}
	cands, err := store.ListCandidates(ctx, db.Pool, other.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	in22 := map[int64]bool{}
	for _, c := range first.candidates {
		in22[c.StudentID] = true
	}
	for _, c := range cands {
		if in22[c.StudentID] {
			same++
		}
	}
	if len(cands) != len(first.candidates) || same == len(cands) {
		t.Errorf("seed 8 sampled %d candidates, %d of them as seed 7", len(cands), same)
	}
}

func TestCreateExamChecks(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	subjects, _ := ParseSubjects("math:数学:am:120,english:英语:pm")
	if subjects[0].FullScore != 120 || subjects[1].Session != "pm" || subjects[1].FullScore != 100 {
		t.Errorf("subjects %+v", subjects)
	}
	bad := []ExamSpec{
		{Code: "1", Name: "x", Capacity: 30, Subjects: subjects},
		{Code: "21", Name: "x", Capacity: 35, Subjects: subjects},
		{Code: "21", Name: "", Capacity: 30, Subjects: subjects},
		{Code: "21", Name: "x", Capacity: 30},
	}
	for _, spec := range bad {
		if _, err := CreateExam(ctx, db, spec); err == nil {
			t.Errorf("CreateExam(%+v) succeeded", spec)
		}
	}
	spec := ExamSpec{Code: "21", Name: "x", Capacity: 30, Subjects: subjects}
	if _, err := CreateExam(ctx, db, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateExam(ctx, db, spec); saoyue.ErrorCode(err) != saoyue.ECONFLICT {
		t.Errorf("second exam 21: %v", err)
	}
	for _, s := range []string{"", "math", "Math:数学", "math:数学:noon", "math:数学:am:0"} {
		if _, err := ParseSubjects(s); err == nil {
			t.Errorf("ParseSubjects(%q) succeeded", s)
		}
	}
}
