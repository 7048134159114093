package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
)

// get fetches a page and returns its status and body.
func (s *site) get(c *http.Client, path string) (int, string) {
	s.t.Helper()
	resp, err := c.Get(s.srv.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post submits a form with the session's CSRF token (read from a page, as
// the browser has it) and returns the status and where it redirects.
func (s *site) post(c *http.Client, path string, form url.Values) (int, string, string) {
	s.t.Helper()
	_, page := s.get(c, "/centre/accounts")
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", between(page, `name="csrf-token" content="`, `"`))
	resp, err := c.PostForm(s.srv.URL+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// TestCentrePlanPage walks 阅卷安排 through the real server: a group whose
// answers already have tasks switches to 2+1 with a tolerance and every
// answer gets its second round; a teacher is made leader; after a mark
// the mode change is refused with the Chinese reason on the page; the
// automatic plan still works.
func TestCentrePlanPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, "41")
	ctx := context.Background()
	s.user("p_centre", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	c := s.client("p_centre")
	g := s.seed.Groups[0]
	code, body := s.get(c, "/centre/plan?exam=41&subject=math")
	if code != 200 || !strings.Contains(body, "题组 17") || !strings.Contains(body, `id="mode-`+fmt.Sprint(g)+`"`) {
		t.Fatalf("plan page: %d\n%s", code, body)
	}
	form := func(kv ...string) url.Values {
		v := url.Values{"exam": {"41"}, "subject": {"math"}, "group": {fmt.Sprint(g)}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	crops := s.count(`SELECT count(*) FROM crops WHERE group_id = $1`, g)
	st, loc, _ := s.post(c, "/centre/plan/settings", form("mode", "2+1", "tolerance", "2", "arbiter", "marker", "final_rule", "mean"))
	if st != http.StatusSeeOther || !strings.Contains(loc, "ok=") {
		t.Fatalf("settings: %d %s", st, loc)
	}
	if n := s.count(`SELECT count(*) FROM question_groups WHERE id = $1 AND mode = '2+1' AND tolerance = 2`, g); n != 1 {
		t.Errorf("mode not saved")
	}
	if n := s.count(`SELECT count(*) FROM marking_tasks WHERE group_id = $1 AND round = 2 AND status = 'open'`, g); n != crops || n == 0 {
		t.Errorf("%d second rounds for %d crops", n, crops)
	}
	if n := s.count(`SELECT count(*) FROM audit_log WHERE actor = 'user:p_centre' AND action = 'group_settings'`); n != 1 {
		t.Errorf("%d audit rows for the settings", n)
	}

	// Make a marker the leader, then take one off.
	as, _ := store.ListMarkingAssignments(ctx, s.db.Pool, s.seed.SubjectID)
	var m store.MarkingAssignment
	for _, a := range as {
		if a.Role == saoyue.RoleMarker {
			m = a
		}
	}
	if st, loc, _ := s.post(c, "/centre/plan/assign", form("teacher", fmt.Sprint(m.TeacherID), "role", "leader")); st != http.StatusSeeOther || strings.Contains(loc, "error=") {
		t.Fatalf("assign: %d %s", st, loc)
	}
	if n := s.count(`SELECT count(*) FROM marking_assignments WHERE teacher_id = $1 AND role = 'leader'`, m.TeacherID); n != 1 {
		t.Errorf("teacher not made leader")
	}
	if st, loc, _ := s.post(c, "/centre/plan/remove", form("teacher", fmt.Sprint(m.TeacherID))); st != http.StatusSeeOther || strings.Contains(loc, "error=") {
		t.Fatalf("remove: %d %s", st, loc)
	}
	if n := s.count(`SELECT count(*) FROM marking_assignments WHERE teacher_id = $1`, m.TeacherID); n != 0 {
		t.Errorf("teacher not removed")
	}
	// A teacher not in the roster is refused in Chinese.
	_, loc, _ = s.post(c, "/centre/plan/assign", form("teacher", "999999", "role", "marker"))
	if !strings.Contains(loc, "error=") {
		t.Errorf("stranger assigned: %s", loc)
	}

	// One mark fixes the mode.
	eng := s.server.engine()
	var marker *marking.Marker
	for _, a := range as {
		if a.TeacherID != m.TeacherID {
			marker, _ = eng.Marker(ctx, a.TeacherID, s.seed.SubjectID)
			break
		}
	}
	next, err := eng.Next(ctx, marker, 1)
	if err != nil || len(next.Tasks) == 0 {
		t.Fatalf("next: %v", err)
	}
	if _, err := eng.Submit(ctx, marker, next.Tasks[0].ID, marking.Submission{Scores: []float64{3, 2}, DurationMS: 4000}); err != nil {
		t.Fatal(err)
	}
	_, loc, _ = s.post(c, "/centre/plan/settings", form("mode", "1+0", "tolerance", "2", "arbiter", "marker", "final_rule", "mean"))
	u, _ := url.Parse(loc)
	if got := u.Query().Get("error"); got != "该题组已有评分，不能再改评卷模式。" {
		t.Errorf("mode change after a mark: %q", got)
	}
	_, body = s.get(c, u.RequestURI())
	if !strings.Contains(body, "该题组已有评分，不能再改评卷模式") || !strings.Contains(body, "已有评分，模式不能再改") {
		t.Errorf("refusal not shown on the page")
	}
	if st, loc, _ := s.post(c, "/centre/plan/auto", form()); st != http.StatusSeeOther || strings.Contains(loc, "error=") {
		t.Errorf("auto plan: %d %s", st, loc)
	}
	// Without the CSRF token nothing changes.
	resp, err := c.PostForm(s.srv.URL+"/centre/plan/auto", form())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("post without token: %d", resp.StatusCode)
	}
}

// TestCentreRegisterPage: the centre sees every school's exceptions and
// filters them by kind and status; the CSV carries the same rows.
func TestCentreRegisterPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, "42")
	s.seedExceptions()
	s.user("x_centre", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	c := s.client("x_centre")
	_, body := s.get(c, "/centre/exceptions?exam=42")
	for _, want := range []string{"第 5 题 B、D 两项填涂都不清楚", "单选题第 6 题涂了 A 和 C", "填涂不清", "待处理", "共 2 条"} {
		if !strings.Contains(body, want) {
			t.Errorf("register lacks %q", want)
		}
	}
	_, body = s.get(c, "/centre/exceptions?exam=42&kind=multi")
	if strings.Contains(body, "填涂都不清楚") || !strings.Contains(body, "共 1 条") {
		t.Errorf("kind filter")
	}
	_, body = s.get(c, "/centre/exceptions?status=resolved")
	if !strings.Contains(body, "没有符合条件的异常") {
		t.Errorf("status filter")
	}
	_, body = s.get(c, "/centre/exceptions?school=9999")
	if !strings.Contains(body, "没有符合条件的异常") {
		t.Errorf("school filter")
	}
	code, csv := s.get(c, "/centre/exceptions.csv?exam=42&kind=doubtful")
	if code != 200 || !strings.Contains(csv, "填涂不清") || strings.Contains(csv, "多选") || !strings.HasPrefix(csv, "\ufeff编号") {
		t.Errorf("csv: %d\n%s", code, csv)
	}
}

// TestCentreAccountsPage: the centre disables, enables, unlocks, resets
// and signs out an account; each step is audited with the centre as
// actor, and the centre cannot disable itself.
func TestCentreAccountsPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, "43")
	me := s.user("a_centre", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	school := s.seed.Schools[0]
	tech := s.user("a_tech", false, []saoyue.Role{saoyue.RoleTechnician}, nil, &school)
	c := s.client("a_centre")
	tc := s.client("a_tech")
	if code, body := s.get(c, "/centre/accounts?role=technician"); code != 200 || !strings.Contains(body, fmt.Sprintf(`id="acc-%d"`, tech.ID)) || strings.Contains(body, fmt.Sprintf(`id="acc-%d"`, me.ID)) {
		t.Fatalf("role filter: %d", code)
	}
	act := func(id int64, action string) string {
		t.Helper()
		st, loc, body := s.post(c, fmt.Sprintf("/centre/accounts/%d/%s", id, action), nil)
		if st == http.StatusOK {
			return body
		}
		if st != http.StatusSeeOther {
			t.Fatalf("%s: %d", action, st)
		}
		return loc
	}
	audited := func(action string) {
		t.Helper()
		if n := s.count(`SELECT count(*) FROM audit_log WHERE actor = 'user:a_centre' AND action = $1 AND entity_id = 'a_tech'`, "account_"+action); n != 1 {
			t.Errorf("%d audit rows for %s", n, action)
		}
	}
	if loc := act(me.ID, "disable"); !strings.Contains(loc, "error=") {
		t.Errorf("self-disable not refused: %s", loc)
	}
	if n := s.count(`SELECT count(*) FROM users WHERE id = $1 AND disabled`, me.ID); n != 0 {
		t.Errorf("centre disabled itself")
	}
	act(tech.ID, "disable")
	audited("disable")
	if code, _ := s.get(tc, "/tech"); code != http.StatusSeeOther {
		t.Errorf("disabled technician still in: %d", code)
	}
	act(tech.ID, "enable")
	audited("enable")
	if _, err := s.db.Pool.Exec(context.Background(), `UPDATE users SET failed_attempts = 5, locked_until = now() + interval '1 hour' WHERE id = $1`, tech.ID); err != nil {
		t.Fatal(err)
	}
	act(tech.ID, "unlock")
	audited("unlock")
	if n := s.count(`SELECT count(*) FROM users WHERE id = $1 AND failed_attempts = 0 AND locked_until IS NULL`, tech.ID); n != 1 {
		t.Errorf("not unlocked")
	}
	tc = s.client("a_tech")
	body := act(tech.ID, "reset")
	audited("reset")
	pw := between(body, `<kbd id="otp">`, `</kbd>`)
	if len(pw) != 10 {
		t.Fatalf("no one-time password shown: %q", pw)
	}
	if n := s.count(`SELECT count(*) FROM users WHERE id = $1 AND must_change_password`, tech.ID); n != 1 {
		t.Errorf("reset does not force a change")
	}
	if code, _ := s.get(tc, "/tech"); code != http.StatusSeeOther {
		t.Errorf("session survived the reset: %d", code)
	}
	// The new password signs in (and is sent to change it).
	nc := s.client("")
	resp, err := nc.PostForm(s.srv.URL+"/signin", url.Values{"login": {"a_tech"}, "password": {pw}, "csrf": {s.signInToken(nc)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/password") {
		t.Errorf("sign in with the one-time password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	act(tech.ID, "signout")
	audited("signout")
	if n := s.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, tech.ID); n != 0 {
		t.Errorf("%d sessions left", n)
	}
	// Only the centre may act.
	st, _, _ := s.post(tc, fmt.Sprintf("/centre/accounts/%d/disable", me.ID), nil)
	if st != http.StatusForbidden && st != http.StatusSeeOther {
		t.Errorf("technician acted on accounts: %d", st)
	}
	if n := s.count(`SELECT count(*) FROM users WHERE id = $1 AND disabled`, me.ID); n != 0 {
		t.Errorf("technician disabled the centre")
	}
}
