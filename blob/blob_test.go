package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/blob/blobtest"
)

// exercise runs the same contract against every Store implementation.
func exercise(t *testing.T, s blob.Store) {
	ctx := context.Background()
	data := []byte(fmt.Sprintf("page image bytes %d", time.Now().UnixNano()))
	key := blob.PageKey(blob.SHA256(data), ".jpg")

	if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Stat before Put: got %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/jpeg"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	size, err := s.Stat(ctx, key)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Stat after Put: size %d err %v, want %d", size, err, len(data))
	}
	rc, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get returned %q (%v), want %q", got, err, data)
	}
	if got, err := blob.ReadAll(ctx, s, key); err != nil || !bytes.Equal(got, data) || cap(got) > len(data)+1 {
		t.Fatalf("ReadAll returned %q (cap %d, %v), want %q in a buffer of its size", got, cap(got), err, data)
	}
	if _, err := blob.ReadAll(ctx, s, "pages/none.jpg"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("ReadAll of a missing blob: got %v, want ErrNotFound", err)
	}
	for _, r := range []struct{ off, size int64 }{{0, 4}, {5, 5}, {int64(len(data)) - 3, 3}} {
		rc, err := s.GetRange(ctx, key, r.off, r.size)
		if err != nil {
			t.Fatalf("GetRange(%d, %d): %v", r.off, r.size, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if want := data[r.off : r.off+r.size]; err != nil || !bytes.Equal(got, want) {
			t.Fatalf("GetRange(%d, %d) = %q (%v), want %q", r.off, r.size, got, err, want)
		}
	}
	if rc, err := s.GetRange(ctx, key, int64(len(data))-2, 5); err == nil {
		rc.Close()
		t.Fatal("GetRange past the end of the blob succeeded")
	}
	if _, err := s.GetRange(ctx, "crops/none", 0, 5); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("GetRange of a missing blob: got %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get after Delete: got %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, "../escape", bytes.NewReader(data), int64(len(data)), ""); err == nil {
		t.Fatal("Put accepted a key that escapes the store")
	}
}

func TestDir(t *testing.T) {
	t.Parallel()
	d, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, d)
}

func TestDirRejectsShortWrite(t *testing.T) {
	t.Parallel()
	d, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A truncated upload must not leave a blob under its key.
	if err := d.Put(ctx, "pages/x.jpg", bytes.NewReader([]byte("abc")), 10, ""); err == nil {
		t.Fatal("Put of 3 bytes announced as 10 succeeded")
	}
	if _, err := d.Stat(ctx, "pages/x.jpg"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("truncated blob is visible: %v", err)
	}
}

// TestMinIO is a real round trip to the MinIO server that scripts/services.sh starts.
func TestMinIO(t *testing.T) {
	t.Parallel()
	exercise(t, blobtest.New(t))
}

// A page read is one GET: minio-go's lazy Object sends a HEAD before the
// GET when asked for its size first, a third more requests per page.
func TestMinIOReadIsOneRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var methods []string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := minIOBehind(ctx, t, func(w http.ResponseWriter, r *http.Request, minio http.Handler) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		minio.ServeHTTP(w, r)
	})
	data := bytes.Repeat([]byte("page "), 1000)
	key := blob.PageKey(blob.SHA256(data), ".jpg")
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	for _, read := range []struct {
		name string
		open func() (io.ReadCloser, error)
	}{
		{"Get", func() (io.ReadCloser, error) { return s.Get(ctx, key) }},
		{"GetRange", func() (io.ReadCloser, error) { return s.GetRange(ctx, key, 10, 100) }},
	} {
		mu.Lock()
		methods = nil
		mu.Unlock()
		rc, err := read.open()
		if err != nil {
			t.Fatalf("%s: %v", read.name, err)
		}
		if _, err := io.ReadAll(rc); err != nil {
			t.Fatalf("%s: %v", read.name, err)
		}
		rc.Close()
		mu.Lock()
		got := strings.Join(methods, " ")
		mu.Unlock()
		if got != "GET" {
			t.Errorf("%s sent %q to the object store, want one GET", read.name, got)
		}
	}
}

// TestMinIORetriesIncompleteBody: MinIO under load sometimes refuses a
// whole body as incomplete; a Put whose bytes are at hand sends it again.
func TestMinIORetriesIncompleteBody(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	refused := 0
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := minIOBehind(ctx, t, func(w http.ResponseWriter, r *http.Request, minio http.Handler) {
		mu.Lock()
		refuse := r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/pages/") && refused < 2
		if refuse {
			refused++
		}
		mu.Unlock()
		if refuse {
			io.Copy(io.Discard, io.LimitReader(r.Body, 100)) // read part of it, as a server that gave up
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>IncompleteBody</Code><Message>You did not provide the number of bytes specified by the Content-Length HTTP header.</Message></Error>`)
			return
		}
		minio.ServeHTTP(w, r)
	})
	data := bytes.Repeat([]byte("scan "), 20000)
	key := blob.PageKey(blob.SHA256(data), ".jpg")
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), "image/jpeg"); err != nil {
		t.Fatalf("put after two refusals: %v", err)
	}
	mu.Lock()
	if refused != 2 {
		t.Fatalf("the proxy refused %d PUTs, want 2", refused)
	}
	mu.Unlock()
	rc, err := s.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes, want the %d put (%v)", len(got), len(data), err)
	}
	// A reader that cannot go back is not sent twice: the error says why.
	mu.Lock()
	refused = 0
	mu.Unlock()
	other := bytes.Repeat([]byte("page "), 20000)
	err = s.Put(ctx, blob.PageKey(blob.SHA256(other), ".jpg"), io.MultiReader(bytes.NewReader(other)), int64(len(other)), "image/jpeg")
	if err == nil || !strings.Contains(err.Error(), "Content-Length") {
		t.Fatalf("put from a one-way reader: %v, want MinIO's refusal", err)
	}
}

// minIOBehind connects a store to the test MinIO through handle, which sees
// every request and passes on those it does not answer itself.
func minIOBehind(ctx context.Context, t *testing.T, handle func(w http.ResponseWriter, r *http.Request, minio http.Handler)) *blob.MinIO {
	t.Helper()
	c := blobtest.Config(t, blobtest.Bucket("test"))
	target, err := url.Parse("http://" + c.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handle(w, r, proxy) }))
	t.Cleanup(srv.Close)
	c.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	s, err := blob.NewMinIO(ctx, c)
	if err != nil {
		t.Fatalf("connect to MinIO through a proxy: %v", err)
	}
	return s
}
