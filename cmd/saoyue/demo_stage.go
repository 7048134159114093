package main

import (
	"context"
	"fmt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/store"
)

// stage is the step that moves the demo exam to stage to, where the centre
// would press 考试进程's button; reason is what the demo gives when the
// move needs forcing (exceptions it leaves open on purpose). An exam of an
// earlier run that is there already stays where it is.
func (d *demo) stage(to saoyue.Stage, reason string) func(context.Context) error {
	return func(ctx context.Context) error {
		exam, err := store.GetExam(ctx, d.db.Pool, demoExam)
		if err != nil {
			return err
		}
		from := exam.Status
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

// advance moves the exam one stage the product's way (grading.Advance,
// as 考试进程 and `saoyue exam advance` do), forcing with the demo's reason
// where it gives one.
func (d *demo) advance(ctx context.Context, from, to saoyue.Stage, reason string) error {
	_, err := grading.Advance(ctx, d.db, grading.AdvanceRequest{ExamCode: demoExam, To: to,
		Actor: demoActor, Force: reason != "", Reason: reason})
	if err != nil {
		return fmt.Errorf("demo exam from %s to %s: %w", from, to, err)
	}
	return nil
}
