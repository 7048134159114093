package marking

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// Marking happens only while the exam scans or marks and only once the
// subject's marking has started (grading.Advance). From review on, scores
// change only through the 查分 change path (grading.ChangeScore).

// markingRefusal says why the subject cannot be marked now; nil if it can.
func markingRefusal(s store.SubjectMarkingState) error {
	st := s.ExamStatus
	switch {
	case st.ScoresReleased():
		return saoyue.Errorf(saoyue.EFORBIDDEN, "考试 %s 当前阶段为「%s」，阅卷已结束，分数只能通过查分改分流程修改", s.ExamCode, st.Name())
	case st != saoyue.StageScanning && st != saoyue.StageMarking:
		return saoyue.Errorf(saoyue.EFORBIDDEN, "考试 %s 当前阶段为「%s」，还没有开始阅卷", s.ExamCode, st.Name())
	case !s.MarkingOpened:
		return saoyue.Errorf(saoyue.EFORBIDDEN, "考试 %s 的%s还没有开始阅卷", s.ExamCode, s.SubjectName)
	}
	return nil
}

// noAudit is the action of a call to markingTx that changes no score: its
// refusal is not audited.
const noAudit saoyue.AuditAction = ""

// markingTx runs fn in one transaction after checking, under a shared lock
// on the exam's row, that the marker's subject may be marked now: the exam
// cannot change stage until fn's writes are in. A refused score-changing
// action (action != noAudit) on a released exam is written to the audit log in
// a statement of its own, so the centre sees the attempt.
func (e *Engine) markingTx(ctx context.Context, m *Marker, action saoyue.AuditAction, taskID int64, fn func(tx pgx.Tx) error) error {
	var refused error
	var stage saoyue.Stage
	err := e.DB.InTx(ctx, func(tx pgx.Tx) error {
		s, err := store.LockSubjectMarking(ctx, tx, m.SubjectID)
		if err != nil {
			return err
		}
		if refused = markingRefusal(s); refused != nil {
			stage = s.ExamStatus
			return refused
		}
		return fn(tx)
	})
	if refused != nil && action != noAudit && stage.AtLeast(saoyue.StageFinal) {
		if aerr := store.WriteAudit(ctx, e.DB.Pool, store.RefusedAudit(m.Actor(), action, saoyue.EntityMarkingTask, strconv.FormatInt(taskID, 10), refused)); aerr != nil {
			return errors.Join(refused, aerr)
		}
	}
	return err
}
