package storetest

import (
	"context"
	"fmt"

	"github.com/saoyue/saoyue/store"
)

// RosterCounts is how many rows each roster table holds.
type RosterCounts struct {
	Counties, Schools, Students, Teachers, TeacherSubjects int
}

// CountRoster counts the roster tables, to prove that a rejected import
// left nothing behind.
func CountRoster(ctx context.Context, q store.TxOrPool) (RosterCounts, error) {
	var c RosterCounts
	err := q.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM counties), (SELECT count(*) FROM schools),
		       (SELECT count(*) FROM students), (SELECT count(*) FROM teachers),
		       (SELECT count(*) FROM teacher_subjects)`).
		Scan(&c.Counties, &c.Schools, &c.Students, &c.Teachers, &c.TeacherSubjects)
	if err != nil {
		return c, fmt.Errorf("count roster rows: %w", err)
	}
	return c, nil
}
