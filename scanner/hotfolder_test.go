package scanner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// writeSlowly writes data in chunks with pauses, the way a scanner's
// software writes a page while the next sheet is feeding.
func writeSlowly(t *testing.T, path string, data []byte, chunks int, pause time.Duration) {
	f, err := os.Create(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	step := (len(data) + chunks - 1) / chunks
	for i := 0; i < len(data); i += step {
		if _, err := f.Write(data[i:min(len(data), i+step)]); err != nil {
			t.Error(err)
			return
		}
		time.Sleep(pause)
	}
}

type taken struct {
	mu    sync.Mutex
	names []string
	data  map[string][]byte
}

func (tk *taken) handle(ctx context.Context, f File) error {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	tk.names = append(tk.names, f.Name)
	if tk.data == nil {
		tk.data = map[string][]byte{}
	}
	tk.data[f.Name] = f.Data
	return nil
}

func (tk *taken) list() []string {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	return append([]string(nil), tk.names...)
}

// watch runs hf until the test ends, and returns once its first sweep has
// found the folder empty.
func watch(t *testing.T, hf *HotFolder) *taken {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var tk taken
	errc := make(chan error, 1)
	go func() { errc <- hf.Run(ctx, tk.handle) }()
	t.Cleanup(func() { cancel(); <-errc })
	time.Sleep(100 * time.Millisecond)
	return &tk
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHotFolderTakesSlowFilesOnceInOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Already there before the watch starts: taken by the first sweep.
	if err := os.WriteFile(filepath.Join(dir, "p1.jpg"), testJPEG(t, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	// Names the scanner's software uses while writing: never taken.
	for _, n := range []string{"p99.jpg.tmp", "~p98.jpg", "p97.jpg.part", "notes.txt", ".p96.jpg"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var tk taken
	hf := &HotFolder{Dir: dir, Settle: 150 * time.Millisecond, Quiet: 600 * time.Millisecond, Poll: 30 * time.Millisecond}
	errc := make(chan error, 1)
	go func() { errc <- hf.Run(ctx, tk.handle) }()

	want := map[string][]byte{"p1.jpg": testJPEG(t, 1), "p10.jpg": testJPEG(t, 10), "p11.tif": []byte("II*\x00 pretend tiff")}
	for n := 2; n <= 5; n++ {
		want[fmt.Sprintf("p%d.jpg", n)] = testJPEG(t, n)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// p2 is written slowly and p10 quickly meanwhile: p10 must wait
		// for p2, which comes first in scan order.
		var inner sync.WaitGroup
		inner.Add(1)
		go func() {
			defer inner.Done()
			writeSlowly(t, filepath.Join(dir, "p2.jpg"), want["p2.jpg"], 4, 100*time.Millisecond)
		}()
		time.Sleep(50 * time.Millisecond)
		writeSlowly(t, filepath.Join(dir, "p10.jpg"), want["p10.jpg"], 1, 0)
		inner.Wait()
		for n := 3; n <= 5; n++ {
			writeSlowly(t, filepath.Join(dir, fmt.Sprintf("p%d.jpg", n)), want[fmt.Sprintf("p%d.jpg", n)], 3, 80*time.Millisecond)
		}
		// A TIFF has no trailer: taken only after Quiet.
		writeSlowly(t, filepath.Join(dir, "p11.tif"), want["p11.tif"], 2, 100*time.Millisecond)
	}()
	wg.Wait()
	order := []string{"p1.jpg", "p2.jpg", "p3.jpg", "p4.jpg", "p5.jpg", "p10.jpg", "p11.tif"}
	// p10 was complete long before p3..p5, but waits behind p2 only: it
	// was written after p2 started, so it may come right after p2 or
	// after p5 depending on timing. What matters: p2 before p10, each once.
	waitFor(t, "7 files", 10*time.Second, func() bool { return len(tk.list()) >= 7 })
	time.Sleep(300 * time.Millisecond) // nothing more may come
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	got := tk.list()
	if len(got) != len(order) {
		t.Fatalf("took %v, want each of %v once", got, order)
	}
	pos := map[string]int{}
	for i, n := range got {
		if _, dup := pos[n]; dup {
			t.Fatalf("took %s twice: %v", n, got)
		}
		pos[n] = i
		if string(tk.data[n]) != string(want[n]) {
			t.Errorf("%s taken with %d bytes, want the complete %d", n, len(tk.data[n]), len(want[n]))
		}
		if _, err := os.Stat(filepath.Join(dir, "done", n)); err != nil {
			t.Errorf("%s not moved into done/: %v", n, err)
		}
	}
	for i := 1; i < 5; i++ {
		if pos[order[i-1]] > pos[order[i]] {
			t.Errorf("%s taken before %s: %v", order[i], order[i-1], got)
		}
	}
	if pos["p10.jpg"] < pos["p2.jpg"] {
		t.Errorf("p10 overtook p2, still being written: %v", got)
	}
	for _, n := range []string{"p99.jpg.tmp", "~p98.jpg", "p97.jpg.part", "notes.txt", ".p96.jpg"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was touched: %v", n, err)
		}
	}
}

func TestHotFolderRestartNeitherResendsNorLoses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for n := 1; n <= 3; n++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("scan%03d.jpg", n)), testJPEG(t, 100+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hf := func() *HotFolder {
		return &HotFolder{Dir: dir, Settle: 50 * time.Millisecond, Poll: 20 * time.Millisecond}
	}
	// First run: stops (crash-like) while handling the second file, before
	// it is moved to done/.
	ctx, cancel := context.WithCancel(context.Background())
	var first taken
	err := hf().Run(ctx, func(ctx context.Context, f File) error {
		first.handle(ctx, f)
		if f.Name == "scan002.jpg" {
			cancel()
			return ctx.Err()
		}
		return nil
	})
	if err != context.Canceled {
		t.Fatalf("first run: %v", err)
	}
	// Meanwhile the scanner writes two more.
	for n := 4; n <= 5; n++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("scan%03d.jpg", n)), testJPEG(t, 100+n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	var second taken
	errc := make(chan error, 1)
	go func() { errc <- hf().Run(ctx2, second.handle) }()
	waitFor(t, "4 files after restart", 5*time.Second, func() bool { return len(second.list()) >= 4 })
	time.Sleep(200 * time.Millisecond)
	cancel2()
	<-errc
	if got := first.list(); fmt.Sprint(got) != "[scan001.jpg scan002.jpg]" {
		t.Errorf("first run took %v", got)
	}
	// scan002 was not confirmed: offered again (the spool dedups it by hash).
	if got := second.list(); fmt.Sprint(got) != "[scan002.jpg scan003.jpg scan004.jpg scan005.jpg]" {
		t.Errorf("second run took %v, want scan002..scan005 once each", got)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "done"))
	if len(entries) != 5 {
		t.Errorf("done/ has %d files, want 5", len(entries))
	}
}

func TestHotFolderBadFileGoesToFailed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a1.jpg"), []byte("not a jpeg at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a2.jpg"), testJPEG(t, 7), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ok taken
	errc := make(chan error, 1)
	go func() {
		errc <- (&HotFolder{Dir: dir, Settle: 30 * time.Millisecond, Quiet: 100 * time.Millisecond, Poll: 20 * time.Millisecond}).Run(ctx, func(ctx context.Context, f File) error {
			if _, err := Decode(f.Name, f.Data); err != nil {
				return fmt.Errorf("%w: %w", ErrBadFile, err)
			}
			return ok.handle(ctx, f)
		})
	}()
	waitFor(t, "a2.jpg", 5*time.Second, func() bool { return len(ok.list()) == 1 })
	cancel()
	<-errc
	if _, err := os.Stat(filepath.Join(dir, "failed", "a1.jpg")); err != nil {
		t.Errorf("bad file not in failed/: %v", err)
	}
}

// A page is taken as soon as it has settled, not at the next poll: when the
// scanner stops, no more change notifications come to wake the folder.
func TestHotFolderTakesAFileOnceSettledNotAtNextPoll(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tk := watch(t, &HotFolder{Dir: dir, Settle: 100 * time.Millisecond, Poll: time.Minute})
	start := time.Now()
	// Written but left open, as a scanner's software may (on Windows, or
	// over a network share): complete only once it has settled.
	f, err := os.Create(filepath.Join(dir, "s1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(testJPEG(t, 3)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "s1.jpg", 20*time.Second, func() bool { return len(tk.list()) == 1 })
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("taken after %v, before it had settled for 100ms", d)
	}
}

// On Linux a scan its writer has closed is taken at once, without waiting
// for it to settle, if it is a JPEG or PNG that ends the way a complete
// one does.
func TestHotFolderTakesAClosedScanAtOnce(t *testing.T) {
	stop, err := watchFinished(t.TempDir(), func(string) {})
	if err != nil {
		t.Skipf("no notice of closed files here: %v", err)
	}
	stop()
	t.Parallel()
	dir := t.TempDir()
	// Nothing settles within the test: only a close can complete a file.
	tk := watch(t, &HotFolder{Dir: dir, Settle: time.Hour, Quiet: time.Hour, Poll: time.Minute})

	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a1.jpg", testJPEG(t, 1))
	waitFor(t, "a1.jpg", 10*time.Second, func() bool { return len(tk.list()) == 1 })

	// Open still, or closed but cut short, or a PDF (which a writer may
	// reopen to append to): not taken, and a later file waits behind them.
	open, err := os.Create(filepath.Join(dir, "a2.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.Write(testJPEG(t, 2)); err != nil {
		t.Fatal(err)
	}
	write("a3.pdf", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"))
	write("a4.jpg", testJPEG(t, 4)[:500])
	write("a5.png", testPNG(t, 5))
	time.Sleep(500 * time.Millisecond)
	if got := tk.list(); len(got) != 1 {
		t.Fatalf("took %v while a2.jpg was open", got)
	}
	open.Close()
	waitFor(t, "a2.jpg", 10*time.Second, func() bool { return len(tk.list()) == 2 })
	// Each of a3.pdf and a4.jpg holds back the files after it.
	for _, name := range []string{"a3.pdf", "a4.jpg"} {
		time.Sleep(300 * time.Millisecond)
		if got := tk.list(); len(got) != 2 || got[1] != "a2.jpg" {
			t.Fatalf("took %v; want a1.jpg and a2.jpg, and %s holding back the rest", got, name)
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}

	// Renamed into the folder: complete as it appears.
	tmp := filepath.Join(t.TempDir(), "a6.jpg")
	if err := os.WriteFile(tmp, testJPEG(t, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "a6.jpg")); err != nil {
		t.Skipf("rename across folders: %v", err)
	}
	waitFor(t, "a5.png and a6.jpg", 10*time.Second, func() bool { return len(tk.list()) == 4 })
	if got := tk.list(); got[2] != "a5.png" || got[3] != "a6.jpg" {
		t.Errorf("took %v", got)
	}
}

func TestNaturalOrder(t *testing.T) {
	t.Parallel()
	in := []string{"p10.jpg", "P2.jpg", "p1.jpg", "p01.jpg", "img_20.png", "img_3.png"}
	want := []string{"img_3.png", "img_20.png", "p1.jpg", "p01.jpg", "P2.jpg", "p10.jpg"}
	sortPaths(in)
	if fmt.Sprint(in) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", in, want)
	}
}
