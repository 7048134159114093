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
