package handler_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/blob/blobtest"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/queue/queuetest"
	"github.com/saoyue/saoyue/store"
)

// services returns the real Redis (a database of the test's own, empty)
// and a fresh MinIO bucket, or fails with how to start them.
func services(t testing.TB) (redisAddr string, blobs *blob.MinIO, s3 blob.S3Config) {
	t.Helper()
	s3 = blobtest.Config(t, blobtest.Bucket("e2e"))
	return queuetest.DB(t), blobtest.Open(t, s3), s3
}

// waitIdle waits until the queue has nothing pending, running, scheduled or
// retrying, five polls in a row (a finished read enqueues its scoring), and
// returns when that quiet began: the time the work was done.
func waitIdle(t testing.TB, redisAddr string, limit time.Duration) time.Time {
	t.Helper()
	in := asynq.NewInspector(queue.RedisOpt(redisAddr))
	defer in.Close()
	deadline := time.Now().Add(limit)
	quiet := 0
	var since time.Time
	for time.Now().Before(deadline) {
		info, err := in.GetQueueInfo("default")
		busy := err != nil || info.Pending+info.Active+info.Scheduled+info.Retry > 0
		if !busy {
			if quiet == 0 {
				since = time.Now()
			}
			quiet++
			if quiet >= 5 {
				return since
			}
		} else {
			quiet = 0
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("queue still busy after %v", limit)
	return time.Time{}
}

// TestPipelineRedisMinIO is the pipeline's end-to-end run: more than 500
// two-sided cards of three schools at the typical level, through MinIO,
// asynq on Redis, the reader and PostgreSQL, with duplicates, a card of
// another subject and a corrupt file in the bags. Every objective score is
// checked against the ground truth and nothing is lost or duplicated.
func TestPipelineRedisMinIO(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 3, 170)
	redisAddr, blobs, _ := services(t)
	q := queue.NewRedis(redisAddr)
	defer q.Close()
	srv := queue.NewServer(redisAddr, runtime.NumCPU(), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err := srv.Start(handler.NewMux(handler.Deps{DB: w.db, Blobs: blobs, Queue: q})); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	in := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}

	// Generate the rooms in parallel, ingest each bag in scan order.
	feeds := make([]*feed, len(w.roomIDs))
	var wg sync.WaitGroup
	for i, room := range w.roomIDs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			feeds[i] = w.roomFeed(t, room, "typical", uint64(100+i))
		}()
	}
	wg.Wait()
	batches := make([]*store.Batch, len(w.roomIDs))
	cards := 0
	for i, room := range w.roomIDs {
		batches[i] = w.batch(t, room)
		w.ingest(t, in, batches[i].ID, feeds[i])
		cards += len(w.rooms[room])
	}
	if cards < 500 {
		t.Fatalf("only %d cards", cards)
	}
	waitIdle(t, redisAddr, 10*time.Minute)
	for i, room := range w.roomIDs {
		w.verify(t, batches[i].ID, room, feeds[i])
		w.verifyCrops(t, blobs, batches[i].ID)
	}
	// Every page image is in the bucket exactly once under its digest.
	rows, err := w.db.Pool.Query(context.Background(), `SELECT blob_key FROM pages`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var key string
		rows.Scan(&key)
		if _, err := blobs.Stat(context.Background(), key); err != nil {
			t.Errorf("page image %s missing from MinIO: %v", key, err)
		}
		n++
	}
	rows.Close()
	t.Logf("%d cards, %d pages in MinIO", cards, n)
}

// TestWorkerKilledMidBatch kills a real `saoyue worker` process with
// SIGKILL in the middle of a batch, starts another, and compares the end
// state with an undisturbed run of the same pages.
func TestWorkerKilledMidBatch(t *testing.T) {
	t.Parallel()
	bin := buildSaoyue(t)
	ref := newWorld(t, 1, 60)
	room := ref.roomIDs[0]
	f := ref.roomFeed(t, room, "typical", 7)

	run := func(w *world, kill bool) string {
		redisAddr, blobs, s3 := services(t)
		q := queue.NewRedis(redisAddr)
		defer q.Close()
		b := w.batch(t, room)
		w.ingest(t, &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}, b.ID, f)
		env := append(os.Environ(), "SAOYUE_DATABASE_URL="+w.url, "SAOYUE_REDIS_ADDR="+redisAddr,
			"SAOYUE_S3_ENDPOINT="+s3.Endpoint, "SAOYUE_S3_BUCKET="+s3.Bucket)
		start := func() *exec.Cmd {
			cmd := exec.Command(bin, "worker", "--concurrency", "2")
			cmd.Env = env
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			return cmd
		}
		worker := start()
		if kill {
			// Kill once a third of the pages are read: tasks are in flight.
			for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				var read int
				w.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pages WHERE status <> 'received'`).Scan(&read)
				if read >= len(f.images)/3 {
					break
				}
			}
			worker.Process.Signal(syscall.SIGKILL)
			worker.Wait()
			worker = start()
		}
		defer func() {
			worker.Process.Signal(syscall.SIGTERM)
			worker.Wait()
		}()
		waitIdle(t, redisAddr, 8*time.Minute)
		return naturalSnapshot(t, w.db)
	}
	want := run(ref, false)
	got := run(newWorld(t, 1, 60), true)
	if got != want {
		t.Errorf("after a killed worker the rows differ from an undisturbed run:\nundisturbed %s\nkilled      %s", want, got)
	}
}

// naturalSnapshot summarises the rows by natural keys (file names, exam
// numbers), so two runs that assigned ids in different orders compare equal.
func naturalSnapshot(t testing.TB, db *store.DB) string {
	var s string
	err := db.Pool.QueryRow(context.Background(), `
		SELECT concat_ws(' | ',
			(SELECT md5(string_agg(p.source_name || ':' || p.status || ':' || COALESCE(p.page_no::text, '-') || ':' || COALESCE(c.exam_no, '-'), ',' ORDER BY p.source_name))
			   FROM pages p LEFT JOIN cards k ON k.id = p.card_id LEFT JOIN candidates c ON c.id = k.candidate_id),
			(SELECT count(*) FROM pages), (SELECT count(*) FROM cards),
			(SELECT string_agg(x, ',' ORDER BY x) FROM (
				SELECT e.kind || ':' || e.item_no || ':' || COALESCE(p.source_name, '-') || ':' || COALESCE(c.exam_no, '-') AS x
				FROM exceptions e LEFT JOIN pages p ON p.id = e.page_id LEFT JOIN cards k ON k.id = e.card_id LEFT JOIN candidates c ON c.id = k.candidate_id) ex),
			(SELECT md5(string_agg(c.exam_no || ':' || s.item || ':' || s.score || ':' || s.response, ',' ORDER BY c.exam_no, s.item))
			   FROM item_scores s JOIN candidates c ON c.id = s.candidate_id),
			(SELECT count(*) FROM crops), (SELECT count(*) FROM marking_tasks))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildSaoyue builds the server binary once per test run.
func buildSaoyue(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "saoyue-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "saoyue")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/saoyue").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build saoyue: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}
