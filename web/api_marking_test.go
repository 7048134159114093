package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// markingAPI is a seeded county behind a real HTTP server.
type markingAPI struct {
	t        testing.TB
	db       *store.DB
	srv      *httptest.Server
	server   *Server
	seed     *storetest.SeededMarking
	client   *http.Client
	plan     planJSON
	school   map[int64]int64 // teacher -> school
	sessions apiSessions
}

func newMarkingAPI(t testing.TB, spec storetest.MarkingSeed, opts marking.MarkingOptions) *markingAPI {
	t.Helper()
	ctx := context.Background()
	_, url := storetest.NewWithURL(t)
	// Twenty markers at once want more than the pool's default four
	// connections on a two-core machine.
	db, err := store.Open(ctx, url+"&pool_max_conns=24")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	seed, err := storetest.SeedMarking(ctx, db.Pool, spec)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(db, blobs, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Marking = marking.NewEngine(db, opts)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	a := &markingAPI{t: t, db: db, srv: srv, server: s, seed: seed, school: map[int64]int64{},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}}
	for i, ts := range seed.Teachers {
		for _, id := range ts {
			a.school[id] = seed.Schools[i]
		}
	}
	return a
}

// call sends a JSON request as a marker (who > 0) or the centre (who = 0)
// and decodes the answer into out; it returns the status.
func (a *markingAPI) call(who int64, method, path string, body, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, rd)
	a.authorize(req, who)
	resp, err := a.client.Do(req)
	if err != nil {
		a.t.Errorf("%s %s: %v", method, path, err)
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Errorf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode
}

func (a *markingAPI) must(who int64, method, path string, body, out any) {
	a.t.Helper()
	if st := a.call(who, method, path, body, out); st >= 300 {
		a.t.Fatalf("%s %s: status %d", method, path, st)
	}
}

// setUp generates the plan and the tasks through the centre API.
func (a *markingAPI) setUp(exam string) {
	a.t.Helper()
	base := "/api/centre/exams/" + exam + "/subjects/math"
	a.must(0, "POST", base+"/plan", nil, &a.plan)
	if len(a.plan.Problems) > 0 {
		a.t.Fatalf("plan problems: %v", a.plan.Problems)
	}
	var created struct {
		Created  int64   `json:"created"`
		Unplaced []int64 `json:"unplaced"`
	}
	a.must(0, "POST", base+"/tasks", nil, &created)
	if created.Created == 0 || len(created.Unplaced) > 0 {
		a.t.Fatalf("tasks: %+v", created)
	}
}

func (a *markingAPI) markersOf(groupID int64) (markers []int64, leader int64) {
	for _, g := range a.plan.Groups {
		if g.GroupID == groupID {
			for _, m := range g.Markers {
				markers = append(markers, m.TeacherID)
				if m.Role == "leader" && leader == 0 {
					leader = m.TeacherID
				}
			}
		}
	}
	return markers, leader
}

func (a *markingAPI) count(sql string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		a.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// holders watches that no two markers hold one task at the same time.
type holders struct {
	mu    sync.Mutex
	by    map[int64]holding
	lease time.Duration
	bad   []string
}

type holding struct {
	marker int64
	since  time.Time
	done   bool
}

func (h *holders) got(marker, task int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if o, ok := h.by[task]; ok && o.marker != marker && !o.done && time.Since(o.since) < h.lease-100*time.Millisecond {
		h.bad = append(h.bad, fmt.Sprintf("task %d given to %d while %d held it", task, marker, o.marker))
	}
	if o, ok := h.by[task]; !ok || o.marker != marker || o.done {
		h.by[task] = holding{marker: marker, since: time.Now()}
	}
}

func (h *holders) submitted(task int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.by[task]
	o.done = true
	h.by[task] = o
}

type nextResp struct {
	Group groupJSON  `json:"group"`
	Tasks []taskJSON `json:"tasks"`
}

// markAll runs one goroutine per marker through the HTTP API until no
// work is left anywhere: next (with prefetch), then submit each task with
// score(marker, parts). Tasks received are checked against the holders.
func (a *markingAPI) markAll(markers []int64, h *holders, score func(marker int64, g groupJSON) []float64) (marks int64) {
	ids, err := a.server.taskIDs(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		a.t.Fatal(err)
	}
	var wg sync.WaitGroup
	var total atomic.Int64
	for _, m := range markers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idle := 0; idle < 400; {
				var next nextResp
				if st := a.call(m, "GET", "/api/marking/next?n=3", nil, &next); st != 200 {
					a.t.Errorf("next: %d", st)
					return
				}
				if len(next.Tasks) == 0 {
					// Others may still hold tasks whose lease will expire.
					if a.count(`SELECT count(*) FROM marking_tasks WHERE status IN ('open','leased')`) == 0 {
						return
					}
					idle++
					time.Sleep(50 * time.Millisecond)
					continue
				}
				for _, tk := range next.Tasks {
					id, err := ids.Decode(tk.ID)
					if err != nil {
						a.t.Errorf("decode %s: %v", tk.ID, err)
						return
					}
					h.got(m, id)
					var out markJSON
					st := a.call(m, "POST", "/api/marking/tasks/"+tk.ID+"/mark",
						map[string]any{"scores": score(m, next.Group), "duration_ms": 4000}, &out)
					if st != 200 {
						a.t.Errorf("submit by %d: %d", m, st)
						return
					}
					h.submitted(id)
					total.Add(1)
				}
			}
			a.t.Errorf("marker %d gave up waiting", m)
		}()
	}
	wg.Wait()
	return total.Load()
}

func randomScores(r *rand.Rand) func(int64, groupJSON) []float64 {
	var mu sync.Mutex
	return func(_ int64, g groupJSON) []float64 {
		mu.Lock()
		defer mu.Unlock()
		out := make([]float64, len(g.Parts))
		for i, p := range g.Parts {
			steps := int(math.Round(p.Max / p.Step))
			out[i] = float64(r.IntN(steps+1)) * p.Step
		}
		return out
	}
}

func TestMarkingConcurrentSingle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Long enough for a marker to submit the three answers it fetched on a
	// loaded machine (at 1.5 s the third one's lease ran out under load 30
	// and it was rightly given to another marker), short enough for the
	// walker's three to come back during the run.
	lease := 5 * time.Second
	a := newMarkingAPI(t, storetest.MarkingSeed{ExamCode: "31", Subject: "math", Schools: 4, TeachersPerSchool: 5, StudentsPerSchool: 250,
		Groups: []store.QuestionGroup{{Code: "26", MaxScore: 6, Step: 1, Mode: "1+0"},
			{Code: "30", MaxScore: 10.5, Step: 0.5, Mode: "1+0", Subs: []store.SubQuestion{{Sub: "(1)", Max: 5, Step: 0.5}, {Sub: "(2)", Max: 5.5, Step: 0.5}}}}},
		marking.MarkingOptions{Lease: lease, RemarkDelayMin: time.Minute})
	a.setUp("31")
	g1, g2 := a.seed.Groups[0], a.seed.Groups[1]
	// Group 26 re-marks a tenth of its answers, so the share can be checked.
	a.must(0, "PUT", fmt.Sprintf("/api/centre/groups/%d/settings", g1), marking.GroupSettings{
		Mode: "1+0", FinalRule: "mean", Compare: "gt", Arbiter: "marker", RemarkShare: 0.1, ControlShare: 0.01}, nil)
	// Group 30's leader makes three control answers, seeded at 5%.
	a.must(0, "PUT", fmt.Sprintf("/api/centre/groups/%d/settings", g2), marking.GroupSettings{
		Mode: "1+0", FinalRule: "mean", Compare: "gt", Arbiter: "marker", RemarkShare: 0.01, ControlShare: 0.05}, nil)
	m2, leader2 := a.markersOf(g2)
	ids, _ := a.server.taskIDs(httptest.NewRequest("GET", "/", nil))
	rows, _ := a.db.Pool.Query(ctx, `SELECT id FROM marking_tasks WHERE group_id = $1 AND school_id <> $2 ORDER BY id DESC LIMIT 3`, g2, a.school[leader2])
	controlTasks, _ := pgxCollectInt64(rows)
	for _, id := range controlTasks {
		a.must(leader2, "POST", "/api/leader/tasks/"+ids.Encode(id)+"/control", map[string]any{"scores": []float64{3, 2.5}}, nil)
	}

	// One marker takes three answers and walks away.
	m1, _ := a.markersOf(g1)
	walker := m1[len(m1)-1]
	var walked nextResp
	a.must(walker, "GET", "/api/marking/next?n=3", nil, &walked)
	if len(walked.Tasks) != 3 {
		t.Fatalf("walker got %d tasks", len(walked.Tasks))
	}
	h := &holders{by: map[int64]holding{}, lease: lease}
	for _, tk := range walked.Tasks {
		id, _ := ids.Decode(tk.ID)
		h.got(walker, id)
	}
	var others []int64
	for _, m := range append(append([]int64{}, m1...), m2...) {
		if m != walker {
			others = append(others, m)
		}
	}
	if len(others) != 19 {
		t.Fatalf("%d other markers", len(others))
	}

	start := time.Now()
	n := a.markAll(others, h, randomScores(rand.New(rand.NewPCG(1, 2))))
	t.Logf("%d marks by 19 markers in %v (%.0f/s)", n, time.Since(start), float64(n)/time.Since(start).Seconds())
	for _, b := range h.bad {
		t.Error(b)
	}

	// Every answer marked exactly once, with the candidate's score written.
	if c := a.count(`SELECT count(*) FROM marking_tasks WHERE kind = 'normal'`); c != 2000 {
		t.Fatalf("%d normal tasks, want 2000", c)
	}
	if c := a.count(`SELECT count(*) FROM marking_tasks t WHERE t.kind = 'normal' AND (t.status <> 'marked'
		OR (SELECT count(*) FROM marks m WHERE m.task_id = t.id AND m.kind = 'normal') <> 1)`); c != 0 {
		t.Errorf("%d answers not marked exactly once", c)
	}
	if c := a.count(`SELECT count(*) FROM item_scores WHERE source = 'mark'`); c != 2000 {
		t.Errorf("%d marked scores, want 2000", c)
	}
	// Nobody marked an answer of their own school or outside their group.
	if c := a.count(`SELECT count(*) FROM marks m JOIN marking_tasks t ON t.id = m.task_id JOIN teachers te ON te.id = m.marker_id
		LEFT JOIN marking_assignments a ON a.teacher_id = m.marker_id AND a.group_id = t.group_id
		WHERE te.school_id = t.school_id OR a.teacher_id IS NULL`); c != 0 {
		t.Errorf("%d marks break the cross-school or group rule", c)
	}
	// The walker's leases expired and the answers went to others.
	for _, tk := range walked.Tasks {
		id, _ := ids.Decode(tk.ID)
		if c := a.count(`SELECT count(*) FROM marks WHERE task_id = $1 AND marker_id <> $2`, id, walker); c != 1 {
			t.Errorf("walked-away task %d marked %d times by others", id, c)
		}
		var e apiError
		if st := a.call(walker, "POST", "/api/marking/tasks/"+tk.ID+"/mark", map[string]any{"scores": []float64{1}}, &e); st != 409 {
			t.Errorf("late submit by the walker: %d %+v", st, e)
		}
	}
	// Re-marks: about a tenth of group 26's marks came back to their own marker.
	normal26 := a.count(`SELECT count(*) FROM marks m JOIN marking_tasks t ON t.id = m.task_id WHERE t.group_id = $1 AND m.kind = 'normal'`, g1)
	remarks := a.count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND kind = 'remark'`, g1)
	want := 0.1 * float64(normal26)
	if math.Abs(float64(remarks)-want) > 4*math.Sqrt(want*0.9) {
		t.Errorf("%d re-marks of %d marks, want about %.0f", remarks, normal26, want)
	}
	if c := a.count(`SELECT count(*) FROM marking_tasks t JOIN marks m ON m.task_id = t.id JOIN marks r ON r.id = t.ref_mark_id
		WHERE t.kind = 'remark' AND m.marker_id <> r.marker_id`); c != 0 {
		t.Errorf("%d re-marks went to someone else than the first marker", c)
	}
	if c := a.count(`SELECT count(*) FROM marking_tasks WHERE kind = 'remark' AND status <> 'marked'`); c != 0 {
		t.Errorf("%d re-marks left unmarked", c)
	}
	controls := a.count(`SELECT count(*) FROM marks m JOIN marking_tasks t ON t.id = m.task_id WHERE t.kind = 'control'`)
	if controls == 0 {
		t.Error("no control answer was seeded")
	}
	t.Logf("re-marks %d of %d, control marks %d", remarks, normal26, controls)

	// The quality figures come out for every marker of the group.
	var q marking.GroupQuality
	a.must(0, "GET", fmt.Sprintf("/api/centre/groups/%d/quality", g1), nil, &q)
	if len(q.Markers) != len(m1)-1 || q.Count != 1000 {
		t.Errorf("quality of %d markers, %d marks", len(q.Markers), q.Count)
	}
	var progress struct {
		Groups []progressJSON `json:"groups"`
	}
	a.must(0, "GET", "/api/centre/exams/31/subjects/math/progress", nil, &progress)
	for _, g := range progress.Groups {
		if g.Marked != 1000 || g.Scored != 1000 || g.Open+g.Leased != 0 {
			t.Errorf("progress %+v", g)
		}
	}
}

func pgxCollectInt64(rows interface {
	Next() bool
	Scan(...any) error
	Close()
	Err() error
}) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func TestMarkingConcurrentDouble(t *testing.T) {
	t.Parallel()
	a := newMarkingAPI(t, storetest.MarkingSeed{ExamCode: "32", Subject: "math", Schools: 4, TeachersPerSchool: 5, StudentsPerSchool: 60,
		Groups: []store.QuestionGroup{{Code: "27", MaxScore: 8, Step: 1, Mode: "2+1", Tolerance: 2}}},
		marking.MarkingOptions{Lease: 5 * time.Second})
	a.setUp("32")
	g := a.seed.Groups[0]
	markers, _ := a.markersOf(g)
	h := &holders{by: map[int64]holding{}, lease: 5 * time.Second}
	n := a.markAll(markers, h, randomScores(rand.New(rand.NewPCG(3, 4))))
	for _, b := range h.bad {
		t.Error(b)
	}
	ctx := context.Background()
	grp, err := store.GetMarkingGroup(ctx, a.db.Pool, g)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := a.db.Pool.Query(ctx, `
		SELECT c.id, t.school_id, t.round, t.status, coalesce(m.marker_id, 0), coalesce(te.school_id, 0), coalesce(m.total::float8, -1)
		FROM crops c JOIN marking_tasks t ON t.crop_id = c.id AND t.kind = 'normal'
		LEFT JOIN marks m ON m.task_id = t.id LEFT JOIN teachers te ON te.id = m.marker_id
		WHERE c.group_id = $1 ORDER BY c.id, t.round`, g)
	if err != nil {
		t.Fatal(err)
	}
	type rmark struct {
		round          int
		status         string
		marker, school int64
		total          float64
	}
	crops := map[int64][]rmark{}
	cropSchool := map[int64]int64{}
	for rows.Next() {
		var c, cs int64
		var r rmark
		if err := rows.Scan(&c, &cs, &r.round, &r.status, &r.marker, &r.school, &r.total); err != nil {
			t.Fatal(err)
		}
		crops[c] = append(crops[c], r)
		cropSchool[c] = cs
	}
	rows.Close()
	if len(crops) != 240 {
		t.Fatalf("%d crops", len(crops))
	}
	arbitrated := 0
	for c, rs := range crops {
		var marks []store.CropMark
		var live []rmark
		for _, r := range rs {
			if r.status == "void" {
				continue
			}
			live = append(live, r)
			if r.status != "marked" || r.marker == 0 {
				t.Fatalf("crop %d round %d is %s", c, r.round, r.status)
			}
			if r.school == cropSchool[c] {
				t.Errorf("crop %d marked by its own school", c)
			}
			marks = append(marks, store.CropMark{Round: r.round, Kind: "normal", Total: r.total})
		}
		if len(live) < 2 || live[0].marker == live[1].marker || live[0].school == live[1].school {
			t.Errorf("crop %d: the pair is not two markers of two schools: %+v", c, live)
			continue
		}
		disagree := math.Abs(live[0].total-live[1].total) > grp.Tolerance
		if disagree != (len(live) == 3) {
			t.Errorf("crop %d: marks %v and %v, %d rounds", c, live[0].total, live[1].total, len(live))
		}
		if len(live) == 3 {
			arbitrated++
			if live[2].marker == live[0].marker || live[2].marker == live[1].marker {
				t.Errorf("crop %d arbitrated by one of the pair", c)
			}
		}
		want := marking.Settle(grp, marks)
		var got float64
		if err := a.db.Pool.QueryRow(ctx, `SELECT s.score::float8 FROM item_scores s JOIN cards ca ON ca.candidate_id = s.candidate_id
			JOIN crops c ON c.card_id = ca.id WHERE c.id = $1 AND s.item = '27'`, c).Scan(&got); err != nil || want.Final == nil || got != *want.Final {
			t.Errorf("crop %d: score %v (%v), want %v", c, got, err, want.Final)
		}
	}
	if arbitrated == 0 {
		t.Error("random marks never disagreed: arbitration untested")
	}
	t.Logf("%d marks, %d of %d answers arbitrated", n, arbitrated, len(crops))
}

func TestMarkingForgedTaskIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newMarkingAPI(t, storetest.MarkingSeed{ExamCode: "33", Subject: "math", Schools: 3, TeachersPerSchool: 2, StudentsPerSchool: 4,
		Groups: []store.QuestionGroup{{Code: "1", MaxScore: 4, Step: 1, Mode: "1+0"}, {Code: "2", MaxScore: 4, Step: 1, Mode: "1+0"}}},
		marking.MarkingOptions{})
	a.setUp("33")
	ids, _ := a.server.taskIDs(httptest.NewRequest("GET", "/", nil))
	markers, _ := a.markersOf(a.seed.Groups[0])
	var m int64
	for _, g := range a.plan.Groups {
		for _, pm := range g.Markers {
			if g.GroupID == a.seed.Groups[0] && pm.Role == "marker" && m == 0 {
				m = pm.TeacherID
			}
		}
	}
	// The marker holds one task of their own, to be sure the API works for them.
	var next nextResp
	a.must(m, "GET", "/api/marking/next?n=1", nil, &next)
	if len(next.Tasks) != 1 {
		t.Fatal("no task")
	}
	// Put a crop image in place: the holder sees it, others do not.
	held, _ := ids.Decode(next.Tasks[0].ID)
	tk, _ := store.GetMarkingTask(ctx, a.db.Pool, held)
	if err := a.server.Blobs.Put(ctx, tk.BlobKey, bytes.NewReader([]byte("\xff\xd8jpeg")), 6, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if st := a.call(m, "GET", next.Tasks[0].CropURL, nil, nil); st != 200 {
		t.Errorf("own crop: %d", st)
	}

	var otherGroup, ownSchool, heldByOther int64
	q := func(sql string, dst *int64, args ...any) {
		if err := a.db.Pool.QueryRow(ctx, sql, args...).Scan(dst); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`SELECT id FROM marking_tasks WHERE group_id = $1 AND school_id <> $2 LIMIT 1`, &otherGroup, a.seed.Groups[1], a.school[m])
	q(`SELECT id FROM marking_tasks WHERE group_id = $1 AND school_id = $2 LIMIT 1`, &ownSchool, a.seed.Groups[0], a.school[m])
	// A task of the marker's group and another school, held by a colleague.
	var colleague int64
	for _, id := range markers {
		if id != m && a.school[id] != a.school[m] {
			colleague = id
		}
	}
	var cn nextResp
	a.must(colleague, "GET", "/api/marking/next?n=1", nil, &cn)
	heldByOther, _ = ids.Decode(cn.Tasks[0].ID)
	if tk, _ := store.GetMarkingTask(ctx, a.db.Pool, heldByOther); tk.SchoolID == a.school[m] {
		heldByOther = 0 // the colleague's answer is of m's school: covered by ownSchool
	}

	before := a.count(`SELECT count(*) FROM marks`)
	snapshot := func() string {
		var s string
		_ = a.db.Pool.QueryRow(ctx, `SELECT string_agg(id||status||coalesce(assigned_to::text,'-'), ',' ORDER BY id) FROM marking_tasks`).Scan(&s)
		return s
	}
	tasksBefore := snapshot()
	for name, id := range map[string]int64{"other group": otherGroup, "own school": ownSchool, "held by another": heldByOther} {
		if id == 0 {
			continue
		}
		forged := ids.Encode(id)
		for _, c := range []struct{ method, path string }{
			{"POST", "/api/marking/tasks/" + forged + "/mark"},
			{"PUT", "/api/marking/tasks/" + forged + "/mark"},
			{"POST", "/api/marking/tasks/" + forged + "/flag"},
			{"GET", "/api/marking/tasks/" + forged + "/crop"},
		} {
			var e apiError
			body := map[string]any{"scores": []float64{1}}
			if c.path[len(c.path)-4:] == "flag" {
				body = map[string]any{"reason": "blank"}
			} else if c.method == "GET" {
				body = nil
			}
			st := a.call(m, c.method, c.path, body, &e)
			want := 403
			if name == "held by another" && c.method == "POST" && c.path[len(c.path)-4:] == "mark" {
				want = 409 // in scope, but no longer (or never) the caller's
			}
			if name == "held by another" && c.path[len(c.path)-4:] == "flag" {
				want = 409
			}
			if st != want || e.Error.Code == "" {
				t.Errorf("%s: %s %s: %d %+v, want %d", name, c.method, c.path, st, e, want)
			}
		}
	}
	var e apiError
	if st := a.call(m, "POST", "/api/marking/tasks/AAAAAAAAAAAAAAAAAAAAAA/mark", map[string]any{"scores": []float64{1}}, &e); st != 404 || e.Error.Code != "not_found" {
		t.Errorf("garbage id: %d %+v", st, e)
	}
	if st := a.call(m, "GET", "/api/leader/problems", nil, &e); st != 403 {
		t.Errorf("marker on leader endpoint: %d", st)
	}
	if after := a.count(`SELECT count(*) FROM marks`); after != before {
		t.Errorf("marks changed: %d -> %d", before, after)
	}
	if s := snapshot(); s != tasksBefore {
		t.Error("tasks changed")
	}
	// Without a session the API refuses everyone.
	s := NewServer(a.db, a.server.Blobs, a.server.Logger)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/marking/next", nil))
	if rec.Code != 401 {
		t.Errorf("no auth: %d", rec.Code)
	}
}
