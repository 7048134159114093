package handler_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/scanner"
)

// BenchmarkEndToEnd measures pages per second from the hot folder through
// MinIO, asynq on Redis, the reader and PostgreSQL, and, in the same run,
// the reader alone on the same pages with one goroutine per core, before
// the pipeline and after it. The issue asks for the first to be at least
// 60% of the second.
//
// A scan station feeds bag after bag: five rooms' bags (300 pages) go
// through the hot folder one after the other, so the figure is the rate a
// county sustains, not the start-up of one bag. The CPU time of every
// process involved (this one, PostgreSQL, Redis, MinIO) is reported per
// page, since all of them share the machine's cores.
func BenchmarkEndToEnd(b *testing.B) {
	const rooms = 5
	w := newWorld(b, 1, 30*rooms)
	if len(w.roomIDs) != rooms {
		b.Fatalf("%d rooms, want %d", len(w.roomIDs), rooms)
	}
	var names []string
	var images [][]byte
	for r, room := range w.roomIDs {
		g := w.generator(b, room, "typical", 77+uint64(r))
		for i := 0; i < len(w.rooms[room]); i++ {
			scans, err := g.Card(i)
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range scans {
				// The scanner's numbering: bag, then sheet order.
				names = append(names, fmt.Sprintf("%d-%05d-%s", r, len(names), s.Name))
				images = append(images, s.Image)
			}
		}
	}
	ctx := context.Background()

	// The reader alone.
	reader, err := omr.NewReader([]*card.Template{w.tmpl}, omr.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	// The reader is measured before the pipeline and again after it, and
	// its rate is that of both runs together: the machine's speed drifts
	// over a run (a VM's neighbours), and a single measurement on one side
	// of the pipeline made the ratio swing by ten points.
	readAlone := func() (seconds float64, cpu cpuTimes) {
		// Each phase starts with the garbage of what came before collected.
		runtime.GC()
		cpu0 := cpuNow()
		start := time.Now()
		var wg sync.WaitGroup
		next := make(chan int)
		for c := 0; c < runtime.NumCPU(); c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					reader.Read(names[i], images[i])
				}
			}()
		}
		for i := range images {
			next <- i
		}
		close(next)
		wg.Wait()
		return time.Since(start).Seconds(), cpuNow().sub(cpu0)
	}
	readerSeconds, readerCPU := readAlone()

	// The whole pipeline.
	redisAddr, blobs, _ := services(b)
	q := queue.NewRedis(redisAddr)
	defer q.Close()
	// As `saoyue worker` runs: more tasks than cores, one reading per core.
	srv := queue.NewServer(redisAddr, queue.DefaultConcurrency(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := srv.Start(handler.NewMux(handler.Deps{DB: w.db, Blobs: blobs, Queue: q})); err != nil {
		b.Fatal(err)
	}
	stopWorker := sync.OnceFunc(srv.Shutdown)
	defer stopWorker()
	batches := make([]int64, rooms)
	for r, room := range w.roomIDs {
		batches[r] = w.batch(b, room).ID
	}
	in := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}
	// Warm up: the worker renders the blank card once, at its first page;
	// a running county server has done that long before a bag arrives.
	warm := w.batch(b, w.roomIDs[0])
	wg2, err := w.generator(b, w.roomIDs[0], "clean", 1).Card(0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := in.AddPage(ctx, warm.ID, 1, "warm.jpg", wg2[0].Image); err != nil {
		b.Fatal(err)
	}
	waitIdle(b, redisAddr, time.Minute)
	dir := b.TempDir()
	runtime.GC()
	b.ResetTimer()
	if path := os.Getenv("SAOYUE_PIPELINE_PROFILE"); path != "" {
		// The pipeline's own CPU profile, without the card generation.
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	cpu0 := cpuNow()
	start := time.Now()
	// The scan station: the hot folder hands each file, in scan order, to
	// its bag's spool; one Sender per bag uploads from the spool with its
	// default number of pages in flight, straight into the county's bucket
	// and database (saoyue-scan --direct).
	hctx, cancel := context.WithCancel(ctx)
	spools := make([]*scanner.Spool, rooms)
	for r := range spools {
		sp, err := scanner.OpenSpool(filepath.Join(b.TempDir(), "spool"))
		if err != nil {
			b.Fatal(err)
		}
		defer sp.Close()
		if err := sp.SetMeta(scanner.SpoolMeta{BatchID: batches[r], Target: "direct"}); err != nil {
			b.Fatal(err)
		}
		spools[r] = sp
	}
	taken := 0
	scanned := make(chan struct{})
	var senders sync.WaitGroup
	sendErrs := make([]error, rooms)
	for r := range spools {
		senders.Add(1)
		go func() {
			defer senders.Done()
			s := &scanner.Sender{Spool: spools[r], Uploader: ingestUploader{in}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			sendErrs[r] = s.Run(ctx, scanned)
		}()
	}
	hf := &scanner.HotFolder{Dir: dir, Settle: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan error, 1)
	go func() {
		done <- hf.Run(hctx, func(ctx context.Context, f scanner.File) error {
			taken++
			r, _ := strconv.Atoi(strings.SplitN(f.Name, "-", 2)[0])
			_, _, err := spools[r].Add(scanner.Image{Name: f.Name, Data: f.Data})
			if taken == len(images) {
				cancel()
			}
			return err
		})
	}()
	for i := range images {
		if err := os.WriteFile(filepath.Join(dir, names[i]), images[i], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		b.Fatal(err)
	}
	close(scanned)
	senders.Wait()
	for _, err := range sendErrs {
		if err != nil {
			b.Fatal(err)
		}
	}
	ingested := time.Since(start)
	end := waitIdle(b, redisAddr, 10*time.Minute)
	pipeCPU := cpuNow().sub(cpu0)
	pipeRate := float64(len(images)) / end.Sub(start).Seconds()
	b.StopTimer()
	stopWorker()
	pprof.StopCPUProfile() // the profile is the pipeline's only
	after, afterCPU := readAlone()
	readerRate := float64(2*len(images)) / (readerSeconds + after)
	readerCPU.self += afterCPU.self
	var read int
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages WHERE status <> 'received' AND batch_id = ANY($1)`, batches).Scan(&read)
	if read != len(images) {
		b.Fatalf("%d of %d pages read", read, len(images))
	}
	// How many pages' answer crops share an object (see cropPacker).
	var objects, cropPages int
	if err := w.db.Pool.QueryRow(ctx, `SELECT count(DISTINCT blob_key), count(DISTINCT page_id) FROM crops`).Scan(&objects, &cropPages); err != nil || objects == 0 {
		b.Fatalf("count crop objects: %v (%d)", err, objects)
	}
	b.ReportMetric(float64(cropPages)/float64(objects), "pages/crop-object")
	b.ReportMetric(ingested.Seconds(), "s-to-ingest")
	b.ReportMetric(readerRate, "reader-pages/s")
	b.ReportMetric(pipeRate, "pipeline-pages/s")
	b.ReportMetric(100*pipeRate/readerRate, "%-of-reader")
	n := float64(len(images))
	b.ReportMetric(readerCPU.self/(2*n), "reader-cpu-ms/page")
	b.ReportMetric(pipeCPU.self/n, "worker-cpu-ms/page")
	b.ReportMetric(pipeCPU.postgres/n, "postgres-cpu-ms/page")
	b.ReportMetric(pipeCPU.minio/n, "minio-cpu-ms/page")
	b.ReportMetric(pipeCPU.redis/n, "redis-cpu-ms/page")
	// Both cores' time per page is the sum of the above, this and the rest.
	b.ReportMetric(pipeCPU.idle/n, "idle-ms/page")
	b.ReportMetric((pipeCPU.machine-pipeCPU.idle-pipeCPU.self-pipeCPU.postgres-pipeCPU.minio-pipeCPU.redis)/n, "other-cpu-ms/page")
}

// ingestUploader is saoyue-scan's direct mode for batches already open.
type ingestUploader struct{ in *queue.Ingester }

func (u ingestUploader) OpenBatch(context.Context, scanner.BatchSpec) (*scanner.Batch, error) {
	return nil, errors.New("the benchmark opens its batches itself")
}

func (u ingestUploader) HasPage(context.Context, string) (int64, bool, error) { return 0, false, nil }

func (u ingestUploader) UploadPage(ctx context.Context, batchID int64, seq int, name, sha256 string, data []byte) (*scanner.UploadResult, error) {
	res, err := u.in.AddHashedPage(ctx, batchID, seq, name, sha256, data)
	if err != nil {
		return nil, err
	}
	return &scanner.UploadResult{PageID: res.PageID, SHA256: res.SHA256, Duplicate: res.Duplicate}, nil
}

// cpuTimes is CPU milliseconds used by this process and by the services.
// idle is the machine's idle (and I/O wait) time and machine all its time
// (/proc/stat), summed over the cores: what the pipeline leaves unused, and,
// less the processes above, what it competes with.
type cpuTimes struct{ self, postgres, redis, minio, idle, machine float64 }

func (a cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{a.self - b.self, a.postgres - b.postgres, a.redis - b.redis, a.minio - b.minio, a.idle - b.idle, a.machine - b.machine}
}

// cpuNow reads the CPU time of this process and of every PostgreSQL, Redis
// and MinIO process on the machine (Linux /proc; ours are the only ones
// under load during a benchmark).
func cpuNow() cpuTimes {
	var t cpuTimes
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		t.self = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
	}
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		// cpu  user nice system idle iowait irq softirq steal ...
		line, _, _ := strings.Cut(string(data), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseFloat(f, 64)
			if i < 8 {
				t.machine += v * 10
			}
			if i == 3 || i == 4 {
				t.idle += v * 10
			}
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(data)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		ms := (ut + st) * 10 // USER_HZ is 100 on Linux
		switch s[open+1 : close] {
		case "postgres":
			t.postgres += ms
		case "redis-server":
			t.redis += ms
		case "minio":
			t.minio += ms
		}
	}
	return t
}
