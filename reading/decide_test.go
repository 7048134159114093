package reading

import (
	"slices"
	"testing"
)

func TestDecidePage(t *testing.T) {
	answered := []Item{{Number: 1, Chosen: []string{"B"}, Status: StatusOK}}
	blank := []Item{{Number: 1, Status: StatusBlank}}
	absent := &Mark{Marked: true, State: StateMarked}
	number := &ExamNo{Value: "2101020305", Verdict: VerdictAgree}
	tests := []struct {
		name   string
		r      Result
		failed bool
		kinds  []Kind
	}{
		{"clean page", Result{ExamNo: number, Items: answered}, false, nil},
		{"doubtful item does not fail the page", Result{Items: answered,
			Exceptions: []Exception{{Kind: ExcDoubtful, Item: 1}}}, false, []Kind{ExcDoubtful}},
		{"blank page fails", Result{Exceptions: []Exception{{Kind: ExcBlankPage}}}, true, []Kind{ExcBlankPage}},
		{"damaged image fails", Result{Exceptions: []Exception{{Kind: ExcDamaged}}}, true, []Kind{ExcDamaged}},
		{"unknown page code fails", Result{Exceptions: []Exception{{Kind: ExcPageIdentity}}}, true, []Kind{ExcPageIdentity}},
		{"exam number conflict does not fail", Result{ExamNo: &ExamNo{Verdict: VerdictConflict},
			Exceptions: []Exception{{Kind: ExcExamNo}}}, false, []Kind{ExcExamNo}},
		{"absent with answers", Result{ExamNo: number, Absent: absent, Items: answered}, false, []Kind{ExcAbsentWithAnswers}},
		{"absent and empty", Result{ExamNo: number, Absent: absent, Items: blank}, false, nil},
		{"absent mark not filled", Result{ExamNo: number, Absent: &Mark{State: StateEmpty}, Items: answered}, false, nil},
		{"absent with answers but no exam number", Result{ExamNo: &ExamNo{Verdict: VerdictNone}, Absent: absent, Items: answered}, false, nil},
		{"absent with answers on a back side", Result{Absent: absent, Items: answered}, false, nil},
		{"absent with answers on a failed page", Result{ExamNo: number, Absent: absent, Items: answered,
			Exceptions: []Exception{{Kind: ExcRegistration}}}, true, []Kind{ExcRegistration}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tc.r.Exceptions)
			d := DecidePage(&tc.r)
			var kinds []Kind
			for _, e := range d.Exceptions {
				kinds = append(kinds, e.Kind)
			}
			if d.Failed != tc.failed || !slices.Equal(kinds, tc.kinds) {
				t.Errorf("got failed %v %v, want %v %v", d.Failed, kinds, tc.failed, tc.kinds)
			}
			if len(tc.r.Exceptions) != before {
				t.Error("the reading's own exceptions changed")
			}
		})
	}
}
