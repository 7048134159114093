package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/blob/blobtest"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/queuetest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
	"github.com/saoyue/saoyue/web/webtest"
)

// The harness runs the product as a county does: the real binaries as
// processes on real PostgreSQL (a schema of its own), Redis (a database of
// its own, emptied) and MinIO (a fresh bucket). The test reads the
// database only to wait and to assert; every change goes through a
// command or a page.

func TestMain(m *testing.M) {
	code := m.Run()
	webtest.Close()
	os.Exit(code)
}

var build struct {
	once sync.Once
	dir  string
	err  error
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatal("no go.mod above " + dir)
	return ""
}

// binaries builds saoyue and saoyue-scan once per test run (the go build
// cache makes a second run cheap) and returns their directory.
func binaries(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "saoyue-e2e-bin-")
		if build.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", build.dir+string(os.PathSeparator), "./cmd/saoyue", "./cmd/saoyue-scan")
		cmd.Dir = moduleRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.dir
}

// harness is one county: its services, its server and worker processes,
// and a scratch folder for the files people hand each other.
type harness struct {
	t         *testing.T
	bin       string
	dir       string   // scratch: roster files, bags, spools, exports
	env       []string // SAOYUE_* of this county
	db        *store.DB
	redisAddr string
	base      string // the server's URL, no trailing slash
	procs     []*proc
}

// proc is a long-running binary with its output kept for a failure.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newHarness sets up the services; start() runs serve and worker.
func newHarness(t *testing.T) *harness {
	t.Helper()
	s3 := blobtest.Config(t, blobtest.Bucket("e2e"))
	h := &harness{t: t, bin: binaries(t), dir: t.TempDir()}
	db, url := storetest.NewWithURL(t)
	h.db = db
	h.redisAddr = queuetest.DB(t)
	h.env = append(os.Environ(),
		"SAOYUE_DATABASE_URL="+url,
		"SAOYUE_REDIS_ADDR="+h.redisAddr,
		"SAOYUE_S3_ENDPOINT="+s3.Endpoint,
		"SAOYUE_S3_BUCKET="+s3.Bucket,
		"SAOYUE_DATA_DIR="+filepath.Join(h.dir, "data"),
		"HOME="+h.dir, // saoyue-scan's default spool lives under the user's config folder
	)
	t.Cleanup(h.stop)
	return h
}

// start runs `saoyue serve` on a free port and `saoyue worker`, and waits
// for the server to answer /healthz.
func (h *harness) start() {
	h.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h.base = "http://" + addr
	h.spawn("serve", "serve", "--http-addr", addr)
	h.spawn("worker", "worker", "--concurrency", "8")
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(h.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("saoyue serve did not answer on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (h *harness) spawn(name string, args ...string) {
	h.t.Helper()
	p := &proc{name: name, out: &syncBuffer{}}
	p.cmd = exec.Command(filepath.Join(h.bin, "saoyue"), args...)
	p.cmd.Env = h.env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		h.t.Fatalf("start saoyue %s: %v", name, err)
	}
	h.procs = append(h.procs, p)
}

// stop ends the processes it started (SIGTERM, then SIGKILL) and, when
// the test failed, prints what they logged.
func (h *harness) stop() {
	for _, p := range h.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if h.t.Failed() {
			h.t.Logf("---- saoyue %s log ----\n%s", p.name, tail(p.out.String(), 200))
		}
	}
	h.procs = nil
}

func tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// run runs a binary of the product and returns its stdout; stderr goes
// to the error. stdin may be empty.
func (h *harness) run(bin, stdin string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(h.bin, bin), args...)
	cmd.Env = h.env
	cmd.Dir = h.dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	go func() {
		<-ctx.Done()
		if cmd.Process != nil && ctx.Err() == context.DeadlineExceeded {
			_ = cmd.Process.Kill()
		}
	}()
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w\n%s%s", bin, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// saoyue runs a saoyue subcommand that must succeed.
func (h *harness) saoyue(args ...string) string {
	h.t.Helper()
	out, err := h.run("saoyue", "", args...)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// saoyueFails runs a saoyue subcommand that must be refused and returns
// what it said.
func (h *harness) saoyueFails(args ...string) string {
	h.t.Helper()
	out, err := h.run("saoyue", "", args...)
	if err == nil {
		h.t.Fatalf("saoyue %s was not refused:\n%s", strings.Join(args, " "), out)
	}
	return err.Error()
}

// scan runs saoyue-scan, which must succeed.
func (h *harness) scan(args ...string) string {
	h.t.Helper()
	out, err := h.run("saoyue-scan", "", args...)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// count runs a read-only counting query: the test watches, never writes.
func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// waitFor polls ok until it holds or the deadline passes.
func (h *harness) waitFor(what string, limit time.Duration, ok func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitIdle waits until the worker's queue has been empty for five polls
// in a row and no uploaded page is still unread.
func (h *harness) waitIdle(limit time.Duration) {
	h.t.Helper()
	in := asynq.NewInspector(queue.RedisOpt(h.redisAddr))
	defer in.Close()
	quiet := 0
	h.waitFor("the pipeline to be idle", limit, func() bool {
		info, err := in.GetQueueInfo("default")
		if errors.Is(err, asynq.ErrQueueNotFound) {
			err, info = nil, &asynq.QueueInfo{} // nothing was ever queued
		}
		busy := err != nil || info.Pending+info.Active+info.Scheduled+info.Retry > 0 ||
			h.count(`SELECT count(*) FROM pages WHERE status = 'received'`) > 0
		if busy {
			quiet = 0
			return false
		}
		quiet++
		return quiet >= 5
	})
}
