package store

import (
	"fmt"
	"slices"

	"github.com/saoyue/saoyue/reading"
)

// The rules storing a reading applies, as pure functions of what the
// reading and the database said: SavePageRead only persists their answers.

// unknownTemplate is the exception for a page whose card code (the page
// code's template) is not one of the subject's templates: a card of
// another subject in the bag. Nil when the code is known or there is none
// (a page the reader could not identify has an exception already). The
// page's status update holds the same condition in SQL.
func unknownTemplate(code string, known bool) *Exception {
	if code == "" || known {
		return nil
	}
	return &Exception{Kind: reading.ExcWrongTemplate, Reason: fmt.Sprintf("答题卡 %q 不是本科目的答题卡", code)}
}

// mayAttach reports whether a page joins a card by its exam number: a page
// of a known template that carries an identity (barcode or grid) with an
// agreed number. The back side of a sheet joins by scan order instead
// (linkBackSides).
func mayAttach(r *PageRead, templateKnown bool) bool {
	return templateKnown && r.HasIdentity && r.ExamNo != ""
}

// examNoUnknown is the exception for a number that is nobody's in the exam.
func examNoUnknown(examNo string) *Exception {
	return &Exception{Kind: reading.ExcExamNoUnknown, Reason: fmt.Sprintf("考号 %s 不在本次考试的考生名单中", examNo)}
}

// duplicatePage is the exception for a page whose candidate's card has that
// page already (otherName): the same candidate scanned twice.
func duplicatePage(examNo string, pageNo int, otherName string) *Exception {
	return &Exception{Kind: reading.ExcDuplicate,
		Reason: fmt.Sprintf("考号 %s 的第 %d 页已经有了（%s）：同一考生的答题卡扫描了两次", examNo, pageNo, otherName)}
}

// cardsTouched says which card the page belongs to now (the one it joined
// by number, the one it had, or the one a back-side link gave it) and
// which cards gained a page, each once: the front read after its back both
// attaches to the card and links the back to it, and a card listed twice
// was scored twice.
func cardsTouched(pageID int64, attached, had *int64, linked []linkedPage) (*int64, []int64) {
	card := attached
	if card == nil {
		card = had
	}
	for _, l := range linked {
		if l.page == pageID {
			card = &l.card
		}
	}
	var cards []int64
	if card != nil {
		cards = append(cards, *card)
	}
	for _, l := range linked {
		if !slices.Contains(cards, l.card) {
			cards = append(cards, l.card)
		}
	}
	return card, cards
}

// pageExceptions places a page's exceptions: on its batch and page, and on
// its card, if it has one, except a duplicate: the card is the other
// page's, which is fine.
func pageExceptions(excs []Exception, batchID, pageID int64, card *int64) []Exception {
	out := slices.Clone(excs)
	for i := range out {
		e := &out[i]
		e.BatchID, e.PageID = &batchID, &pageID
		if e.CardID == nil && e.Kind != reading.ExcDuplicate {
			e.CardID = card
		}
	}
	return out
}
