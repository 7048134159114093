// Package queuetest connects tests to the real Redis started by
// scripts/services.sh, as storetest does for PostgreSQL and blobtest for
// MinIO: one place that knows the environment, skips under -short, says
// how to get a server, and gives each test a Redis database of its own so
// parallel tests (in one package or across packages) never run each
// other's tasks.
package queuetest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// leasable are the databases handed out, one test at a time; every test
// that needs Redis, including those that hand a database to a script or a
// child process, takes its database from DB, so no two tests share one.
// Database 0 holds the leases and is the developer's (scripts/services.sh
// env); database 15 is scripts/cluster.sh's when a person runs it by hand.
var leasable = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}

// leaseTTL bounds a lease a crashed test never returns.
const leaseTTL = 30 * time.Minute

// Addr returns the test Redis's "host:port". Under -short it skips the
// test; without a server it fails with how to start one.
func Addr(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: needs Redis")
	}
	addr := os.Getenv("SAOYUE_REDIS_ADDR")
	if addr == "" {
		t.Fatal("SAOYUE_REDIS_ADDR is not set: run `make test`, or `eval \"$(scripts/services.sh env)\"` first")
	}
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		addr = addr[:i]
	}
	return addr
}

// DB leases an empty Redis database for the test and returns its address
// as SAOYUE_REDIS_ADDR spells it ("host:port/N"). The database is emptied
// and given back when the test ends. If every database is taken, it waits
// for one.
func DB(t testing.TB) string {
	t.Helper()
	addr := Addr(t)
	ctx := context.Background()
	leases := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { leases.Close() })
	owner := fmt.Sprintf("%s pid %d", t.Name(), os.Getpid())
	deadline := time.Now().Add(5 * time.Minute)
	for {
		for _, n := range leasable {
			key := fmt.Sprintf("saoyue:test:redis-db:%d", n)
			ok, err := leases.SetNX(ctx, key, owner, leaseTTL).Result()
			if err != nil {
				t.Fatalf("lease a Redis database at %s: %v", addr, err)
			}
			if !ok {
				continue
			}
			flush(t, addr, n)
			t.Cleanup(func() {
				flush(t, addr, n)
				leases.Del(context.Background(), key)
			})
			return fmt.Sprintf("%s/%d", addr, n)
		}
		if time.Now().After(deadline) {
			t.Fatalf("every test Redis database is leased (keys saoyue:test:redis-db:* in database 0)")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func flush(t testing.TB, addr string, n int) {
	c := redis.NewClient(&redis.Options{Addr: addr, DB: n})
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Errorf("empty Redis database %d: %v", n, err)
	}
}
