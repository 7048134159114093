package store

import (
	"context"
	"fmt"
)

// LockMarkingGroup takes the group's row lock, so two mode changes of one
// group queue instead of both cutting tasks.
func LockMarkingGroup(ctx context.Context, q TxOrPool, groupID int64) error {
	var id int64
	if err := q.QueryRow(ctx, `SELECT id FROM question_groups WHERE id = $1 FOR UPDATE`, groupID).Scan(&id); err != nil {
		return fmt.Errorf("lock question group %d: %w", groupID, err)
	}
	return nil
}

// GroupHasMarks reports whether anyone has scored an answer of the group:
// a mark of any kind, or a leader's control answer.
func GroupHasMarks(ctx context.Context, q TxOrPool, groupID int64) (bool, error) {
	var yes bool
	err := q.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM marks m JOIN marking_tasks t ON t.id = m.task_id WHERE t.group_id = $1)
		    OR EXISTS (SELECT 1 FROM control_answers WHERE group_id = $1)`, groupID).Scan(&yes)
	if err != nil {
		return false, fmt.Errorf("look for marks of group %d: %w", groupID, err)
	}
	return yes, nil
}

// SetGroupRounds cuts the group's existing tasks to its new mode. To 2+1,
// every crop with a first-round task gets its second round (a round 2
// voided by an earlier switch back is reopened). To 1+0, second rounds
// nobody holds and nobody marked are voided; one leased right now stays
// with its marker, whose mark then simply does not count.
func SetGroupRounds(ctx context.Context, q TxOrPool, groupID int64, mode string) (created, voided int64, err error) {
	if mode == "2+1" {
		tag, err := q.Exec(ctx, `
			UPDATE marking_tasks SET status = 'open', assigned_to = NULL, marker_school_id = NULL, lease_until = NULL
			WHERE group_id = $1 AND kind = 'normal' AND round = 2 AND status = 'void'`, groupID)
		if err != nil {
			return 0, 0, fmt.Errorf("reopen second rounds of group %d: %w", groupID, err)
		}
		created = tag.RowsAffected()
		tag, err = q.Exec(ctx, `
			INSERT INTO marking_tasks (crop_id, group_id, round, school_id)
			SELECT crop_id, group_id, 2, school_id FROM marking_tasks
			WHERE group_id = $1 AND kind = 'normal' AND round = 1
			ORDER BY crop_id
			ON CONFLICT (crop_id, round) WHERE kind = 'normal' DO NOTHING`, groupID)
		if err != nil {
			return 0, 0, fmt.Errorf("create second rounds of group %d: %w", groupID, err)
		}
		return created + tag.RowsAffected(), 0, nil
	}
	tag, err := q.Exec(ctx, `
		UPDATE marking_tasks t SET status = 'void', assigned_to = NULL, lease_until = NULL
		WHERE t.group_id = $1 AND t.kind = 'normal' AND t.round >= 2
		  AND (t.status = 'open' OR t.status = 'leased' AND t.lease_until < now())
		  AND NOT EXISTS (SELECT 1 FROM marks m WHERE m.task_id = t.id)`, groupID)
	if err != nil {
		return 0, 0, fmt.Errorf("void second rounds of group %d: %w", groupID, err)
	}
	return 0, tag.RowsAffected(), nil
}
