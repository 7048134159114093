package handler

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/saoyue/saoyue/blob"
)

type stored struct {
	key    string
	offset int64
	err    error
}

func storeAsync(p *cropPacker, ticket uint64, data string) chan stored {
	ch := make(chan stored, 1)
	go func() {
		k, off, err := p.store(context.Background(), ticket, []byte(data))
		ch <- stored{k, off, err}
	}()
	return ch
}

func waitStored(t *testing.T, ch chan stored) stored {
	t.Helper()
	select {
	case s := <-ch:
		if s.err != nil {
			t.Fatal(s.err)
		}
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("crops never stored")
	}
	return stored{}
}

func notYet(t *testing.T, ch chan stored) {
	t.Helper()
	select {
	case s := <-ch:
		t.Fatalf("stored before the other reads in flight were done: %+v", s)
	case <-time.After(50 * time.Millisecond):
	}
}

func readRange(t *testing.T, s blob.Store, st stored, n int64) string {
	t.Helper()
	rc, err := s.GetRange(context.Background(), st.key, st.offset, n)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newTestPacker(t *testing.T) (*cropPacker, blob.Store) {
	dir, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := newCropPacker(dir)
	p.linger = time.Minute // these tests must not pass by the timer
	return p, dir
}

func TestCropPackerLoneReadIsStoredAtOnce(t *testing.T) {
	t.Parallel()
	p, dir := newTestPacker(t)
	a := p.begin()
	s := waitStored(t, storeAsync(p, a, "AAAA"))
	if got := readRange(t, dir, s, 4); got != "AAAA" || s.offset != 0 {
		t.Fatalf("got %q at %d", got, s.offset)
	}
	p.end(a) // after store: harmless
}

func TestCropPackerWaitsForReadsInFlight(t *testing.T) {
	t.Parallel()
	p, dir := newTestPacker(t)
	a, b, c := p.begin(), p.begin(), p.begin()
	ca := storeAsync(p, a, "first-")
	notYet(t, ca)
	cb := storeAsync(p, b, "second")
	notYet(t, cb)
	// The third read fails: nothing is left to wait for.
	p.end(c)
	sa, sb := waitStored(t, ca), waitStored(t, cb)
	if sa.key != sb.key {
		t.Fatalf("two packs %s and %s for reads in flight together", sa.key, sb.key)
	}
	if got := readRange(t, dir, sa, 6) + readRange(t, dir, sb, 6); got != "first-second" {
		t.Fatalf("pack holds %q", got)
	}
	if !strings.HasPrefix(sa.key, "crops/") {
		t.Fatalf("key %q", sa.key)
	}
}

func TestCropPackerDoesNotWaitForLaterReads(t *testing.T) {
	t.Parallel()
	p, dir := newTestPacker(t)
	a, b := p.begin(), p.begin()
	ca := storeAsync(p, a, "aa")
	notYet(t, ca)
	c := p.begin() // began after the pack opened
	cb := storeAsync(p, b, "bb")
	sa, sb := waitStored(t, ca), waitStored(t, cb)
	if sa.key != sb.key {
		t.Fatal("reads in flight together went to different packs")
	}
	sc := waitStored(t, storeAsync(p, c, "cc"))
	if sc.key == sa.key || sc.offset != 0 {
		t.Fatalf("the later read joined a stored pack: %+v", sc)
	}
	if got := readRange(t, dir, sc, 2); got != "cc" {
		t.Fatalf("got %q", got)
	}
}

func TestCropPackerLingerBoundsTheWait(t *testing.T) {
	t.Parallel()
	p, dir := newTestPacker(t)
	p.linger = 100 * time.Millisecond
	a := p.begin()
	p.begin() // a read that never finishes
	start := time.Now()
	s := waitStored(t, storeAsync(p, a, "done"))
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("stored after %v, before the linger", d)
	}
	if got := readRange(t, dir, s, 4); got != "done" {
		t.Fatalf("got %q", got)
	}
}

type failingStore struct{ blob.Store }

func (failingStore) Put(context.Context, string, io.Reader, int64, string) error {
	return errors.New("disk full")
}

func TestCropPackerFailureReachesEveryPage(t *testing.T) {
	t.Parallel()
	_, dir := newTestPacker(t)
	p := newCropPacker(failingStore{dir})
	a, b := p.begin(), p.begin()
	ca, cb := storeAsync(p, a, "a"), storeAsync(p, b, "b")
	for _, ch := range []chan stored{ca, cb} {
		s := <-ch
		if s.err == nil || !strings.Contains(s.err.Error(), "disk full") {
			t.Fatalf("got %+v, want the storage error", s)
		}
	}
	// The next pack is stored afresh, not the failed one.
	p.mu.Lock()
	open := p.open
	p.mu.Unlock()
	if open != nil {
		t.Fatal("a failed pack stays open")
	}
}
