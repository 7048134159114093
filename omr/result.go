package omr

import rd "github.com/saoyue/saoyue/reading"

// The reading's contract lives in package reading, which every consumer
// imports without linking OpenCV; these names keep the reader's own code
// short.
type (
	Result     = rd.Result
	Item       = rd.Item
	Option     = rd.Option
	Mark       = rd.Mark
	ExamNo     = rd.ExamNo
	Exception  = rd.Exception
	Crop       = rd.Crop
	State      = rd.State
	Kind       = rd.Kind
	ItemStatus = rd.ItemStatus
	Verdict    = rd.Verdict
)

// Bubble states.
const (
	StateEmpty    = rd.StateEmpty
	StateMarked   = rd.StateMarked
	StateDoubtful = rd.StateDoubtful
)

// Item statuses.
const (
	StatusOK       = rd.StatusOK
	StatusBlank    = rd.StatusBlank
	StatusMulti    = rd.StatusMulti
	StatusDoubtful = rd.StatusDoubtful
)

// Exam-number verdicts.
const (
	VerdictAgree       = rd.VerdictAgree
	VerdictBarcodeOnly = rd.VerdictBarcodeOnly
	VerdictGridOnly    = rd.VerdictGridOnly
	VerdictConflict    = rd.VerdictConflict
	VerdictNone        = rd.VerdictNone
)

// Exception kinds the reader raises.
const (
	ExcUnreadable    = rd.ExcUnreadable
	ExcDamaged       = rd.ExcDamaged
	ExcBlankPage     = rd.ExcBlankPage
	ExcRegistration  = rd.ExcRegistration
	ExcPageIdentity  = rd.ExcPageIdentity
	ExcWrongTemplate = rd.ExcWrongTemplate
	ExcExamNo        = rd.ExcExamNo
	ExcDoubtful      = rd.ExcDoubtful
	ExcMulti         = rd.ExcMulti
	ExcMark          = rd.ExcMark
)
