package scanner

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SANE scans a batch on Linux by running scanimage from sane-utils in batch
// mode. scanimage writes one PNM file per page and prints its name once the
// page is complete (--batch-print), so pages are handed on while the feeder
// is still running.
type SANE struct {
	Command    string   // default "scanimage"
	Device     string   // -d; empty = the first scanner SANE finds; "test" is SANE's virtual scanner
	Source     string   // --source; default "ADF Duplex" (both sides of each card from the feeder)
	Mode       string   // --mode; default "Gray"
	Resolution int      // --resolution in dpi; default 200, what the cards are read at
	Count      int      // --batch-count; 0 = until the feeder is empty
	Extra      []string // more scanimage options, e.g. "-x", "210", "-y", "297"
	WorkDir    string   // where scanimage writes; default a temporary folder
	Logger     *slog.Logger
}

// Args returns scanimage's arguments for writing pages into dir.
func (s *SANE) Args(dir string) []string {
	args := []string{}
	if s.Device != "" {
		args = append(args, "-d", s.Device)
	}
	args = append(args,
		"--batch="+filepath.Join(dir, "p%04d.pnm"), "--batch-print", "--format=pnm",
		"--resolution", strconv.Itoa(cmp.Or(s.Resolution, 200)),
		"--mode", cmp.Or(s.Mode, "Gray"),
		"--source", cmp.Or(s.Source, "ADF Duplex"))
	if s.Count > 0 {
		args = append(args, "--batch-count="+strconv.Itoa(s.Count))
	}
	return append(args, s.Extra...)
}

// Scan runs one scanimage batch and hands each page to handle as PNG, in
// feed order, named p0001.pnm, p0002.pnm... It returns how many pages were
// scanned. Each PNG carries the scan's start time and page number in a text
// chunk: every sheet fed is its own page, even when two sheets give the
// same pixels.
func (s *SANE) Scan(ctx context.Context, handle func(context.Context, Image) error) (int, error) {
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	dir := s.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "saoyue-sane-")
		if err != nil {
			return 0, fmt.Errorf("scan: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("scan: %w", err)
	}
	command := cmp.Or(s.Command, "scanimage")
	if _, err := exec.LookPath(command); err != nil {
		return 0, fmt.Errorf("scan: %s is not installed (Debian: apt-get install sane-utils): %w", command, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, command, s.Args(dir)...)
	cmd.Dir = dir
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("scan: %w", err)
	}
	started := time.Now().UTC().Format(time.RFC3339Nano)
	logger.Info("scanning", "command", command+" "+strings.Join(s.Args(dir), " "))
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("scan: start %s: %w", command, err)
	}
	pages := 0
	var handleErr error
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		file := strings.TrimSpace(lines.Text())
		if file == "" {
			continue
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		if handleErr != nil {
			continue // drain stdout so scanimage can finish
		}
		pages++
		handleErr = s.page(ctx, file, pages, started, handle)
		if handleErr != nil {
			cancel()
		}
	}
	waitErr := cmd.Wait()
	if handleErr != nil {
		return pages - 1, handleErr
	}
	if ctx.Err() != nil {
		return pages, ctx.Err()
	}
	errText := stderr.String()
	reason := scanimageReason(errText)
	switch {
	case strings.Contains(errText, "out of documents") && pages == 0:
		return 0, errors.New("scan: the feeder is empty: put the bag's cards into the scanner's feeder and scan again")
	case strings.Contains(errText, "jammed"):
		return pages, fmt.Errorf("scan: the feeder jammed after %d pages: clear the jam, put the cards not yet scanned back and scan again (pages already scanned are kept)", pages)
	case waitErr != nil:
		return pages, fmt.Errorf("scan: scanimage stopped after %d pages: %v: %s", pages, waitErr, reason)
	case pages == 0:
		return 0, fmt.Errorf("scan: scanimage scanned no pages: %s", reason)
	}
	return pages, nil // the feeder ran empty: the normal end of a batch
}

func (s *SANE) page(ctx context.Context, file string, n int, started string, handle func(context.Context, Image) error) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("scan: page %d: %w", n, err)
	}
	img, err := decodePNM(raw)
	if err != nil {
		return fmt.Errorf("scan: page %d (%s): %w", n, filepath.Base(file), err)
	}
	data, err := encodePNG(img, fmt.Sprintf("saoyue-scan SANE batch started %s, page %d", started, n))
	if err != nil {
		return fmt.Errorf("scan: page %d: %w", n, err)
	}
	if err := handle(ctx, Image{Name: filepath.Base(file), Data: data}); err != nil {
		return err
	}
	// The page is in the spool now; the raw scan is not needed.
	_ = os.Remove(file)
	return nil
}

// scanimageReason picks scanimage's own error lines out of its chatter
// ("Scanning page 1", "Batch terminated").
func scanimageReason(stderr string) string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if r, ok := strings.CutPrefix(strings.TrimSpace(l), "scanimage: "); ok {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return strings.TrimSpace(stderr)
	}
	return strings.Join(out, "; ")
}

// lockedBuffer collects scanimage's stderr while Scan reads its stdout.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
