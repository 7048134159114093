package scanner

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A page added in this process is sent from memory; once sent the spool
// lets go of it, and a spool opened again reads its pages from disk.
func TestSpoolHoldsPendingImagesInMemory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := jpegLike("a"), jpegLike("b")
	pa, _, err := sp.Add(Image{Name: "a.jpg", Data: a})
	if err != nil {
		t.Fatal(err)
	}
	pb, _, err := sp.Add(Image{Name: "b.jpg", Data: b})
	if err != nil {
		t.Fatal(err)
	}
	// The files are on disk all the same: that is what survives a crash.
	for _, p := range []SpoolPage{pa, pb} {
		if _, err := os.Stat(filepath.Join(dir, "pages", p.File)); err != nil {
			t.Fatal(err)
		}
	}
	// Proof the read comes from memory: the file is gone, the bytes are not.
	if err := os.Remove(filepath.Join(dir, "pages", pa.File)); err != nil {
		t.Fatal(err)
	}
	got, err := sp.Read(pa)
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("read of a pending page: %v", err)
	}
	if err := sp.MarkSent(pa, 7, false); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Read(pa); err == nil {
		t.Fatal("a sent page is still held in memory")
	}
	sp.Close()

	sp, err = OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	got, err = sp.Read(pb)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read after reopening: %v", err)
	}
}

func jpegLike(s string) []byte {
	return append(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, s...), 0xFF, 0xD9)
}
