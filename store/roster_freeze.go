package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Exam numbers are frozen from the first printed label on: a
// label stuck on a card is the number the reader will see, so from then on
// a roster change may add and withdraw candidates but never move a number.

// NumbersFrozenAt is when the exam's numbers were frozen, nil while they
// are not.
func NumbersFrozenAt(ctx context.Context, q TxOrPool, examID int64) (*time.Time, error) {
	var at *time.Time
	err := q.QueryRow(ctx, `SELECT numbers_frozen_at FROM exams WHERE id = $1`, examID).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("exam %d: %w", examID, ErrExamNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read the freeze of exam %d: %w", examID, err)
	}
	return at, nil
}

// LockNumbersFrozenAt is NumbersFrozenAt holding the exam's row until tx
// ends: a roster import and a label print of the same exam take turns, so
// an import that found the numbers free cannot move them while labels are
// being printed.
func LockNumbersFrozenAt(ctx context.Context, tx pgx.Tx, examID int64) (*time.Time, error) {
	var at *time.Time
	err := tx.QueryRow(ctx, `SELECT numbers_frozen_at FROM exams WHERE id = $1 FOR UPDATE`, examID).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("exam %d: %w", examID, ErrExamNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("lock exam %d: %w", examID, err)
	}
	return at, nil
}

// FreezeNumbers freezes the exam's numbers if they were not yet; froze
// says whether this call froze them. Printing labels calls it before it
// reads the candidates, so no import moves a number between the read and
// the print.
func FreezeNumbers(ctx context.Context, q TxOrPool, examID int64) (froze bool, err error) {
	tag, err := q.Exec(ctx, `UPDATE exams SET numbers_frozen_at = now() WHERE id = $1 AND numbers_frozen_at IS NULL`, examID)
	if err != nil {
		return false, fmt.Errorf("freeze the numbers of exam %d: %w", examID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RecordLabelPrint records that a school's labels were printed, and freezes
// the exam's numbers if they were not yet (froze: this print froze them).
func RecordLabelPrint(ctx context.Context, q TxOrPool, examID, schoolID int64, by string) (froze bool, err error) {
	if froze, err = FreezeNumbers(ctx, q, examID); err != nil {
		return false, err
	}
	if _, err := q.Exec(ctx, `INSERT INTO label_prints (exam_id, school_id, printed_by) VALUES ($1, $2, $3)`,
		examID, schoolID, by); err != nil {
		return false, fmt.Errorf("record the label print of school %d: %w", schoolID, err)
	}
	return froze, nil
}

// AddRoom adds room number to the school: after the freeze, a room for late
// candidates is supplementary.
func AddRoom(ctx context.Context, q TxOrPool, examID, schoolID int64, number, capacity int, supplementary bool) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `
		INSERT INTO rooms (exam_id, school_id, number, capacity, supplementary) VALUES ($1, $2, $3, $4, $5)
		RETURNING id`, examID, schoolID, number, capacity, supplementary).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add room %d: %w", number, err)
	}
	return id, nil
}

// AddLateCandidates inserts candidates placed after the freeze: each takes
// a seat no one had, so no existing row changes.
func AddLateCandidates(ctx context.Context, q TxOrPool, examID int64, ps []Placement) error {
	if len(ps) == 0 {
		return nil
	}
	var students, rooms []int64
	var seats []int32
	var nos []string
	for _, p := range ps {
		students, rooms = append(students, p.StudentID), append(rooms, p.RoomID)
		seats, nos = append(seats, int32(p.Seat)), append(nos, p.ExamNo)
	}
	_, err := q.Exec(ctx, `
		INSERT INTO candidates (exam_id, student_id, room_id, seat, exam_no, added_after_freeze)
		SELECT $1, s, r, seat, no, true FROM unnest($2::bigint[], $3::bigint[], $4::int[], $5::text[]) AS x(s, r, seat, no)`,
		examID, students, rooms, seats, nos)
	if err != nil {
		return fmt.Errorf("add %d late candidates: %w", len(ps), err)
	}
	return nil
}

// SetWithdrawn marks candidates withdrawn (退出), or reinstates them: their
// exam number, room and seat stay theirs either way.
func SetWithdrawn(ctx context.Context, q TxOrPool, candidateIDs []int64, withdrawn bool) error {
	if len(candidateIDs) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `
		UPDATE candidates SET withdrawn_at = CASE WHEN $2 THEN coalesce(withdrawn_at, now()) END
		WHERE id = ANY($1)`, candidateIDs, withdrawn)
	if err != nil {
		return fmt.Errorf("mark %d candidates withdrawn=%v: %w", len(candidateIDs), withdrawn, err)
	}
	return nil
}
