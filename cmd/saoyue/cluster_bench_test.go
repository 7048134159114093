package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/roster"
	"github.com/saoyue/saoyue/store"
)

// benchExam is the county-scale benchmark's exam: its roster is the same
// at every run, so its exam numbers, and the cached scans drawn for them,
// are too.
const benchExam = "71"

// TestClusterThroughput is the county-scale benchmark (BENCHMARKS.md,
// "Cluster throughput"): scripts/cluster.sh's cluster reads a bag of
// SAOYUE_CLUSTER_BENCH_PAGES pages (typical level, math-a4, two sides a
// card) with one `saoyue worker` process and then, on a fresh cluster,
// with two. The pages are uploaded with the queue paused, so the clock
// runs from the moment the workers may take them until the queue is idle
// and every page is read. Besides wall time it measures the CPU time the
// worker processes spent (from /proc), and that of MinIO and PostgreSQL:
// the machine is shared, so pages per CPU-hour is the figure that holds.
//
// It does not run in `make test`: it takes minutes. Generated scans are
// cached in SAOYUE_CLUSTER_BENCH_CACHE (default var/bench/cluster).
func TestClusterThroughput(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SAOYUE_CLUSTER_BENCH_PAGES"))
	if n <= 0 {
		t.Skip("the county-scale benchmark runs with SAOYUE_CLUSTER_BENCH_PAGES=N (BENCHMARKS.md)")
	}
	cacheDir := os.Getenv("SAOYUE_CLUSTER_BENCH_CACHE")
	if cacheDir == "" {
		cacheDir = "../../var/bench/cluster"
	}
	for _, workers := range []int{1, 2} {
		// Each run in a subtest, whose end stops its cluster: a worker of
		// the first run left on the shared Redis database would take the
		// second run's tasks.
		var r benchResult
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) { r = runClusterBench(t, workers, n/2, cacheDir) })
		if t.Failed() {
			return
		}
		load, _ := os.ReadFile("/proc/loadavg")
		t.Logf("%d worker(s): %d pages in %.1f s wall = %.0f pages/h; workers' CPU %.1f s = %.0f pages per CPU-hour (%.1f ms a page); "+
			"MinIO %.1f ms, PostgreSQL %.1f ms of CPU a page; %d cores, load %s",
			workers, r.pages, r.wall.Seconds(), float64(r.pages)/r.wall.Hours(), r.workerCPU.Seconds(),
			float64(r.pages)/r.workerCPU.Hours(), perPage(r.workerCPU, r.pages), perPage(r.minioCPU, r.pages),
			perPage(r.pgCPU, r.pages), runtime.NumCPU(), strings.TrimSpace(string(load)))
	}
}

func perPage(d time.Duration, pages int) float64 {
	return float64(d.Microseconds()) / 1000 / float64(pages)
}

type benchResult struct {
	pages                      int
	wall                       time.Duration
	workerCPU, minioCPU, pgCPU time.Duration
}

// runClusterBench runs one bag of cards two-sided cards through a fresh
// cluster with the given number of worker processes.
func runClusterBench(t *testing.T, workers, cards int, cacheDir string) benchResult {
	c := startCluster(t)
	if workers == 1 {
		if err := c.stop("worker2"); err != nil {
			t.Fatal(err)
		}
	}
	e := c.env
	ctx := context.Background()
	cfg := &Config{DatabaseURL: e["SAOYUE_DATABASE_URL"], RedisAddr: e["SAOYUE_REDIS_ADDR"], S3Endpoint: e["SAOYUE_S3_ENDPOINT"],
		S3AccessKey: e["SAOYUE_S3_ACCESS_KEY"], S3SecretKey: e["SAOYUE_S3_SECRET_KEY"], S3Bucket: e["SAOYUE_S3_BUCKET"],
		DataDir: t.TempDir(), DBMaxConns: 8}
	a, err := openApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tmpl, rooms, subject := benchExamSetup(t, a.db, cards)
	var cands []store.Candidate
	for _, r := range rooms {
		cands = append(cands, r.cands...)
	}
	scans := benchScans(t, tmpl, cands, cacheDir)

	in := asynq.NewInspector(queue.RedisOpt(cfg.RedisAddr))
	defer in.Close()
	if err := in.PauseQueue("default"); err != nil {
		t.Fatal(err)
	}
	ing := &queue.Ingester{DB: a.db, Blobs: a.blobs, Queue: a.queue}
	pages, k := 0, 0
	for _, r := range rooms {
		b := &store.Batch{ExamID: r.examID, SubjectID: subject, SchoolID: r.schoolID, RoomID: &r.id, ExpectedCards: len(r.cands), CreatedBy: "bench"}
		if err := store.CreateBatch(ctx, a.db.Pool, b); err != nil {
			t.Fatal(err)
		}
		for i := range r.cands {
			for s := range tmpl.Pages {
				res, err := ing.AddPage(ctx, b.ID, 2*i+s+1, fmt.Sprintf("%05d.jpg", 2*i+s+1), scans[k])
				if err != nil {
					t.Fatal(err)
				}
				if res.Duplicate { // a bag of repeats would read fewer pages than it counts
					t.Fatalf("scan %d is a repeat of page %d", k, res.PageID)
				}
				k++
				pages++
			}
		}
	}
	names := []string{"worker1", "worker2"}[:workers]
	w0, m0, p0 := c.cpu(t, names...), c.cpu(t, "minio"), postgresCPU(t)
	start := time.Now()
	if err := in.UnpauseQueue("default"); err != nil {
		t.Fatal(err)
	}
	waitBagRead(t, a, cfg, 1, 2*time.Hour)
	res := benchResult{pages: pages, wall: time.Since(start), workerCPU: c.cpu(t, names...) - w0,
		minioCPU: c.cpu(t, "minio") - m0, pgCPU: postgresCPU(t) - p0}
	var read int
	a.db.Pool.QueryRow(ctx, `SELECT count(*) FROM read_results`).Scan(&read)
	if read != pages {
		t.Errorf("%d readings for %d pages", read, pages)
	}
	return res
}

type benchRoom struct {
	id, examID, schoolID int64
	cands                []store.Candidate
}

// benchExamSetup creates the benchmark's exam: ten schools sharing cards
// students, rooms of 30, the math card and a key, at the scanning stage.
func benchExamSetup(t *testing.T, db *store.DB, cards int) (*card.Template, []benchRoom, int64) {
	ctx := context.Background()
	var r roster.Roster
	for s := 0; s < 10; s++ {
		code := fmt.Sprintf("%04d", 201+s)
		r.Schools = append(r.Schools, roster.School{Code: code, Name: fmt.Sprintf("第%d中心小学", s+1), CountyCode: "01", CountyName: "示例县"})
		for i := s; i < cards; i += 10 {
			r.Students = append(r.Students, roster.Student{SchoolCode: code, StudentNo: fmt.Sprintf("B%s%05d", code, i),
				Name: fmt.Sprintf("学生%d", i), Grade: "五年级", Class: fmt.Sprintf("五(%d)班", i%4+1)})
		}
	}
	subjects, _ := roster.ParseSubjects("math:数学:am:100")
	if _, err := roster.CreateExam(ctx, db, roster.ExamSpec{Code: benchExam, Name: "县级规模测试", Subjects: subjects, Capacity: 30}); err != nil {
		t.Fatal(err)
	}
	if _, err := roster.Import(ctx, db, &r, benchExam); err != nil {
		t.Fatal(err)
	}
	exam, err := store.GetExam(ctx, db.Pool, benchExam)
	if err != nil {
		t.Fatal(err)
	}
	subject := exam.Subjects[0]
	body, err := os.ReadFile(fixturePath(demoTemplate))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := card.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := grading.RegisterTemplate(ctx, db, subject.ID, body); err != nil {
		t.Fatal(err)
	}
	doc, _ := card.Layout(tmpl, 25.4)
	keyData, _ := os.ReadFile(fixturePath(demoKey))
	key, err := grading.ParseKey(filepath.Base(demoKey), keyData, doc.Items)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := grading.ImportKey(ctx, db, subject.ID, key, "bench", "benchmark key"); err != nil {
		t.Fatal(err)
	}
	if _, err := grading.AdvanceTo(ctx, db, benchExam, saoyue.StageScanning, "bench", "基准测试不打印标签"); err != nil {
		t.Fatal(err)
	}
	cands, err := store.ListCandidates(ctx, db.Pool, exam.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	byRoom := map[int64]int{}
	var rooms []benchRoom
	for _, c := range cands {
		i, ok := byRoom[c.RoomID]
		if !ok {
			i = len(rooms)
			byRoom[c.RoomID] = i
			rooms = append(rooms, benchRoom{id: c.RoomID, examID: exam.ID, schoolID: c.SchoolID})
		}
		rooms[i].cands = append(rooms[i].cands, c)
	}
	return tmpl, rooms, subject.ID
}

// benchScans returns the scans of every candidate's card in order (two
// sides each), drawn at the typical level or read from the cache, where
// they are named by card index, exam number and side: a back side carries
// no exam number, so the index (which draws it) must match too.
func benchScans(t *testing.T, tmpl *card.Template, cands []store.Candidate, dir string) [][]byte {
	dir = filepath.Join(dir, tmpl.ID+"-typical")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	g, err := fixtures.NewGenerator(tmpl, fixtures.Options{Level: "typical", Seed: 71,
		ExamNumbers: func(i int) string { return cands[i].ExamNo }})
	if err != nil {
		t.Fatal(err)
	}
	sides := len(tmpl.Pages)
	out := make([][]byte, len(cands)*sides)
	next := make(chan int)
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := benchCard(g, i, cands[i].ExamNo, sides, dir, out); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	start := time.Now()
	for i := range cands {
		select {
		case next <- i:
		case err := <-errs:
			t.Fatal(err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	t.Logf("%d scans ready in %v (cache %s)", len(out), time.Since(start).Round(time.Second), dir)
	return out
}

// benchCard fills out with card i's scans, from the cache or drawn.
func benchCard(g *fixtures.Generator, i int, examNo string, sides int, dir string, out [][]byte) error {
	path := func(s int) string { return filepath.Join(dir, fmt.Sprintf("%05d-%s-%d.jpg", i, examNo, s)) }
	cached := true
	for s := 0; s < sides && cached; s++ {
		b, err := os.ReadFile(path(s))
		cached = err == nil
		out[i*sides+s] = b
	}
	if cached {
		return nil
	}
	scans, err := g.Card(i)
	if err != nil {
		return err
	}
	if len(scans) != sides {
		return fmt.Errorf("card %d: %d scans, want %d", i, len(scans), sides)
	}
	for s, sc := range scans {
		out[i*sides+s] = sc.Image
		if err := os.WriteFile(path(s)+".part", sc.Image, 0o644); err != nil {
			return err
		}
		if err := os.Rename(path(s)+".part", path(s)); err != nil {
			return err
		}
	}
	return nil
}

// cpu is the CPU time (user and system, with waited-for children) the
// named processes of the cluster have used.
func (c *cluster) cpu(t *testing.T, names ...string) time.Duration {
	var sum time.Duration
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(c.dir, name+".pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		d, _, err := procCPU(pid)
		if err != nil {
			t.Fatalf("CPU time of %s: %v", name, err)
		}
		sum += d
	}
	return sum
}

// postgresCPU is the CPU time of the private PostgreSQL: its postmaster
// and every backend it runs.
func postgresCPU(t *testing.T) time.Duration {
	b, err := os.ReadFile("../../var/pg/data/postmaster.pid")
	if err != nil {
		t.Logf("PostgreSQL's CPU time not measured: %v", err)
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	master, _ := strconv.Atoi(strings.TrimSpace(first))
	sum, _, _ := procCPU(master)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if d, ppid, err := procCPU(pid); err == nil && ppid == master {
			sum += d
		}
	}
	return sum
}

// procCPU reads utime+stime+cutime+cstime and the parent of a process from
// /proc/PID/stat, in clock ticks of 1/100 s (Linux's USER_HZ).
func procCPU(pid int) (time.Duration, int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing parenthesis (field 3, the state).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ppid, _ := strconv.Atoi(f[1])
	var ticks int64
	for _, x := range f[11:15] { // fields 14-17: utime stime cutime cstime
		v, _ := strconv.ParseInt(x, 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, ppid, nil
}
