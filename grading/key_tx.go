package grading

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// keyTx runs a change of a subject's key or its objective scores in one
// transaction, refused once the exam is final (ChangeScore is then the
// only way a score changes); the refusal is audited on its own.
func keyTx(ctx context.Context, db *store.DB, subjectID int64, actor string, action saoyue.AuditAction, fn func(tx pgx.Tx) error) error {
	var refused error
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		s, err := store.LockSubjectMarking(ctx, tx, subjectID)
		if err != nil {
			return err
		}
		if st := s.ExamStatus; st.AtLeast(saoyue.StageFinal) {
			refused = saoyue.Errorf(saoyue.EFORBIDDEN, "考试 %s 当前阶段为「%s」，%s的答案和客观题分数不能再修改，分数只能通过查分改分流程修改", s.ExamCode, st.Name(), s.SubjectName)
			return refused
		}
		return fn(tx)
	})
	if refused != nil {
		if aerr := store.WriteAudit(ctx, db.Pool, store.RefusedAudit(actor, action, saoyue.EntitySubject, strconv.FormatInt(subjectID, 10), refused)); aerr != nil {
			return errors.Join(refused, aerr)
		}
	}
	return err
}
