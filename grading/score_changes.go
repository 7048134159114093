package grading

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// proposeScoreChange stores a change of a released score as pending, for a
// second person to approve, and audits the proposal.
func proposeScoreChange(ctx context.Context, tx pgx.Tx, c ScoreChange, ref store.ItemScoreRef, out *ScoreChangeResult) error {
	pc := &store.PendingScoreChange{CandidateID: ref.CandidateID, SubjectID: ref.SubjectID, Item: ref.Item,
		Old: out.Old, New: c.Score, Reason: c.Reason, ProposedByID: c.By.ID}
	if c.ReviewID != 0 {
		pc.ReviewID = &c.ReviewID
	}
	if err := store.CreateScoreChange(ctx, tx, pc); err != nil {
		return err
	}
	out.Pending, out.ChangeID = true, pc.ID
	var old any
	if out.Old != nil {
		old = map[string]any{"score": *out.Old}
	}
	return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: AccountActor(c.By), Action: saoyue.AuditScoreChangePropose,
		Entity: saoyue.EntityScoreChange, EntityID: strconv.FormatInt(pc.ID, 10), Old: old,
		New: map[string]any{"item_score": ref.String(), "score": c.Score}, Reason: c.Reason, ActorUserID: &c.By.ID})
}

// DecideScoreChange is an approver's decision on a pending score change.
// The approver is a signed-in account with the approver role, other than
// the one that proposed it (compared by account id). Approved, the change
// is applied against the score as it stands now and audited with both
// accounts; rejected (a note is required), nothing changes and a 查分
// request it answered is open again.
func DecideScoreChange(ctx context.Context, db *store.DB, id int64, approver *store.User, approve bool, note string) error {
	if err := checkApprover(approver); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return saoyue.Errorf(saoyue.EINVALID, "驳回时请写明理由")
	}
	return db.InTx(ctx, func(tx pgx.Tx) error {
		pc, err := store.GetScoreChange(ctx, tx, id, true)
		if errors.Is(err, store.ErrScoreChangeNotFound) {
			return saoyue.Errorf(saoyue.ENOTFOUND, "没有改分申请 %d", id)
		}
		if err != nil {
			return err
		}
		if pc.Status != saoyue.ScoreChangePending {
			return saoyue.Errorf(saoyue.ECONFLICT, "改分申请 %d 已经审核过了", id)
		}
		if pc.ProposedByID == approver.ID {
			return saoyue.Errorf(saoyue.EFORBIDDEN, "不能审核自己提交的更改，请由另一位审核人审核")
		}
		stage, err := store.LockExamStatus(ctx, tx, pc.ExamID, false)
		if err != nil {
			return err
		}
		if stage.AtLeast(saoyue.StageArchived) {
			return saoyue.Errorf(saoyue.EFORBIDDEN, "考试 %s 已归档，成绩不能再更改", pc.ExamCode)
		}
		if !approve {
			return rejectScoreChange(ctx, tx, pc, approver, note)
		}
		return applyScoreChange(ctx, tx, pc, approver, note)
	})
}

func checkApprover(u *store.User) error {
	if u == nil {
		return saoyue.Errorf(saoyue.EUNAUTHORIZED, "审核必须由已登录的审核人账号进行")
	}
	if !u.Has(saoyue.RoleApprover) {
		return saoyue.Errorf(saoyue.EFORBIDDEN, "账号 %s 没有审核权限", u.Login)
	}
	if u.Disabled {
		return saoyue.Errorf(saoyue.EFORBIDDEN, "账号 %s 已停用", u.Login)
	}
	return nil
}

func rejectScoreChange(ctx context.Context, tx pgx.Tx, pc *store.PendingScoreChange, approver *store.User, note string) error {
	if err := store.DecideScoreChange(ctx, tx, pc.ID, saoyue.ScoreChangeRejected, approver.ID, note); err != nil {
		return err
	}
	if pc.ReviewID != nil {
		if err := store.SetReviewScoreChanged(ctx, tx, *pc.ReviewID, false); err != nil {
			return err
		}
	}
	return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: AccountActor(approver), Action: saoyue.AuditScoreChangeReject,
		Entity: saoyue.EntityScoreChange, EntityID: strconv.FormatInt(pc.ID, 10), New: map[string]any{"score": pc.New},
		Reason: note, ApprovedBy: AccountActor(approver), ActorUserID: &pc.ProposedByID, ApproverUserID: &approver.ID})
}

func applyScoreChange(ctx context.Context, tx pgx.Tx, pc *store.PendingScoreChange, approver *store.User, note string) error {
	ref := store.ItemScoreRef{CandidateID: pc.CandidateID, SubjectID: pc.SubjectID, Item: pc.Item}
	cur, had, err := store.ItemScoreForUpdate(ctx, tx, ref)
	if err != nil {
		return err
	}
	var old *float64
	if had {
		old = &cur.Score
	}
	if err := store.DecideScoreChange(ctx, tx, pc.ID, saoyue.ScoreChangeApplied, approver.ID, note); err != nil {
		return err
	}
	var reviewID int64
	if pc.ReviewID != nil {
		reviewID = *pc.ReviewID
		if err := store.SetReviewScoreChanged(ctx, tx, reviewID, true); err != nil {
			return err
		}
	}
	err = store.SaveScoreChange(ctx, tx, store.ScoreChangeRecord{
		Ref: ref, Old: old, New: pc.New, Actor: "user:" + pc.ProposedBy, ApprovedBy: AccountActor(approver),
		Reason: pc.Reason + noteSuffix(note), ReviewID: reviewID, ChangeID: pc.ID,
		ActorUserID: &pc.ProposedByID, ApproverUserID: &approver.ID,
	})
	if err != nil {
		return fmt.Errorf("apply score change %d: %w", pc.ID, err)
	}
	return nil
}
