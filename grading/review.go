package grading

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// Review before release (DOMAIN rules 3 and 8). Marking ends with the
// exam in review: schools see their own results and check them (复核).
// Then the centre makes the exam final. Every score change by a person is
// audited (who, when, old, new, why); once the exam is final a change also
// needs an approver other than the person making it. A candidate-level
// review request (查分) is logged and answered, and its answer may change
// a score through the same rule.

// OpenReview moves an exam from marking into review, so the schools can
// check their results: grading.Advance with the marking → review checks.
func OpenReview(ctx context.Context, db *store.DB, examCode, actor string) error {
	_, err := Advance(ctx, db, AdvanceRequest{ExamCode: examCode, To: saoyue.StageReview, Actor: actor})
	return err
}

// Finalize makes a reviewed exam final. Only an exam in review can become
// final: the schools must have had their chance to check.
func Finalize(ctx context.Context, db *store.DB, examCode, actor string) error {
	_, err := Advance(ctx, db, AdvanceRequest{ExamCode: examCode, To: saoyue.StageFinal, Actor: actor})
	return err
}

func examByCode(ctx context.Context, q store.TxOrPool, code string) (*store.Exam, error) {
	exam, err := store.GetExam(ctx, q, code)
	if errors.Is(err, store.ErrExamNotFound) {
		return nil, saoyue.Errorf(saoyue.ENOTFOUND, "没有考试 %s", code)
	}
	return exam, err
}

func subjectOf(exam *store.Exam, code string) (store.Subject, error) {
	for _, s := range exam.Subjects {
		if s.Code == code {
			return s, nil
		}
	}
	return store.Subject{}, saoyue.Errorf(saoyue.ENOTFOUND, "考试 %s 没有学科 %s", exam.Code, code)
}

// ScoreChange asks to change one item score of one candidate.
type ScoreChange struct {
	Exam     string      // exam code
	ExamNo   string      // candidate's exam number
	Subject  string      // subject code
	Item     string      // objective item number or question group code
	Score    float64     // the new score
	By       *store.User // the signed-in account asking; never a typed name
	Reason   string      // why; always required
	ReviewID int64       // the 查分 request that led to it, if any
}

// ScoreChangeResult says what became of a change.
type ScoreChangeResult struct {
	Old      *float64 // the score before (nil when the item had none)
	Pending  bool     // scores are released: the change waits for an approver
	ChangeID int64    // the pending change's id (saoyue review approve ID)
}

// ChangeScore changes an item score by hand, audited, in one transaction.
// From review on (saoyue.Stage.ScoresReleased) it only proposes the
// change: a second signed-in account with the approver role applies it
// through DecideScoreChange. An archived exam is read only.
func ChangeScore(ctx context.Context, db *store.DB, c ScoreChange) (*ScoreChangeResult, error) {
	var out *ScoreChangeResult
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = changeScore(ctx, tx, c)
		return err
	})
	return out, err
}

func changeScore(ctx context.Context, tx pgx.Tx, c ScoreChange) (*ScoreChangeResult, error) {
	if c.By == nil {
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "改分必须由已登录的账号提出")
	}
	if strings.TrimSpace(c.Reason) == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "改分必须说明原因")
	}
	exam, err := examByCode(ctx, tx, c.Exam)
	if err != nil {
		return nil, err
	}
	subject, err := subjectOf(exam, c.Subject)
	if err != nil {
		return nil, err
	}
	// A shared lock: changes go on side by side, but the exam cannot move
	// on between this check and the write.
	stage, err := store.LockExamStatus(ctx, tx, exam.ID, false)
	if err != nil {
		return nil, err
	}
	if stage.AtLeast(saoyue.StageArchived) {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "考试 %s 已归档，成绩不能再更改", c.Exam)
	}
	ref, err := scoreChangeTarget(ctx, tx, c, exam, subject)
	if err != nil {
		return nil, err
	}
	cur, had, err := store.ItemScoreForUpdate(ctx, tx, ref)
	if err != nil {
		return nil, err
	}
	out := &ScoreChangeResult{}
	if had {
		out.Old = &cur.Score
	}
	if stage.ScoresReleased() {
		return out, proposeScoreChange(ctx, tx, c, ref, out)
	}
	err = store.SaveScoreChange(ctx, tx, store.ScoreChangeRecord{
		Ref: ref, Old: out.Old, New: c.Score, Actor: AccountActor(c.By), Reason: c.Reason, ReviewID: c.ReviewID, ActorUserID: &c.By.ID,
	})
	if err != nil {
		return nil, fmt.Errorf("change score of %s item %s: %w", c.ExamNo, c.Item, err)
	}
	return out, nil
}

// scoreChangeTarget checks the candidate, the item, the score's range and
// the 查分 request, and names the item score to change.
func scoreChangeTarget(ctx context.Context, tx pgx.Tx, c ScoreChange, exam *store.Exam, subject store.Subject) (store.ItemScoreRef, error) {
	var ref store.ItemScoreRef
	candidateID, err := store.ReviewCandidateID(ctx, tx, exam.ID, c.ExamNo)
	if err != nil {
		return ref, err
	}
	if candidateID == 0 {
		return ref, saoyue.Errorf(saoyue.ENOTFOUND, "考试 %s 没有考号 %s", c.Exam, c.ExamNo)
	}
	max, found, err := store.ItemMaxScore(ctx, tx, subject.ID, c.Item)
	if err != nil {
		return ref, err
	}
	if !found {
		return ref, saoyue.Errorf(saoyue.ENOTFOUND, "%s 没有第 %s 题", subject.Name, c.Item)
	}
	if c.Score < 0 || c.Score > max+1e-9 { // 1e-9 absorbs decimal noise in max
		return ref, saoyue.Errorf(saoyue.EINVALID, "第 %s 题的分数应在 0 到 %g 之间，不能是 %g", c.Item, max, c.Score)
	}
	if c.ReviewID != 0 {
		r, err := store.GetReviewRequest(ctx, tx, c.ReviewID)
		if errors.Is(err, store.ErrReviewRequestNotFound) {
			return ref, saoyue.Errorf(saoyue.ENOTFOUND, "没有查分申请 %d", c.ReviewID)
		}
		if err != nil {
			return ref, err
		}
		if r.CandidateID != candidateID || r.SubjectID != subject.ID {
			return ref, saoyue.Errorf(saoyue.EINVALID, "查分申请 %d 不是考号 %s %s 的", c.ReviewID, c.ExamNo, subject.Name)
		}
	}
	return store.ItemScoreRef{CandidateID: candidateID, SubjectID: subject.ID, Item: c.Item}, nil
}

// ReviewRequestInput is a 查分 request as a school or candidate makes it.
type ReviewRequestInput struct {
	Exam        string
	ExamNo      string
	Subject     string
	Item        string // "" = the whole subject
	RequestedBy string
	Reason      string
}

// RequestReview logs a 查分 request. Requests are taken once the schools
// can see results: in review and after the exam is final.
func RequestReview(ctx context.Context, db *store.DB, in ReviewRequestInput) (*store.ReviewRequest, error) {
	if strings.TrimSpace(in.RequestedBy) == "" || strings.TrimSpace(in.Reason) == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "查分申请要写明申请人和理由")
	}
	var out store.ReviewRequest
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		exam, err := examByCode(ctx, tx, in.Exam)
		if err != nil {
			return err
		}
		if exam.Status != saoyue.StageReview && exam.Status != saoyue.StageFinal {
			return saoyue.Errorf(saoyue.EINVALID, "考试 %s 还没有公布成绩，不能查分", in.Exam)
		}
		subject, err := subjectOf(exam, in.Subject)
		if err != nil {
			return err
		}
		id, err := store.ReviewCandidateID(ctx, tx, exam.ID, in.ExamNo)
		if err != nil {
			return err
		}
		if id == 0 {
			return saoyue.Errorf(saoyue.ENOTFOUND, "考试 %s 没有考号 %s", in.Exam, in.ExamNo)
		}
		if in.Item != "" {
			if _, found, err := store.ItemMaxScore(ctx, tx, subject.ID, in.Item); err != nil {
				return err
			} else if !found {
				return saoyue.Errorf(saoyue.ENOTFOUND, "%s 没有第 %s 题", subject.Name, in.Item)
			}
		}
		r := store.ReviewRequest{CandidateID: id, SubjectID: subject.ID, Item: in.Item, RequestedBy: in.RequestedBy, Reason: in.Reason}
		if err := store.CreateReviewRequest(ctx, tx, &r); err != nil {
			return err
		}
		out, err = store.GetReviewRequest(ctx, tx, r.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ReviewAnswer answers a 查分 request, optionally with a new score.
type ReviewAnswer struct {
	ID       int64
	Answer   string
	By       *store.User // the signed-in account answering
	NewScore *float64    // nil: the score stands
	Item     string      // the item to change when the request named the whole subject
}

// AnswerReview answers an open request. A new score goes through the same
// audited change as any other, in the same transaction, so a refused
// change leaves the request open. Since requests exist only once scores
// are released, the change waits for an approver: approved, it marks the
// request's score changed; rejected, it reopens the request.
func AnswerReview(ctx context.Context, db *store.DB, a ReviewAnswer) (*store.ReviewRequest, error) {
	if strings.TrimSpace(a.Answer) == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "答复查分申请要写明答复内容")
	}
	if a.By == nil {
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "答复查分申请必须由已登录的账号进行")
	}
	var out store.ReviewRequest
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		r, err := store.GetReviewRequest(ctx, tx, a.ID)
		if errors.Is(err, store.ErrReviewRequestNotFound) {
			return saoyue.Errorf(saoyue.ENOTFOUND, "没有查分申请 %d", a.ID)
		}
		if err != nil {
			return err
		}
		if r.Status != saoyue.ReviewOpen {
			return saoyue.Errorf(saoyue.ECONFLICT, "查分申请 %d 已经答复过了", a.ID)
		}
		changed := false
		if a.NewScore != nil {
			item := r.Item
			if item == "" {
				item = a.Item
			}
			if item == "" {
				return saoyue.Errorf(saoyue.EINVALID, "查分申请 %d 针对整科，改分时请指明题号", a.ID)
			}
			res, err := changeScore(ctx, tx, ScoreChange{
				Exam: r.ExamCode, ExamNo: r.ExamNo, Subject: r.SubjectCode, Item: item, Score: *a.NewScore,
				By: a.By, Reason: "查分: " + a.Answer, ReviewID: r.ID,
			})
			if err != nil {
				return err
			}
			changed = !res.Pending
		}
		ok, err := store.AnswerReviewRequest(ctx, tx, a.ID, a.Answer, AccountActor(a.By), changed)
		if err != nil {
			return err
		}
		if !ok {
			return saoyue.Errorf(saoyue.ECONFLICT, "查分申请 %d 已经答复过了", a.ID)
		}
		out, err = store.GetReviewRequest(ctx, tx, a.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
