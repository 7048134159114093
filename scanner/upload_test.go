package scanner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is an Uploader that can be taken down, and that remembers
// what it has by SHA-256 like the county server.
type fakeServer struct {
	mu      sync.Mutex
	down    bool
	pages   map[string]int // sha -> seq
	uploads int            // bodies received
	// dropAfterStore: the next upload is stored but the answer is lost,
	// as when the network drops right after the server took the page.
	dropAfterStore bool
}

var errDown = errors.New("connection refused")

func (f *fakeServer) OpenBatch(ctx context.Context, spec BatchSpec) (*Batch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errDown
	}
	return &Batch{ID: 7, BatchSpec: spec, Status: "open"}, nil
}

func (f *fakeServer) HasPage(ctx context.Context, sha string) (int64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return 0, false, errDown
	}
	seq, ok := f.pages[sha]
	return int64(seq), ok, nil
}

func (f *fakeServer) UploadPage(ctx context.Context, batchID int64, seq int, name, sum string, data []byte) (*UploadResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errDown
	}
	if string(data) == "refuse me" {
		return nil, &RefusedError{Reason: "not a JPEG or PNG"}
	}
	f.uploads++
	sha := SHA256(data)
	if sum != sha {
		return nil, &RefusedError{Reason: fmt.Sprintf("SHA-256 %s sent with an image whose SHA-256 is %s", sum, sha)}
	}
	_, dup := f.pages[sha]
	f.pages[sha] = seq
	if f.dropAfterStore {
		f.dropAfterStore, f.down = false, true
		return nil, errors.New("connection reset by peer")
	}
	return &UploadResult{PageID: int64(seq), SHA256: sha, Duplicate: dup}, nil
}

// bagSpool opens a spool in dir for a bag of expected cards.
func bagSpool(t *testing.T, dir string, expected int) *Spool {
	t.Helper()
	sp := openSpool(t, dir)
	if err := sp.SetMeta(SpoolMeta{Batch: BatchSpec{Exam: "21", Subject: "math", School: "0101", Room: 3, Expected: expected}, Target: "test"}); err != nil {
		t.Fatal(err)
	}
	return sp
}

func (f *fakeServer) set(fn func()) { f.mu.Lock(); fn(); f.mu.Unlock() }

func TestSenderResumesAfterTheServerComesBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp := bagSpool(t, dir, 3)
	srv := &fakeServer{pages: map[string]int{}, down: true}
	for n := 1; n <= 3; n++ {
		addPage(t, sp, fmt.Sprintf("p%d.jpg", n), testJPEG(t, n))
	}
	// The same image again (a crash re-offered it): one page.
	if p, added, _ := sp.Add(Image{Name: "p2-again.jpg", Data: testJPEG(t, 2)}); added || p.Seq != 2 {
		t.Fatalf("duplicate image added again: %v seq %d", added, p.Seq)
	}

	// Run while the server is down: nothing is sent, nothing is lost.
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	var offline []string
	s := &Sender{Spool: sp, Uploader: srv, MaxBackoff: 50 * time.Millisecond, OnProgress: func(p Progress) {
		if p.Offline != "" {
			offline = append(offline, p.Offline)
		}
	}}
	if err := s.Run(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sender with the server down returned %v", err)
	}
	cancel()
	if len(offline) == 0 {
		t.Error("progress never said the server is unreachable")
	}
	sp.Close()

	// A restart of the client: the spool still has the 3 pages. The
	// server comes back, takes page 1, and the answer is lost.
	sp = openSpool(t, dir)
	defer sp.Close()
	if n := len(sp.Pending()); n != 3 {
		t.Fatalf("reopened spool has %d pending pages, want 3", n)
	}
	srv.set(func() { srv.down, srv.dropAfterStore = false, true })
	go func() { time.Sleep(150 * time.Millisecond); srv.set(func() { srv.down = false }) }()
	if _, _, err := sp.Add(Image{Name: "bad.jpg", Data: []byte("refuse me")}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	close(done)
	s = &Sender{Spool: sp, Uploader: srv, MaxBackoff: 50 * time.Millisecond}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Run(ctx, done); err != nil {
		t.Fatalf("sender: %v", err)
	}
	pages, sent, failed := sp.Counts()
	if pages != 4 || sent != 3 || failed != 1 {
		t.Fatalf("spool: %d pages, %d sent, %d failed; want 4, 3, 1", pages, sent, failed)
	}
	if srv.uploads != 3 || len(srv.pages) != 3 {
		t.Errorf("server received %d bodies for %d pages: page 1 must not be sent again after the lost answer", srv.uploads, len(srv.pages))
	}
	for _, p := range sp.Pages() {
		if p.State == PageSent && srv.pages[p.SHA256] != p.Seq {
			t.Errorf("%s sent with seq %d, spool says %d", p.Name, srv.pages[p.SHA256], p.Seq)
		}
	}
	if sp.Meta().BatchID != 7 {
		t.Errorf("batch id %d not kept in the spool", sp.Meta().BatchID)
	}
}

func TestSenderStopsOnARefusedToken(t *testing.T) {
	t.Parallel()
	sp, err := OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	s := &Sender{Spool: sp, Uploader: &refusingUploader{}}
	err = s.Run(context.Background(), nil)
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("got %v, want ErrUnauthorized", err)
	}
}

type refusingUploader struct{ fakeServer }

func (*refusingUploader) OpenBatch(context.Context, BatchSpec) (*Batch, error) {
	return nil, fmt.Errorf("%w: unknown token", ErrUnauthorized)
}

// slowServer takes a while per page and counts the uploads in flight.
type slowServer struct {
	fakeServer
	inflight, most int
}

func (s *slowServer) UploadPage(ctx context.Context, batchID int64, seq int, name, sum string, data []byte) (*UploadResult, error) {
	s.set(func() { s.inflight++; s.most = max(s.most, s.inflight) })
	time.Sleep(20 * time.Millisecond)
	defer s.set(func() { s.inflight-- })
	return s.fakeServer.UploadPage(ctx, batchID, seq, name, sum, data)
}

func TestSenderKeepsSeveralPagesInFlight(t *testing.T) {
	t.Parallel()
	sp, err := OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	const n = 24
	for i := 1; i <= n; i++ {
		if _, _, err := sp.Add(Image{Name: fmt.Sprintf("p%02d.jpg", i), Data: testJPEG(t, i)}); err != nil {
			t.Fatal(err)
		}
	}
	srv := &slowServer{fakeServer: fakeServer{pages: map[string]int{}}}
	done := make(chan struct{})
	close(done)
	s := &Sender{Spool: sp, Uploader: srv, Workers: 4}
	if err := s.Run(context.Background(), done); err != nil {
		t.Fatal(err)
	}
	if srv.most < 2 || srv.most > 4 {
		t.Errorf("at most %d uploads in flight, want 2 to 4", srv.most)
	}
	if srv.uploads != n {
		t.Errorf("%d uploads for %d pages", srv.uploads, n)
	}
	for _, p := range sp.Pages() {
		if p.State != PageSent || srv.pages[p.SHA256] != p.Seq {
			t.Errorf("%s: state %s, sent with seq %d, spool says %d", p.Name, p.State, srv.pages[p.SHA256], p.Seq)
		}
	}
}

// A page whose copy on the station's disk was damaged after it was spooled
// (read back after a restart) is not sent: it would reach the county under
// the digest of the image that was scanned. It fails with the reason, and
// the other pages go.
func TestSenderRefusesAPageDamagedInTheSpool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp := bagSpool(t, dir, 1)
	var spooled []SpoolPage
	for n := 1; n <= 2; n++ {
		spooled = append(spooled, addPage(t, sp, fmt.Sprintf("p%d.jpg", n), testJPEG(t, n)))
	}
	sp.Close()
	damage(t, dir, spooled[0])

	sp = openSpool(t, dir)
	defer sp.Close()
	srv := &fakeServer{pages: map[string]int{}}
	done := make(chan struct{})
	close(done)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := (&Sender{Spool: sp, Uploader: srv, MaxBackoff: 50 * time.Millisecond}).Run(ctx, done); err != nil {
		t.Fatalf("sender: %v", err)
	}
	got := sp.Pages()
	if got[0].State != PageFailed || !strings.Contains(got[0].Reason, "damaged") || got[1].State != PageSent {
		t.Fatalf("pages after sending: %+v; want the first failed as damaged, the second sent", got)
	}
	if srv.uploads != 1 || srv.pages[spooled[1].SHA256] != 2 {
		t.Errorf("server received %d bodies (%v); want only page 2", srv.uploads, srv.pages)
	}
}
