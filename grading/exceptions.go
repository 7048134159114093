package grading

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// Resolution actions a technician can take on an exception.
const (
	ActionExamNo = "exam_no" // this page belongs to exam number X (needs approval)
	ActionAnswer = "answer"  // item N reads as Answer (needs approval)
	ActionBlank  = "blank"   // item N is blank (needs approval)
	ActionAccept = "accept"  // the machine's reading stands; nothing changes
	ActionRescan = "rescan"  // the sheet will be scanned again
	ActionVoid   = "void"    // not a card of this batch (blank sheet, other card): set aside
)

// ExceptionResolution is what a technician decides about an exception.
type ExceptionResolution struct {
	Action string `json:"action"`
	ExamNo string `json:"exam_no,omitempty"`
	Item   int    `json:"item,omitempty"`
	Answer string `json:"answer,omitempty"`
	Reason string `json:"reason"`
}

var examNoPattern = regexp.MustCompile(`^[0-9]{6,16}$`)

// changesValue reports whether the action changes a machine-read value,
// which DOMAIN rule 3 allows only with a second person's approval.
func (r ExceptionResolution) changesValue() bool {
	return r.Action == ActionExamNo || r.Action == ActionAnswer || r.Action == ActionBlank
}

// ResolveException records a technician's decision under a name (a
// scanning station's). Prefer ResolveExceptionBy, which names the account.
func ResolveException(ctx context.Context, db *store.DB, id int64, actor string, res ExceptionResolution) (*store.Exception, error) {
	return resolveException(ctx, db, id, actor, nil, res)
}

// ResolveExceptionBy records a signed-in technician's decision. A decision
// that changes a machine-read value waits for a second account with the
// approver role; the others take effect at once. Every decision is in the
// audit log.
func ResolveExceptionBy(ctx context.Context, db *store.DB, id int64, u *store.User, res ExceptionResolution) (*store.Exception, error) {
	if u == nil {
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "请先登录")
	}
	return resolveException(ctx, db, id, AccountActor(u), &u.ID, res)
}

func resolveException(ctx context.Context, db *store.DB, id int64, actor string, userID *int64, res ExceptionResolution) (*store.Exception, error) {
	res.Reason = strings.TrimSpace(res.Reason)
	switch res.Action {
	case ActionExamNo:
		if !examNoPattern.MatchString(res.ExamNo) {
			return nil, saoyue.Errorf(saoyue.EINVALID, "考号 %q 格式不正确", res.ExamNo)
		}
	case ActionAnswer:
		res.Answer = strings.ToUpper(strings.ReplaceAll(res.Answer, " ", ""))
		if res.Answer == "" {
			return nil, saoyue.Errorf(saoyue.EINVALID, "请填写更正后的答案（或选择“空白”）")
		}
	case ActionBlank, ActionAccept, ActionRescan, ActionVoid:
	default:
		return nil, saoyue.Errorf(saoyue.EINVALID, "未知的处理方式 %q", res.Action)
	}
	if res.changesValue() && res.Reason == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "更改机器识别结果必须填写原因")
	}
	var out *store.Exception
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		e, err := store.GetException(ctx, tx, id, true)
		if errors.Is(err, store.ErrExceptionNotFound) {
			return saoyue.Errorf(saoyue.ENOTFOUND, "异常 %d 不存在", id)
		}
		if err != nil {
			return err
		}
		if e.Status != saoyue.ExceptionOpen {
			return saoyue.Errorf(saoyue.ECONFLICT, "异常 %d 已处理或正在等待审核", id)
		}
		if res.Action == ActionAnswer || res.Action == ActionBlank {
			if res.Item == 0 {
				res.Item, _ = strconv.Atoi(e.ItemNo)
			}
			if res.Item == 0 || e.CardID == nil {
				return saoyue.Errorf(saoyue.EINVALID, "这条异常不对应某张答题卡的某道题，不能更正答案")
			}
		}
		if res.Action == ActionExamNo && e.PageID == nil {
			return saoyue.Errorf(saoyue.EINVALID, "这条异常不对应某一页，不能指定考号")
		}
		if res.Action == ActionExamNo {
			if err := refuseExamNo(store.CheckPageExamNo(ctx, tx, *e.PageID, res.ExamNo), res.ExamNo); err != nil {
				return err
			}
		}
		body, _ := json.Marshal(res)
		e.Resolution = body
		e.RequestedBy, e.RequestedByUserID = &actor, userID
		if res.changesValue() {
			e.Status = saoyue.ExceptionPendingApproval
		} else {
			e.Status = saoyue.ExceptionResolved
			e.ResolvedBy = &actor
		}
		if err := store.SetExceptionState(ctx, tx, e); err != nil {
			return err
		}
		out = e
		return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: actor, Action: saoyue.AuditExceptionResolve(res.Action), Entity: saoyue.EntityException,
			EntityID: strconv.FormatInt(id, 10), Old: map[string]string{"kind": string(e.Kind), "reason": e.Reason}, New: res,
			Reason: res.Reason, ActorUserID: userID})
	})
	return out, err
}

// ApproveException is a signed-in approver's decision on a pending
// change. On approval the change is applied (the corrected answer
// overrides the reading, or the page joins the named candidate's card),
// the card is scored again, and the audit log records who asked, who
// approved (both accounts), the old and the new value and why. Nobody
// approves their own request. A rejection needs a note; the exception is
// open again and the technician sees the note.
func ApproveException(ctx context.Context, db *store.DB, id int64, approver *store.User, approve bool, note string) error {
	if err := checkApprover(approver); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return saoyue.Errorf(saoyue.EINVALID, "驳回时请写明理由，技术员会在异常页上看到")
	}
	me := AccountActor(approver)
	return db.InTx(ctx, func(tx pgx.Tx) error {
		e, err := store.GetException(ctx, tx, id, true)
		if errors.Is(err, store.ErrExceptionNotFound) {
			return saoyue.Errorf(saoyue.ENOTFOUND, "异常 %d 不存在", id)
		}
		if err != nil {
			return err
		}
		if e.Status != saoyue.ExceptionPendingApproval {
			return saoyue.Errorf(saoyue.ECONFLICT, "异常 %d 没有待审核的更改", id)
		}
		if e.RequestedByUserID != nil && *e.RequestedByUserID == approver.ID || e.RequestedBy != nil && *e.RequestedBy == me {
			return saoyue.Errorf(saoyue.EFORBIDDEN, "不能审核自己提交的更改，请由另一位审核人审核")
		}
		var res ExceptionResolution
		if err := json.Unmarshal(e.Resolution, &res); err != nil {
			return err
		}
		requester := ""
		if e.RequestedBy != nil {
			requester = *e.RequestedBy
		}
		if !approve {
			requesterID := e.RequestedByUserID
			e.Status, e.Resolution, e.RequestedBy, e.RequestedByUserID = saoyue.ExceptionOpen, nil, nil, nil
			e.RejectNote, e.RejectedBy = note, &me
			if err := store.SetExceptionState(ctx, tx, e); err != nil {
				return err
			}
			return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: me, Action: saoyue.AuditExceptionReject, Entity: saoyue.EntityException,
				EntityID: strconv.FormatInt(id, 10), Old: res, Reason: note, ApprovedBy: me,
				ActorUserID: requesterID, ApproverUserID: &approver.ID})
		}
		oldValue, newValue, cardID, err := applyException(ctx, tx, e, res, requester, me)
		if err != nil {
			return err
		}
		e.Status, e.ResolvedBy, e.ApprovedBy, e.ApprovedByUserID = saoyue.ExceptionResolved, &requester, &me, &approver.ID
		e.RejectNote = ""
		if err := store.SetExceptionState(ctx, tx, e); err != nil {
			return err
		}
		in, err := store.ReadCardToScore(ctx, tx, cardID, true)
		if err != nil {
			return err
		}
		if _, err := scoreCard(ctx, tx, in.Card, keysByForm(in.Key), in.Responses); err != nil {
			return err
		}
		return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: requester, Action: saoyue.AuditExceptionApply(res.Action), Entity: saoyue.EntityException,
			EntityID: strconv.FormatInt(id, 10), Old: oldValue, New: newValue, Reason: res.Reason + noteSuffix(note),
			ApprovedBy: me, ActorUserID: e.RequestedByUserID, ApproverUserID: &approver.ID})
	})
}

// applyException applies an approved change of a machine-read value and
// returns the old and new value for the audit log, and the card to score.
func applyException(ctx context.Context, tx pgx.Tx, e *store.Exception, res ExceptionResolution, requester, approver string) (oldValue, newValue any, cardID int64, err error) {
	switch res.Action {
	case ActionAnswer, ActionBlank:
		cardID = *e.CardID
		resp, err := store.CardResponses(ctx, tx, cardID)
		if err != nil {
			return nil, nil, 0, err
		}
		answer := res.Answer
		if res.Action == ActionBlank {
			answer = ""
		}
		oldValue = map[string]any{"item": res.Item, "read": resp[res.Item].Chosen, "status": resp[res.Item].Status}
		newValue = map[string]any{"item": res.Item, "answer": answer}
		return oldValue, newValue, cardID, store.SetAnswerOverride(ctx, tx, cardID, res.Item, answer, requester, approver)
	case ActionExamNo:
		value, barcode, grid, err := store.PageExamNo(ctx, tx, *e.PageID)
		if err != nil {
			return nil, nil, 0, err
		}
		oldValue = map[string]string{"exam_no": value, "barcode": barcode, "grid": grid}
		newValue = map[string]string{"exam_no": res.ExamNo}
		cardID, err = store.AssignPageExamNo(ctx, tx, *e.PageID, res.ExamNo)
		var refused *store.AttachRefusedError
		switch {
		case errors.As(err, &refused):
			return nil, nil, 0, saoyue.Errorf(saoyue.EINVALID, "%s，不能把这一页归到该考生", refused.Reason)
		case errors.Is(err, store.ErrNotInRoster):
			return nil, nil, 0, saoyue.Errorf(saoyue.EINVALID, "考号 %s 不在本次考试的考生名单中", res.ExamNo)
		case errors.Is(err, store.ErrDuplicatePage):
			return nil, nil, 0, saoyue.Errorf(saoyue.ECONFLICT, "考号 %s 已有这一页答题卡，请先处理重复卡", res.ExamNo)
		case errors.Is(err, store.ErrPageUnknown):
			return nil, nil, 0, saoyue.Errorf(saoyue.EINVALID, "这一页的页码（二维码）无法识别，答题卡有多页，无法确定是第几页，请重新扫描这一页")
		case err != nil:
			return nil, nil, 0, err
		}
		return oldValue, newValue, cardID, nil
	}
	return nil, nil, 0, saoyue.Errorf(saoyue.EINVALID, "处理方式 %q 不需要审核", res.Action)
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return "（审核意见：" + note + "）"
}

// refuseExamNo turns store.CheckPageExamNo's refusal of a typed exam number
// into the technician's message: another school's candidate or a withdrawn
// one is refused when the correction is asked for, not only at approval. A
// number of nobody is left to the approval, as before.
func refuseExamNo(err error, examNo string) error {
	var refused *store.AttachRefusedError
	switch {
	case err == nil, errors.Is(err, store.ErrNotInRoster):
		return nil
	case errors.As(err, &refused):
		return saoyue.Errorf(saoyue.EINVALID, "%s，不能把这一页归到该考生", refused.Reason)
	}
	return err
}
