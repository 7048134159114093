package scanner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A page added in this process is sent from memory; once sent the spool
// lets go of it, and a spool opened again reads its pages from disk.
func TestSpoolHoldsPendingImagesInMemory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp := openSpool(t, dir)
	a, b := jpegLike("a"), jpegLike("b")
	pa := addPage(t, sp, "a.jpg", a)
	pb := addPage(t, sp, "b.jpg", b)
	// Proof the read comes from memory: the image on disk is damaged, the
	// bytes read are not.
	damage(t, dir, pa)
	got, err := sp.Read(pa)
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("read of a pending page: %v", err)
	}
	if err := sp.MarkSent(pa, 7, false); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Read(pa); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("a sent page is still held in memory (read: %v)", err)
	}
	sp.Close()

	sp = openSpool(t, dir)
	defer sp.Close()
	got, err = sp.Read(pb)
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read after reopening: %v", err)
	}
	if p := sp.Pages()[0]; p.State != PageSent || p.PageID != 7 {
		t.Errorf("page a after reopening: %+v, want sent as page 7", p)
	}
}

// Two clients appending to one spool would write over each other's pages:
// while one has it open, another is refused, and gets it once the first
// has closed it.
func TestSpoolRefusesASecondClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp := openSpool(t, dir)
	addPage(t, sp, "a.jpg", jpegLike("a"))
	if other, err := OpenSpool(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		if other != nil {
			other.Close()
		}
		t.Fatalf("a second open of a spool in use: %v", err)
	}
	sp.Close()
	sp = openSpool(t, dir)
	defer sp.Close()
	if n := len(sp.Pages()); n != 1 {
		t.Fatalf("%d pages after the first client closed the spool, want 1", n)
	}
}

// A crash while a page was being added leaves its record cut short at the
// end of the log (the Add never returned): the spool opens with the pages
// before it and adds the next page in its place.
func TestSpoolCutsOffARecordTornByACrash(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		tail func(whole []byte) []byte // what the crash left after the two pages
	}{
		{"header cut short", func(whole []byte) []byte { return whole[:20] }},
		{"image cut short", func(whole []byte) []byte { return whole[:len(whole)-10] }},
		// The file grew to its full size but the image's blocks never
		// reached the disk.
		{"image not written", func(whole []byte) []byte {
			z := bytes.Clone(whole)
			clear(z[bytes.IndexByte(z, '\n')+1:])
			return z
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sp := openSpool(t, dir)
			a, b, c := jpegLike("a"), jpegLike("b"), jpegLike("c")
			addPage(t, sp, "a.jpg", a)
			addPage(t, sp, "b.jpg", b)
			sp.Close()
			// The record a third Add would have written, in another spool;
			// its image is longer than the page added after the crash and has
			// line ends in it: what is left of it must be cut off, not overwritten.
			other := t.TempDir()
			osp := openSpool(t, other)
			addPage(t, osp, "long.jpg", jpegLike(strings.Repeat("x\n", 300)))
			osp.Close()
			whole, err := os.ReadFile(filepath.Join(other, spoolLog))
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(filepath.Join(dir, spoolLog), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(tc.tail(whole)); err != nil {
				t.Fatal(err)
			}
			f.Close()

			sp = openSpool(t, dir)
			if got := len(sp.Pages()); got != 2 {
				t.Fatalf("%d pages after the crash, want 2", got)
			}
			pc := addPage(t, sp, "c.jpg", c)
			if pc.Seq != 3 {
				t.Errorf("the page added after the crash is number %d, want 3", pc.Seq)
			}
			sp.Close()
			sp = openSpool(t, dir)
			defer sp.Close()
			pages := sp.Pages()
			if len(pages) != 3 {
				t.Fatalf("%d pages after reopening, want 3", len(pages))
			}
			for i, want := range [][]byte{a, b, c} {
				if got, err := sp.Read(pages[i]); err != nil || !bytes.Equal(got, want) {
					t.Errorf("page %d: %v", i+1, err)
				}
			}
		})
	}
}

// Damage before the end of the log is not a crash's torn record: the spool
// refuses to open rather than lose the pages after it.
func TestSpoolRefusesALogDamagedBeforeItsEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sp := openSpool(t, dir)
	addPage(t, sp, "a.jpg", jpegLike("a"))
	addPage(t, sp, "b.jpg", jpegLike("b"))
	sp.Close()
	f, err := os.OpenFile(filepath.Join(dir, spoolLog), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("#garbage"), 0)
	f.Close()
	if sp, err := OpenSpool(dir); err == nil || !strings.Contains(err.Error(), "damaged at byte 0") {
		if sp != nil {
			sp.Close()
		}
		t.Fatalf("open a spool damaged at its start: %v", err)
	}
}

// A spool written by the client before spool.log (one file a page and a
// journal of records) is read as it is, and carries on in spool.log.
func TestSpoolReadsTheEarlierLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := jpegLike("a"), jpegLike("b")
	if err := os.MkdirAll(filepath.Join(dir, legacyImages), 0o755); err != nil {
		t.Fatal(err)
	}
	var journal strings.Builder
	for i, data := range [][]byte{a, b} {
		sum := SHA256(data)
		file := fmt.Sprintf("%06d-%s.jpg", i+1, sum[:16])
		if err := os.WriteFile(filepath.Join(dir, legacyImages, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&journal, `{"op":"add","seq":%d,"name":"p%d.jpg","sha256":%q,"file":%q,"state":""}`+"\n", i+1, i+1, sum, file)
	}
	fmt.Fprintf(&journal, `{"op":"sent","seq":1,"name":"p1.jpg","sha256":%q,"file":"x","state":"pending","page_id":5}`+"\n", SHA256(a))
	if err := os.WriteFile(filepath.Join(dir, legacyLog), []byte(journal.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	sp := openSpool(t, dir)
	pending := sp.Pending()
	if len(pending) != 1 || pending[0].Name != "p2.jpg" {
		t.Fatalf("pending pages of the earlier spool: %+v", pending)
	}
	if got, err := sp.Read(pending[0]); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read a page of the earlier spool: %v", err)
	}
	if p, added, err := sp.Add(Image{Name: "again.jpg", Data: a}); err != nil || added || p.Seq != 1 {
		t.Fatalf("an image the earlier spool has, added again: %+v added=%v %v", p, added, err)
	}
	pc := addPage(t, sp, "p3.jpg", jpegLike("c"))
	if err := sp.MarkSent(pending[0], 6, false); err != nil {
		t.Fatal(err)
	}
	sp.Close()

	sp = openSpool(t, dir)
	defer sp.Close()
	pages := sp.Pages()
	if len(pages) != 3 || pc.Seq != 3 || pages[1].State != PageSent || pages[1].PageID != 6 || pages[2].State != PagePending {
		t.Fatalf("pages after reopening: %+v", pages)
	}
	if got, err := sp.Read(pages[2]); err != nil || !bytes.Equal(got, jpegLike("c")) {
		t.Fatalf("read the page added to the earlier spool: %v", err)
	}
}

func openSpool(t testing.TB, dir string) *Spool {
	t.Helper()
	sp, err := OpenSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func addPage(t testing.TB, sp *Spool, name string, data []byte) SpoolPage {
	t.Helper()
	p, added, err := sp.Add(Image{Name: name, Data: data})
	if err != nil || !added {
		t.Fatalf("add %s: added=%v %v", name, added, err)
	}
	return p
}

// damage flips a byte in the middle of a page's image on disk.
func damage(t testing.TB, dir string, p SpoolPage) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, spoolLog), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	at := p.Offset + int64(p.Size/2)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xFF
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func jpegLike(s string) []byte {
	return append(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, s...), 0xFF, 0xD9)
}
