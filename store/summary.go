package store

import (
	"context"
	"fmt"

	"github.com/saoyue/saoyue"
)

// ExamSummary is one line of the centre's overview.
type ExamSummary struct {
	Code       string
	Name       string
	Status     saoyue.Stage
	Schools    int
	Rooms      int
	Candidates int
}

// ExamSummaries lists every exam with its counts, newest first.
func ExamSummaries(ctx context.Context, q TxOrPool) ([]ExamSummary, error) {
	rows, err := q.Query(ctx, `
SELECT e.code, e.name, e.status,
       (SELECT count(DISTINCT r.school_id) FROM rooms r WHERE r.exam_id = e.id),
       (SELECT count(*) FROM rooms r WHERE r.exam_id = e.id),
       (SELECT count(*) FROM candidates c WHERE c.exam_id = e.id)
FROM exams e ORDER BY e.created_at DESC, e.code`)
	if err != nil {
		return nil, fmt.Errorf("list exams: %w", err)
	}
	defer rows.Close()
	var out []ExamSummary
	for rows.Next() {
		var s ExamSummary
		if err := rows.Scan(&s.Code, &s.Name, &s.Status, &s.Schools, &s.Rooms, &s.Candidates); err != nil {
			return nil, fmt.Errorf("list exams: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
