// Package reporttest seeds the small hand-computed exam of grading's
// statistics tests into a test database, as the pipeline and the marking
// engine would have left it: answer keys, question groups, cards with the
// absent and violation marks, and item scores. It is test support only:
// rows go in directly, the way the brief of the statistics issue asks,
// without depending on the scanning and marking code.
package reporttest

import (
	"context"
	"testing"

	"github.com/saoyue/saoyue/store"
)

// Exam is what SeedSmallExam created.
type Exam struct {
	ID         int64
	Code       string
	Subjects   map[string]int64 // by code
	Candidates map[string]int64 // by name (A … I)
	ExamNos    map[string]string
}

// SeedSmallExam creates exam "21" with the candidates of grading's
// smallExam (see grading/stats/stats_test.go for the table):
//
//	math (full 10): items 1 (single, key A, 2), 2 (single, key B, 2),
//	  3 (tf, key A, 1), group 4 (max 5)
//	english (full 4): item 1 (single, key C, 2), group 2 (max 2)
//	A–E at school 0101 一小 (A B C in 1班, D E in 2班), F–I at 0102 二小 1班;
//	H absent in math, I violated in math.
//
// The exam is left in the given status.
func SeedSmallExam(t testing.TB, db *store.DB, status string) *Exam {
	t.Helper()
	ctx := context.Background()
	e := &Exam{Code: "21", Subjects: map[string]int64{}, Candidates: map[string]int64{}, ExamNos: map[string]string{}}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("seed: %v\n%s", err, sql)
		}
	}
	id := func(sql string, args ...any) int64 {
		t.Helper()
		var v int64
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
			t.Fatalf("seed: %v\n%s", err, sql)
		}
		return v
	}
	county := id(`INSERT INTO counties (code, name) VALUES ('500101', '测试县') RETURNING id`)
	schools := map[string]int64{
		"0101": id(`INSERT INTO schools (county_id, code, name) VALUES ($1, '0101', '一小') RETURNING id`, county),
		"0102": id(`INSERT INTO schools (county_id, code, name) VALUES ($1, '0102', '二小') RETURNING id`, county),
	}
	e.ID = id(`INSERT INTO exams (code, name, status) VALUES ('21', '2026年秋季五年级监测', $1) RETURNING id`, status)
	e.Subjects["math"] = id(`INSERT INTO subjects (exam_id, code, name, full_score) VALUES ($1, 'math', '数学', 10) RETURNING id`, e.ID)
	e.Subjects["english"] = id(`INSERT INTO subjects (exam_id, code, name, session, full_score) VALUES ($1, 'english', '英语', 'pm', 4) RETURNING id`, e.ID)
	rooms := map[string]int64{}
	for code, sid := range schools {
		exec(`INSERT INTO exam_schools (exam_id, school_id) VALUES ($1, $2)`, e.ID, sid)
		rooms[code] = id(`INSERT INTO rooms (exam_id, school_id, number, capacity) VALUES ($1, $2, 1, 30) RETURNING id`, e.ID, sid)
	}
	math, english := e.Subjects["math"], e.Subjects["english"]
	for _, k := range []struct {
		subject int64
		item    int
		kind    string
		answer  string
		points  float64
	}{{math, 1, "single", "A", 2}, {math, 2, "single", "B", 2}, {math, 3, "tf", "A", 1}, {english, 1, "single", "C", 2}} {
		exec(`INSERT INTO answer_keys (subject_id, item_no, kind, answers, points) VALUES ($1, $2, $3, $4, $5)`,
			k.subject, k.item, k.kind, []string{k.answer}, k.points)
	}
	exec(`INSERT INTO question_groups (subject_id, code, name, max_score) VALUES ($1, '4', '解答题', 5)`, math)
	exec(`INSERT INTO question_groups (subject_id, code, name, max_score) VALUES ($1, '2', '书面表达', 2)`, english)

	type item struct {
		code      string
		score     float64
		response  string
		objective bool
	}
	type cand struct {
		name, school, class string
		seat                int
		mathFlag            string // "", "absent", "violation"
		math, english       []item
	}
	obj := func(code string, score float64, resp string) item { return item{code, score, resp, true} }
	subj := func(code string, score float64) item { return item{code: code, score: score} }
	cands := []cand{
		{"A", "0101", "1班", 1, "", []item{obj("1", 2, "A"), obj("2", 2, "B"), obj("3", 1, "A"), subj("4", 5)}, []item{obj("1", 2, "C"), subj("2", 2)}},
		{"B", "0101", "1班", 2, "", []item{obj("1", 2, "A"), obj("2", 2, "B"), obj("3", 0, "B"), subj("4", 4)}, []item{obj("1", 2, "C"), subj("2", 1)}},
		{"C", "0101", "1班", 3, "", []item{obj("1", 0, "C"), obj("2", 2, "B"), obj("3", 1, "A"), subj("4", 3)}, []item{obj("1", 0, "D"), subj("2", 2)}},
		{"D", "0101", "2班", 4, "", []item{obj("1", 2, "A"), obj("2", 2, "B"), obj("3", 0, "B"), subj("4", 4)}, []item{obj("1", 2, "C"), subj("2", 0)}},
		{"E", "0101", "2班", 5, "", []item{obj("1", 0, "B"), obj("2", 2, "B"), obj("3", 0, "B"), subj("4", 1)}, []item{obj("1", 0, "A"), subj("2", 0)}},
		{"F", "0102", "1班", 1, "", []item{obj("1", 0, ""), obj("2", 2, "B"), obj("3", 1, "A"), subj("4", 2)}, []item{obj("1", 2, "C"), subj("2", 2)}},
		{"G", "0102", "1班", 2, "", []item{obj("1", 2, "A"), obj("2", 2, "B"), obj("3", 1, "A"), subj("4", 0)}, []item{obj("1", 0, "B"), subj("2", 1)}},
		{"H", "0102", "1班", 3, "absent", nil, []item{obj("1", 2, "C"), subj("2", 1)}},
		{"I", "0102", "1班", 4, "violation", nil, []item{obj("1", 2, "C"), subj("2", 2)}},
	}
	for _, c := range cands {
		student := id(`INSERT INTO students (school_id, student_no, name, grade, class_name) VALUES ($1, $2, $3, '五年级', $4) RETURNING id`,
			schools[c.school], "S"+c.name, c.name, c.class)
		no := "21" + c.school + "01" + string(rune('0'+c.seat/10)) + string(rune('0'+c.seat%10))
		cid := id(`INSERT INTO candidates (exam_id, student_id, exam_no, room_id, seat) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			e.ID, student, no, rooms[c.school], c.seat)
		e.Candidates[c.name], e.ExamNos[c.name] = cid, no
		exec(`INSERT INTO cards (subject_id, candidate_id, absent, violation) VALUES ($1, $2, $3, $4)`,
			math, cid, c.mathFlag == "absent", c.mathFlag == "violation")
		exec(`INSERT INTO cards (subject_id, candidate_id) VALUES ($1, $2)`, english, cid)
		for _, s := range []struct {
			subject int64
			items   []item
		}{{math, c.math}, {english, c.english}} {
			for _, it := range s.items {
				source := "mark"
				if it.objective {
					source = "omr"
				}
				exec(`INSERT INTO item_scores (candidate_id, subject_id, item, score, response, source) VALUES ($1, $2, $3, $4, $5, $6)`,
					cid, s.subject, it.code, it.score, it.response, source)
			}
		}
	}
	return e
}

// SeedFollowUpExam creates a second exam (code, e.g. "22") that students of
// SeedSmallExam sat again: one subject, math (full 10, a single 10-point
// group "1"), with the given score per student name (A … I). Students not
// in the map are not candidates.
func SeedFollowUpExam(t testing.TB, db *store.DB, code string, scores map[string]float64) int64 {
	t.Helper()
	ctx := context.Background()
	var examID, subject int64
	q := func(dst *int64, sql string, args ...any) {
		t.Helper()
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatalf("seed follow-up: %v\n%s", err, sql)
		}
	}
	q(&examID, `INSERT INTO exams (code, name, status) VALUES ($1, '2027年春季监测', 'final') RETURNING id`, code)
	q(&subject, `INSERT INTO subjects (exam_id, code, name, full_score) VALUES ($1, 'math', '数学', 10) RETURNING id`, examID)
	if _, err := db.Pool.Exec(ctx, `INSERT INTO question_groups (subject_id, code, name, max_score) VALUES ($1, '1', '综合', 10)`, subject); err != nil {
		t.Fatal(err)
	}
	seat := 0
	for _, name := range []string{"A", "B", "C", "D", "E", "F", "G", "H", "I"} {
		score, ok := scores[name]
		if !ok {
			continue
		}
		seat++
		var room, cand int64
		q(&room, `INSERT INTO rooms (exam_id, school_id, number, capacity)
			SELECT $1, school_id, 1, 42 FROM students WHERE student_no = $2
			ON CONFLICT (exam_id, school_id, number) DO UPDATE SET capacity = 42 RETURNING id`, examID, "S"+name)
		q(&cand, `INSERT INTO candidates (exam_id, student_id, exam_no, room_id, seat)
			SELECT $1, id, $2, $3, $4 FROM students WHERE student_no = $5 RETURNING id`,
			examID, code+"00000"+string(rune('0'+seat/10))+string(rune('0'+seat%10)), room, seat, "S"+name)
		for _, sql := range []string{
			`INSERT INTO exam_schools (exam_id, school_id) SELECT $1, school_id FROM students WHERE student_no = $2 ON CONFLICT DO NOTHING`,
		} {
			if _, err := db.Pool.Exec(ctx, sql, examID, "S"+name); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Pool.Exec(ctx, `INSERT INTO cards (subject_id, candidate_id) VALUES ($1, $2)`, subject, cand); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool.Exec(ctx, `INSERT INTO item_scores (candidate_id, subject_id, item, score, source) VALUES ($1, $2, '1', $3, 'mark')`, cand, subject, score); err != nil {
			t.Fatal(err)
		}
	}
	return examID
}
