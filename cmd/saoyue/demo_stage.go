package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// stage is the step that moves the demo exam to stage to, where the centre
// would press 考试进程's button; reason is what the demo gives when the
// move needs forcing (exceptions it leaves open on purpose). An exam of an
// earlier run that is there already stays where it is.
func (d *demo) stage(to saoyue.Stage, reason string) func(context.Context) error {
	return func(ctx context.Context) error {
		exam, err := d.db.Exam(ctx, demoExam)
		if err != nil {
			return err
		}
		from := saoyue.Stage(exam.Status)
		if from.AtLeast(to) {
			return nil
		}
		if err := d.advance(ctx, from, to, reason); err != nil {
			return err
		}
		fmt.Fprintf(d.out, "考试进入「%s」\n", to.Name())
		return nil
	}
}

// advance stands in for grading.Advance, which is not on this branch: it
// moves the exam one stage (opening the subject's marking with the
// marking stage) and logs the move, without checking preconditions.
//
// MERGE (issue 20): replace the body with
//
//	return grading.Advance(ctx, d.db, grading.AdvanceRequest{ExamCode: demoExam, To: to,
//		Subject: d.subject.Code, Actor: demoActor, Force: reason != "", Reason: reason})
//
// and delete this stand-in's SQL.
func (d *demo) advance(ctx context.Context, from, to saoyue.Stage, reason string) error {
	return d.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE exams SET status = $2 WHERE id = $1`, d.exam.ID, string(to)); err != nil {
			return fmt.Errorf("set demo exam stage: %w", err)
		}
		var subject any
		if to == saoyue.StageMarking {
			subject = d.subject.ID
			if _, err := tx.Exec(ctx, `UPDATE subjects SET marking_opened_at = now(), marking_opened_by = $2 WHERE id = $1`,
				d.subject.ID, demoActor); err != nil {
				return fmt.Errorf("open demo marking: %w", err)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO exam_stage_log (exam_id, subject_id, from_stage, to_stage, actor, reason)
			VALUES ($1, $2, $3, $4, $5, $6)`, d.exam.ID, subject, string(from), string(to), demoActor, reason)
		if err != nil {
			return fmt.Errorf("log demo exam stage: %w", err)
		}
		return nil
	})
}
