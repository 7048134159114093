package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// BatchSpec names a bag of answer cards: one room's cards of one subject.
// Expected is the number of cards in the bag by the room roster, against
// which the scan is reconciled (DOMAIN rule 2).
type BatchSpec struct {
	Exam     string `json:"exam"`    // exam code, two digits
	Subject  string `json:"subject"` // subject code: math, english...
	School   string `json:"school"`  // county-issued school code
	Room     int    `json:"room"`    // room number within the school
	Expected int    `json:"expected"`
}

func (b BatchSpec) String() string {
	return fmt.Sprintf("exam %s %s school %s room %d", b.Exam, b.Subject, b.School, b.Room)
}

// Batch is a batch as the server knows it.
type Batch struct {
	ID int64 `json:"id"`
	BatchSpec
	Status string `json:"status"`
	Pages  int    `json:"pages"` // pages the server has received
}

// UploadResult is what became of an uploaded page.
type UploadResult struct {
	PageID    int64  `json:"page_id"`
	SHA256    string `json:"sha256"`
	Duplicate bool   `json:"duplicate"` // the server already had this image
}

// Uploader sends pages to the county: HTTPUploader talks to the county
// server's API with a school's technician token; the client's direct mode
// writes to the bucket and database itself.
//
// Errors: ErrUnauthorized when the credentials are refused (no page can be
// sent), a *RefusedError when this page is refused (sending it again will
// not help), anything else is taken as the network or server being down
// for now.
type Uploader interface {
	// OpenBatch opens the batch, or returns the open batch of the same
	// bag if there is one, so scanning a bag again continues it.
	OpenBatch(ctx context.Context, spec BatchSpec) (*Batch, error)
	// HasPage reports whether the server already has the image as a
	// page, and that page's id.
	HasPage(ctx context.Context, sha256 string) (pageID int64, ok bool, err error)
	// UploadPage sends one image of the batch; seq is its scan position
	// and sha256 the image's digest, which the spool has computed already
	// (hashing a page costs more than the rest of handing it over).
	UploadPage(ctx context.Context, batchID int64, seq int, name, sha256 string, data []byte) (*UploadResult, error)
}

// ErrUnauthorized means the server refused the credentials.
var ErrUnauthorized = errors.New("the server refused the token")

// RefusedError is a page the server will not take, with its reason.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "the server refused the page: " + e.Reason }

// Progress is a snapshot of a batch's scan and upload.
type Progress struct {
	Expected   int     // cards in the bag by the room roster
	Read       int     // pages in the spool
	Uploaded   int     // pages the server has (including duplicates)
	Duplicates int     // of which the server already had the image
	Failed     int     // pages the server refused
	Pending    int     // pages waiting to be sent
	Rate       float64 // pages uploaded per minute in this run
	Offline    string  // why the server cannot be reached now; "" when it can
}

// Sender uploads a spool's pages in scan order and keeps trying while the
// server cannot be reached; the pages are safe in the spool meanwhile.
type Sender struct {
	Spool      *Spool
	Uploader   Uploader
	Logger     *slog.Logger
	MaxBackoff time.Duration  // longest wait between tries, default 30s
	OnProgress func(Progress) // called after every change
	// Workers is how many pages are in flight at once, default 4: one
	// upload at a time leaves the county server idle between pages. Each
	// page carries its scan position, so the order they arrive in does
	// not matter.
	Workers int
}

// Run opens the batch on the server if the spool has none yet, then sends
// pending pages until ctx ends or, once scanning is over (done is closed),
// until no page is pending. It returns ErrUnauthorized at once if the
// server refuses the token.
func (s *Sender) Run(ctx context.Context, done <-chan struct{}) error {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = 30 * time.Second
	}
	if s.Workers <= 0 {
		s.Workers = 4
	}
	start := time.Now()
	uploadedNow := 0
	offline := ""
	report := func() {
		if s.OnProgress == nil {
			return
		}
		pages, sent, failed := s.Spool.Counts()
		dup := 0
		for _, p := range s.Spool.Pages() {
			if p.State == PageSent && p.Duplicate {
				dup++
			}
		}
		rate := 0.0
		if el := time.Since(start).Minutes(); el > 0 {
			rate = float64(uploadedNow) / el
		}
		s.OnProgress(Progress{
			Expected: s.Spool.Meta().Batch.Expected, Read: pages, Uploaded: sent, Duplicates: dup,
			Failed: failed, Pending: pages - sent - failed, Rate: rate, Offline: offline,
		})
	}
	failures := 0
	// wait sleeps the backoff after a failure; false means ctx ended.
	wait := func(err error) bool {
		failures++
		d := min(s.MaxBackoff, 500*time.Millisecond<<min(failures-1, 10))
		offline = err.Error()
		s.Logger.Debug("server cannot be reached; pages stay in the spool", "retry_in", d, "err", err)
		report()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}

	// Pages already in the spool may have reached the server just before
	// the last run stopped: ask before sending them again.
	unsure := map[string]bool{}
	for _, p := range s.Spool.Pending() {
		unsure[p.SHA256] = true
	}

	meta := s.Spool.Meta()
	for meta.BatchID == 0 {
		b, err := s.Uploader.OpenBatch(ctx, meta.Batch)
		if err == nil {
			meta.BatchID = b.ID
			if err := s.Spool.SetMeta(meta); err != nil {
				return err
			}
			break
		}
		if fatal(err) {
			return fmt.Errorf("open batch %s: %w", meta.Batch, err)
		}
		if !wait(fmt.Errorf("open batch: %w", err)) {
			return ctx.Err()
		}
	}
	report()

	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		pending := s.Spool.Pending()
		if len(pending) == 0 {
			select {
			case <-done:
				if len(s.Spool.Pending()) == 0 {
					report()
					return nil
				}
			default:
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-done:
				case <-s.Spool.Added():
				}
			}
			continue
		}
		// Send the pending pages, Workers at a time, in scan order. The
		// first error that is not a refusal stops handing out pages; the
		// ones in flight finish, then the error decides.
		var (
			mu   sync.Mutex
			stop error
			wg   sync.WaitGroup
		)
		sem := make(chan struct{}, s.Workers)
		for _, p := range pending {
			mu.Lock()
			halt := stop != nil
			mu.Unlock()
			if halt || ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			go func(p SpoolPage) {
				defer func() { <-sem; wg.Done() }()
				mu.Lock()
				ask := unsure[p.SHA256]
				mu.Unlock()
				err := s.send(ctx, meta.BatchID, p, ask)
				mu.Lock()
				defer mu.Unlock()
				var refused *RefusedError
				var se *spoolError
				switch {
				case err == nil:
					delete(unsure, p.SHA256)
					failures, offline = 0, ""
					uploadedNow++
					report()
				case errors.As(err, &refused):
					s.Logger.Warn("the server refused a page", "page", p.Name, "reason", refused.Reason)
					if err := s.Spool.MarkFailed(p, refused.Reason); err != nil && stop == nil {
						stop = &spoolError{err}
					}
					report()
				case errors.As(err, &se):
					stop = err
				case fatal(err):
					stop = fmt.Errorf("upload page %s: %w", p.Name, err)
				default:
					unsure[p.SHA256] = true
					if stop == nil {
						stop = fmt.Errorf("upload page %s: %w", p.Name, err)
					}
				}
			}(p)
		}
		wg.Wait()
		var se *spoolError
		switch {
		case stop == nil:
		case errors.As(stop, &se):
			return se.err
		case fatal(stop):
			return stop
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			// Start again from the first pending page after the backoff.
			if !wait(stop) {
				return ctx.Err()
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// spoolError is a failure of the spool itself (the disk), which stops the
// sender: it cannot record what it sent.
type spoolError struct{ err error }

func (e *spoolError) Error() string { return e.err.Error() }

// send uploads one page; ask says it may have reached the server already.
func (s *Sender) send(ctx context.Context, batchID int64, p SpoolPage, ask bool) error {
	if ask {
		id, has, err := s.Uploader.HasPage(ctx, p.SHA256)
		if err != nil {
			return err
		}
		if has { // sent by the run that stopped
			return s.markSent(p, id, false)
		}
	}
	data, err := s.Spool.Read(p)
	if err != nil {
		return &RefusedError{Reason: err.Error()}
	}
	res, err := s.Uploader.UploadPage(ctx, batchID, p.Seq, p.Name, p.SHA256, data)
	if err != nil {
		return err
	}
	return s.markSent(p, res.PageID, res.Duplicate)
}

func (s *Sender) markSent(p SpoolPage, pageID int64, duplicate bool) error {
	if err := s.Spool.MarkSent(p, pageID, duplicate); err != nil {
		return &spoolError{err}
	}
	return nil
}

// fatal errors stop the sender: retrying cannot help.
func fatal(err error) bool {
	var refused *RefusedError
	return errors.Is(err, ErrUnauthorized) || errors.As(err, &refused)
}
