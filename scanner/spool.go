package scanner

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// Layout: batch.json (the batch and its id on the server) and spool.log, an
// append-only log of pages added, sent and failed. An "add" record is a
// line of JSON followed by the page's image, and both are synced before Add
// returns, so what the spool said it has, it has; a "sent" record is not
// (see MarkSent). One file rather than a file a page: creating a file cost
// the station three times what appending the same bytes to one does (and
// on Windows an antivirus scans every new file), and one sync a page
// instead of two. A spool written by an earlier version (pages/ and
// journal.jsonl) is read as it is; what happens to it next goes to
// spool.log.
type Spool struct {
	dir   string
	mu    sync.Mutex
	meta  SpoolMeta
	pages []*SpoolPage // in seq order
	bySHA map[string]*SpoolPage
	lock  *os.File // held while the spool is open: one client writes it
	log   *os.File
	end   int64 // where the log's next record goes
	// broken is set when a failed write could not be undone: appending
	// after a torn record would hide every later one from the next replay.
	broken error
	added  chan struct{}
	// The images of pages added by this process and not yet sent: the
	// sender usually takes a page moments after the hot folder gave it,
	// and reading back what was just written cost the station a third of
	// a millisecond a page. At most heldMax bytes.
	held      map[string][]byte // by SHA-256
	heldBytes int
}

const heldMax = 64 << 20

// The spool's files.
const (
	spoolLog     = "spool.log"
	spoolLock    = "spool.lock"
	legacyLog    = "journal.jsonl" // before spool.log: records only
	legacyImages = "pages"         // before spool.log: one file per image
)

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
	File      string `json:"file,omitempty"` // under pages/, in a spool of an earlier version
	State     string `json:"state"`
	PageID    int64  `json:"page_id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"` // the server already had this image
	Reason    string `json:"reason,omitempty"`    // why it failed
	// Where the image is in spool.log (found again on replay).
	Offset int64 `json:"-"`
	Size   int   `json:"-"`
}

type journalRecord struct {
	Op string `json:"op"` // add, sent, failed, retry
	SpoolPage
	Data int `json:"data,omitempty"` // bytes of image following the line
}

// OpenSpool opens or creates the spool in dir.
func OpenSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	// Two clients appending to one log would write over each other's
	// records: a second `saoyue-scan` on the same bag is refused.
	lock, err := os.OpenFile(filepath.Join(dir, spoolLock), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	if err := lockFile(lock); err != nil {
		lock.Close()
		return nil, fmt.Errorf("the spool %s is in use by another saoyue-scan (%v): let it finish or stop it, then run again", dir, err)
	}
	s, err := openLocked(dir)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func openLocked(dir string) (*Spool, error) {
	s := &Spool{dir: dir, bySHA: map[string]*SpoolPage{}, added: make(chan struct{}, 1), held: map[string][]byte{}}
	if b, err := os.ReadFile(filepath.Join(dir, "batch.json")); err == nil {
		if err := json.Unmarshal(b, &s.meta); err != nil {
			return nil, fmt.Errorf("open spool %s: batch.json is damaged: %w", dir, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	if err := s.replayLegacy(); err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	// Not O_APPEND: records go at s.end, which after a crash is before a
	// torn last record, and Windows cannot truncate a file opened to append.
	f, err := os.OpenFile(filepath.Join(dir, spoolLog), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	if err := s.replay(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("open spool %s: %w", dir, err)
	}
	s.log = f
	return s, nil
}

// replayLegacy reads the journal of a spool written before spool.log.
func (s *Spool) replayLegacy() error {
	f, err := os.Open(filepath.Join(s.dir, legacyLog))
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

// replay reads spool.log and cuts off a last record that a crash left
// incomplete: its call never returned, and the next record goes in its
// place. A damaged record before the end is an error, not a reason to drop
// the pages after it.
func (s *Spool) replay(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 64<<10)
	var off, lastAt int64
	var last journalRecord
	for off < st.Size() {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // the last record's line, cut short
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", spoolLog, err)
		}
		var rec journalRecord
		if err := json.Unmarshal(line, &rec); err != nil || rec.Data < 0 {
			return fmt.Errorf("%s is damaged at byte %d (%.40q): the pages after it cannot be found; scan the bag again into a new spool (--spool)", spoolLog, off, line)
		}
		if n, _ := io.CopyN(io.Discard, r, int64(rec.Data)); n < int64(rec.Data) {
			break // the last page's image, cut short
		}
		if rec.Op == "add" {
			rec.File, rec.Offset, rec.Size = "", off+int64(len(line)), rec.Data
		}
		s.apply(rec)
		last, lastAt = rec, off
		off += int64(len(line)) + int64(rec.Data)
	}
	// Every record was written after the sync of the add before it, so
	// only an add that is the log's last record can have reached the disk
	// in part; one that did is cut off like a torn record.
	if n := len(s.pages); last.Op == "add" && n > 0 && s.pages[n-1].Offset == last.Offset && !intact(f, last.SpoolPage) {
		s.pages = s.pages[:n-1]
		delete(s.bySHA, last.SHA256)
		off = lastAt
	}
	if off < st.Size() {
		if err := f.Truncate(off); err != nil {
			return fmt.Errorf("cut off the incomplete last record of %s: %w", spoolLog, err)
		}
	}
	s.end = off
	return nil
}

// intact says whether an image in the log is the one its record names.
func intact(f *os.File, p SpoolPage) bool {
	b := make([]byte, p.Size)
	_, err := f.ReadAt(b, p.Offset)
	return err == nil && SHA256(b) == p.SHA256
}

// release forgets a page's image once it has left the pending state.
func (s *Spool) release(sha string) {
	if b, ok := s.held[sha]; ok {
		delete(s.held, sha)
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
		s.release(p.SHA256)
	case "failed":
		p.State, p.Reason = PageFailed, r.Reason
		s.release(p.SHA256)
	case "retry":
		p.State, p.Reason = PagePending, ""
	}
}

// write appends a record, and the image of an "add", to the log; sync
// waits until it is on disk, for a record whose loss would lose a page.
// The caller holds s.mu.
func (s *Spool) write(r journalRecord, data []byte, sync bool) error {
	if s.broken != nil {
		return s.broken
	}
	r.Data = len(data)
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	err = s.writeAt(line, data)
	if err == nil && sync {
		err = s.log.Sync()
	}
	if err != nil {
		if terr := s.log.Truncate(s.end); terr != nil {
			s.broken = fmt.Errorf("the spool cannot be written after a failed write (%v): close the client and run it again", err)
		}
		return fmt.Errorf("write %s: %w", spoolLog, err)
	}
	if r.Op == "add" {
		r.Offset, r.Size = s.end+int64(len(line)), len(data)
	}
	s.end += int64(len(line) + len(data))
	s.apply(r)
	return nil
}

func (s *Spool) writeAt(line, data []byte) error {
	if _, err := s.log.WriteAt(line, s.end); err != nil {
		return err
	}
	if len(data) == 0 {
		return nil
	}
	_, err := s.log.WriteAt(data, s.end+int64(len(line)))
	return err
}

// Close closes the log and lets another client open the spool.
func (s *Spool) Close() error {
	err := s.log.Close()
	s.lock.Close()
	return err
}

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
	r := journalRecord{Op: "add", SpoolPage: SpoolPage{Seq: seq, Name: im.Name, SHA256: sum}}
	if err := s.write(r, im.Data, true); err != nil {
		return SpoolPage{}, false, fmt.Errorf("keep page %s in the spool: %w", im.Name, err)
	}
	if s.heldBytes+len(im.Data) <= heldMax {
		s.held[sum] = im.Data
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
	b, ok := s.held[p.SHA256]
	s.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := s.readDisk(p)
	if err != nil {
		return nil, fmt.Errorf("read page %s from the spool: %w", p.Name, err)
	}
	// The page goes to the county under the digest the journal recorded
	// when it arrived: a copy damaged on the station's disk since then is
	// an error here, not a different image filed under this one's name.
	if sum := SHA256(b); sum != p.SHA256 {
		return nil, fmt.Errorf("page %s in the spool is damaged (%d bytes whose SHA-256 is %.12s, not %.12s): scan the sheet again", p.Name, len(b), sum, p.SHA256)
	}
	return b, nil
}

func (s *Spool) readDisk(p SpoolPage) ([]byte, error) {
	if p.File != "" {
		return os.ReadFile(filepath.Join(s.dir, legacyImages, p.File))
	}
	b := make([]byte, p.Size)
	if _, err := s.log.ReadAt(b, p.Offset); err != nil {
		return nil, err
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
	return s.write(journalRecord{Op: "sent", SpoolPage: p}, nil, false)
}

// MarkFailed records that the server refused the page, and why.
func (s *Spool) MarkFailed(p SpoolPage, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Reason = reason
	return s.write(journalRecord{Op: "failed", SpoolPage: p}, nil, true)
}

// RetryFailed makes failed pages pending again and returns how many.
func (s *Spool) RetryFailed() (int, error) {
	n := 0
	for _, p := range s.Pages() {
		if p.State != PageFailed {
			continue
		}
		s.mu.Lock()
		err := s.write(journalRecord{Op: "retry", SpoolPage: p}, nil, true)
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
