package scanner

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestSANETestBackend scans a batch from SANE's virtual "test" scanner
// (sane-utils) through the real scanimage and checks the pages arrive in
// feed order, each a distinct PNG page, and land in a spool as a batch.
func TestSANETestBackend(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("scanimage"); err != nil {
		t.Fatal("scanimage is not installed: scripts/services.sh deps installs sane-utils")
	}
	sp, err := OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	s := &SANE{
		Device: "test", Source: "Automatic Document Feeder", Count: 6,
		Extra: []string{"--test-picture", "Grid"},
	}
	args := strings.Join(s.Args("/x"), " ")
	for _, want := range []string{"-d test", "--resolution 200", "--mode Gray", "--batch-count=6", "--batch-print"} {
		if !strings.Contains(args, want) {
			t.Errorf("scanimage arguments %q lack %q", args, want)
		}
	}
	var names []string
	n, err := s.Scan(context.Background(), func(ctx context.Context, im Image) error {
		names = append(names, im.Name)
		_, _, err := sp.Add(im)
		return err
	})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if n != 6 || fmt.Sprint(names) != "[p0001.pnm p0002.pnm p0003.pnm p0004.pnm p0005.pnm p0006.pnm]" {
		t.Fatalf("scanned %d pages %v, want p0001..p0006 in order", n, names)
	}
	pages := sp.Pending()
	if len(pages) != 6 {
		t.Fatalf("spool has %d pending pages, want 6 (identical test pictures must stay distinct sheets)", len(pages))
	}
	var first []byte
	for i, p := range pages {
		if p.Seq != i+1 || p.Name != names[i] {
			t.Errorf("spool page %d is seq %d %s", i, p.Seq, p.Name)
		}
		data, err := sp.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		g := decodeGray(t, data)
		// 80 mm x 100 mm (the test backend's default area) at 200 dpi.
		if g.Bounds().Dx() != 629 || g.Bounds().Dy() != 787 {
			t.Errorf("page %d is %v, want 629x787 at 200 dpi", i+1, g.Bounds())
		}
		if i == 0 {
			first = g.Pix
		} else if !bytes.Equal(first, g.Pix) {
			t.Errorf("page %d pixels differ from page 1: the test grid is the same on every sheet", i+1)
		}
	}

	// An empty feeder is said plainly.
	empty := &SANE{Device: "test", Source: "Automatic Document Feeder", Extra: []string{"--read-return-value", "SANE_STATUS_NO_DOCS"}}
	if _, err := empty.Scan(context.Background(), func(context.Context, Image) error { return nil }); err == nil || !strings.Contains(err.Error(), "feeder is empty") {
		t.Errorf("scan with an empty feeder: %v, want 'the feeder is empty'", err)
	}
	jam := &SANE{Device: "test", Source: "Automatic Document Feeder", Extra: []string{"--read-return-value", "SANE_STATUS_JAMMED"}}
	if _, err := jam.Scan(context.Background(), func(context.Context, Image) error { return nil }); err == nil || !strings.Contains(err.Error(), "jammed") {
		t.Errorf("scan with a paper jam: %v, want 'jammed'", err)
	}
}
