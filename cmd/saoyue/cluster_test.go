package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/queuetest"
	"github.com/saoyue/saoyue/store/storetest"
)

// clusterUp lets one cluster start at a time.
var clusterUp sync.Mutex

// cluster is a scripts/cluster.sh cluster of the test's own.
type cluster struct {
	dir    string
	env    map[string]string
	script func(arg string) ([]byte, error) // runs scripts/cluster.sh on it
}

// startCluster starts one on a Redis database leased from queuetest, so
// two clusters at once (the benchmark beside the test) and the other
// tests never share one. env adds settings of the script's, such as
// SAOYUE_CLUSTER_PG_PAIR=1.
func startCluster(t *testing.T, env ...string) *cluster {
	t.Helper()
	_, redisDB, _ := strings.Cut(queuetest.DB(t), "/")
	var b [4]byte
	rand.Read(b[:])
	c := &cluster{dir: t.TempDir(), env: map[string]string{}}
	dbName := "cluster_" + hex.EncodeToString(b[:])
	script := func(arg string) ([]byte, error) {
		cmd := exec.Command("../../scripts/cluster.sh", arg)
		cmd.Env = append(os.Environ(), "SAOYUE_CLUSTER_DIR="+c.dir, "SAOYUE_CLUSTER_DB="+dbName, "SAOYUE_CLUSTER_REDIS_DB="+redisDB)
		cmd.Env = append(cmd.Env, env...)
		return cmd.CombinedOutput()
	}
	c.script = script
	t.Cleanup(func() {
		if out, err := script("down"); err != nil {
			t.Errorf("cluster down: %v\n%s", err, out)
		}
		conn, err := pgx.Connect(context.Background(), storetest.URL(t))
		if err == nil {
			conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)")
			conn.Close(context.Background())
		}
	})
	clusterUp.Lock() // the script picks free ports: two at once could pick the same
	out, err := script("up")
	clusterUp.Unlock()
	if err != nil {
		t.Fatalf("cluster up: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			c.env[k] = strings.Trim(v, "'")
		}
	}
	return c
}

// kill sends SIGKILL to one of the cluster's processes.
func (c *cluster) kill(name string) error {
	b, err := os.ReadFile(filepath.Join(c.dir, name+".pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	return syscall.Kill(pid, syscall.SIGKILL)
}

// TestClusterLosesAWorkerAndADrive runs a bag through scripts/cluster.sh's
// cluster (two workers, MinIO on four drives) and, once its reading is
// under way, kills one worker with SIGKILL and deletes one MinIO drive.
// The bag finishes: every page read once, its image and crops readable
// from the three drives left, no exception doubled.
func TestClusterLosesAWorkerAndADrive(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	e := c.env
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, cfg, d := clusterExam(ctx, t, c)
	var firstPage int64
	a.db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) + 1 FROM pages`).Scan(&firstPage)

	// The faults come once the cluster has read three pages of the bag.
	faults := make(chan int, 1)
	faultErr := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			var n int
			a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM read_results WHERE page_id >= $1`, firstPage).Scan(&n)
			if n >= 3 {
				faultErr <- errors.Join(c.kill("worker1"), removeDrive(strings.Fields(e["SAOYUE_CLUSTER_MINIO_DRIVES"])[3]))
				faults <- n
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	if err := d.scan(ctx); err != nil {
		t.Fatalf("the bag: %v", err)
	}
	var pages int
	a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages WHERE id >= $1`, firstPage).Scan(&pages)
	readAtFault := <-faults
	if err := <-faultErr; err != nil {
		t.Fatalf("kill worker 1, remove drive 4: %v", err)
	}
	waitBagRead(t, a, cfg, firstPage, 4*time.Minute)
	t.Logf("%d pages; worker 1 killed and drive 4 removed after %d were read", pages, readAtFault)
	if readAtFault >= pages {
		t.Errorf("the faults came after the bag was read (%d of %d)", readAtFault, pages)
	}
	checkBagWhole(t, a, firstPage, pages)
	resp, err := http.Get("http://" + e["SAOYUE_S3_ENDPOINT"] + "/minio/health/cluster")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("MinIO with a drive gone is not healthy: %v %v", err, resp)
	}
}

// clusterExam opens the test's own connection to a cluster and sets up
// the demo exam on it, at the scanning stage: the bag is the test, not
// the labels printed before it.
func clusterExam(ctx context.Context, t *testing.T, c *cluster) (*app, *Config, *demo) {
	t.Helper()
	e := c.env
	cfg := &Config{DatabaseURL: e["SAOYUE_DATABASE_URL"], RedisAddr: e["SAOYUE_REDIS_ADDR"], S3Endpoint: e["SAOYUE_S3_ENDPOINT"],
		S3AccessKey: e["SAOYUE_S3_ACCESS_KEY"], S3SecretKey: e["SAOYUE_S3_SECRET_KEY"], S3Bucket: e["SAOYUE_S3_BUCKET"], DataDir: t.TempDir(), DBMaxConns: 8}
	a, err := openApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	d := &demo{a: a, cfg: cfg, db: a.db, out: io.Discard, schools: []string{"0101"}, level: "clean"}
	toScanning := func(ctx context.Context) error {
		_, err := grading.AdvanceTo(ctx, a.db, demoExam, saoyue.StageScanning, demoActor, "集群测试不打印标签")
		return err
	}
	for _, step := range []func(context.Context) error{d.createExam, d.importRosters, d.templatesAndKeys, toScanning} {
		if err := step(ctx); err != nil {
			t.Fatalf("the exam on the cluster: %v", err)
		}
	}
	return a, cfg, d
}

// waitBagRead waits until no page of the bag waits and the queue is idle.
func waitBagRead(t *testing.T, a *app, cfg *Config, firstPage int64, limit time.Duration) {
	t.Helper()
	in := asynq.NewInspector(queue.RedisOpt(cfg.RedisAddr))
	defer in.Close()
	deadline := time.Now().Add(limit)
	for {
		var waiting int
		a.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pages WHERE id >= $1 AND status = 'received'`, firstPage).Scan(&waiting)
		info, err := in.GetQueueInfo("default")
		if waiting == 0 && err == nil && info.Pending+info.Active+info.Retry == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bag not read after %v: %d pages waiting, queue %+v", limit, waiting, info)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkBagWhole: every page has one reading, its image and crops are
// readable and its image is the one stored, and no exception is doubled.
func checkBagWhole(t *testing.T, a *app, firstPage int64, pages int) {
	t.Helper()
	ctx := context.Background()
	var read, doubled int
	a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM read_results WHERE page_id >= $1`, firstPage).Scan(&read)
	if read != pages {
		t.Errorf("%d readings for %d pages", read, pages)
	}
	a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM exceptions WHERE page_id >= $1
		GROUP BY page_id, kind, item_no HAVING count(*) > 1) d`, firstPage).Scan(&doubled)
	if doubled > 0 {
		t.Errorf("%d exceptions recorded twice", doubled)
	}
	rows, _ := a.db.Pool.Query(ctx, `SELECT blob_key, image_sha256 FROM pages WHERE id >= $1
		UNION ALL SELECT DISTINCT blob_key, '' FROM crops WHERE page_id >= $1`, firstPage)
	type ref struct{ key, sum string }
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ref, error) {
		var x ref
		return x, r.Scan(&x.key, &x.sum)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		b, err := blob.ReadAll(ctx, a.blobs, r.key)
		if err != nil {
			t.Errorf("blob %s unreadable with a drive gone: %v", r.key, err)
			continue
		}
		if r.sum != "" && blob.SHA256(b) != r.sum {
			t.Errorf("page image %s is not the image stored", r.key)
		}
	}
}

// removeDrive takes a MinIO drive away at once: renamed out of its place
// (MinIO may still be writing into it, so removing the tree in place can
// race), then deleted.
func removeDrive(dir string) error {
	gone := dir + ".removed"
	if err := os.Rename(dir, gone); err != nil {
		return err
	}
	go os.RemoveAll(gone)
	return nil
}

// stop ends one of the cluster's processes with SIGTERM and waits for it:
// the way an operator takes a worker out.
func (c *cluster) stop(name string) error {
	b, err := os.ReadFile(filepath.Join(c.dir, name+".pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return err
	}
	for i := 0; i < 300; i++ {
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s (pid %d) did not stop within 30 s", name, pid)
}
