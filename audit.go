package saoyue

// AuditAction names what an audit log entry records (audit_log.action).
// The log is read by people and by `saoyue audit`; the names are stable,
// so old entries keep their meaning.
type AuditAction string

// Audit actions.
const (
	AuditRefused            AuditAction = "refused" // an attempt the exam's stage refused; the action tried is in the new value
	AuditExamStage          AuditAction = "exam.stage"
	AuditExamStageForced    AuditAction = "exam.stage.forced"
	AuditNumbersFrozen      AuditAction = "exam.numbers_frozen"
	AuditRosterImportFrozen AuditAction = "roster.import_frozen"
	AuditKeyReplace         AuditAction = "key.replace"
	AuditRescore            AuditAction = "rescore"
	AuditExceptionReject    AuditAction = "exception.reject"
	AuditScoreChangePropose AuditAction = "score_change.propose"
	AuditScoreChangeReject  AuditAction = "score_change.reject"
	AuditChangeScore        AuditAction = "change_score"
	AuditGroupSettings      AuditAction = "group_settings"
	AuditMarkSubmit         AuditAction = "mark.submit"
	AuditMarkRevise         AuditAction = "mark.revise"
	AuditMarkRedo           AuditAction = "mark.redo" // a returned mark marked again
	AuditMarkLeader         AuditAction = "mark.leader"
	AuditMarkReturn         AuditAction = "mark.return"
	AuditControlAdd         AuditAction = "control.add"
	AuditProblemScore       AuditAction = "problem.score"
	AuditProblemReopen      AuditAction = "problem.reopen"
)

// AuditExceptionResolve is the action of a technician's resolution of an
// exception: "exception." and the resolution (exam_no, answer, blank,
// accept, rescan, void).
func AuditExceptionResolve(resolution string) AuditAction {
	return AuditAction("exception." + resolution)
}

// AuditExceptionApply is the action of an approver applying a resolution
// that needed approval: "exception.apply." and the resolution.
func AuditExceptionApply(resolution string) AuditAction {
	return AuditAction("exception.apply." + resolution)
}

// AuditAccount is the action of the centre on an account on the accounts
// page: "account_" and the action (disable, enable, unlock, signout, reset).
func AuditAccount(action string) AuditAction {
	return AuditAction("account_" + action)
}

// AuditEntity names the kind of thing an audit entry is about
// (audit_log.entity); the entry's entity id says which one.
type AuditEntity string

// Audit entities.
const (
	EntityExam          AuditEntity = "exam"           // by exam code
	EntitySubject       AuditEntity = "subject"        // by id, or exam code/subject code for a stage change
	EntityException     AuditEntity = "exception"      // by id
	EntityScoreChange   AuditEntity = "score_change"   // by id
	EntityItemScore     AuditEntity = "item_score"     // candidate/subject/item
	EntityQuestionGroup AuditEntity = "question_group" // by id
	EntityMarkingTask   AuditEntity = "marking_task"   // by id
	EntityMark          AuditEntity = "mark"           // by id
	EntityUser          AuditEntity = "user"           // by login
)
