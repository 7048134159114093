package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Room is a room (考场) of one school in one exam.
type Room struct {
	ID         int64
	ExamID     int64
	SchoolID   int64
	SchoolCode string
	SchoolName string
	Number     int // 1.. within the school
	Capacity   int
	Candidates int // how many seats are taken (withdrawn candidates keep theirs)
	Withdrawn  int // of them, withdrawn (退出)
	// Supplementary: added after the freeze for late candidates.
	Supplementary bool
}

// UpsertRooms makes sure the school has rooms 1..len(capacities) in the
// exam, with the given capacities, and returns their ids by number. Rooms
// past the last one are removed by DeleteRoomsAfter once their candidates
// have moved.
func UpsertRooms(ctx context.Context, q TxOrPool, examID, schoolID int64, capacities []int) (map[int]int64, error) {
	ids := make(map[int]int64, len(capacities))
	for i, capacity := range capacities {
		var id int64
		err := q.QueryRow(ctx, `
			INSERT INTO rooms (exam_id, school_id, number, capacity) VALUES ($1, $2, $3, $4)
			ON CONFLICT (exam_id, school_id, number) DO UPDATE SET capacity = EXCLUDED.capacity
			RETURNING id`, examID, schoolID, i+1, capacity).Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("save room %d: %w", i+1, err)
		}
		ids[i+1] = id
	}
	return ids, nil
}

// DeleteRoomsAfter removes the school's rooms numbered above last. A room
// that batches of scanned cards already point to cannot go.
func DeleteRoomsAfter(ctx context.Context, q TxOrPool, examID, schoolID int64, last int) error {
	_, err := q.Exec(ctx, `
		DELETE FROM rooms WHERE exam_id = $1 AND school_id = $2 AND number > $3`,
		examID, schoolID, last)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return fmt.Errorf("remove rooms after room %d: batches or candidates already refer to them, so the rooms can no longer change", last)
	}
	if err != nil {
		return fmt.Errorf("remove rooms after room %d: %w", last, err)
	}
	return nil
}

// ListRooms returns the rooms of the exam (of one school unless schoolID
// is 0) ordered by school code and room number.
func ListRooms(ctx context.Context, q TxOrPool, examID, schoolID int64) ([]Room, error) {
	rows, err := q.Query(ctx, `
		SELECT r.id, r.exam_id, r.school_id, s.code, s.name, r.number, r.capacity,
		       (SELECT count(*) FROM candidates c WHERE c.room_id = r.id),
		       (SELECT count(*) FROM candidates c WHERE c.room_id = r.id AND c.withdrawn_at IS NOT NULL),
		       r.supplementary
		FROM rooms r JOIN schools s ON s.id = r.school_id
		WHERE r.exam_id = $1 AND ($2 = 0 OR r.school_id = $2)
		ORDER BY s.code, r.number`, examID, schoolID)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	rooms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Room, error) {
		var r Room
		err := row.Scan(&r.ID, &r.ExamID, &r.SchoolID, &r.SchoolCode, &r.SchoolName, &r.Number, &r.Capacity, &r.Candidates,
			&r.Withdrawn, &r.Supplementary)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	return rooms, nil
}
