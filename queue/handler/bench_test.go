package handler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
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
// the reader alone on the same pages with one goroutine per core. The
// issue asks for the first to be at least 60% of the second.
func BenchmarkEndToEnd(b *testing.B) {
	w := newWorld(b, 1, 60)
	room := w.roomIDs[0]
	g := w.generator(b, room, "typical", 77)
	var names []string
	var images [][]byte
	for i := 0; i < len(w.rooms[room]); i++ {
		scans, err := g.Card(i)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range scans {
			names = append(names, fmt.Sprintf("%05d-%s", len(names), s.Name))
			images = append(images, s.Image)
		}
	}
	ctx := context.Background()

	// The reader alone.
	reader, err := omr.NewReader(nil, omr.DefaultOptions())
	if err == nil || reader != nil {
		b.Fatal("a reader without templates must be refused")
	}
	reader, err = omr.NewReader([]*card.Template{w.tmpl}, omr.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
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
	readerRate := float64(len(images)) / time.Since(start).Seconds()

	// The whole pipeline.
	redisAddr, blobs, _ := services(b, 6)
	q := queue.NewRedis(redisAddr)
	defer q.Close()
	// Twice the cores: a worker waiting on MinIO or PostgreSQL leaves its
	// core to another that is reading.
	srv := queue.NewServer(redisAddr, 2*runtime.NumCPU(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := srv.Start(handler.NewMux(handler.Deps{DB: w.db, Blobs: blobs, Queue: q})); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	bt := w.batch(b, room)
	in := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}
	// Warm up: the worker renders the blank card once, at its first page;
	// a running county server has done that long before a bag arrives.
	warm := w.batch(b, room)
	wg2, err := w.generator(b, room, "clean", 1).Card(0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := in.AddPage(ctx, warm.ID, 1, "warm.jpg", wg2[0].Image); err != nil {
		b.Fatal(err)
	}
	waitIdle(b, redisAddr, time.Minute)
	dir := b.TempDir()
	b.ResetTimer()
	start = time.Now()
	hctx, cancel := context.WithCancel(ctx)
	taken := 0
	hf := &scanner.HotFolder{Dir: dir, Settle: 100 * time.Millisecond, Poll: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	done := make(chan error, 1)
	go func() {
		done <- hf.Run(hctx, func(ctx context.Context, f scanner.File) error {
			taken++
			_, err := in.AddPage(ctx, bt.ID, taken, f.Name, f.Data)
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
	<-done
	ingested := time.Since(start)
	waitIdle(b, redisAddr, 10*time.Minute)
	b.ReportMetric(ingested.Seconds(), "s-to-ingest")
	pipeRate := float64(len(images)) / time.Since(start).Seconds()
	b.StopTimer()
	var read int
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages WHERE status <> 'received' AND batch_id = $1`, bt.ID).Scan(&read)
	if read != len(images) {
		b.Fatalf("%d of %d pages read", read, len(images))
	}
	b.ReportMetric(readerRate, "reader-pages/s")
	b.ReportMetric(pipeRate, "pipeline-pages/s")
	b.ReportMetric(100*pipeRate/readerRate, "%-of-reader")
}
