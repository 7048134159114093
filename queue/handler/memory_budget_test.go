package handler_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
)

// budgetMiB is the read memory of the worker in TestTenHugePNGsStayWithinTheReadMemory.
const budgetMiB = 320

// withText makes copies of one PNG differ (a tEXt chunk after IHDR), so
// each is a page of its own and not a duplicate.
func withText(png []byte, text string) []byte {
	var chunk []byte
	chunk = binary.BigEndian.AppendUint32(chunk, uint32(len(text)))
	chunk = append(chunk, "tEXt"+text...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append(append(append([]byte(nil), png[:33]...), chunk...), png[33:]...)
}

// A memory attack, through the real page task: ten 79-megapixel 16-bit
// RGBA PNGs (each under a megabyte; 632 MB decoded) and, beside them, ten
// 35-megapixel colour pages the reader accepts (A4 at 600 dpi; 232 MB each
// to read), all twenty tasks at once, in a worker process with two reading
// slots and a read memory of 320 MiB: one large page at a time, where the
// slots alone would read two (474 MiB). The worker's resident memory must
// grow by less than its budget while it reads them, and every huge page
// must be refused with the reason. It runs in a child process, so its peak
// memory is its own.
func TestTenHugePNGsStayWithinTheReadMemory(t *testing.T) {
	if os.Getenv("SAOYUE_BUDGET_CHILD") != "" {
		budgetChild(t)
		return
	}
	if testing.Short() {
		t.Skip("reads ten 35-megapixel pages")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTenHugePNGsStayWithinTheReadMemory$", "-test.v")
	cmd.Env = append(os.Environ(), "SAOYUE_BUDGET_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var grew, peak int64
	kinds := map[string]int{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "PEAK":
			grew, _ = strconv.ParseInt(f[1], 10, 64)
			peak, _ = strconv.ParseInt(f[2], 10, 64)
		case len(f) == 3 && f[0] == "KIND":
			kinds[f[1]], _ = strconv.Atoi(f[2])
		}
	}
	t.Logf("resident memory grew by %d MiB reading 20 pages (peak %d MiB); budget %d MiB; exceptions %v", grew>>20, peak>>20, budgetMiB, kinds)
	if grew == 0 || grew > budgetMiB<<20 {
		t.Errorf("resident memory grew by %d MiB, budget %d MiB", grew>>20, budgetMiB)
	}
	if kinds["huge"] != 10 {
		t.Errorf("%d of the 10 huge pages refused from their header, want 10\n%s", kinds["huge"], out)
	}
	if kinds["read"] != 10 {
		t.Errorf("%d of the 10 large pages decoded and read, want 10\n%s", kinds["read"], out)
	}
}

func budgetChild(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 1, 2)
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := w.batch(t, w.roomIDs[0])
	in := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: lostQueue{}}
	huge := fixtures.BigPNG(8900, 8900, 16, fixtures.PNGRGBA)
	large := fixtures.BigPNG(4961, 7016, 8, fixtures.PNGRGB)
	var ids []int64
	for i := 0; i < 20; i++ {
		data := withText(huge, fmt.Sprint("huge ", i))
		if i >= 10 {
			data = withText(large, fmt.Sprint("large ", i))
		}
		res, err := in.AddPage(ctx, b.ID, i+1, fmt.Sprintf("p%02d.png", i), data)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.PageID)
	}
	readers := &handler.Readers{DB: w.db, Options: omr.DefaultOptions()}
	if _, err := readers.For(ctx, b.SubjectID); err != nil {
		t.Fatal(err)
	}
	h := &handler.PageRead{DB: w.db, Blobs: blobs, Queue: lostQueue{}, Readers: readers,
		Reading: make(chan struct{}, 2), Memory: handler.NewMemoryBudget(budgetMiB << 20)}
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatal(err)
	}
	before := statusBytes("VmRSS")
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task, _ := queue.NewPageReadTask(id)
			if err := h.ProcessTask(ctx, task); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("PEAK %d %d\n", statusBytes("VmHWM")-before, statusBytes("VmHWM"))
	var huge_, read int
	err = w.db.Pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE kind = 'unreadable_image' AND reason LIKE '%超过扫描页的上限%'),
		count(DISTINCT page_id) FILTER (WHERE kind <> 'unreadable_image')
		FROM exceptions WHERE batch_id = $1`, b.ID).Scan(&huge_, &read)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("KIND huge %d\nKIND read %d\n", huge_, read)
}

// A page that does not fit in the whole budget is refused, not waited for.
func TestPageLargerThanTheReadMemoryIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, blobs, b, in, _ := oneCard(t, 5)
	res, err := in.AddPage(ctx, b.ID, 1, "big.png", fixtures.BigPNG(4961, 7016, 8, fixtures.PNGRGB))
	if err != nil {
		t.Fatal(err)
	}
	h := pageRead(w, blobs)
	h.Memory = handler.NewMemoryBudget(100 << 20)
	task, _ := queue.NewPageReadTask(res.PageID)
	if err := h.ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	var kind, reason, status string
	err = w.db.Pool.QueryRow(ctx, `SELECT e.kind, e.reason, p.status FROM exceptions e JOIN pages p ON p.id = e.page_id
		WHERE e.page_id = $1`, res.PageID).Scan(&kind, &reason, &status)
	if err != nil {
		t.Fatal(err)
	}
	if kind != string(omr.ExcUnreadable) || !strings.Contains(reason, "SAOYUE_READ_MEMORY") {
		t.Errorf("exception %s %q", kind, reason)
	}
	t.Logf("page %s: %s: %s", status, kind, reason)
}

func statusBytes(field string) int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n << 10
		}
	}
	return 0
}
