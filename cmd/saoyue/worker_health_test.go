package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saoyue/saoyue/queue/queuetest"
	"github.com/saoyue/saoyue/store/storetest"
)

// TestWorkerServesReadiness: with --health-addr the worker answers
// /healthz and /readyz like the web server: 200 while PostgreSQL, Redis
// and the blob store answer, 503 naming Redis once Redis is gone, while
// /healthz stays 200.
func TestWorkerServesReadiness(t *testing.T) {
	t.Parallel()
	redis, db, _ := strings.Cut(queuetest.DB(t), "/")
	_, dbURL := storetest.NewWithURL(t)
	cut := tcpProxy(t, redis)
	addr := freeAddr(t)
	cfg := &Config{DatabaseURL: dbURL, RedisAddr: cut.addr + "/" + db, DataDir: t.TempDir(), ReadMemory: "1GiB", HealthAddr: addr}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := newWorkerCmd(cfg)
	cmd.SetContext(ctx)
	done := make(chan error, 1)
	go func() { done <- cmd.RunE(cmd, nil) }()
	t.Cleanup(func() { cancel(); <-done })

	get := func(path string) (int, map[string]string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var out map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, out := get("/readyz"); st == http.StatusOK {
			if out["redis"] != "ok" || out["database"] != "ok" || len(out) != 3 {
				t.Errorf("readyz: %v, want database, blobs and redis ok", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker's /readyz never answered 200")
		}
		time.Sleep(100 * time.Millisecond)
	}
	cut.close()
	if st, out := get("/readyz"); st != http.StatusServiceUnavailable || out["redis"] == "ok" || out["database"] != "ok" {
		t.Errorf("readyz with Redis gone: %d %v, want 503 naming redis", st, out)
	}
	if st, _ := get("/healthz"); st != http.StatusOK {
		t.Errorf("healthz with Redis gone: %d, want 200 (the process lives)", st)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proxyConn forwards TCP connections to a real service until closed.
type proxyConn struct {
	addr  string
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func tcpProxy(t *testing.T, target string) *proxyConn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxyConn{addr: ln.Addr().String(), ln: ln}
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

func (p *proxyConn) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}
