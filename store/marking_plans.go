package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
)

// ErrNotAssigned is returned for a teacher with no marking assignment.
var ErrNotAssigned = &saoyue.Error{Code: saoyue.EFORBIDDEN, Message: "您没有分配到阅卷任务"}

// MarkingAssignment puts one teacher on one question group of a subject,
// as a marker or as the group's leader.
type MarkingAssignment struct {
	SubjectID  int64
	TeacherID  int64
	GroupID    int64
	Role       saoyue.Role // marker or leader
	TeacherNo  string
	Name       string
	SchoolID   int64
	SchoolCode string
	GroupCode  string
}

const assignmentSelect = `
	SELECT a.subject_id, a.teacher_id, a.group_id, a.role, t.teacher_no, t.name, t.school_id, sc.code, g.code
	FROM marking_assignments a
	JOIN teachers t ON t.id = a.teacher_id
	JOIN schools sc ON sc.id = t.school_id
	JOIN question_groups g ON g.id = a.group_id`

func scanAssignment(r pgx.Row) (MarkingAssignment, error) {
	var a MarkingAssignment
	err := r.Scan(&a.SubjectID, &a.TeacherID, &a.GroupID, &a.Role, &a.TeacherNo, &a.Name, &a.SchoolID, &a.SchoolCode, &a.GroupCode)
	return a, err
}

// GetMarkingAssignment returns the teacher's assignment in a subject; with
// subjectID 0, the teacher's only assignment in a subject whose marking is
// open (the exam scanning or marking, the subject's marking started).
func GetMarkingAssignment(ctx context.Context, q TxOrPool, teacherID, subjectID int64) (*MarkingAssignment, error) {
	rows, err := q.Query(ctx, assignmentSelect+`
		JOIN subjects su ON su.id = a.subject_id
		JOIN exams e ON e.id = su.exam_id
		WHERE a.teacher_id = $1 AND ($2 = 0 AND e.status IN ('scanning','marking') AND su.marking_opened_at IS NOT NULL OR a.subject_id = $2)
		LIMIT 2`, teacherID, subjectID)
	if err != nil {
		return nil, fmt.Errorf("read marking assignment: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MarkingAssignment, error) { return scanAssignment(r) })
	if err != nil {
		return nil, fmt.Errorf("read marking assignment: %w", err)
	}
	switch len(as) {
	case 0:
		return nil, fmt.Errorf("teacher %d: %w", teacherID, ErrNotAssigned)
	case 1:
		return &as[0], nil
	default:
		return nil, fmt.Errorf("teacher %d marks in several subjects now: say which", teacherID)
	}
}

// ListMarkingAssignments returns a subject's plan by group, role and teacher.
func ListMarkingAssignments(ctx context.Context, q TxOrPool, subjectID int64) ([]MarkingAssignment, error) {
	rows, err := q.Query(ctx, assignmentSelect+`
		WHERE a.subject_id = $1
		ORDER BY a.group_id, a.role DESC, sc.code, t.teacher_no`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("list marking plan: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MarkingAssignment, error) { return scanAssignment(r) })
	if err != nil {
		return nil, fmt.Errorf("list marking plan: %w", err)
	}
	return as, nil
}

// ReplaceMarkingAssignments makes the plan of a subject exactly as given.
func ReplaceMarkingAssignments(ctx context.Context, q TxOrPool, subjectID int64, as []MarkingAssignment, by string) error {
	if _, err := q.Exec(ctx, `DELETE FROM marking_assignments WHERE subject_id = $1`, subjectID); err != nil {
		return fmt.Errorf("replace marking plan: %w", err)
	}
	for _, a := range as {
		if err := UpsertMarkingAssignment(ctx, q, subjectID, a, by); err != nil {
			return err
		}
	}
	return nil
}

// UpsertMarkingAssignment puts the teacher on the group with the role,
// moving them if they were on another group of the subject.
func UpsertMarkingAssignment(ctx context.Context, q TxOrPool, subjectID int64, a MarkingAssignment, by string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO marking_assignments (subject_id, teacher_id, group_id, role, updated_by)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (subject_id, teacher_id) DO UPDATE
		SET group_id = EXCLUDED.group_id, role = EXCLUDED.role, updated_by = EXCLUDED.updated_by, updated_at = now()`,
		subjectID, a.TeacherID, a.GroupID, a.Role, by)
	if err != nil {
		return fmt.Errorf("assign teacher %d to group %d: %w", a.TeacherID, a.GroupID, err)
	}
	return nil
}

// DeleteMarkingAssignment takes the teacher off the subject's marking.
func DeleteMarkingAssignment(ctx context.Context, q TxOrPool, subjectID, teacherID int64) (bool, error) {
	tag, err := q.Exec(ctx, `DELETE FROM marking_assignments WHERE subject_id = $1 AND teacher_id = $2`, subjectID, teacherID)
	if err != nil {
		return false, fmt.Errorf("remove teacher %d from marking: %w", teacherID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// ListSubjectTeachers returns the roster a plan draws from: teachers of the
// subject at the schools taking part in the exam.
func ListSubjectTeachers(ctx context.Context, q TxOrPool, subjectID int64) ([]Teacher, error) {
	rows, err := q.Query(ctx, `
		SELECT t.id, t.school_id, sc.code, t.teacher_no, t.name, t.phone
		FROM subjects su
		JOIN exam_schools es ON es.exam_id = su.exam_id
		JOIN teachers t ON t.school_id = es.school_id
		JOIN schools sc ON sc.id = t.school_id
		JOIN teacher_subjects ts ON ts.teacher_id = t.id AND ts.subject_code = su.code
		WHERE su.id = $1
		ORDER BY sc.code, t.teacher_no`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("list subject teachers: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Teacher, error) {
		var t Teacher
		err := r.Scan(&t.ID, &t.SchoolID, &t.SchoolCode, &t.TeacherNo, &t.Name, &t.Phone)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list subject teachers: %w", err)
	}
	return ts, nil
}

// GroupSchoolAnswers is how many answers of one school a group has to mark.
type GroupSchoolAnswers struct {
	GroupID  int64
	SchoolID int64
	Answers  int
}

// CountGroupAnswers counts a subject's answers per group and school: the
// crops when scanning has produced them, otherwise the candidates of the
// participating schools (each will answer every group), so a plan can be
// made before the first card is scanned.
func CountGroupAnswers(ctx context.Context, q TxOrPool, subjectID int64) ([]GroupSchoolAnswers, error) {
	rows, err := q.Query(ctx, `
		WITH crop_counts AS (
			SELECT c.group_id, st.school_id, count(*)::int AS n
			FROM crops c
			JOIN question_groups g ON g.id = c.group_id
			JOIN cards ca ON ca.id = c.card_id
			JOIN candidates cd ON cd.id = ca.candidate_id
			JOIN students st ON st.id = cd.student_id
			WHERE g.subject_id = $1
			GROUP BY 1, 2
		), cand_counts AS (
			SELECT g.id AS group_id, st.school_id, count(*)::int AS n
			FROM question_groups g
			JOIN subjects su ON su.id = g.subject_id
			JOIN candidates cd ON cd.exam_id = su.exam_id
			JOIN students st ON st.id = cd.student_id
			WHERE g.subject_id = $1
			GROUP BY 1, 2
		)
		SELECT group_id, school_id, n FROM crop_counts
		UNION ALL
		SELECT group_id, school_id, n FROM cand_counts WHERE NOT EXISTS (SELECT 1 FROM crop_counts)
		ORDER BY 1, 2`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("count answers per group: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (GroupSchoolAnswers, error) {
		var a GroupSchoolAnswers
		err := r.Scan(&a.GroupID, &a.SchoolID, &a.Answers)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("count answers per group: %w", err)
	}
	return out, nil
}
