// Package blob stores page images, crops and exports. Keys are chosen by the
// caller; page images use content-addressed keys (their SHA-256) so the same
// scan uploaded twice is stored once.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"
)

// ErrNotFound is returned by Get and Stat for a key that holds nothing.
var ErrNotFound = errors.New("blob not found")

// Store is where blobs live: MinIO/S3 in production, a directory in the
// embedded default.
type Store interface {
	// Put stores size bytes from r under key. Putting a key again replaces it.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the blob; the caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// GetRange opens size bytes of the blob from offset: one of several
	// answer crops packed into one object per page. A range past the end
	// of the blob is an error, not a short read.
	GetRange(ctx context.Context, key string, offset, size int64) (io.ReadCloser, error)
	// Stat reports the size of a stored blob, or ErrNotFound.
	Stat(ctx context.Context, key string) (int64, error)
	// Delete removes the blob; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// String names the store for logs ("minio 127.0.0.1:29000/saoyue").
	String() string
}

// SHA256 returns the hex digest that names content-addressed blobs.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// PageKey is the content-addressed key of a scanned page image. The two
// levels of prefix keep directories small in the directory store.
func PageKey(sha256hex, ext string) string {
	return path.Join("pages", sha256hex[:2], sha256hex[2:4], sha256hex+ext)
}

// Ref names a blob or a part of one: Size 0 means the whole blob.
type Ref struct {
	Key    string
	Offset int64
	Size   int64
}

// ReadAll reads a whole blob into one buffer of the size its store gives:
// a page image is read at every reading, and io.ReadAll grew its buffer a
// dozen times for each. A blob that is not the size its store said (a
// download cut short) is an error.
func ReadAll(ctx context.Context, s Store, key string) ([]byte, error) {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	size := int64(-1)
	switch r := rc.(type) {
	case interface{ Size() int64 }:
		size = r.Size()
	case *os.File:
		if fi, err := r.Stat(); err == nil {
			size = fi.Size()
		}
	}
	if size < 0 {
		b, err := io.ReadAll(rc)
		if err != nil {
			return nil, fmt.Errorf("read blob %s: %w", key, err)
		}
		return b, nil
	}
	// One byte more than the size, to notice a blob longer than said.
	buf := make([]byte, size+1)
	n, err := io.ReadFull(rc, buf)
	switch {
	case int64(n) == size && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)):
		return buf[:n], nil
	case err == nil:
		return nil, fmt.Errorf("read blob %s: longer than the %d bytes stored", key, size)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return nil, fmt.Errorf("read blob %s: %d of %d bytes", key, n, size)
	default:
		return nil, fmt.Errorf("read blob %s: %w", key, err)
	}
}

// Open opens what ref names.
func Open(ctx context.Context, s Store, ref Ref) (io.ReadCloser, error) {
	if ref.Size > 0 {
		return s.GetRange(ctx, ref.Key, ref.Offset, ref.Size)
	}
	return s.Get(ctx, ref.Key)
}

func checkRange(key string, offset, size int64) error {
	if offset < 0 || size <= 0 {
		return fmt.Errorf("blob %s: invalid range %d+%d", key, offset, size)
	}
	return nil
}

func checkKey(key string) error {
	if key == "" || path.IsAbs(key) || path.Clean(key) != key || key == ".." || len(key) > 2 && key[:3] == "../" {
		return fmt.Errorf("invalid blob key %q", key)
	}
	return nil
}

// Object is one stored blob as a listing sees it.
type Object struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Lister is a store that can enumerate its blobs: backups copy every blob,
// not only those the database names, so nothing a row will name later (a
// blob is written before its row) is left out.
type Lister interface {
	// List calls fn for every blob whose key starts with prefix, in no
	// particular order; an error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(Object) error) error
}
