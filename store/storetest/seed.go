package storetest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/saoyue/saoyue/store"
)

// MarkingSeed describes a synthetic county for marking tests, benchmarks
// and demos: schools with subject teachers and candidates whose cards are
// scanned and cropped, so marking can start without the scanning pipeline.
type MarkingSeed struct {
	ExamCode          string // two digits
	Subject           string // subject code, e.g. math
	Schools           int
	TeachersPerSchool int
	StudentsPerSchool int
	Groups            []store.QuestionGroup // code, max, step, mode, tolerance, subs
}

// SeededMarking names what SeedMarking created.
type SeededMarking struct {
	ExamID    int64
	SubjectID int64
	Schools   []int64   // by code order
	Teachers  [][]int64 // per school
	Groups    []int64   // as given
}

// SeedMarking creates the county, schools, teachers, exam, candidates,
// cards, pages and one crop per card and group, in bulk.
func SeedMarking(ctx context.Context, q store.TxOrPool, s MarkingSeed) (*SeededMarking, error) {
	out := &SeededMarking{}
	fail := func(what string, err error) (*SeededMarking, error) {
		return nil, fmt.Errorf("seed marking: %s: %w", what, err)
	}
	var county int64
	if err := q.QueryRow(ctx, `INSERT INTO counties (code, name) VALUES ('S'||$1, '测试县') RETURNING id`, s.ExamCode).Scan(&county); err != nil {
		return fail("county", err)
	}
	if err := q.QueryRow(ctx, `INSERT INTO exams (code, name, status) VALUES ($1, '阅卷测试', 'marking') RETURNING id`, s.ExamCode).Scan(&out.ExamID); err != nil {
		return fail("exam", err)
	}
	if err := q.QueryRow(ctx, `INSERT INTO subjects (exam_id, code, name, marking_opened_at, marking_opened_by) VALUES ($1, $2, $2, now(), 'seed') RETURNING id`, out.ExamID, s.Subject).Scan(&out.SubjectID); err != nil {
		return fail("subject", err)
	}
	for i, g := range s.Groups {
		var id int64
		err := q.QueryRow(ctx, `
			INSERT INTO question_groups (subject_id, code, name, max_score, step, mode, tolerance, subs)
			VALUES ($1, $2, $2, $3, $4, $5, $6, $7) RETURNING id`,
			out.SubjectID, g.Code, g.MaxScore, g.Step, g.Mode, g.Tolerance, subsJSON(g.Subs)).Scan(&id)
		if err != nil {
			return fail("group "+g.Code, err)
		}
		s.Groups[i].ID = id
		out.Groups = append(out.Groups, id)
	}
	for k := 0; k < s.Schools; k++ {
		if err := seedSchool(ctx, q, s, county, k, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// seedSchool creates school k with its teachers, candidates, cards, pages
// and crops, and records the school and its teachers in out.
func seedSchool(ctx context.Context, q store.TxOrPool, s MarkingSeed, county int64, k int, out *SeededMarking) error {
	failf := func(what string, err error) error {
		return fmt.Errorf("seed marking: %s: %w", what, err)
	}
	code := fmt.Sprintf("%s%02d", s.ExamCode, k+1)
	var school int64
	if err := q.QueryRow(ctx, `INSERT INTO schools (county_id, code, name) VALUES ($1, $2, '学校'||$2) RETURNING id`, county, code).Scan(&school); err != nil {
		return failf("school", err)
	}
	out.Schools = append(out.Schools, school)
	if _, err := q.Exec(ctx, `INSERT INTO exam_schools (exam_id, school_id) VALUES ($1, $2)`, out.ExamID, school); err != nil {
		return failf("exam school", err)
	}
	rows, err := q.Query(ctx, `
		WITH t AS (
			INSERT INTO teachers (school_id, teacher_no, name)
			SELECT $1, 'T'||lpad(n::text, 3, '0'), '教师'||$3||'-'||n FROM generate_series(1, $2) n
			RETURNING id
		), ts AS (
			INSERT INTO teacher_subjects (teacher_id, subject_code) SELECT id, $4 FROM t
		)
		SELECT id FROM t ORDER BY id`, school, s.TeachersPerSchool, code, s.Subject)
	if err != nil {
		return failf("teachers", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return failf("teachers", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	out.Teachers = append(out.Teachers, ids)
	_, err = q.Exec(ctx, `
		WITH st AS (
			INSERT INTO students (school_id, student_no, name)
			SELECT $1, lpad(n::text, 6, '0'), '学生'||n FROM generate_series(1, $2) n
			RETURNING id, student_no::int AS n
		), ro AS (
			INSERT INTO rooms (exam_id, school_id, number, capacity)
			SELECT $3, $1, r, 42 FROM generate_series(1, ($2 + 41) / 42) r
			RETURNING id, number
		), ca AS (
			INSERT INTO candidates (exam_id, student_id, exam_no, room_id, seat)
			SELECT $3, st.id, $5 || $6 || lpad(ro.number::text, 2, '0') || lpad(((st.n - 1) % 42 + 1)::text, 2, '0'),
			       ro.id, (st.n - 1) % 42 + 1
			FROM st JOIN ro ON ro.number = (st.n - 1) / 42 + 1
			RETURNING id
		), cd AS (
			INSERT INTO cards (subject_id, candidate_id) SELECT $4, id FROM ca RETURNING id
		), pg AS (
			INSERT INTO pages (image_sha256, blob_key, card_id, page_no, status)
			SELECT md5($4||'-'||cd.id) || md5('p'||cd.id), 'pages/'||cd.id, cd.id, 1, 'done' FROM cd
			RETURNING id, card_id
		)
		INSERT INTO crops (page_id, card_id, group_id, blob_key)
		SELECT pg.id, pg.card_id, g, 'crops/'||pg.id||'/'||g||'.jpg' FROM pg CROSS JOIN unnest($7::bigint[]) g`,
		school, s.StudentsPerSchool, out.ExamID, out.SubjectID, s.ExamCode, code, out.Groups)
	if err != nil {
		return failf("candidates", err)
	}
	return nil
}

func subsJSON(subs []store.SubQuestion) string {
	if len(subs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(subs)
	return string(b)
}
