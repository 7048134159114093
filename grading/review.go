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
	Exam       string  // exam code
	ExamNo     string  // candidate's exam number
	Subject    string  // subject code
	Item       string  // objective item number or question group code
	Score      float64 // the new score
	Actor      string  // who changes it
	ApprovedBy string  // who approved it; required once the exam is final
	Reason     string  // why; always required
	ReviewID   int64   // the 查分 request that led to it, if any
}

// ChangeScore changes an item score by hand and writes the audit log, in
// one transaction. After the exam is final it refuses a change without an
// approver, or approved by the person making it. It returns the old score
// (nil when the item had none).
func ChangeScore(ctx context.Context, db *store.DB, c ScoreChange) (old *float64, err error) {
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		old, err = changeScore(ctx, tx, c)
		return err
	})
	return old, err
}

func changeScore(ctx context.Context, tx pgx.Tx, c ScoreChange) (*float64, error) {
	if strings.TrimSpace(c.Actor) == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "改分必须注明操作人")
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
	// A shared lock: changes go on side by side, but the exam cannot turn
	// final between this check and the write.
	status, err := store.LockExamStatus(ctx, tx, exam.ID, false)
	if err != nil {
		return nil, err
	}
	if status == "final" {
		if strings.TrimSpace(c.ApprovedBy) == "" {
			return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "考试 %s 成绩已发布，改分需要审核人批准", c.Exam)
		}
		if c.ApprovedBy == c.Actor {
			return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "改分的审核人不能是操作人本人")
		}
	}
	candidateID, err := store.ReviewCandidateID(ctx, tx, exam.ID, c.ExamNo)
	if err != nil {
		return nil, err
	}
	if candidateID == 0 {
		return nil, saoyue.Errorf(saoyue.ENOTFOUND, "考试 %s 没有考号 %s", c.Exam, c.ExamNo)
	}
	max, found, err := store.ItemMaxScore(ctx, tx, subject.ID, c.Item)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, saoyue.Errorf(saoyue.ENOTFOUND, "%s 没有第 %s 题", subject.Name, c.Item)
	}
	if c.Score < 0 || c.Score > max+eps {
		return nil, saoyue.Errorf(saoyue.EINVALID, "第 %s 题的分数应在 0 到 %g 之间，不能是 %g", c.Item, max, c.Score)
	}
	if c.ReviewID != 0 {
		r, err := store.GetReviewRequest(ctx, tx, c.ReviewID)
		if errors.Is(err, store.ErrReviewRequestNotFound) {
			return nil, saoyue.Errorf(saoyue.ENOTFOUND, "没有查分申请 %d", c.ReviewID)
		}
		if err != nil {
			return nil, err
		}
		if r.CandidateID != candidateID || r.SubjectID != subject.ID {
			return nil, saoyue.Errorf(saoyue.EINVALID, "查分申请 %d 不是考号 %s %s 的", c.ReviewID, c.ExamNo, subject.Name)
		}
	}
	ref := store.ItemScoreRef{CandidateID: candidateID, SubjectID: subject.ID, Item: c.Item}
	cur, had, err := store.ItemScoreForUpdate(ctx, tx, ref)
	if err != nil {
		return nil, err
	}
	var old *float64
	if had {
		old = &cur.Score
	}
	err = store.SaveScoreChange(ctx, tx, store.ScoreChangeRecord{
		Ref: ref, Old: old, New: c.Score, Actor: c.Actor, ApprovedBy: c.ApprovedBy, Reason: c.Reason, ReviewID: c.ReviewID,
	})
	if err != nil {
		return nil, fmt.Errorf("change score of %s item %s: %w", c.ExamNo, c.Item, err)
	}
	return old, nil
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
		if exam.Status != "review" && exam.Status != "final" {
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
	ID         int64
	Answer     string
	AnsweredBy string
	NewScore   *float64 // nil: the score stands
	Item       string   // the item to change when the request named the whole subject
	ApprovedBy string   // needed for a change once the exam is final
}

// AnswerReview answers an open request. A new score goes through the same
// audited, approved change as any other, in the same transaction, so a
// refused change leaves the request open.
func AnswerReview(ctx context.Context, db *store.DB, a ReviewAnswer) (*store.ReviewRequest, error) {
	if strings.TrimSpace(a.Answer) == "" || strings.TrimSpace(a.AnsweredBy) == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "答复查分申请要写明答复内容和答复人")
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
		if r.Status != "open" {
			return saoyue.Errorf(saoyue.ECONFLICT, "查分申请 %d 已经答复过了", a.ID)
		}
		if a.NewScore != nil {
			item := r.Item
			if item == "" {
				item = a.Item
			}
			if item == "" {
				return saoyue.Errorf(saoyue.EINVALID, "查分申请 %d 针对整科，改分时请指明题号", a.ID)
			}
			_, err = changeScore(ctx, tx, ScoreChange{
				Exam: r.ExamCode, ExamNo: r.ExamNo, Subject: r.SubjectCode, Item: item, Score: *a.NewScore,
				Actor: a.AnsweredBy, ApprovedBy: a.ApprovedBy, Reason: "查分: " + a.Answer, ReviewID: r.ID,
			})
			if err != nil {
				return err
			}
		}
		ok, err := store.AnswerReviewRequest(ctx, tx, a.ID, a.Answer, a.AnsweredBy, a.NewScore != nil)
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
