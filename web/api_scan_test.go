package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/blob/blobtest"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/scanner"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
	"github.com/saoyue/saoyue/web"
)

// recordingQueue counts what the ingester enqueues; the reader is not
// what these tests are about.
type recordingQueue struct {
	mu    sync.Mutex
	tasks []string
}

func (q *recordingQueue) Enqueue(ctx context.Context, task *asynq.Task, opts ...asynq.Option) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, task.Type())
	return nil
}
func (q *recordingQueue) Close() error { return nil }
func (q *recordingQueue) count() int   { q.mu.Lock(); defer q.mu.Unlock(); return len(q.tasks) }

type scanEnv struct {
	db       *store.DB
	blobs    blob.Store
	q        *recordingQueue
	srv      *httptest.Server
	token    string // school 0101's
	other    string // school 0102's
	examCode string
}

func minioStore(t *testing.T) blob.Store {
	t.Helper()
	return blobtest.Shared(t)
}

// newScanEnv sets up exam 21 (math) with schools 0101 and 0102, one room
// each, a technician token for each, and the server on real PostgreSQL
// and MinIO.
func newScanEnv(t *testing.T) *scanEnv {
	t.Helper()
	ctx := context.Background()
	db := storetest.New(t)
	county, err := store.UpsertCounty(ctx, db.Pool, "01", "示例县")
	if err != nil {
		t.Fatal(err)
	}
	e := &store.Exam{Code: "21", Name: "2026年秋季五年级监测", RoomCapacity: 30, Subjects: []store.Subject{{Code: "math", Name: "数学", Session: "am", FullScore: 100}}}
	if err := db.CreateExam(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"0101", "0102"} {
		school, err := store.UpsertSchool(ctx, db.Pool, county, code, "学校"+code)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.UpsertRooms(ctx, db.Pool, e.ID, school, []int{30, 30, 30}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := grading.AdvanceTo(ctx, db, "21", saoyue.StageScanning, "测试", "测试不打印标签"); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateScanToken(ctx, db.Pool, "0101", "一中扫描站")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := store.CreateScanToken(ctx, db.Pool, "0102", "二中扫描站")
	if err != nil {
		t.Fatal(err)
	}
	env := &scanEnv{db: db, blobs: minioStore(t), q: &recordingQueue{}, token: token, other: other, examCode: "21"}
	s := web.NewServer(db, env.blobs, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	s.Ingester = &queue.Ingester{DB: db, Blobs: env.blobs, Queue: env.q}
	env.srv = httptest.NewServer(s.Handler())
	t.Cleanup(env.srv.Close)
	return env
}

// scanPNG is a unique page image: noise as on a real scan.
func scanPNG(t testing.TB, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	g := image.NewGray(image.Rect(0, 0, 200, 300))
	for i := range g.Pix {
		g.Pix[i] = byte(180 + r.IntN(76))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (e *scanEnv) do(t *testing.T, method, path, token string, body []byte, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (e *scanEnv) openBatch(t *testing.T, token, school string, room int) (int, map[string]any) {
	body, _ := json.Marshal(map[string]any{"exam": "21", "subject": "math", "school": school, "room": room, "expected": 30})
	return e.do(t, "POST", "/api/v1/batches", token, body, map[string]string{"Content-Type": "application/json"})
}

func (e *scanEnv) pageCount(t *testing.T, sha string) int {
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pages WHERE image_sha256 = $1`, sha).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestScanAPITokensAndSchools(t *testing.T) {
	t.Parallel()
	e := newScanEnv(t)
	if code, _ := e.openBatch(t, "", "0101", 1); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
	if code, _ := e.openBatch(t, "sy_forged-token", "0101", 1); code != http.StatusUnauthorized {
		t.Errorf("forged token: %d, want 401", code)
	}
	if code, out := e.openBatch(t, e.other, "0101", 1); code != http.StatusForbidden {
		t.Errorf("other school's token: %d %v, want 403", code, out)
	}
	code, out := e.openBatch(t, e.token, "0101", 1)
	if code != http.StatusCreated {
		t.Fatalf("open batch: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	if out["school"] != "0101" || out["room"] != float64(1) || out["expected"] != float64(30) || out["status"] != "open" {
		t.Errorf("batch answer %v", out)
	}
	// The same bag again continues the batch.
	if code, again := e.openBatch(t, e.token, "0101", 1); code != http.StatusOK || int64(again["id"].(float64)) != id {
		t.Errorf("reopening the bag: %d %v, want 200 and batch %d", code, again, id)
	}
	if code, out := e.openBatch(t, e.token, "0101", 9); code != http.StatusBadRequest {
		t.Errorf("unknown room: %d %v, want 400", code, out)
	}
	path := "/api/v1/batches/" + strconv.FormatInt(id, 10)
	if code, _ := e.do(t, "GET", path, e.other, nil, nil); code != http.StatusForbidden {
		t.Errorf("other school reading the batch: %d, want 403", code)
	}
	data := scanPNG(t, 1)
	sha := scanner.SHA256(data)
	up := map[string]string{"X-Saoyue-SHA256": sha, "X-Saoyue-Seq": "1", "X-Saoyue-Name": "p0001.png"}
	if code, _ := e.do(t, "POST", path+"/pages", e.other, data, up); code != http.StatusForbidden {
		t.Errorf("other school uploading into the batch: %d, want 403", code)
	}
	// Revoked tokens stop working.
	tokens, _ := store.ScanTokens(context.Background(), e.db.Pool)
	for _, tk := range tokens {
		if tk.SchoolCode == "0102" {
			if err := store.RevokeScanToken(context.Background(), e.db.Pool, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if code, _ := e.openBatch(t, e.other, "0102", 1); code != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", code)
	}
	if e.pageCount(t, sha) != 0 {
		t.Error("a refused upload recorded a page")
	}
}

func TestScanAPIUploadOnceAndRefuseTruncated(t *testing.T) {
	t.Parallel()
	e := newScanEnv(t)
	ctx := context.Background()
	_, out := e.openBatch(t, e.token, "0101", 2)
	path := fmt.Sprintf("/api/v1/batches/%d", int64(out["id"].(float64)))
	data := scanPNG(t, 2)
	sha := scanner.SHA256(data)
	key := blob.PageKey(sha, ".png")

	// Truncated body with the whole image's hash: refused, nothing kept.
	code, res := e.do(t, "POST", path+"/pages", e.token, data[:len(data)/2],
		map[string]string{"X-Saoyue-SHA256": sha, "X-Saoyue-Seq": "1", "X-Saoyue-Name": "p0001.png"})
	if code != http.StatusBadRequest {
		t.Fatalf("truncated upload: %d %v, want 400", code, res)
	}
	if e.pageCount(t, sha) != 0 || e.q.count() != 0 {
		t.Fatal("truncated upload recorded a page or queued a read")
	}
	if _, err := e.blobs.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("truncated upload stored a blob: %v", err)
	}
	// Not an image, or no hash: refused.
	junk := []byte("hello")
	if code, _ := e.do(t, "POST", path+"/pages", e.token, junk, map[string]string{"X-Saoyue-SHA256": scanner.SHA256(junk), "X-Saoyue-Seq": "1"}); code != http.StatusBadRequest {
		t.Errorf("non-image upload: %d, want 400", code)
	}
	if code, _ := e.do(t, "POST", path+"/pages", e.token, data, map[string]string{"X-Saoyue-Seq": "1"}); code != http.StatusBadRequest {
		t.Errorf("upload without hash: %d, want 400", code)
	}

	// The same image twice: one page, one blob, one read queued.
	hdr := map[string]string{"X-Saoyue-SHA256": sha, "X-Saoyue-Seq": "1", "X-Saoyue-Name": "%E4%B8%80%E7%8F%AD-p0001.png"}
	code, first := e.do(t, "POST", path+"/pages", e.token, data, hdr)
	if code != http.StatusCreated || first["duplicate"] != false {
		t.Fatalf("upload: %d %v", code, first)
	}
	code, second := e.do(t, "POST", path+"/pages", e.token, data, hdr)
	if code != http.StatusOK || second["duplicate"] != true || second["page_id"] != first["page_id"] {
		t.Fatalf("second upload: %d %v, want 200 duplicate of %v", code, second, first["page_id"])
	}
	if n := e.pageCount(t, sha); n != 1 {
		t.Errorf("%d pages for one image", n)
	}
	if size, err := e.blobs.Stat(ctx, key); err != nil || size != int64(len(data)) {
		t.Errorf("blob %s: %d bytes, %v", key, size, err)
	}
	// The second upload queues the read again while the page is still
	// 'received' (the reader may have lost it); asynq's unique task id
	// makes that one read.
	if n := e.q.count(); n < 1 || n > 2 {
		t.Errorf("%d reads queued, want 1 or 2", n)
	}
	p, _ := store.PageBySHA256(ctx, e.db.Pool, sha)
	if p.SourceName != "一班-p0001.png" || p.Seq != 1 {
		t.Errorf("page recorded as %q seq %d", p.SourceName, p.Seq)
	}
	// Resume lookup: own school sees it, another school does not.
	if code, out := e.do(t, "GET", "/api/v1/pages/"+sha, e.token, nil, nil); code != http.StatusOK || out["page_id"] != first["page_id"] {
		t.Errorf("page lookup: %d %v", code, out)
	}
	if code, _ := e.do(t, "HEAD", "/api/v1/pages/"+sha, e.token, nil, nil); code != http.StatusOK {
		t.Errorf("HEAD page: %d", code)
	}
	if code, _ := e.do(t, "GET", "/api/v1/pages/"+sha, e.other, nil, nil); code != http.StatusNotFound {
		t.Errorf("other school's page lookup: %d, want 404", code)
	}
	if code, out := e.do(t, "GET", path, e.token, nil, nil); code != http.StatusOK || out["pages"] != float64(1) {
		t.Errorf("batch after upload: %d %v", code, out)
	}
	// The same image into another school's bag: refused like any other
	// school's page, without its id or the word duplicate.
	_, ob := e.openBatch(t, e.other, "0102", 1)
	code, res = e.do(t, "POST", fmt.Sprintf("/api/v1/batches/%d/pages", int64(ob["id"].(float64))), e.other, data, hdr)
	if code != http.StatusForbidden || res["page_id"] != nil || res["duplicate"] != nil {
		t.Errorf("another school uploads the same image: %d %v, want 403 without the page", code, res)
	}
}

// flaky passes requests to the server, or, while down, drops the
// connection without an answer, as a school's network does.
type flaky struct {
	next  http.Handler
	down  atomic.Bool
	drops atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		f.drops.Add(1)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	f.next.ServeHTTP(w, r)
}

// TestScanClientUploadsThroughTheAPIAndResumes runs the scan station's
// sender against the real server: the network is down when scanning
// starts, comes back, and every page arrives once, in scan order.
func TestScanClientUploadsThroughTheAPIAndResumes(t *testing.T) {
	t.Parallel()
	e := newScanEnv(t)
	proxy := &flaky{next: e.srv.Config.Handler}
	proxy.down.Store(true)
	ps := httptest.NewServer(proxy)
	defer ps.Close()

	sp, err := scanner.OpenSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	spec := scanner.BatchSpec{Exam: "21", Subject: "math", School: "0101", Room: 3, Expected: 2}
	if err := sp.SetMeta(scanner.SpoolMeta{Batch: spec, Target: ps.URL}); err != nil {
		t.Fatal(err)
	}
	var images [][]byte
	for n := 1; n <= 4; n++ {
		images = append(images, scanPNG(t, uint64(10+n)))
		if _, _, err := sp.Add(scanner.Image{Name: fmt.Sprintf("p%04d.png", n), Data: images[n-1]}); err != nil {
			t.Fatal(err)
		}
	}
	up := &scanner.HTTPUploader{Server: ps.URL, Token: e.token, Client: &http.Client{Timeout: 5 * time.Second}}
	done := make(chan struct{})
	close(done)
	go func() { time.Sleep(700 * time.Millisecond); proxy.down.Store(false) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := &scanner.Sender{Spool: sp, Uploader: up, MaxBackoff: 200 * time.Millisecond}
	if err := s.Run(ctx, done); err != nil {
		t.Fatalf("sender: %v", err)
	}
	if proxy.drops.Load() == 0 {
		t.Error("the network was never down during the test")
	}
	if _, sent, failed := sp.Counts(); sent != 4 || failed != 0 {
		t.Fatalf("%d sent, %d failed, want 4 sent", sent, failed)
	}
	batchID := sp.Meta().BatchID
	rows, err := e.db.Pool.Query(ctx, `SELECT image_sha256, seq FROM pages WHERE batch_id = $1 ORDER BY seq`, batchID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var sha string
		var seq int
		if err := rows.Scan(&sha, &seq); err != nil {
			t.Fatal(err)
		}
		if i >= len(images) || sha != scanner.SHA256(images[i]) || seq != i+1 {
			t.Errorf("page row %d: seq %d sha %s", i, seq, sha[:12])
		}
		i++
	}
	if i != 4 {
		t.Errorf("batch %d has %d pages, want 4", batchID, i)
	}

	// A bad token stops the client at once.
	bad := &scanner.HTTPUploader{Server: e.srv.URL, Token: "sy_nope"}
	if _, err := bad.OpenBatch(ctx, spec); !errors.Is(err, scanner.ErrUnauthorized) {
		t.Errorf("bad token: %v, want ErrUnauthorized", err)
	}
}

// scanErrMsg is the message of the API's one error shape.
func scanErrMsg(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}
