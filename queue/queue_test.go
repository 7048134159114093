package queue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/queuetest"
)

// TestRedisRoundTrip sends a task through the real Redis that
// scripts/services.sh starts and checks an asynq server runs it once.
func TestRedisRoundTrip(t *testing.T) {
	t.Parallel()
	addr := queuetest.DB(t)
	taskType := fmt.Sprintf("test:echo-%d", time.Now().UnixNano())
	got := make(chan string, 2)
	mux := asynq.NewServeMux()
	mux.HandleFunc(taskType, func(ctx context.Context, task *asynq.Task) error {
		got <- string(task.Payload())
		return nil
	})
	srv := queue.NewServer(addr, 2, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := srv.Start(mux); err != nil {
		t.Fatalf("start asynq server: %v", err)
	}
	defer srv.Shutdown()

	q := queue.NewRedis(addr)
	defer q.Close()
	ctx := context.Background()
	id := asynq.TaskID(taskType + "-1")
	if err := q.Enqueue(ctx, asynq.NewTask(taskType, []byte("hello")), id); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	// The same id again is accepted and not run twice.
	if err := q.Enqueue(ctx, asynq.NewTask(taskType, []byte("hello")), id); err != nil {
		t.Fatalf("enqueue duplicate: %v", err)
	}
	select {
	case p := <-got:
		if p != "hello" {
			t.Fatalf("payload %q, want hello", p)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("task was not processed within 20s")
	}
	select {
	case p := <-got:
		t.Fatalf("task with the same id ran twice (%q)", p)
	case <-time.After(1500 * time.Millisecond):
	}
}

func TestInProcessRetriesAndSkipRetry(t *testing.T) {
	t.Parallel()
	var flaky, bad atomic.Int32
	mux := asynq.NewServeMux()
	mux.HandleFunc("test:flaky", func(ctx context.Context, task *asynq.Task) error {
		if flaky.Add(1) < 3 {
			return errors.New("transient")
		}
		return nil
	})
	mux.HandleFunc("test:bad", func(ctx context.Context, task *asynq.Task) error {
		bad.Add(1)
		return fmt.Errorf("bad payload: %w", asynq.SkipRetry)
	})
	q := queue.NewInProcess(mux, 2, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	q.Backoff = func(int) time.Duration { return time.Millisecond }
	ctx := context.Background()
	if err := q.Enqueue(ctx, asynq.NewTask("test:flaky", nil), asynq.MaxRetry(5)); err != nil {
		t.Fatal(err)
	}
	if err := q.Enqueue(ctx, asynq.NewTask("test:bad", nil)); err != nil {
		t.Fatal(err)
	}
	q.Wait()
	if n := flaky.Load(); n != 3 {
		t.Errorf("flaky task ran %d times, want 3 (two failures, then success)", n)
	}
	if n := bad.Load(); n != 1 {
		t.Errorf("SkipRetry task ran %d times, want 1", n)
	}
	q.Close()
	if err := q.Enqueue(ctx, asynq.NewTask("test:flaky", nil)); err == nil {
		t.Error("enqueue after Close succeeded")
	}
}

func TestInProcessUniqueID(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var runs atomic.Int32
	mux := asynq.NewServeMux()
	mux.HandleFunc("test:slow", func(ctx context.Context, task *asynq.Task) error {
		runs.Add(1)
		<-release
		return nil
	})
	q := queue.NewInProcess(mux, 4, slog.Default())
	defer q.Close()
	for i := 0; i < 3; i++ {
		if err := q.Enqueue(context.Background(), asynq.NewTask("test:slow", nil), asynq.TaskID("page-7")); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	q.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("task with one id ran %d times concurrently, want 1", n)
	}
}

// TestRedisSentinel starts a real Redis Sentinel watching the test Redis
// and sends a task through "sentinel://MASTER@ADDR/DB": the client and the
// worker find the master through the sentinel.
func TestRedisSentinel(t *testing.T) {
	t.Parallel()
	addr, db, _ := strings.Cut(queuetest.DB(t), "/")
	host, port, _ := strings.Cut(addr, ":")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sport := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor saoyue %s %s 1\n", sport, host, port)), 0o644)
	sentinel := exec.Command("redis-server", conf, "--sentinel")
	if err := sentinel.Start(); err != nil {
		t.Fatalf("start redis sentinel: %v", err)
	}
	defer func() { sentinel.Process.Kill(); sentinel.Wait() }()
	for i := 0; i < 50; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", sport)); err == nil {
			c.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	url := fmt.Sprintf("sentinel://saoyue@127.0.0.1:%d/%s", sport, db)
	taskType := fmt.Sprintf("test:sentinel-%d", time.Now().UnixNano())
	got := make(chan string, 1)
	mux := asynq.NewServeMux()
	mux.HandleFunc(taskType, func(ctx context.Context, task *asynq.Task) error { got <- string(task.Payload()); return nil })
	srv := queue.NewServer(url, 2, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	q := queue.NewRedis(url)
	defer q.Close()
	if err := q.Ping(context.Background()); err != nil {
		t.Fatalf("ping through the sentinel: %v", err)
	}
	if err := q.Enqueue(context.Background(), asynq.NewTask(taskType, []byte("via sentinel"))); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "via sentinel" {
			t.Errorf("got %q", p)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the task sent through the sentinel never ran")
	}
}

// TestRedisEnqueueAgain: a task whose id is kept after it completed is
// not run again by Enqueue, but is by EnqueueAgain (the sweep's way for a
// page whose reading was lost).
func TestRedisEnqueueAgain(t *testing.T) {
	t.Parallel()
	addr := queuetest.DB(t)
	const taskType = "test:again"
	got := make(chan string, 4)
	mux := asynq.NewServeMux()
	mux.HandleFunc(taskType, func(ctx context.Context, task *asynq.Task) error {
		got <- string(task.Payload())
		return nil
	})
	srv := queue.NewServer(addr, 2, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := srv.Start(mux); err != nil {
		t.Fatalf("start asynq server: %v", err)
	}
	defer srv.Shutdown()
	q := queue.NewRedis(addr)
	defer q.Close()
	ctx := context.Background()
	opts := []asynq.Option{asynq.TaskID(taskType + "-1"), asynq.Retention(10 * time.Minute)}
	ran := func(want bool, what string) {
		t.Helper()
		select {
		case <-got:
			if !want {
				t.Fatalf("%s: the task ran", what)
			}
		case <-time.After(3 * time.Second):
			if want {
				t.Fatalf("%s: the task did not run", what)
			}
		}
	}
	if err := q.Enqueue(ctx, asynq.NewTask(taskType, []byte("1")), opts...); err != nil {
		t.Fatal(err)
	}
	ran(true, "first enqueue")
	time.Sleep(200 * time.Millisecond) // the server marks it completed after the handler returns
	if err := q.Enqueue(ctx, asynq.NewTask(taskType, []byte("2")), opts...); err != nil {
		t.Fatal(err)
	}
	ran(false, "enqueue within the retention")
	if err := q.EnqueueAgain(ctx, asynq.NewTask(taskType, []byte("3")), opts...); err != nil {
		t.Fatal(err)
	}
	ran(true, "enqueue again within the retention")
}
