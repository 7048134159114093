package handler

import (
	"context"
	"time"

	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/store"
)

// cachedRoster is one exam's exam numbers as last loaded.
type cachedRoster struct {
	stamp   store.RosterStamp
	numbers map[string]bool
	checked time.Time // when the stamp was last compared
}

// ForBag returns the reader for the bag's subject, checking exam numbers
// against the roster of the bag's exam: a lone grid beside a sticker that
// cannot be read is accepted only when it is a candidate's number, and a
// barcode that decodes to nobody's number is not taken as the identity.
func (rs *Readers) ForBag(ctx context.Context, b *store.Batch) (*omr.Reader, error) {
	reader, err := rs.For(ctx, b.SubjectID)
	if err != nil {
		return nil, err
	}
	roster, err := rs.roster(ctx, b.ExamID)
	if err != nil {
		return nil, err
	}
	if roster == nil {
		return reader, nil
	}
	return reader.WithRoster(roster), nil
}

// roster returns the exam's roster as a lookup, or nil for an exam without
// candidates (then nothing can be checked, and the reader says so). The
// numbers are cached per exam and reloaded when the roster's stamp moves,
// compared at most every recheck; a number the cache lacks is looked up
// in the database before it is called nobody's, so a candidate added
// after the freeze is known from their first page on.
func (rs *Readers) roster(ctx context.Context, examID int64) (func(string) bool, error) {
	rs.mu.Lock()
	c := rs.rosters[examID]
	fresh := c != nil && time.Since(c.checked) < recheck
	rs.mu.Unlock()
	if !fresh {
		var err error
		if c, err = rs.reloadRoster(ctx, examID, c); err != nil {
			return nil, err
		}
	}
	if len(c.numbers) == 0 {
		return nil, nil
	}
	return func(no string) bool {
		if c.numbers[no] {
			return true
		}
		ok, err := store.HasExamNo(ctx, rs.DB.Pool, examID, no)
		return err == nil && ok // a failed look-up leaves the card to a person
	}, nil
}

// reloadRoster compares the exam's stamp with the cached one and loads the
// numbers again when they differ.
func (rs *Readers) reloadRoster(ctx context.Context, examID int64, c *cachedRoster) (*cachedRoster, error) {
	stamp, err := store.ExamRosterStamp(ctx, rs.DB.Pool, examID)
	if err != nil {
		return nil, err
	}
	if c == nil || c.stamp != stamp {
		nos, st, err := store.ExamNumbers(ctx, rs.DB.Pool, examID)
		if err != nil {
			return nil, err
		}
		c = &cachedRoster{stamp: st, numbers: make(map[string]bool, len(nos))}
		for _, no := range nos {
			c.numbers[no] = true
		}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.rosters == nil {
		rs.rosters = map[int64]*cachedRoster{}
	}
	// A new entry rather than a changed one: readers of the old one hold
	// its map without a lock.
	rs.rosters[examID] = &cachedRoster{stamp: c.stamp, numbers: c.numbers, checked: time.Now()}
	return rs.rosters[examID], nil
}
