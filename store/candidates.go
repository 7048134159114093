package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Candidate is a student sitting an exam, with their room, seat and exam
// number, and the roster fields printed on labels and room lists.
type Candidate struct {
	ID         int64
	ExamID     int64
	StudentID  int64
	ExamNo     string
	RoomID     int64
	RoomNumber int
	Seat       int
	SchoolID   int64
	SchoolCode string
	SchoolName string
	StudentNo  string
	Name       string
	Gender     string
	ClassName  string
	// Withdrawn (退出): taken off the roster after the freeze; the number
	// stays theirs, and their cards are not scored.
	Withdrawn bool
	// AddedAfterFreeze: a late candidate, whose label is printed on its own.
	AddedAfterFreeze bool
}

// Placement is where one student sits: the input of SavePlacements.
type Placement struct {
	StudentID int64
	RoomID    int64
	Seat      int
	ExamNo    string
}

// SavePlacements makes the school's candidates in the exam exactly the
// placements given. Candidates already placed the same way keep their row
// (and id), so re-running an allocation writes nothing; the others are
// removed first and inserted afresh, which keeps the unique keys on exam
// number and seat satisfied at every step. It returns how many rows were
// removed and inserted. A candidate whose cards were already scanned cannot
// be moved: that fails and the caller's transaction rolls back.
func SavePlacements(ctx context.Context, q TxOrPool, examID, schoolID int64, ps []Placement) (removed, added int, err error) {
	var students, rooms []int64
	var seats []int32
	var nos []string
	for _, p := range ps {
		students = append(students, p.StudentID)
		rooms = append(rooms, p.RoomID)
		seats = append(seats, int32(p.Seat))
		nos = append(nos, p.ExamNo)
	}
	tag, err := q.Exec(ctx, `
		DELETE FROM candidates c USING rooms r
		WHERE c.room_id = r.id AND c.exam_id = $1 AND r.school_id = $2
		  AND (c.student_id, c.room_id, c.seat, c.exam_no) NOT IN (
		      SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::int[], $6::text[]))`,
		examID, schoolID, students, rooms, seats, nos)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return 0, 0, errors.New("candidates would move but their cards are already scanned, so the allocation can no longer change")
	}
	if err != nil {
		return 0, 0, fmt.Errorf("remove moved candidates: %w", err)
	}
	removed = int(tag.RowsAffected())
	tag, err = q.Exec(ctx, `
		INSERT INTO candidates (exam_id, student_id, room_id, seat, exam_no)
		SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::int[], $5::text[])
		ON CONFLICT (exam_id, student_id) DO NOTHING`,
		examID, students, rooms, seats, nos)
	if err != nil {
		return removed, 0, fmt.Errorf("save candidates: %w", err)
	}
	return removed, int(tag.RowsAffected()), nil
}

// ListCandidates returns the candidates of the exam (of one school unless
// schoolID is 0) in ascending exam-number order, the order cards are bagged
// in (DOMAIN rule 11).
func ListCandidates(ctx context.Context, q TxOrPool, examID, schoolID int64) ([]Candidate, error) {
	rows, err := q.Query(ctx, `
		SELECT c.id, c.exam_id, c.student_id, c.exam_no, c.room_id, r.number, c.seat,
		       s.id, s.code, s.name, st.student_no, st.name, st.gender, st.class_name,
		       c.withdrawn_at IS NOT NULL, c.added_after_freeze
		FROM candidates c
		JOIN rooms r ON r.id = c.room_id
		JOIN schools s ON s.id = r.school_id
		JOIN students st ON st.id = c.student_id
		WHERE c.exam_id = $1 AND ($2 = 0 OR r.school_id = $2)
		ORDER BY c.exam_no`, examID, schoolID)
	if err != nil {
		return nil, fmt.Errorf("list candidates: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Candidate, error) {
		var c Candidate
		err := row.Scan(&c.ID, &c.ExamID, &c.StudentID, &c.ExamNo, &c.RoomID, &c.RoomNumber, &c.Seat,
			&c.SchoolID, &c.SchoolCode, &c.SchoolName, &c.StudentNo, &c.Name, &c.Gender, &c.ClassName,
			&c.Withdrawn, &c.AddedAfterFreeze)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list candidates: %w", err)
	}
	return cs, nil
}

// RosterStamp changes whenever a candidate joins or leaves the exam: the
// count falls when one leaves, the largest id grows when one joins.
type RosterStamp struct {
	Count int
	MaxID int64
}

// ExamRosterStamp is the exam's current RosterStamp, one cheap query, so a
// cached roster is checked without reloading it.
func ExamRosterStamp(ctx context.Context, q TxOrPool, examID int64) (RosterStamp, error) {
	var s RosterStamp
	err := q.QueryRow(ctx, `SELECT count(*), coalesce(max(id), 0) FROM candidates WHERE exam_id = $1`, examID).
		Scan(&s.Count, &s.MaxID)
	if err != nil {
		return s, fmt.Errorf("check the exam's roster: %w", err)
	}
	return s, nil
}

// ExamNumbers returns the exam numbers of the exam's candidates, withdrawn
// ones included (the number stays theirs), and the stamp they were read at.
func ExamNumbers(ctx context.Context, q TxOrPool, examID int64) ([]string, RosterStamp, error) {
	var nos []string
	var s RosterStamp
	rows, err := q.Query(ctx, `SELECT exam_no, id FROM candidates WHERE exam_id = $1`, examID)
	if err == nil {
		var no string
		var id int64
		_, err = pgx.ForEachRow(rows, []any{&no, &id}, func() error {
			nos = append(nos, no)
			s.Count++
			s.MaxID = max(s.MaxID, id)
			return nil
		})
	}
	if err != nil {
		return nil, s, fmt.Errorf("load the exam's roster: %w", err)
	}
	return nos, s, nil
}

// HasExamNo reports whether the exam number is a candidate's of the exam.
func HasExamNo(ctx context.Context, q TxOrPool, examID int64, examNo string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM candidates WHERE exam_id = $1 AND exam_no = $2)`, examID, examNo).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up exam number %s: %w", examNo, err)
	}
	return ok, nil
}
