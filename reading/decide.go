package reading

import "slices"

// PageDecision is what a reading alone says about its page, before the
// page meets the database: whether the page failed as a whole, and what a
// person must look at.
type PageDecision struct {
	// Failed: nothing on the page is used; it is an exception as a whole,
	// not a side of a card.
	Failed     bool
	Exceptions []Exception // the reader's, then the rules'
}

// DecidePage applies the rules that need nothing but the reading: an
// exception of a kind that fails a page fails it (Kind.FailsPage), and an
// absent candidate's card with answers on it is worth a look (DOMAIN rule
// 10: the invigilator fills the absent mark on the card of a candidate who
// did not sit the exam, so it is expected to be empty).
func DecidePage(r *Result) PageDecision {
	d := PageDecision{Exceptions: slices.Clone(r.Exceptions)}
	for _, e := range r.Exceptions {
		d.Failed = d.Failed || e.Kind.FailsPage()
	}
	if !d.Failed && r.Absent != nil && r.Absent.Marked && r.ExamNo != nil && r.ExamNo.Value != "" && hasAnswers(r.Items) {
		d.Exceptions = append(d.Exceptions, Exception{Kind: ExcAbsentWithAnswers,
			Reason: "缺考标记已填涂，但答题卡上有作答"})
	}
	return d
}

func hasAnswers(items []Item) bool {
	for _, it := range items {
		if len(it.Chosen) > 0 {
			return true
		}
	}
	return false
}
