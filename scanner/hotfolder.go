package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// HotFolder watches the folder a scanner's software writes into and takes
// each scan once it is complete.
//
// Complete means: the file can be opened, and its size and modification
// time have not changed for Settle when it ends the way a finished JPEG,
// PNG or PDF ends, or for Quiet when it does not (TIFF and BMP have no
// trailer; a JPEG cut short by a jam never gets one). A file renamed into
// place by the scanner software is complete when it appears, and is taken
// after Settle. On Linux the kernel says when a writer closes a file: a
// JPEG or PNG closed (or renamed into the folder) that ends the way a
// finished one does is taken at once. PDFs still wait for Settle: a writer
// may reopen one to append an update.
//
// Order: files are taken in natural name order ("p2" before "p10"), which
// is scan order for every scanner software's counter; a file is not taken
// while one with an earlier name is still being written, so pages never
// overtake each other.
//
// A taken file is moved into DoneDir (default Dir/done) once handle has
// returned nil, and a file handle rejects with ErrBadFile into FailedDir
// (Dir/failed): a restart never sends a file twice, and never loses one. A
// crash between handle and the move re-offers the file, which the spool
// recognises by its SHA-256.
type HotFolder struct {
	Dir       string
	DoneDir   string        // default Dir/done
	FailedDir string        // default Dir/failed
	Settle    time.Duration // default 1s
	Quiet     time.Duration // default 10s
	Poll      time.Duration // how often sizes are re-checked, default 250ms
	Logger    *slog.Logger
}

// File is a complete file taken from the hot folder.
type File struct {
	Name string // relative to the folder
	Path string
	Data []byte
}

type observed struct {
	size    int64
	mtime   time.Time
	since   time.Time // when size and mtime last changed
	closed  bool      // its writer closed it at this size and time
	waiting bool      // warned about waiting for it
}

// closedFiles are the files whose writer closed them, with their size and
// modification time at that moment: a file written again since is not
// closed any more.
type closedFiles struct {
	mu    sync.Mutex
	stamp map[string]observed
}

func (c *closedFiles) add(path, name string) {
	info, err := os.Stat(path)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.stamp[name] = observed{size: info.Size(), mtime: info.ModTime()}
	c.mu.Unlock()
}

func (c *closedFiles) is(name string, o *observed) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stamp[name]
	return ok && st.size == o.size && st.mtime.Equal(o.mtime)
}

func (c *closedFiles) forget(name string) {
	c.mu.Lock()
	delete(c.stamp, name)
	c.mu.Unlock()
}

// Run takes files until ctx ends, then returns ctx's error. An error from
// handle that is not ErrBadFile stops Run; the file stays in the folder.
func (h *HotFolder) Run(ctx context.Context, handle func(context.Context, File) error) error {
	h.defaults()
	for _, d := range []string{h.DoneDir, h.FailedDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("hot folder: %w", err)
		}
	}
	// fsnotify wakes the loop as soon as the scanner writes; polling
	// remains because notifications tell nothing about a size settling,
	// and a network share may not deliver them at all.
	wake := make(chan struct{}, 1)
	if w, err := fsnotify.NewWatcher(); err == nil {
		defer w.Close()
		if err := w.Add(h.Dir); err != nil {
			return fmt.Errorf("watch folder %s: %w", h.Dir, err)
		}
		go func() {
			for {
				select {
				case _, ok := <-w.Events:
					if !ok {
						return
					}
					select {
					case wake <- struct{}{}:
					default:
					}
				case err, ok := <-w.Errors:
					if !ok {
						return
					}
					h.Logger.Warn("hot folder: watching for changes failed; checking by polling", "dir", h.Dir, "err", err)
				}
			}
		}()
	} else {
		h.Logger.Warn("hot folder: cannot watch for changes; checking by polling", "err", err)
	}
	closed := &closedFiles{stamp: map[string]observed{}}
	if stop, err := watchFinished(h.Dir, func(name string) {
		closed.add(filepath.Join(h.Dir, name), name)
		select {
		case wake <- struct{}{}:
		default:
		}
	}); err == nil {
		defer stop()
	}

	seen := map[string]*observed{}
	idle := 2 * time.Second // how often an empty folder is re-read without notification
	for {
		pending, ready, err := h.sweep(ctx, seen, closed, handle)
		if err != nil {
			return err
		}
		wait := idle
		if pending {
			wait = h.Poll
			// A file waiting only for Settle to pass is looked at again
			// the moment it has, not up to a Poll later: the scanner may
			// have stopped writing, and nothing else would wake the loop.
			if d := time.Until(ready); !ready.IsZero() && d < wait {
				wait = max(d, time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (h *HotFolder) defaults() {
	if h.DoneDir == "" {
		h.DoneDir = filepath.Join(h.Dir, "done")
	}
	if h.FailedDir == "" {
		h.FailedDir = filepath.Join(h.Dir, "failed")
	}
	if h.Settle <= 0 {
		h.Settle = time.Second
	}
	if h.Quiet <= 0 {
		h.Quiet = 10 * time.Second
	}
	if h.Quiet < h.Settle {
		h.Quiet = h.Settle
	}
	if h.Poll <= 0 {
		h.Poll = 250 * time.Millisecond
	}
	if h.Logger == nil {
		h.Logger = slog.Default()
	}
}

// sweep takes every complete file that no earlier file holds back and
// reports whether files remain that are still being written, and, when the
// first of them is complete unless it changes before Settle has passed,
// when that is.
func (h *HotFolder) sweep(ctx context.Context, seen map[string]*observed, closed *closedFiles, handle func(context.Context, File) error) (pending bool, ready time.Time, err error) {
	entries, err := os.ReadDir(h.Dir)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("read hot folder %s: %w", h.Dir, err)
	}
	var names []string
	now := time.Now()
	present := map[string]bool{}
	for _, e := range entries {
		if !e.Type().IsRegular() || !wanted(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		name := e.Name()
		present[name] = true
		o := seen[name]
		if o == nil || o.size != info.Size() || !o.mtime.Equal(info.ModTime()) {
			o = &observed{size: info.Size(), mtime: info.ModTime(), since: now}
			seen[name] = o
		}
		o.closed = closed.is(name, o)
		names = append(names, name)
	}
	for name := range seen {
		if !present[name] {
			delete(seen, name)
			closed.forget(name)
		}
	}
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return false, time.Time{}, err
		}
		o := seen[name]
		p := filepath.Join(h.Dir, name)
		data, ok := h.complete(p, o, now)
		if !ok {
			if !o.waiting && now.Sub(o.since) > time.Minute {
				o.waiting = true
				h.Logger.Warn("hot folder: waiting for a file the scanner has not finished; later files wait behind it", "file", name)
			}
			if now.Sub(o.since) < h.Settle {
				ready = o.since.Add(h.Settle)
			}
			return true, ready, nil
		}
		err := handle(ctx, File{Name: name, Path: p, Data: data})
		switch {
		case err == nil:
			if err := moveInto(p, h.DoneDir, data); err != nil {
				return false, time.Time{}, fmt.Errorf("hot folder: file %s was taken but cannot be moved to %s: %w", name, h.DoneDir, err)
			}
		case errors.Is(err, ErrBadFile):
			h.Logger.Warn("hot folder: not a usable scan; moved to the failed folder", "file", name, "err", err)
			if err := moveInto(p, h.FailedDir, data); err != nil {
				return false, time.Time{}, fmt.Errorf("hot folder: move %s to %s: %w", name, h.FailedDir, err)
			}
		default:
			return false, time.Time{}, err
		}
		delete(seen, name)
		closed.forget(name)
	}
	return false, time.Time{}, nil
}

// complete reads the file if it has finished being written.
func (h *HotFolder) complete(p string, o *observed, now time.Time) ([]byte, bool) {
	stable := now.Sub(o.since)
	early := stable < h.Settle
	if o.size == 0 || early && !o.closed {
		return nil, false
	}
	f, err := os.Open(p) // fails on Windows while the scanner holds it exclusively
	if err != nil {
		return nil, false
	}
	defer f.Close()
	// One read of the size last seen, and one more byte to notice a file
	// that grew since (ReadAll would grow its buffer a dozen times).
	data := make([]byte, o.size+1)
	n, err := io.ReadFull(f, data)
	if err != io.ErrUnexpectedEOF || int64(n) != o.size {
		return nil, false
	}
	data = data[:n]
	if early {
		f := sniff(data)
		return data, (f == formatJPEG || f == formatPNG) && finished(data)
	}
	if stable < h.Quiet && !finished(data) {
		return nil, false
	}
	return data, true
}

// finished reports whether the data ends the way a complete JPEG, PNG or
// PDF does.
func finished(data []byte) bool {
	tail := data[max(0, len(data)-64):]
	switch sniff(data) {
	case formatJPEG:
		return bytes.HasSuffix(bytes.TrimRight(tail, "\x00\r\n "), []byte{0xFF, 0xD9})
	case formatPNG:
		return bytes.HasSuffix(tail, []byte("IEND\xAE\x42\x60\x82"))
	case formatPDF:
		return bytes.Contains(tail, []byte("%%EOF"))
	}
	return false
}

// moveInto moves the file into dir. A file of the same name already there
// (the scanner's counter started again) is kept: identical content means
// the file was taken before and the new copy is dropped, different content
// gets the name "p0001 (2).jpg".
func moveInto(p, dir string, data []byte) error {
	base := filepath.Base(p)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for i := 1; ; i++ {
		target := filepath.Join(dir, base)
		if i > 1 {
			target = filepath.Join(dir, stem+" ("+strconv.Itoa(i)+")"+ext)
		}
		old, err := os.ReadFile(target)
		if errors.Is(err, os.ErrNotExist) {
			return os.Rename(p, target)
		}
		if err != nil {
			return err
		}
		if bytes.Equal(old, data) {
			return os.Remove(p)
		}
	}
}
