package saoyue

// ExceptionStatus is where an exception stands (exceptions.status): a
// technician resolves it, and a change of a machine-read value waits for
// an approver first (DOMAIN rule 3).
type ExceptionStatus string

// Exception statuses.
const (
	ExceptionOpen            ExceptionStatus = "open"
	ExceptionPendingApproval ExceptionStatus = "pending_approval"
	ExceptionResolved        ExceptionStatus = "resolved"
	// ExceptionUnresolved is no status: as a filter, it selects the open
	// and the pending exceptions.
	ExceptionUnresolved ExceptionStatus = "unresolved"
)

// ExceptionStatuses lists the statuses an exception can have.
var ExceptionStatuses = []ExceptionStatus{ExceptionOpen, ExceptionPendingApproval, ExceptionResolved}

var exceptionStatusNames = map[ExceptionStatus]string{
	ExceptionOpen: "待处理", ExceptionPendingApproval: "待审核", ExceptionResolved: "已处理", ExceptionUnresolved: "未处理完",
}

// Name is the status's Chinese name, as users see it.
func (s ExceptionStatus) Name() string {
	if n, ok := exceptionStatusNames[s]; ok {
		return n
	}
	return string(s)
}

// TaskStatus is where a marking task stands (marking_tasks.status).
type TaskStatus string

// Marking task statuses.
const (
	TaskOpen    TaskStatus = "open"    // waiting for a marker
	TaskLeased  TaskStatus = "leased"  // held by a marker for a while
	TaskMarked  TaskStatus = "marked"  // the mark is in
	TaskProblem TaskStatus = "problem" // flagged by its marker, waiting for the leader
	TaskVoid    TaskStatus = "void"    // no longer needed (an arbitration the others made moot)
)

// BatchStatus is where a scanned batch stands (batches.status). A batch
// takes pages while open; closing it starts its reconciliation.
type BatchStatus string

// Batch statuses.
const (
	BatchOpen       BatchStatus = "open"       // taking pages
	BatchClosed     BatchStatus = "closed"     // the technician said it is complete
	BatchReconciled BatchStatus = "reconciled" // its cards match the room's roster
	BatchUploaded   BatchStatus = "uploaded"   // every page is stored and read
)

var batchStatusNames = map[BatchStatus]string{
	BatchOpen: "扫描中", BatchClosed: "关闭", BatchReconciled: "清点完毕", BatchUploaded: "上传完毕",
}

// Name is the status's Chinese name, as users see it.
func (s BatchStatus) Name() string {
	if n, ok := batchStatusNames[s]; ok {
		return n
	}
	return string(s)
}

// PageStatus is where a scanned page stands (pages.status).
type PageStatus string

// Page statuses.
const (
	PageReceived  PageStatus = "received"  // stored, waiting for the reader
	PageRead      PageStatus = "read"      // read, not yet attached to a card
	PageException PageStatus = "exception" // the reader failed it; a person must look
	PageDone      PageStatus = "done"      // read and attached to its card
)

// ReviewStatus is where a school's 查分 request stands
// (review_requests.status).
type ReviewStatus string

// Review request statuses.
const (
	ReviewOpen     ReviewStatus = "open"     // waiting for the centre's answer
	ReviewAnswered ReviewStatus = "answered" // answered, with or without a change
)

// ScoreChangeStatus is where a proposed change of a released score stands
// (score_changes.status): it waits for an approver other than its
// proposer (DOMAIN rule 3).
type ScoreChangeStatus string

// Score change statuses.
const (
	ScoreChangePending  ScoreChangeStatus = "pending"
	ScoreChangeApplied  ScoreChangeStatus = "applied"
	ScoreChangeRejected ScoreChangeStatus = "rejected"
)

// ItemKind is the kind of an objective item in an answer key
// (answer_keys.kind).
type ItemKind string

// Item kinds.
const (
	ItemSingle ItemKind = "single" // one option
	ItemMulti  ItemKind = "multi"  // several options, partial points possible
	ItemTF     ItemKind = "tf"     // true or false, printed as two options
	// ItemSubjective is no stored kind: a key file's row of this kind names
	// a question group by its code, to give it knowledge points.
	ItemSubjective ItemKind = "subjective"
)
