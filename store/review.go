package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// Review before release (DOMAIN rule 8): the exam's release steps, review
// requests (查分) and audited score changes. The rules themselves (who may
// do what when) are in grading/review.go; these are the rows.

// ErrReviewRequestNotFound is returned for an unknown review request.
var ErrReviewRequestNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这条复核申请"}

// ExamRelease is where an exam stands in review and release.
type ExamRelease struct {
	ExamID         int64
	Status         saoyue.Stage
	ReviewOpenedAt *time.Time
	ReviewOpenedBy string
	FinalAt        *time.Time
	FinalBy        string
}

// LockExamStatus reads the exam's status and locks its row for the rest of
// the transaction: shared for score changes (many at once, none while the
// exam is being made final), exclusive for a change of status.
func LockExamStatus(ctx context.Context, tx pgx.Tx, examID int64, exclusive bool) (saoyue.Stage, error) {
	lock := "FOR SHARE"
	if exclusive {
		lock = "FOR UPDATE"
	}
	var status saoyue.Stage
	err := tx.QueryRow(ctx, `SELECT status FROM exams WHERE id = $1 `+lock, examID).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("exam %d: %w", examID, ErrExamNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read exam status: %w", err)
	}
	return status, nil
}

// GetExamRelease returns the exam's status with who opened review and who
// made it final, and when.
func GetExamRelease(ctx context.Context, q TxOrPool, examID int64) (ExamRelease, error) {
	r := ExamRelease{ExamID: examID}
	var openedBy, finalBy *string
	err := q.QueryRow(ctx, `
		SELECT e.status, r.review_opened_at, r.review_opened_by, r.final_at, r.final_by
		FROM exams e LEFT JOIN exam_release r ON r.exam_id = e.id
		WHERE e.id = $1`, examID).Scan(&r.Status, &r.ReviewOpenedAt, &openedBy, &r.FinalAt, &finalBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("exam %d: %w", examID, ErrExamNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read exam release: %w", err)
	}
	if openedBy != nil {
		r.ReviewOpenedBy = *openedBy
	}
	if finalBy != nil {
		r.FinalBy = *finalBy
	}
	return r, nil
}

// RecordExamRelease remembers who opened review or made the exam final,
// and when. The stage itself is set by SetExamStage (grading.Advance).
func RecordExamRelease(ctx context.Context, q TxOrPool, examID int64, to saoyue.Stage, actor string) error {
	var err error
	switch to {
	case saoyue.StageReview:
		_, err = q.Exec(ctx, `
			INSERT INTO exam_release (exam_id, review_opened_at, review_opened_by) VALUES ($1, now(), $2)
			ON CONFLICT (exam_id) DO UPDATE SET review_opened_at = now(), review_opened_by = $2`, examID, actor)
	case saoyue.StageFinal:
		_, err = q.Exec(ctx, `
			INSERT INTO exam_release (exam_id, final_at, final_by) VALUES ($1, now(), $2)
			ON CONFLICT (exam_id) DO UPDATE SET final_at = now(), final_by = $2`, examID, actor)
	default:
		return fmt.Errorf("release status %q is not review or final", to)
	}
	if err != nil {
		return fmt.Errorf("record release: %w", err)
	}
	return nil
}

// ItemScoreRef names one item score.
type ItemScoreRef struct {
	CandidateID int64
	SubjectID   int64
	Item        string
}

func (r ItemScoreRef) String() string {
	return fmt.Sprintf("%d/%d/%s", r.CandidateID, r.SubjectID, r.Item)
}

// ItemScoreForUpdate reads and locks one item score; found is false when
// the item has no score yet.
func ItemScoreForUpdate(ctx context.Context, tx pgx.Tx, ref ItemScoreRef) (s ItemScore, found bool, err error) {
	err = tx.QueryRow(ctx, `
		SELECT item, score::float8, response, source FROM item_scores
		WHERE candidate_id = $1 AND subject_id = $2 AND item = $3 FOR UPDATE`,
		ref.CandidateID, ref.SubjectID, ref.Item).Scan(&s.Item, &s.Score, &s.Response, &s.Source)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("read score %s: %w", ref, err)
	}
	return s, true, nil
}

// ItemMaxScore is the most an item can score: the points of an objective
// item (largest over forms) or the maximum of a question group. found is
// false when the subject has no such item.
func ItemMaxScore(ctx context.Context, q TxOrPool, subjectID int64, item string) (max float64, found bool, err error) {
	var m *float64
	err = q.QueryRow(ctx, `
		SELECT COALESCE(
			(SELECT max(points)::float8 FROM answer_keys WHERE subject_id = $1 AND item_no::text = $2),
			(SELECT max_score::float8 FROM question_groups WHERE subject_id = $1 AND code = $2))`,
		subjectID, item).Scan(&m)
	if err != nil {
		return 0, false, fmt.Errorf("read maximum of item %s: %w", item, err)
	}
	if m == nil {
		return 0, false, nil
	}
	return *m, true, nil
}

// ScoreChangeRecord is one person's change of an item score.
type ScoreChangeRecord struct {
	Ref        ItemScoreRef
	Old        *float64 // nil: the item had no score
	New        float64
	Actor      string
	ApprovedBy string // required once the exam is final
	Reason     string
	ReviewID   int64 // the 查分 request that led to it, 0 if none
	ChangeID   int64 // the approved pending change, 0 if none

	ActorUserID, ApproverUserID *int64 // the signed-in accounts
}

// SaveScoreChange writes the new score as a manual one (the machine and
// marking flows leave manual scores alone) and the audit log entry with
// the old and new value, in the caller's transaction.
func SaveScoreChange(ctx context.Context, q TxOrPool, c ScoreChangeRecord) error {
	_, err := q.Exec(ctx, `
		INSERT INTO item_scores (candidate_id, subject_id, item, score, source)
		VALUES ($1, $2, $3, $4, 'manual')
		ON CONFLICT (candidate_id, subject_id, item) DO UPDATE
		SET score = EXCLUDED.score, source = 'manual', updated_at = now()`,
		c.Ref.CandidateID, c.Ref.SubjectID, c.Ref.Item, c.New)
	if err != nil {
		return fmt.Errorf("save score %s: %w", c.Ref, err)
	}
	newValue := map[string]any{"score": c.New}
	if c.ReviewID != 0 {
		newValue["review_request"] = c.ReviewID
	}
	if c.ChangeID != 0 {
		newValue["score_change"] = c.ChangeID
	}
	var oldValue any
	if c.Old != nil {
		oldValue = map[string]any{"score": *c.Old}
	}
	return WriteAudit(ctx, q, AuditEntry{Actor: c.Actor, Action: saoyue.AuditChangeScore, Entity: saoyue.EntityItemScore, EntityID: c.Ref.String(),
		Old: oldValue, New: newValue, Reason: c.Reason, ApprovedBy: c.ApprovedBy, ActorUserID: c.ActorUserID, ApproverUserID: c.ApproverUserID})
}

// ScoreAuditEntry is one line of the audit log.
type ScoreAuditEntry struct {
	At         time.Time
	Actor      string
	Action     string
	Entity     string
	EntityID   string
	OldValue   []byte
	NewValue   []byte
	Reason     string
	ApprovedBy string
}

// ScoreAudit lists the audit entries of one item score, oldest first.
func ScoreAudit(ctx context.Context, q TxOrPool, ref ItemScoreRef) ([]ScoreAuditEntry, error) {
	rows, err := q.Query(ctx, `
		SELECT at, actor, action, entity, entity_id, COALESCE(old_value::text, 'null'), COALESCE(new_value::text, 'null'), reason, COALESCE(approved_by, '')
		FROM audit_log WHERE entity = 'item_score' AND entity_id = $1 ORDER BY id`, ref.String())
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScoreAuditEntry, error) {
		var a ScoreAuditEntry
		var o, n string
		err := r.Scan(&a.At, &a.Actor, &a.Action, &a.Entity, &a.EntityID, &o, &n, &a.Reason, &a.ApprovedBy)
		a.OldValue, a.NewValue = []byte(o), []byte(n)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// ReviewRequest is a candidate-level review request (查分).
type ReviewRequest struct {
	ID            int64
	ExamCode      string
	CandidateID   int64
	ExamNo        string
	CandidateName string
	SchoolCode    string
	SchoolName    string
	SubjectID     int64
	SubjectCode   string
	SubjectName   string
	Item          string // "" = the whole subject
	RequestedBy   string
	Reason        string
	Status        saoyue.ReviewStatus
	Answer        string
	ScoreChanged  bool
	AnsweredBy    string
	AnsweredAt    *time.Time
	CreatedAt     time.Time
}

// ReviewCandidateID finds a candidate of the exam by exam number.
func ReviewCandidateID(ctx context.Context, q TxOrPool, examID int64, examNo string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM candidates WHERE exam_id = $1 AND exam_no = $2`, examID, examNo).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find candidate %s: %w", examNo, err)
	}
	return id, nil
}

// CreateReviewRequest logs a request and sets its id.
func CreateReviewRequest(ctx context.Context, q TxOrPool, r *ReviewRequest) error {
	err := q.QueryRow(ctx, `
		INSERT INTO review_requests (candidate_id, subject_id, item, requested_by, reason)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, status, created_at`,
		r.CandidateID, r.SubjectID, r.Item, r.RequestedBy, r.Reason).Scan(&r.ID, &r.Status, &r.CreatedAt)
	if err != nil {
		return fmt.Errorf("log review request: %w", err)
	}
	return nil
}

// AnswerReviewRequest records the answer of an open request; it returns
// false when the request was already answered.
func AnswerReviewRequest(ctx context.Context, q TxOrPool, id int64, answer, by string, scoreChanged bool) (bool, error) {
	tag, err := q.Exec(ctx, `
		UPDATE review_requests SET status = 'answered', answer = $2, answered_by = $3, answered_at = now(), score_changed = $4
		WHERE id = $1 AND status = 'open'`, id, answer, by, scoreChanged)
	if err != nil {
		return false, fmt.Errorf("answer review request %d: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

const reviewSelect = `
	SELECT r.id, e.code, r.candidate_id, c.exam_no, st.name, s.code, s.name, r.subject_id, sj.code, sj.name,
	       r.item, r.requested_by, r.reason, r.status, r.answer, r.score_changed,
	       COALESCE(r.answered_by, ''), r.answered_at, r.created_at
	FROM review_requests r
	JOIN candidates c ON c.id = r.candidate_id
	JOIN exams e ON e.id = c.exam_id
	JOIN students st ON st.id = c.student_id
	JOIN rooms rm ON rm.id = c.room_id
	JOIN schools s ON s.id = rm.school_id
	JOIN subjects sj ON sj.id = r.subject_id`

func scanReviewRequest(row pgx.Row) (ReviewRequest, error) {
	var r ReviewRequest
	err := row.Scan(&r.ID, &r.ExamCode, &r.CandidateID, &r.ExamNo, &r.CandidateName, &r.SchoolCode, &r.SchoolName,
		&r.SubjectID, &r.SubjectCode, &r.SubjectName, &r.Item, &r.RequestedBy, &r.Reason, &r.Status,
		&r.Answer, &r.ScoreChanged, &r.AnsweredBy, &r.AnsweredAt, &r.CreatedAt)
	return r, err
}

// GetReviewRequest returns one request with its candidate and subject.
func GetReviewRequest(ctx context.Context, q TxOrPool, id int64) (ReviewRequest, error) {
	r, err := scanReviewRequest(q.QueryRow(ctx, reviewSelect+` WHERE r.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("review request %d: %w", id, ErrReviewRequestNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("read review request %d: %w", id, err)
	}
	return r, nil
}

// ListReviewRequests lists the exam's requests, oldest first; status ""
// lists all of them.
func ListReviewRequests(ctx context.Context, q TxOrPool, examID int64, status saoyue.ReviewStatus) ([]ReviewRequest, error) {
	rows, err := q.Query(ctx, reviewSelect+`
		WHERE c.exam_id = $1 AND ($2 = '' OR r.status = $2) ORDER BY r.id`, examID, status)
	if err != nil {
		return nil, fmt.Errorf("list review requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReviewRequest, error) { return scanReviewRequest(r) })
	if err != nil {
		return nil, fmt.Errorf("list review requests: %w", err)
	}
	return out, nil
}
