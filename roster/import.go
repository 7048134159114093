package roster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/store"
)

// Files names the roster files of one import; any list may be empty.
type Files struct {
	Schools  []string
	Students []string
	Teachers []string
}

// ReadFiles reads every file and reports the problems of all of them
// together (up to MaxProblems) as *Problems. It does not check references
// between files: Validate does, once the database's schools are known.
func ReadFiles(f Files) (*Roster, error) {
	var r Roster
	var ps Problems
	read := func(paths []string, parse func(*table)) {
		for _, p := range paths {
			t, err := readFile(p)
			if err != nil {
				ps.add(Pos{File: filepath.Base(p)}, "", "%v", trimFile(err, filepath.Base(p)))
				continue
			}
			parse(t)
		}
	}
	read(f.Schools, func(t *table) { r.Schools = append(r.Schools, parseSchools(t, &ps)...) })
	read(f.Students, func(t *table) { r.Students = append(r.Students, parseStudents(t, &ps)...) })
	read(f.Teachers, func(t *table) { r.Teachers = append(r.Teachers, parseTeachers(t, &ps)...) })
	return &r, ps.err()
}

// trimFile drops the "name: " prefix readTable puts on its errors, since a
// Problem prints the file itself.
func trimFile(err error, file string) string {
	s := err.Error()
	if len(s) > len(file)+2 && s[:len(file)+2] == file+": " {
		return s[len(file)+2:]
	}
	return s
}

// Validate checks the roster as a whole: no school, student or teacher
// twice (also across files), every student and teacher at a school of the
// schools files or already in the database (known), and no two school
// codes that would give the same 4 digits in exam numbers.
func Validate(r *Roster, known []store.School) error {
	var ps Problems
	schools := make(map[string]Pos)
	padded := make(map[string]string)
	for _, s := range known {
		padded[pad4(s.Code)] = s.Code
	}
	for _, s := range r.Schools {
		if prev, dup := schools[s.Code]; dup {
			ps.add(s.Pos, "", "school %s is listed twice (also at %s)", s.Code, prev)
			continue
		}
		schools[s.Code] = s.Pos
		if other, clash := padded[pad4(s.Code)]; clash && other != s.Code {
			ps.add(s.Pos, "", "school code %s and school code %s both become %s in exam numbers: use 4-digit codes", s.Code, other, pad4(s.Code))
		}
		padded[pad4(s.Code)] = s.Code
	}
	inDB := make(map[string]bool)
	for _, s := range known {
		inDB[s.Code] = true
	}
	unknown := func(code string) string {
		if len(r.Schools) > 0 {
			return fmt.Sprintf("school code %q is not in the schools file", code)
		}
		return fmt.Sprintf("school code %q is not a known school (import its schools file first)", code)
	}
	students := make(map[[2]string]Pos)
	for _, s := range r.Students {
		if _, ok := schools[s.SchoolCode]; !ok && !inDB[s.SchoolCode] {
			ps.add(s.Pos, "", "%s", unknown(s.SchoolCode))
			continue
		}
		key := [2]string{s.SchoolCode, s.StudentNo}
		if prev, dup := students[key]; dup {
			ps.add(s.Pos, "", "duplicate student: school %s student number %s is already at %s", s.SchoolCode, s.StudentNo, prev)
			continue
		}
		students[key] = s.Pos
	}
	teachers := make(map[[2]string]Pos)
	for _, t := range r.Teachers {
		if _, ok := schools[t.SchoolCode]; !ok && !inDB[t.SchoolCode] {
			ps.add(t.Pos, "", "%s", unknown(t.SchoolCode))
			continue
		}
		key := [2]string{t.SchoolCode, t.TeacherNo}
		if prev, dup := teachers[key]; dup {
			ps.add(t.Pos, "", "duplicate teacher: school %s teacher number %s is already at %s", t.SchoolCode, t.TeacherNo, prev)
			continue
		}
		teachers[key] = t.Pos
	}
	return ps.err()
}

// ImportResult says what an import did.
type ImportResult struct {
	Schools, Students, Teachers int // rows in the files
	Allocation                  *AllocationResult
	// Diff is set when the exam's numbers were frozen: what the import
	// changes (or, not applied, would change).
	Diff *RosterDiff
	// Applied is false when a frozen exam's diff was shown but not
	// confirmed: nothing was saved.
	Applied bool
}

// ImportOptions are the choices of one import.
type ImportOptions struct {
	// Confirm applies the diff of an exam whose numbers are frozen; without
	// it a non-empty diff is only computed and nothing is saved.
	Confirm bool
	Actor   string // for the audit log
}

// Import is ImportWith without confirmation.
func Import(ctx context.Context, db *store.DB, r *Roster, examCode string) (*ImportResult, error) {
	return ImportWith(ctx, db, r, examCode, ImportOptions{})
}

// ImportWith validates the roster against the database and saves it in one
// transaction: either every row is saved or none. With an exam code it
// also adds the roster's schools to that exam and, before the exam's
// numbers are frozen, allocates rooms, seats and exam numbers in the same
// transaction, so a failing allocation leaves the roster untouched as well.
// After the freeze the import is a diff (see planFrozen), applied only with
// opts.Confirm unless it changes no candidate.
func ImportWith(ctx context.Context, db *store.DB, r *Roster, examCode string, opts ImportOptions) (*ImportResult, error) {
	var exam *store.Exam
	if examCode != "" {
		var err error
		if exam, err = store.GetExam(ctx, db.Pool, examCode); err != nil {
			return nil, err
		}
	}
	known, err := store.ListSchools(ctx, db.Pool)
	if err != nil {
		return nil, err
	}
	if err := Validate(r, known); err != nil {
		return nil, err
	}
	res := &ImportResult{Schools: len(r.Schools), Students: len(r.Students), Teachers: len(r.Teachers)}
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		res.Diff = nil
		if exam != nil {
			frozenAt, err := store.LockNumbersFrozenAt(ctx, tx, exam.ID)
			if err != nil {
				return err
			}
			if frozenAt != nil {
				if res.Diff, err = planFrozen(ctx, tx, exam, r, known); err != nil {
					return err
				}
				res.Diff.FrozenAt = frozenAt.Local().Format("2006-01-02 15:04")
				if !res.Diff.Empty() && !opts.Confirm {
					return errNotConfirmed
				}
			}
		}
		ids, err := saveRoster(ctx, tx, r)
		if err != nil {
			return err
		}
		if exam == nil {
			return nil
		}
		if err := store.AddExamSchools(ctx, tx, exam.ID, rosterSchoolIDs(r, ids)); err != nil {
			return err
		}
		if res.Diff != nil {
			return applyFrozen(ctx, tx, exam, res.Diff, ids, opts.Actor)
		}
		res.Allocation, err = allocate(ctx, tx, exam)
		return err
	})
	if errors.Is(err, errNotConfirmed) {
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("import roster: %w", err)
	}
	res.Applied = true
	return res, nil
}

func saveRoster(ctx context.Context, tx pgx.Tx, r *Roster) (map[string]int64, error) {
	counties := make(map[string]int64)
	for _, s := range r.Schools {
		if _, ok := counties[s.CountyCode]; ok {
			continue
		}
		id, err := store.UpsertCounty(ctx, tx, s.CountyCode, s.CountyName)
		if err != nil {
			return nil, err
		}
		counties[s.CountyCode] = id
	}
	for _, s := range r.Schools {
		if _, err := store.UpsertSchool(ctx, tx, counties[s.CountyCode], s.Code, s.Name); err != nil {
			return nil, err
		}
	}
	all, err := store.ListSchools(ctx, tx)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]int64, len(all))
	for _, s := range all {
		ids[s.Code] = s.ID
	}
	students := make([]store.Student, 0, len(r.Students))
	for _, s := range r.Students {
		id, ok := ids[s.SchoolCode]
		if !ok { // Validate lets no such row through; this guards a school deleted since
			return nil, fmt.Errorf("%s: school %s disappeared during the import", s.Pos, s.SchoolCode)
		}
		students = append(students, store.Student{SchoolID: id, StudentNo: s.StudentNo, Name: s.Name, Gender: s.Gender, Grade: s.Grade, ClassName: s.Class})
	}
	if err := store.UpsertStudents(ctx, tx, students); err != nil {
		return nil, err
	}
	teachers := make([]store.Teacher, 0, len(r.Teachers))
	for _, t := range r.Teachers {
		id, ok := ids[t.SchoolCode]
		if !ok {
			return nil, fmt.Errorf("%s: school %s disappeared during the import", t.Pos, t.SchoolCode)
		}
		teachers = append(teachers, store.Teacher{SchoolID: id, TeacherNo: t.TeacherNo, Name: t.Name, Phone: t.Phone, Subjects: t.Subjects})
	}
	if err := store.UpsertTeachers(ctx, tx, teachers); err != nil {
		return nil, err
	}
	return ids, nil
}

// rosterSchoolIDs are the schools an import brings into an exam: those of
// the schools files and those students were listed for.
func rosterSchoolIDs(r *Roster, ids map[string]int64) []int64 {
	seen := make(map[int64]bool)
	var out []int64
	addCode := func(code string) {
		if id, ok := ids[code]; ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, s := range r.Schools {
		addCode(s.Code)
	}
	for _, s := range r.Students {
		addCode(s.SchoolCode)
	}
	return out
}
