package saoyue

import "strings"

// MarkKind is what a mark or a marking task is for (marks.kind and
// marking_tasks.kind). A task is normal, control or remark; its mark has
// the task's kind, except that the third mark of a 2+1 pair is an
// arbitration and a leader's own mark is a leader mark.
type MarkKind string

// Mark kinds.
const (
	MarkNormal      MarkKind = "normal"      // a first or second mark of an answer
	MarkControl     MarkKind = "control"     // a control answer whose score the leader knows
	MarkRemark      MarkKind = "remark"      // an answer marked again, to check the marker
	MarkArbitration MarkKind = "arbitration" // the third mark of a 2+1 pair that disagreed
	MarkLeader      MarkKind = "leader"      // a leader's mark, which decides the answer's score
)

// ProblemReason is why a marker cannot mark an answer and sends it to the
// group leader as a 问题卷 (marking_problems.reason).
type ProblemReason string

// Problem reasons.
const (
	ProblemBlank       ProblemReason = "blank"
	ProblemIllegible   ProblemReason = "illegible"
	ProblemWrongRegion ProblemReason = "wrong_region"
	ProblemCopying     ProblemReason = "copying"
	ProblemOther       ProblemReason = "other" // needs a note
)

// ProblemReasons lists the reasons in the order the marking page offers them.
var ProblemReasons = []ProblemReason{ProblemBlank, ProblemIllegible, ProblemWrongRegion, ProblemCopying, ProblemOther}

var problemReasonNames = map[ProblemReason]string{
	ProblemBlank: "空白卷", ProblemIllegible: "字迹无法辨认", ProblemWrongRegion: "切割错误",
	ProblemCopying: "疑似抄袭", ProblemOther: "其他",
}

// Name is the reason's Chinese name, as users see it.
func (r ProblemReason) Name() string {
	if n, ok := problemReasonNames[r]; ok {
		return n
	}
	return string(r)
}

// Valid reports whether r is one of the reasons.
func (r ProblemReason) Valid() bool {
	_, ok := problemReasonNames[r]
	return ok
}

// ProblemReasonList names every reason for a message: 空白卷（blank）、….
func ProblemReasonList() string {
	names := make([]string, len(ProblemReasons))
	for i, r := range ProblemReasons {
		names[i] = r.Name() + "（" + string(r) + "）"
	}
	return strings.Join(names, "、")
}
