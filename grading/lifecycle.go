package grading

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// The exam's lifecycle (DOMAIN "How an exam runs"): the centre
// moves an exam forward one stage at a time; each transition has
// preconditions, and one that fails refuses the move unless the centre
// forces it with a recorded reason. Marking of one subject may start while
// others still scan. Every move is in exam_stage_log and audit_log.

// AdvanceRequest asks to move an exam to its next stage, or to start one
// subject's marking while the exam is scanning.
type AdvanceRequest struct {
	ExamCode string
	To       saoyue.Stage // "" = the next stage
	Subject  string       // To == StageMarking while the exam is scanning: open only this subject's marking
	Actor    string
	Force    bool
	Reason   string // required with Force, recorded
}

// OpenItem is one precondition of a transition that does not hold yet.
type OpenItem struct {
	Kind    string `json:"kind"`
	Count   int    `json:"count"`
	Message string `json:"message"` // Chinese, e.g. "3 个扫描异常未处理"
}

// SubjectStage is one subject of the exam as the 考试进程 page shows it.
type SubjectStage struct {
	Code, Name       string
	MarkingOpen      bool
	Cards            int
	OpenExceptions   int
	PendingApprovals int
	TasksOpen        int // answers still to mark (normal tasks open or held)
	TasksMarked      int
	Problems         int        // open 问题卷
	Open             []OpenItem // what blocks starting this subject's marking
}

// StageView is where an exam stands and what blocks its next stage.
type StageView struct {
	ExamCode, ExamName string
	Stage, Next        saoyue.Stage
	Open               []OpenItem // what blocks Next
	Subjects           []SubjectStage
	History            []store.StageLogEntry
}

// ExamStage describes the exam's stage, its subjects and its history.
func ExamStage(ctx context.Context, db *store.DB, examCode string) (*StageView, error) {
	exam, err := examByCode(ctx, db.Pool, examCode)
	if err != nil {
		return nil, err
	}
	return stageView(ctx, db.Pool, exam, exam.Status)
}

func stageView(ctx context.Context, q store.TxOrPool, exam *store.Exam, stage saoyue.Stage) (*StageView, error) {
	ec, err := store.GetExamStageCounts(ctx, q, exam.ID)
	if err != nil {
		return nil, err
	}
	sc, err := store.ListSubjectStageCounts(ctx, q, exam.ID)
	if err != nil {
		return nil, err
	}
	hist, err := store.ListStageLog(ctx, q, exam.ID)
	if err != nil {
		return nil, err
	}
	v := &StageView{ExamCode: exam.Code, ExamName: exam.Name, Stage: stage, Next: stage.Next(), History: hist}
	v.Open = openItems(stage, v.Next, ec, sc)
	for _, s := range sc {
		v.Subjects = append(v.Subjects, SubjectStage{
			Code: s.Code, Name: s.Name, MarkingOpen: s.MarkingOpen, Cards: s.Cards,
			OpenExceptions: s.OpenExceptions, PendingApprovals: s.PendingApprovals,
			TasksOpen: s.TasksOpen, TasksMarked: s.TasksMarked, Problems: s.Problems,
			Open: planItems(s),
		})
	}
	return v, nil
}

// openItems lists the preconditions of from → to that fail.
func openItems(from, to saoyue.Stage, ec store.ExamStageCounts, sc []store.SubjectStageCounts) []OpenItem {
	var out []OpenItem
	add := func(kind string, n int, format string, args ...any) {
		if n > 0 {
			out = append(out, OpenItem{Kind: kind, Count: n, Message: fmt.Sprintf(format, args...)})
		}
	}
	sum := func(f func(store.SubjectStageCounts) int) (n int) {
		for _, s := range sc {
			n += f(s)
		}
		return n
	}
	switch {
	case from == saoyue.StageSetup && to == saoyue.StageRostersFrozen:
		if ec.Candidates == 0 {
			add("candidates", 1, "考试还没有考生")
		}
		add("labels", len(ec.UnprintedSchools), "%d 所学校还没有打印条形码标签：%s", len(ec.UnprintedSchools), strings.Join(ec.UnprintedSchools, "、"))
	case from == saoyue.StageRostersFrozen && to == saoyue.StageScanning:
		for _, s := range sc {
			add("templates", b2i(s.Templates == 0), "%s 还没有登记答题卡模板", s.Name)
			add("keys", b2i(s.KeyItems == 0), "%s 还没有导入客观题答案", s.Name)
		}
	case from == saoyue.StageScanning && to == saoyue.StageMarking:
		add("exceptions", sum(func(s store.SubjectStageCounts) int { return s.OpenExceptions }), "%d 个扫描异常未处理", sum(func(s store.SubjectStageCounts) int { return s.OpenExceptions }))
		add("approvals", sum(func(s store.SubjectStageCounts) int { return s.PendingApprovals }), "%d 个异常处理等待审核", sum(func(s store.SubjectStageCounts) int { return s.PendingApprovals }))
		for _, s := range sc {
			out = append(out, planItems(s)...)
		}
	case from == saoyue.StageMarking && to == saoyue.StageReview:
		add("tasks", sum(func(s store.SubjectStageCounts) int { return s.TasksOpen }), "%d 份答案还没有评完", sum(func(s store.SubjectStageCounts) int { return s.TasksOpen }))
		add("problems", sum(func(s store.SubjectStageCounts) int { return s.Problems }), "%d 份问题卷未处理", sum(func(s store.SubjectStageCounts) int { return s.Problems }))
		add("exceptions", sum(func(s store.SubjectStageCounts) int { return s.OpenExceptions }), "%d 个扫描异常未处理", sum(func(s store.SubjectStageCounts) int { return s.OpenExceptions }))
	case from == saoyue.StageReview && to == saoyue.StageFinal:
		add("reviews", ec.OpenReviews, "%d 个查分申请还没有答复", ec.OpenReviews)
		add("score_changes", ec.PendingScoreChanges, "%d 个改分等待审核人批准", ec.PendingScoreChanges)
		add("approvals", sum(func(s store.SubjectStageCounts) int { return s.PendingApprovals }), "%d 个异常处理等待审核", sum(func(s store.SubjectStageCounts) int { return s.PendingApprovals }))
	}
	return out
}

// planItems says which question groups of a subject have no marker.
func planItems(s store.SubjectStageCounts) []OpenItem {
	if len(s.GroupsNoMarker) == 0 {
		return nil
	}
	return []OpenItem{{Kind: "plan", Count: len(s.GroupsNoMarker),
		Message: fmt.Sprintf("%s 阅卷安排不完整：%d 个题组没有阅卷老师（%s）", s.Name, len(s.GroupsNoMarker), strings.Join(s.GroupsNoMarker, "、"))}}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Advance moves the exam one stage forward, or starts one subject's
// marking while the exam scans. It refuses with ECONFLICT, listing what is
// open, unless forced with a reason; a forced move records what was open.
func Advance(ctx context.Context, db *store.DB, req AdvanceRequest) (*StageView, error) {
	if strings.TrimSpace(req.Actor) == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "请说明操作人")
	}
	if req.Force && strings.TrimSpace(req.Reason) == "" {
		return nil, saoyue.Errorf(saoyue.EINVALID, "强制推进必须说明原因")
	}
	var view *StageView
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		exam, err := examByCode(ctx, tx, req.ExamCode)
		if err != nil {
			return err
		}
		from, err := store.LockExamStatus(ctx, tx, exam.ID, true)
		if err != nil {
			return err
		}
		if req.Subject != "" {
			err = openSubject(ctx, tx, exam, from, req)
		} else {
			err = advanceExam(ctx, tx, exam, from, req)
		}
		if err != nil {
			return err
		}
		view, err = ExamStageTx(ctx, tx, exam.Code)
		return err
	})
	return view, err
}

// ExamStageTx is ExamStage inside a transaction.
func ExamStageTx(ctx context.Context, tx pgx.Tx, examCode string) (*StageView, error) {
	exam, err := examByCode(ctx, tx, examCode)
	if err != nil {
		return nil, err
	}
	return stageView(ctx, tx, exam, exam.Status)
}

// target is the stage a request asks for, checked to be the next one.
func target(code string, from, to saoyue.Stage) (saoyue.Stage, error) {
	next := from.Next()
	if to == "" {
		to = next
	}
	switch {
	case next == "":
		return "", saoyue.Errorf(saoyue.ECONFLICT, "考试 %s 已归档，没有下一阶段", code)
	case !to.Valid():
		return "", saoyue.Errorf(saoyue.EINVALID, "没有「%s」这个阶段", string(to))
	case to == from:
		return "", saoyue.Errorf(saoyue.ECONFLICT, "考试 %s 已经是「%s」阶段", code, from.Name())
	case to.Index() < from.Index():
		return "", saoyue.Errorf(saoyue.ECONFLICT, "考试 %s 当前阶段为「%s」，不能退回「%s」", code, from.Name(), to.Name())
	case to != next:
		return "", saoyue.Errorf(saoyue.EINVALID, "考试 %s 当前阶段为「%s」，下一阶段是「%s」，不能跳到「%s」", code, from.Name(), next.Name(), to.Name())
	}
	return to, nil
}

// refuseOrForce refuses a transition with open items unless it is forced.
func refuseOrForce(what string, open []OpenItem, req AdvanceRequest) error {
	if len(open) == 0 || req.Force {
		return nil
	}
	msgs := make([]string, len(open))
	for i, o := range open {
		msgs[i] = o.Message
	}
	return saoyue.Errorf(saoyue.ECONFLICT, "%s还不能进行：%s。如确需推进，请强制推进并说明原因", what, strings.Join(msgs, "；"))
}

func advanceExam(ctx context.Context, tx pgx.Tx, exam *store.Exam, from saoyue.Stage, req AdvanceRequest) error {
	to, err := target(exam.Code, from, req.To)
	if err != nil {
		return err
	}
	v, err := stageView(ctx, tx, exam, from)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("考试 %s 从「%s」进入「%s」", exam.Code, from.Name(), to.Name())
	if err := refuseOrForce(what, v.Open, req); err != nil {
		return err
	}
	if err := store.SetExamStage(ctx, tx, exam.ID, string(to)); err != nil {
		return err
	}
	if to == saoyue.StageMarking {
		for _, s := range exam.Subjects {
			if _, err := store.OpenSubjectMarking(ctx, tx, s.ID, req.Actor); err != nil {
				return err
			}
		}
	}
	if to == saoyue.StageReview || to == saoyue.StageFinal {
		if err := store.RecordExamRelease(ctx, tx, exam.ID, to, req.Actor); err != nil {
			return err
		}
	}
	return logStage(ctx, tx, exam, nil, from, to, v.Open, req)
}

func openSubject(ctx context.Context, tx pgx.Tx, exam *store.Exam, from saoyue.Stage, req AdvanceRequest) error {
	if req.To != "" && req.To != saoyue.StageMarking {
		return saoyue.Errorf(saoyue.EINVALID, "指定学科时只能开始该学科的阅卷")
	}
	subject, err := subjectOf(exam, req.Subject)
	if err != nil {
		return err
	}
	if from != saoyue.StageScanning {
		return saoyue.Errorf(saoyue.ECONFLICT, "考试 %s 当前阶段为「%s」，只有扫描中才能单独开始一个学科的阅卷", exam.Code, from.Name())
	}
	sc, err := store.ListSubjectStageCounts(ctx, tx, exam.ID)
	if err != nil {
		return err
	}
	var open []OpenItem
	for _, s := range sc {
		if s.ID == subject.ID {
			open = planItems(s)
		}
	}
	if err := refuseOrForce(fmt.Sprintf("%s 开始阅卷", subject.Name), open, req); err != nil {
		return err
	}
	started, err := store.OpenSubjectMarking(ctx, tx, subject.ID, req.Actor)
	if err != nil {
		return err
	}
	if !started {
		return saoyue.Errorf(saoyue.ECONFLICT, "%s 已经开始阅卷", subject.Name)
	}
	return logStage(ctx, tx, exam, &subject, from, saoyue.StageMarking, open, req)
}

// logStage writes the stage history and the audit log of one move.
func logStage(ctx context.Context, tx pgx.Tx, exam *store.Exam, subject *store.Subject, from, to saoyue.Stage, open []OpenItem, req AdvanceRequest) error {
	forced := req.Force && len(open) > 0
	items, err := json.Marshal(open)
	if err != nil {
		return fmt.Errorf("record stage change: %w", err)
	}
	if open == nil {
		items = []byte("[]")
	}
	e := store.StageLogEntry{From: from, To: to, Actor: req.Actor, Forced: forced, Reason: req.Reason, OpenItems: items}
	entity, id := saoyue.EntityExam, exam.Code
	if subject != nil {
		e.SubjectID = &subject.ID
		entity, id = saoyue.EntitySubject, exam.Code+"/"+subject.Code
	}
	if err := store.InsertStageLog(ctx, tx, exam.ID, e); err != nil {
		return err
	}
	action := saoyue.AuditExamStage
	if forced {
		action = saoyue.AuditExamStageForced
	}
	return store.WriteAudit(ctx, tx, store.AuditEntry{Actor: req.Actor, Action: action, Entity: entity, EntityID: id,
		Old: map[string]any{"stage": from}, New: map[string]any{"stage": to, "open": open}, Reason: req.Reason})
}

// AdvanceTo walks the exam forward one stage at a time until it reaches
// to, each step through Advance; with a reason each step is forced if it
// must be (test setups, the demo). An exam already at or past to is left.
func AdvanceTo(ctx context.Context, db *store.DB, examCode string, to saoyue.Stage, actor, reason string) (*StageView, error) {
	for {
		v, err := ExamStage(ctx, db, examCode)
		if err != nil || v.Stage.AtLeast(to) {
			return v, err
		}
		_, err = Advance(ctx, db, AdvanceRequest{ExamCode: examCode, Actor: actor, Force: reason != "", Reason: reason})
		if err != nil {
			return nil, err
		}
	}
}
