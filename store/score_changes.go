package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
)

// ErrScoreChangeNotFound is returned for an unknown pending change id.
var ErrScoreChangeNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这条成绩更改"}

// PendingScoreChange is a score change proposed once scores are released,
// waiting for (or decided by) a second account with the approver role.
type PendingScoreChange struct {
	ID           int64
	CandidateID  int64
	SubjectID    int64
	Item         string
	Old          *float64 // the score when proposed; nil: none
	New          float64
	Reason       string
	ReviewID     *int64
	ProposedByID int64
	ProposedAt   time.Time
	Status       saoyue.ScoreChangeStatus
	DecidedByID  *int64
	Note         string

	// For the approvals page: whose score, and what the machine or the
	// markers gave it now.
	ProposedBy  string // login
	ExamID      int64
	ExamCode    string
	ExamNo      string
	SubjectName string
	Current     *float64
	Response    string // the read answer of an objective item
	Source      string // omr, mark or manual
}

// CreateScoreChange stores a proposal and sets its id and time.
func CreateScoreChange(ctx context.Context, q TxOrPool, c *PendingScoreChange) error {
	err := q.QueryRow(ctx, `
		INSERT INTO score_changes (candidate_id, subject_id, item, old_score, new_score, reason, review_request_id, proposed_by_user_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, proposed_at, status`,
		c.CandidateID, c.SubjectID, c.Item, c.Old, c.New, c.Reason, c.ReviewID, c.ProposedByID).Scan(&c.ID, &c.ProposedAt, &c.Status)
	if err != nil {
		return fmt.Errorf("propose score change: %w", err)
	}
	return nil
}

const scoreChangeSelect = `
	SELECT sc.id, sc.candidate_id, sc.subject_id, sc.item, sc.old_score::float8, sc.new_score::float8, sc.reason,
	       sc.review_request_id, sc.proposed_by_user_id, sc.proposed_at, sc.status, sc.decided_by_user_id, sc.note,
	       u.login, c.exam_id, e.code, c.exam_no, sj.name, s.score::float8, COALESCE(s.response, ''), COALESCE(s.source, '')
	FROM score_changes sc
	JOIN users u ON u.id = sc.proposed_by_user_id
	JOIN candidates c ON c.id = sc.candidate_id
	JOIN exams e ON e.id = c.exam_id
	JOIN subjects sj ON sj.id = sc.subject_id
	LEFT JOIN item_scores s ON s.candidate_id = sc.candidate_id AND s.subject_id = sc.subject_id AND s.item = sc.item`

func scanScoreChange(r pgx.Row) (*PendingScoreChange, error) {
	var c PendingScoreChange
	err := r.Scan(&c.ID, &c.CandidateID, &c.SubjectID, &c.Item, &c.Old, &c.New, &c.Reason, &c.ReviewID, &c.ProposedByID,
		&c.ProposedAt, &c.Status, &c.DecidedByID, &c.Note, &c.ProposedBy, &c.ExamID, &c.ExamCode, &c.ExamNo, &c.SubjectName,
		&c.Current, &c.Response, &c.Source)
	return &c, err
}

// GetScoreChange returns one change, its row locked when forUpdate.
func GetScoreChange(ctx context.Context, q TxOrPool, id int64, forUpdate bool) (*PendingScoreChange, error) {
	sql := scoreChangeSelect + ` WHERE sc.id = $1`
	if forUpdate {
		sql += ` FOR UPDATE OF sc`
	}
	c, err := scanScoreChange(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("score change %d: %w", id, ErrScoreChangeNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read score change %d: %w", id, err)
	}
	return c, nil
}

// ListScoreChanges lists changes of one status ("" for all), oldest first.
func ListScoreChanges(ctx context.Context, q TxOrPool, status saoyue.ScoreChangeStatus) ([]*PendingScoreChange, error) {
	rows, err := q.Query(ctx, scoreChangeSelect+` WHERE ($1 = '' OR sc.status = $1) ORDER BY sc.id`, status)
	if err != nil {
		return nil, fmt.Errorf("list score changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*PendingScoreChange, error) { return scanScoreChange(r) })
	if err != nil {
		return nil, fmt.Errorf("list score changes: %w", err)
	}
	return out, nil
}

// DecideScoreChange records the approver's decision on a pending change.
func DecideScoreChange(ctx context.Context, q TxOrPool, id int64, status saoyue.ScoreChangeStatus, by int64, note string) error {
	_, err := q.Exec(ctx, `
		UPDATE score_changes SET status = $2, decided_by_user_id = $3, decided_at = now(), note = $4
		WHERE id = $1 AND status = 'pending'`, id, status, by, note)
	if err != nil {
		return fmt.Errorf("decide score change %d: %w", id, err)
	}
	return nil
}

// SetReviewScoreChanged marks a 查分 request's score as changed (its
// change approved) or reopens it (its change rejected: answer it again).
func SetReviewScoreChanged(ctx context.Context, q TxOrPool, id int64, applied bool) error {
	sql := `UPDATE review_requests SET score_changed = true WHERE id = $1`
	if !applied {
		sql = `UPDATE review_requests SET status = 'open', score_changed = false, answered_by = NULL, answered_at = NULL WHERE id = $1`
	}
	if _, err := q.Exec(ctx, sql, id); err != nil {
		return fmt.Errorf("update review request %d: %w", id, err)
	}
	return nil
}
