package main

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/queue"
)

// TestClusterSurvivesADatabaseFailover gives scripts/cluster.sh's cluster
// a PostgreSQL primary and a synchronous streaming standby, reached by the
// multi-host URL of docs/DEPLOYMENT.md. A bag is scanned while the
// queue is paused; once the workers have read three of its pages the primary is killed and the standby promoted, as an operator
// does when the primary's host dies. The workers reconnect to the new
// primary by themselves and the bag finishes whole: every page read once,
// no exception doubled, every image as stored. A reading whose commit
// did not reach the standby (readings commit without waiting, see
// store/read_results.go) leaves its page waiting, and the sweep reads it
// again.
func TestClusterSurvivesADatabaseFailover(t *testing.T) {
	t.Parallel()
	c := startCluster(t, "SAOYUE_CLUSTER_PG_PAIR=1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, cfg, d := clusterExam(ctx, t, c)
	var firstPage int64
	a.db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM pages`).Scan(&firstPage)
	// The bag waits in the queue, paused, until it is whole.
	in := asynq.NewInspector(queue.RedisConn(cfg.RedisAddr))
	defer in.Close()
	if err := in.PauseQueue("default"); err != nil {
		t.Fatal(err)
	}
	if err := d.scan(ctx); err != nil {
		t.Fatalf("the bag: %v", err)
	}
	var pages int
	a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages WHERE id >= $1`, firstPage).Scan(&pages)
	if err := in.UnpauseQueue("default"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	readAtFault := 0
	for readAtFault < 3 && time.Now().Before(deadline) {
		a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM read_results WHERE page_id >= $1`, firstPage).Scan(&readAtFault)
		time.Sleep(10 * time.Millisecond)
	}
	if out, err := c.script("failover"); err != nil {
		t.Fatalf("failover: %v\n%s", err, out)
	}
	waitPagesRead(t, a, cfg, firstPage, 5*time.Minute)
	t.Logf("%d pages; the primary killed and the standby promoted after %d were read", pages, readAtFault)
	if readAtFault >= pages {
		t.Errorf("the failover came after the bag was read (%d of %d)", readAtFault, pages)
	}
	var standby bool
	if err := a.db.Pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil || standby {
		t.Errorf("after the failover the URL reaches a server in recovery %v: %v", standby, err)
	}
	checkBagWhole(t, a, firstPage, pages)
}

// waitPagesRead waits until no page of the bag waits and no task is
// pending or running. A card's scoring that failed while the database
// changed hands may still wait for its retry (asynq's backoff grows to
// minutes); the pages are what a failover could lose.
func waitPagesRead(t *testing.T, a *app, cfg *Config, firstPage int64, limit time.Duration) {
	t.Helper()
	in := asynq.NewInspector(queue.RedisConn(cfg.RedisAddr))
	defer in.Close()
	for deadline := time.Now().Add(limit); ; time.Sleep(200 * time.Millisecond) {
		var waiting int
		a.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pages WHERE id >= $1 AND status = 'received'`, firstPage).Scan(&waiting)
		info, err := in.GetQueueInfo("default")
		if waiting == 0 && err == nil && info.Pending+info.Active == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bag not read after %v: %d pages waiting, queue %+v", limit, waiting, info)
		}
	}
}
