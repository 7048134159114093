package scanner

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Spool keeps one batch's pages on the scan station's disk until the county
// has them: a driver adds each page as soon as it is read, and the Sender
// uploads from here. When the network or the server is down, pages wait in
// the spool; a restart of the client picks them up.
//
// Layout: batch.json (the batch and its id on the server), pages/ (one file
// per page, named by scan position and SHA-256) and journal.jsonl, an
// append-only record of pages added, sent and failed. A page's file and
// its "added" record are synced before Add returns, so what the spool said
// it has, it has; a "sent" record is not (see MarkSent).
type Spool struct {
	dir     string
	mu      sync.Mutex
	meta    SpoolMeta
	pages   []*SpoolPage // in seq order
	bySHA   map[string]*SpoolPage
	journal *os.File
	added   chan struct{}
	// The images of pages added by this process and not yet sent: the
	// sender usually takes a page moments after the hot folder gave it,
	// and reading back the file it was just written to cost the station
	// a third of a millisecond a page. At most heldMax bytes.
	held      map[string][]byte // by File
	heldBytes int
}

const heldMax = 64 << 20

// SpoolMeta is the batch a spool belongs to.
type SpoolMeta struct {
	Batch   BatchSpec `json:"batch"`
	BatchID int64     `json:"batch_id,omitempty"` // 0 until the server has opened the batch
	Target  string    `json:"target,omitempty"`   // the server URL or "direct"
}

// Page states in the spool.
const (
	PagePending = "pending"
	PageSent    = "sent"
	PageFailed  = "failed"
)

// SpoolPage is one page in the spool.
type SpoolPage struct {
	Seq       int    `json:"seq"` // 1-based position in the batch's scan order
	Name      string `json:"name"`
	SHA256    string `json:"sha256"`
	File      string `json:"file"` // under pages/
	State     string `json:"state"`
	PageID    int64  `json:"page_id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"` // the server already had this image
	Reason    string `json:"reason,omitempty"`    // why it failed
}

type journalRecord struct {
	Op string `json:"op"` // add, sent, failed, retry
	SpoolPage
}

// OpenSpool opens or creates the spool in dir.
func OpenSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(filepath.Join(dir, "pages"), 0o755); err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	s := &Spool{dir: dir, bySHA: map[string]*SpoolPage{}, added: make(chan struct{}, 1), held: map[string][]byte{}}
	if b, err := os.ReadFile(filepath.Join(dir, "batch.json")); err == nil {
		if err := json.Unmarshal(b, &s.meta); err != nil {
			return nil, fmt.Errorf("open spool %s: batch.json is damaged: %w", dir, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	if err := s.replay(); err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "journal.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	s.journal = f
	return s, nil
}

func (s *Spool) replay() error {
	f, err := os.Open(filepath.Join(s.dir, "journal.jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r journalRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue // a record cut short by a crash: its call never returned
		}
		s.apply(r)
	}
	return sc.Err()
}

// release forgets a page's image once it has left the pending state.
func (s *Spool) release(file string) {
	if b, ok := s.held[file]; ok {
		delete(s.held, file)
		s.heldBytes -= len(b)
	}
}

func (s *Spool) apply(r journalRecord) {
	if r.Op == "add" {
		if s.bySHA[r.SHA256] != nil {
			return
		}
		p := r.SpoolPage
		p.State = PagePending
		s.pages = append(s.pages, &p)
		s.bySHA[p.SHA256] = &p
		return
	}
	p := s.bySHA[r.SHA256]
	if p == nil {
		return
	}
	switch r.Op {
	case "sent":
		p.State, p.PageID, p.Duplicate, p.Reason = PageSent, r.PageID, r.Duplicate, ""
		s.release(p.File)
	case "failed":
		p.State, p.Reason = PageFailed, r.Reason
		s.release(p.File)
	case "retry":
		p.State, p.Reason = PagePending, ""
	}
}

func (s *Spool) write(r journalRecord) error {
	return s.writeRecord(r, true)
}

// writeRecord appends a record to the journal; sync waits until it is on
// disk, for a record whose loss would lose a page.
func (s *Spool) writeRecord(r journalRecord, sync bool) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.journal.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write spool journal: %w", err)
	}
	if sync {
		if err := s.journal.Sync(); err != nil {
			return fmt.Errorf("write spool journal: %w", err)
		}
	}
	s.apply(r)
	return nil
}

// Close closes the journal.
func (s *Spool) Close() error { return s.journal.Close() }

// Dir is the spool's folder.
func (s *Spool) Dir() string { return s.dir }

// Meta returns the batch the spool belongs to.
func (s *Spool) Meta() SpoolMeta {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta
}

// SetMeta records the batch; it is written before it is used, so a restart
// continues the same batch on the server.
func (s *Spool) SetMeta(m SpoolMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileSync(filepath.Join(s.dir, "batch.json"), b); err != nil {
		return fmt.Errorf("write spool batch: %w", err)
	}
	s.mu.Lock()
	s.meta = m
	s.mu.Unlock()
	return nil
}

// Add keeps a page. An image already in the spool (the same SHA-256: a
// file offered again after a crash, or the same file fed twice) is not
// added again; Add returns the page it already is and added = false.
// The spool holds on to im.Data until the page is sent: the caller must
// not change it afterwards.
func (s *Spool) Add(im Image) (page SpoolPage, added bool, err error) {
	sum := SHA256(im.Data)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.bySHA[sum]; p != nil {
		return *p, false, nil
	}
	seq := len(s.pages) + 1
	file := fmt.Sprintf("%06d-%s%s", seq, sum[:16], im.Ext())
	if err := writeFileSync(filepath.Join(s.dir, "pages", file), im.Data); err != nil {
		return SpoolPage{}, false, fmt.Errorf("keep page %s in the spool: %w", im.Name, err)
	}
	r := journalRecord{Op: "add", SpoolPage: SpoolPage{Seq: seq, Name: im.Name, SHA256: sum, File: file}}
	if err := s.write(r); err != nil {
		return SpoolPage{}, false, fmt.Errorf("keep page %s in the spool: %w", im.Name, err)
	}
	if s.heldBytes+len(im.Data) <= heldMax {
		s.held[file] = im.Data
		s.heldBytes += len(im.Data)
	}
	select {
	case s.added <- struct{}{}:
	default:
	}
	return *s.bySHA[sum], true, nil
}

// Added is signalled after pages are added.
func (s *Spool) Added() <-chan struct{} { return s.added }

// Pages returns every page in scan order.
func (s *Spool) Pages() []SpoolPage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SpoolPage, len(s.pages))
	for i, p := range s.pages {
		out[i] = *p
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Pending returns the pages not yet sent nor failed, in scan order.
func (s *Spool) Pending() []SpoolPage {
	var out []SpoolPage
	for _, p := range s.Pages() {
		if p.State == PagePending {
			out = append(out, p)
		}
	}
	return out
}

// Read returns a page's image, checked against its SHA-256.
func (s *Spool) Read(p SpoolPage) ([]byte, error) {
	s.mu.Lock()
	b, ok := s.held[p.File]
	s.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := os.ReadFile(filepath.Join(s.dir, "pages", p.File))
	if err != nil {
		return nil, fmt.Errorf("read page %s from the spool: %w", p.Name, err)
	}
	// The page goes to the county under the digest the journal recorded
	// when it arrived: a copy damaged on the station's disk since then is
	// an error here, not a different image filed under this one's name.
	if sum := SHA256(b); sum != p.SHA256 {
		return nil, fmt.Errorf("page %s in the spool is damaged (%s holds %d bytes whose SHA-256 is %.12s, not %.12s): scan the sheet again", p.Name, p.File, len(b), sum, p.SHA256)
	}
	return b, nil
}

// MarkSent records that the server has the page.
func (s *Spool) MarkSent(p SpoolPage, pageID int64, duplicate bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.PageID, p.Duplicate = pageID, duplicate
	// Not synced: a "sent" lost in a crash leaves the page pending, and
	// the next run asks the server before sending it again (the server
	// would recognise it by its SHA-256 anyway). One disk flush a page
	// fewer on the scan station.
	return s.writeRecord(journalRecord{Op: "sent", SpoolPage: p}, false)
}

// MarkFailed records that the server refused the page, and why.
func (s *Spool) MarkFailed(p SpoolPage, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Reason = reason
	return s.write(journalRecord{Op: "failed", SpoolPage: p})
}

// RetryFailed makes failed pages pending again and returns how many.
func (s *Spool) RetryFailed() (int, error) {
	n := 0
	for _, p := range s.Pages() {
		if p.State != PageFailed {
			continue
		}
		s.mu.Lock()
		err := s.write(journalRecord{Op: "retry", SpoolPage: p})
		s.mu.Unlock()
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Counts says how many pages the spool has in each state.
func (s *Spool) Counts() (pages, sent, failed int) {
	for _, p := range s.Pages() {
		pages++
		switch p.State {
		case PageSent:
			sent++
		case PageFailed:
			failed++
		}
	}
	return
}

// writeFileSync writes a file under a temporary name, syncs and renames
// it, so a crash leaves either the old file or the whole new one.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// SHA256 is the hex digest that names a page image, here and on the server.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
