package grading

import (
	"context"
	"fmt"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/reading"
	"github.com/saoyue/saoyue/store"
)

// Reconciliation compares a bag's scanned cards with its room roster
// (DOMAIN rule 2): expected, scanned, absent, violation, missing, extra.
type Reconciliation struct {
	BatchID    int64    `json:"batch_id"`
	Expected   int      `json:"expected"`
	Scanned    int      `json:"scanned"` // cards identified
	Pages      int      `json:"pages"`
	Absent     int      `json:"absent"`
	Violation  int      `json:"violation"`
	Missing    []string `json:"missing"` // exam numbers of the room with no card
	Extra      []string `json:"extra"`   // cards of candidates seated elsewhere
	Unreadable int      `json:"unreadable_pages"`
	Unlinked   int      `json:"unlinked_pages"`
	Incomplete int      `json:"incomplete_cards"` // cards missing a side
	OpenExc    int      `json:"open_exceptions"`
	Balanced   bool     `json:"balanced"` // everything accounted for, nothing open
}

// Reconcile counts a batch and records a missing-side exception for every
// card that lacks one of its template's pages.
func Reconcile(ctx context.Context, db *store.DB, batchID int64) (*Reconciliation, error) {
	b, err := store.GetBatch(ctx, db.Pool, batchID)
	if err != nil {
		return nil, err
	}
	pages := 1
	ts, err := store.SubjectTemplates(ctx, db.Pool, b.SubjectID)
	if err == nil {
		for _, t := range ts {
			if p, err := card.Parse([]byte(t.Body)); err == nil && len(p.Pages) > pages {
				pages = len(p.Pages)
			}
		}
	}
	c, err := store.ReconcileBatch(ctx, db.Pool, batchID, pages)
	if err != nil {
		return nil, err
	}
	for _, id := range c.Incomplete {
		id := id
		if err := store.AddException(ctx, db.Pool, &store.Exception{BatchID: &batchID, CardID: &id, Kind: reading.ExcMissingPage,
			Reason: fmt.Sprintf("the card has fewer than its %d sides: a side was not scanned or not recognised", pages)}); err != nil {
			return nil, err
		}
	}
	if len(c.Incomplete) > 0 {
		c2, err := store.ReconcileBatch(ctx, db.Pool, batchID, pages)
		if err != nil {
			return nil, err
		}
		c = c2
	}
	r := &Reconciliation{BatchID: batchID, Expected: c.Expected, Scanned: c.Cards, Pages: c.Pages, Absent: c.Absent,
		Violation: c.Violation, Missing: c.Missing, Extra: c.Extra, Unreadable: c.Unreadable, Unlinked: c.Unlinked,
		Incomplete: len(c.Incomplete), OpenExc: c.OpenExc}
	if r.Missing == nil {
		r.Missing = []string{}
	}
	if r.Extra == nil {
		r.Extra = []string{}
	}
	r.Balanced = r.Scanned == r.Expected && len(r.Missing) == 0 && len(r.Extra) == 0 && r.OpenExc == 0 && r.Unreadable == 0 && r.Unlinked == 0
	return r, nil
}
