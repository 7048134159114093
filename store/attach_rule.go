package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/reading"
)

// CardOwner is the candidate an exam number names, as attaching a page
// sees them.
type CardOwner struct {
	SchoolID   int64
	SchoolCode string
	Withdrawn  bool
}

// AttachRefusal says why a page bearing examNo, scanned in a bag of the
// school bagSchoolID (code bagSchoolCode), may not join its owner's card;
// nil when it may. The reader's attach path and a technician's exam-number
// correction both apply it.
func AttachRefusal(examNo string, owner CardOwner, bagSchoolID int64, bagSchoolCode string) *Exception {
	switch {
	case owner.SchoolID != bagSchoolID:
		return &Exception{Kind: reading.ExcWrongSchool,
			Reason: fmt.Sprintf("考号 %s 不是本校（%s）的考生，是学校 %s 的考生", examNo, bagSchoolCode, owner.SchoolCode)}
	case owner.Withdrawn:
		return &Exception{Kind: reading.ExcWithdrawn,
			Reason: fmt.Sprintf("考号 %s 的考生已退出，答题卡不计分", examNo)}
	}
	return nil
}

// AttachRefusedError is AttachRefusal's answer as an error.
type AttachRefusedError struct {
	Kind   reading.Kind
	Reason string
}

func (e *AttachRefusedError) Error() string { return e.Reason }

// CheckPageExamNo applies AttachRefusal to the page's bag and the candidate
// examNo names: an error wrapping ErrNotInRoster when nobody has the number,
// an *AttachRefusedError when the page may not join their card.
func CheckPageExamNo(ctx context.Context, q TxOrPool, pageID int64, examNo string) error {
	var owner CardOwner
	var bagSchool int64
	var bagCode string
	var found bool
	err := q.QueryRow(ctx, `
		SELECT b.school_id, bs.code, c.id IS NOT NULL, coalesce(r.school_id, 0), coalesce(cs.code, ''),
		       coalesce(c.withdrawn_at IS NOT NULL, false)
		FROM pages p JOIN batches b ON b.id = p.batch_id JOIN schools bs ON bs.id = b.school_id
		LEFT JOIN candidates c ON c.exam_id = b.exam_id AND c.exam_no = $2
		LEFT JOIN rooms r ON r.id = c.room_id
		LEFT JOIN schools cs ON cs.id = r.school_id
		WHERE p.id = $1`, pageID, examNo).Scan(&bagSchool, &bagCode, &found, &owner.SchoolID, &owner.SchoolCode, &owner.Withdrawn)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("page %d: %w", pageID, ErrPageNotFound)
	}
	if err != nil {
		return fmt.Errorf("check exam number %s for page %d: %w", examNo, pageID, err)
	}
	if !found {
		return fmt.Errorf("exam number %s is not in this exam's roster: %w", examNo, ErrNotInRoster)
	}
	if e := AttachRefusal(examNo, owner, bagSchool, bagCode); e != nil {
		return &AttachRefusedError{Kind: e.Kind, Reason: e.Reason}
	}
	return nil
}
