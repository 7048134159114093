package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Teacher is a teacher of a school with the subjects they teach; marking
// tasks are assigned from these (DOMAIN rule 5).
type Teacher struct {
	ID         int64
	SchoolID   int64
	SchoolCode string
	TeacherNo  string
	Name       string
	Phone      string
	Subjects   []string // subject codes: math, english ...
}

// UpsertTeachers saves teachers keyed by (school, teacher_no) and replaces
// each one's subjects with the ones given, so the file is the truth about
// who teaches what. SchoolID must be set.
func UpsertTeachers(ctx context.Context, q TxOrPool, teachers []Teacher) error {
	for _, t := range teachers {
		var id int64
		err := q.QueryRow(ctx, `
			INSERT INTO teachers (school_id, teacher_no, name, phone) VALUES ($1, $2, $3, $4)
			ON CONFLICT (school_id, teacher_no) DO UPDATE SET name = EXCLUDED.name, phone = EXCLUDED.phone
			RETURNING id`, t.SchoolID, t.TeacherNo, t.Name, t.Phone).Scan(&id)
		if err != nil {
			return fmt.Errorf("save teacher %s %s: %w", t.TeacherNo, t.Name, err)
		}
		if _, err := q.Exec(ctx, `
			DELETE FROM teacher_subjects WHERE teacher_id = $1 AND NOT subject_code = ANY($2)`,
			id, t.Subjects); err != nil {
			return fmt.Errorf("save subjects of teacher %s: %w", t.TeacherNo, err)
		}
		if _, err := q.Exec(ctx, `
			INSERT INTO teacher_subjects (teacher_id, subject_code)
			SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
			id, t.Subjects); err != nil {
			return fmt.Errorf("save subjects of teacher %s: %w", t.TeacherNo, err)
		}
	}
	return nil
}

// ListTeachers returns the teachers of a school (all schools if schoolID is
// 0) with their subjects, ordered by school code and teacher_no.
func ListTeachers(ctx context.Context, q TxOrPool, schoolID int64) ([]Teacher, error) {
	rows, err := q.Query(ctx, `
		SELECT t.id, t.school_id, s.code, t.teacher_no, t.name, t.phone,
		       coalesce(array_agg(ts.subject_code ORDER BY ts.subject_code)
		                FILTER (WHERE ts.subject_code IS NOT NULL), '{}')
		FROM teachers t
		JOIN schools s ON s.id = t.school_id
		LEFT JOIN teacher_subjects ts ON ts.teacher_id = t.id
		WHERE $1 = 0 OR t.school_id = $1
		GROUP BY t.id, s.code
		ORDER BY s.code, t.teacher_no`, schoolID)
	if err != nil {
		return nil, fmt.Errorf("list teachers: %w", err)
	}
	teachers, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Teacher, error) {
		var t Teacher
		err := row.Scan(&t.ID, &t.SchoolID, &t.SchoolCode, &t.TeacherNo, &t.Name, &t.Phone, &t.Subjects)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list teachers: %w", err)
	}
	return teachers, nil
}
