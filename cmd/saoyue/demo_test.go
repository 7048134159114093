package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/queue/queuetest"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// TestDemo runs `saoyue demo` on one school against a fresh schema, the
// path `make demo` takes (embedded queue, local blobs), with the HTTP port
// it is given already taken: it serves on another port, and the accounts
// it prints sign in and find their work there. Its key adds up to the
// subject's full score, and the typical level leaves the technician a few
// exceptions of kinds /tech/exceptions resolves.
func TestDemo(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	db, dbURL := storetest.NewWithURL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- demoCmd(out, "--schools", "0305", "--database-url", dbURL, "--data-dir", t.TempDir(), "--redis-addr", "",
			"--s3-endpoint", "", "--http-addr", busy.Addr().String()).ExecuteContext(ctx)
	}()
	base := waitForURL(t, out, done)
	if base == "http://"+busy.Addr().String()+"/" {
		t.Fatalf("demo claims the busy port %s", base)
	}
	for _, want := range []string{"考试 90", "已打印 10 个条形码/考场名单 PDF", "页经热文件夹进入系统", "青溪县白鹤镇小学", "待技术员处理的异常",
		"客观题 55 分 + 主观题 45 分 = 100 分，与学科满分一致", "无法使用", "tech/exceptions", "/mark", "/leader"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	checkDemoKeySum(t, db)
	checkDemoExceptions(t, db)
	checkDemoPlan(t, db)

	teacher := signIn(t, base, "teacher")
	get(t, teacher, base+"mark", http.StatusOK)
	var next struct{ Tasks []json.RawMessage }
	getJSON(t, teacher, base+"api/marking/next?n=1", &next)
	if len(next.Tasks) == 0 {
		t.Errorf("the demo teacher has no answer to mark")
	}
	leader := signIn(t, base, "leader")
	get(t, leader, base+"leader", http.StatusOK)
	var problems struct{ Problems []json.RawMessage }
	getJSON(t, leader, base+"api/leader/problems", &problems)
	if len(problems.Problems) == 0 {
		t.Errorf("the demo leader has no problem answer waiting")
	}
	tech := signIn(t, base, "tech")
	get(t, tech, base+"tech/exceptions", http.StatusOK)

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
}

// The card and key of the demo add up to the subject's full score.
func checkDemoKeySum(t *testing.T, db *store.DB) {
	t.Helper()
	var objective, written, full float64
	err := db.Pool.QueryRow(context.Background(), `
		SELECT (SELECT sum(points) FROM answer_keys WHERE subject_id = s.id AND NOT excluded)::float8,
		       (SELECT sum(max_score) FROM question_groups WHERE subject_id = s.id)::float8,
		       s.full_score::float8
		FROM subjects s JOIN exams e ON e.id = s.exam_id WHERE e.code = $1`, demoExam).Scan(&objective, &written, &full)
	if err != nil {
		t.Fatal(err)
	}
	if objective+written != full || full != 100 {
		t.Errorf("key %g + groups %g = %g, subject's full score %g", objective, written, objective+written, full)
	}
}

// A handful of exceptions, all of the scanned school (the demo's
// technician's) and of kinds the technician settles on the page.
func checkDemoExceptions(t *testing.T, db *store.DB) {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT kind FROM exceptions WHERE status = 'open'`)
	if err != nil {
		t.Fatal(err)
	}
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) < 2 || len(kinds) > 12 {
		t.Errorf("demo left %d exceptions (%v), want a handful", len(kinds), kinds)
	}
	for _, k := range kinds {
		if k != "doubtful" && k != "multi" && k != "exam_no" {
			t.Errorf("demo left a %s exception, which a technician does not clear by reading the card", k)
		}
	}
}

// The plan keeps the cross-school rule for every group.
func checkDemoPlan(t *testing.T, db *store.DB) {
	t.Helper()
	id, err := marking.SubjectID(context.Background(), db, demoExam, "math")
	if err != nil {
		t.Fatal(err)
	}
	p, err := marking.LoadPlan(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) > 0 || len(p.Groups) == 0 {
		t.Errorf("demo plan of %d groups has problems: %v", len(p.Groups), p.Problems)
	}
	for _, g := range p.Groups {
		if len(g.Markers) == 0 {
			t.Errorf("group %s has no marker", g.Code)
		}
	}
}

// TestDemoHardLevel runs the hard level to the end within a deadline: its
// first bag (seed 1) holds a card scanned as a single blank sheet, on
// which the demo used to wait for ever for the card's second side. Every
// page ends read or an exception.
func TestDemoHardLevel(t *testing.T) {
	t.Parallel()
	db, dbURL := storetest.NewWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	out := &syncBuffer{}
	err := demoCmd(out, "--no-serve", "--level", "hard", "--schools", "0101", "--database-url", dbURL,
		"--data-dir", t.TempDir(), "--redis-addr", "", "--s3-endpoint", "").ExecuteContext(ctx)
	if ctx.Err() != nil {
		t.Fatalf("demo --level hard did not finish in time:\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("demo --level hard failed: %v\n%s", err, out.String())
	}
	var unread, blank int
	if err := db.Pool.QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM pages WHERE status NOT IN ('read', 'exception', 'done'))::int,
		       (SELECT count(*) FROM exceptions WHERE kind = 'blank_page')::int`).Scan(&unread, &blank); err != nil {
		t.Fatal(err)
	}
	if unread > 0 || blank == 0 {
		t.Errorf("after the hard demo: %d pages unread, %d blank-page exceptions (want 0 and some):\n%s", unread, blank, out.String())
	}
	if !strings.Contains(out.String(), "完成，用时") {
		t.Errorf("demo output lacks its end:\n%s", out.String())
	}
}

// With a Redis queue configured (the environment of `make test`, or a
// county's server) the demo still runs its pipeline in-process: nobody has
// started a worker for it, and a summary of cards nobody read would say
// every card is missing.
func TestDemoReadsItsCardsWithRedisConfigured(t *testing.T) {
	t.Parallel()
	redisAddr := queuetest.DB(t)
	_, dbURL := storetest.NewWithURL(t)
	out := &syncBuffer{}
	if err := demoCmd(out, "--no-serve", "--level", "clean", "--schools", "0101", "--database-url", dbURL,
		"--data-dir", t.TempDir(), "--redis-addr", redisAddr, "--s3-endpoint", "").Execute(); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	// The school's row: cards read, none missed.
	row := regexp.MustCompile(`青溪县城关第一小学\s+(\d+)\s+\d+\s+(\d+)`).FindStringSubmatch(out.String())
	if row == nil || row[1] == "0" || row[2] != "0" {
		t.Fatalf("demo with Redis configured read no cards (cards, missed: %v):\n%s", row, out.String())
	}
}

// demoCmd is `saoyue demo args...` writing to out.
func demoCmd(out io.Writer, args ...string) interface {
	Execute() error
	ExecuteContext(context.Context) error
} {
	root := newRootCmd()
	root.SetOut(out)
	root.SetErr(out)
	root.SetArgs(append([]string{"demo"}, args...))
	return root
}

// waitForURL waits for the demo to say where it serves.
func waitForURL(t *testing.T, out *syncBuffer, done <-chan error) string {
	t.Helper()
	re := regexp.MustCompile(`打开 (http://\S+/) 查看结果`)
	deadline := time.After(8 * time.Minute)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("demo ended before serving: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("demo did not serve in time:\n%s", out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// signIn signs in with the demo password through the sign-in page.
func signIn(t *testing.T, base, login string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	get(t, c, base+"signin", http.StatusOK)
	u, _ := url.Parse(base + "signin")
	csrf := ""
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "saoyue_signin" {
			csrf = ck.Value
		}
	}
	resp, err := c.PostForm(base+"signin", url.Values{"login": {login}, "password": {demoPassword}, "csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "账号或密码不正确") {
		t.Fatalf("sign in as %s: %s\n%s", login, resp.Status, body)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string, want int) []byte {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %s, want %d\n%s", u, resp.Status, want, body)
	}
	return body
}

func getJSON(t *testing.T, c *http.Client, u string, v any) {
	t.Helper()
	if err := json.Unmarshal(get(t, c, u, http.StatusOK), v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// syncBuffer is a bytes.Buffer the demo writes to while the test reads.
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
