package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saoyue/saoyue/queue/queuetest"
	"github.com/saoyue/saoyue/store/storetest"
)

// scrape reads a /metrics page into series → value ("name{labels}" as
// the exposition writes it).
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad metrics line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// sum adds the series named name whose labels contain every one of want.
func sum(m map[string]float64, name string, want ...string) (float64, bool) {
	total, found := 0.0, false
	for k, v := range m {
		series, labels, _ := strings.Cut(k, "{")
		if series != name {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(labels, w)
		}
		if ok {
			total += v
			found = true
		}
	}
	return total, found
}

// TestMetricsMoveWhenABagIsRead runs serve on Redis, queues a bag of the
// demo exam's second school, and only then starts a worker: serve's
// /metrics shows the bag waiting in the queue, then read; the worker's
// /metrics counts the readings and their durations; HTTP latency is kept
// per route. asynqmon answers under /centre/queue to the centre alone.
func TestMetricsMoveWhenABagIsRead(t *testing.T) {
	t.Parallel()
	began := time.Now()
	_, dbURL := storetest.NewWithURL(t)
	dataDir := t.TempDir()
	out := &syncBuffer{}
	if err := demoCmd(out, "--no-serve", "--schools", "0305", "--database-url", dbURL, "--redis-addr", "",
		"--s3-endpoint", "", "--data-dir", dataDir).Execute(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	redisAddr := queuetest.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := &Config{DatabaseURL: dbURL, RedisAddr: redisAddr, DataDir: dataDir, HTTPAddr: "127.0.0.1:0", DBMaxConns: 8}
	a, err := openApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	urls := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- a.serve(ctx, cfg, func(u string) { urls <- u }) }()
	base := <-urls
	before := scrape(t, base+"metrics")
	t.Logf("demo done after %s", time.Since(began).Round(time.Second))

	pages := scanSecondBag(t, ctx, a, cfg)
	queued := scrape(t, base+"metrics")
	t.Logf("%d pages queued after %s", pages, time.Since(began).Round(time.Second))
	if n, _ := sum(queued, "saoyue_queue_depth", `queue="default"`, `state="pending"`); n < float64(pages)/2 {
		t.Errorf("saoyue_queue_depth pending = %g with %d pages queued and no worker", n, pages)
	}
	if d := delta(before, queued, "saoyue_pages_received_total"); d < float64(pages) {
		t.Errorf("saoyue_pages_received_total moved by %g for %d pages", d, pages)
	}

	health := freeAddr(t)
	worker := newRootCmd()
	worker.SetArgs([]string{"worker", "--database-url", dbURL, "--redis-addr", redisAddr, "--s3-endpoint", "",
		"--data-dir", dataDir, "--health-addr", health})
	worker.SetOut(io.Discard)
	workerDone := make(chan error, 1)
	go func() { workerDone <- worker.ExecuteContext(ctx) }()
	deadline := time.Now().Add(3 * time.Minute)
	var after map[string]float64
	for {
		after = scrape(t, base+"metrics")
		received, _ := sum(after, "saoyue_pages", `status="received"`)
		pending, _ := sum(after, "saoyue_queue_depth", `state="pending"`)
		active, _ := sum(after, "saoyue_queue_depth", `state="active"`)
		if received == 0 && pending+active == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bag not read in 3 minutes: %g pages received, %g tasks pending", received, pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("bag read after %s", time.Since(began).Round(time.Second))
	w := scrape(t, "http://"+health+"/metrics")
	for _, name := range []string{"saoyue_pages_read_total", "saoyue_page_read_duration_seconds_count"} {
		if d := delta(before, w, name); d < float64(pages) {
			t.Errorf("worker's %s moved by %g for %d pages", name, d, pages)
		}
	}
	if d := delta(before, w, "saoyue_tasks_total"); d < float64(pages) {
		t.Errorf("worker's saoyue_tasks_total moved by %g for %d pages", d, pages)
	}
	checkStateSeries(t, before, after)
	checkQueueDashboard(t, base)
	cancel()
	<-served
	<-workerDone
}

func delta(before, after map[string]float64, name string, labels ...string) float64 {
	b, _ := sum(before, name, labels...)
	a, _ := sum(after, name, labels...)
	return a - b
}

// checkStateSeries: the database's figures are there and moved with the
// bag; HTTP latency is kept under the route's pattern.
func checkStateSeries(t *testing.T, before, after map[string]float64) {
	t.Helper()
	if d := delta(before, after, "saoyue_pages", `status="read"`); d <= 0 {
		t.Errorf("saoyue_pages{status=read} did not move: %g", d)
	}
	if _, ok := sum(after, "saoyue_exceptions_open", `school="0305"`); !ok {
		t.Error("no saoyue_exceptions_open series for school 0305, whose bag the demo left exceptions in")
	}
	if n, _ := sum(after, "saoyue_marks_total", `exam="90"`); n < 2 {
		t.Errorf("saoyue_marks_total of exam 90 = %g, the demo marked 2", n)
	}
	if _, ok := sum(after, "saoyue_marking_leases_expired"); !ok {
		t.Error("no saoyue_marking_leases_expired")
	}
	if n, _ := sum(after, "saoyue_http_request_duration_seconds_count", `route="GET /metrics"`, `code="200"`); n < 2 {
		t.Errorf("HTTP latency of route GET /metrics counted %g times", n)
	}
}

// checkQueueDashboard: asynqmon is served to the centre, and to nobody else.
func checkQueueDashboard(t *testing.T, base string) {
	t.Helper()
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := anon.Get(base + "centre/queue/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Errorf("asynqmon answers 200 to a visitor not signed in")
	}
	get(t, signIn(t, base, "teacher"), base+"centre/queue/", http.StatusForbidden)
	centre := signIn(t, base, "centre")
	page := get(t, centre, base+"centre/queue/", http.StatusOK)
	if !strings.Contains(string(page), "asynqmon") && !strings.Contains(string(page), "Asynq") {
		t.Errorf("the centre's /centre/queue/ is not asynqmon:\n%.400s", page)
	}
	get(t, centre, base+"centre/queue/api/queues", http.StatusOK)
}

// scanSecondBag queues the demo's bag of school 0101 on the Redis queue
// (nothing reads it yet) and returns its page count.
func scanSecondBag(t *testing.T, ctx context.Context, a *app, cfg *Config) int {
	t.Helper()
	d := &demo{a: a, cfg: cfg, db: a.db, out: io.Discard, schools: []string{"0101"}, level: "clean"}
	for _, step := range []func(context.Context) error{d.createExam, d.importRosters, d.templatesAndKeys, d.scan} {
		if err := step(ctx); err != nil {
			t.Fatalf("second bag: %v", err)
		}
	}
	var n int
	if err := a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages WHERE status = 'received'`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("second bag left %d pages waiting (%v)", n, err)
	}
	return n
}
