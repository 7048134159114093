package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Student is one row of the roster (学籍).
type Student struct {
	ID         int64
	SchoolID   int64
	SchoolCode string
	StudentNo  string // 学籍号, unique within the school
	Name       string
	Gender     string
	Grade      string
	ClassName  string
}

// UpsertStudents saves students keyed by (school, student_no): a student
// already on the roster gets the new name, gender, grade and class, so
// importing the same file twice changes nothing. SchoolID must be set.
func UpsertStudents(ctx context.Context, q TxOrPool, students []Student) error {
	if len(students) == 0 {
		return nil
	}
	cols := struct {
		school                           []int64
		no, name, gender, grade, classes []string
	}{}
	for _, s := range students {
		cols.school = append(cols.school, s.SchoolID)
		cols.no = append(cols.no, s.StudentNo)
		cols.name = append(cols.name, s.Name)
		cols.gender = append(cols.gender, s.Gender)
		cols.grade = append(cols.grade, s.Grade)
		cols.classes = append(cols.classes, s.ClassName)
	}
	// One statement for the whole file: a county roster has tens of
	// thousands of students and a round trip each would take minutes.
	_, err := q.Exec(ctx, `
		INSERT INTO students (school_id, student_no, name, gender, grade, class_name)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
		ON CONFLICT (school_id, student_no) DO UPDATE SET
			name = EXCLUDED.name, gender = EXCLUDED.gender,
			grade = EXCLUDED.grade, class_name = EXCLUDED.class_name
		WHERE (students.name, students.gender, students.grade, students.class_name)
		  IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.gender, EXCLUDED.grade, EXCLUDED.class_name)`,
		cols.school, cols.no, cols.name, cols.gender, cols.grade, cols.classes)
	if err != nil {
		return fmt.Errorf("save %d students: %w", len(students), err)
	}
	return nil
}

// ListStudents returns the students of a school, of one grade unless grade
// is empty, ordered by student_no.
func ListStudents(ctx context.Context, q TxOrPool, schoolID int64, grade string) ([]Student, error) {
	rows, err := q.Query(ctx, `
		SELECT st.id, st.school_id, sc.code, st.student_no, st.name, st.gender, st.grade, st.class_name
		FROM students st JOIN schools sc ON sc.id = st.school_id
		WHERE st.school_id = $1 AND ($2 = '' OR st.grade = $2)
		ORDER BY st.student_no`, schoolID, grade)
	if err != nil {
		return nil, fmt.Errorf("list students: %w", err)
	}
	students, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Student, error) {
		var s Student
		err := row.Scan(&s.ID, &s.SchoolID, &s.SchoolCode, &s.StudentNo, &s.Name, &s.Gender, &s.Grade, &s.ClassName)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list students: %w", err)
	}
	return students, nil
}
