package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/saoyue/saoyue/blob/blobtest"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/queuetest"
	"github.com/saoyue/saoyue/store/storetest"
)

// proxy forwards TCP connections to target until closed: a way to take a
// real service away from the code under test.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestReadyzSeesEveryDependency: /readyz answers 200 while PostgreSQL,
// Redis and MinIO answer, and 503 naming MinIO once it is gone and Redis
// when it is unreachable; /healthz stays 200 (the process lives).
func TestReadyzSeesEveryDependency(t *testing.T) {
	t.Parallel()
	c := blobtest.Config(t, "readyz")
	redisAddr := queuetest.DB(t)
	db := storetest.New(t)
	p := newProxy(t, c.Endpoint)
	c.Endpoint = p.ln.Addr().String()
	blobs := blobtest.Open(t, c)
	redis, deadRedis := queue.NewRedis(redisAddr), queue.NewRedis("127.0.0.1:1")
	defer redis.Close()
	defer deadRedis.Close()
	s := NewServer(db, blobs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Ready = []Check{DatabaseCheck(db), BlobCheck(blobs), {Name: "redis", Ping: redis.Ping}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, map[string]string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if st, m := get("/readyz"); st != 200 || m["database"] != "ok" || m["blobs"] != "ok" || m["redis"] != "ok" {
		t.Fatalf("all up: /readyz %d %v", st, m)
	}
	p.close()
	time.Sleep(50 * time.Millisecond)
	if st, m := get("/readyz"); st != 503 || m["blobs"] == "ok" || m["database"] != "ok" {
		t.Errorf("MinIO gone: /readyz %d %v, want 503 naming blobs", st, m)
	}
	if st, _ := get("/healthz"); st != 200 {
		t.Errorf("MinIO gone: /healthz %d, want 200 (liveness)", st)
	}
	s.Ready = []Check{DatabaseCheck(db), {Name: "redis", Ping: deadRedis.Ping}}
	if st, m := get("/readyz"); st != 503 || m["redis"] == "ok" {
		t.Errorf("Redis unreachable: /readyz %d %v, want 503 naming redis", st, m)
	}
}
