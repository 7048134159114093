package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// TestSafeNext: only a relative path of this origin survives as the
// redirect after sign-in; everything a browser could read as another
// origin goes home.
func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/mark", "/mark"},
		{"/centre?exam=21&x=1", "/centre?exam=21&x=1"},
		{"//evil.example/x", "/"},
		{"/\t/evil.example/x", "/"},
		{"/\n/evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"/\\/evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/%09/evil.example", "/%09/evil.example"}, // stays a path: the browser does not decode it into a host
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSecurityHeaders: every response, a page, a JSON answer, a static
// file and an error alike, carries the policy headers.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := newSite(t, "36")
	c := s.client("")
	for _, p := range []string{"/signin", "/healthz", "/api/centre/dashboard", "/no-such-page", "/mark"} {
		resp, err := c.Get(s.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q", p, csp)
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if h.Get(k) != want {
				t.Errorf("GET %s: %s = %q, want %q", p, k, h.Get(k), want)
			}
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("GET %s: HSTS on plain HTTP", p)
		}
	}
}

// TestSignInLimitsHoldInParallel: a hundred guesses at once on one account
// count five wrong passwords and no more; a hundred at once from one
// address count thirty.
func TestSignInLimitsHoldInParallel(t *testing.T) {
	t.Parallel()
	s := newSite(t, "37")
	s.user("target", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	guess := func(login func(i int) string) {
		c := s.client("")
		csrf := s.signInToken(c)
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.PostForm(s.srv.URL+"/signin", url.Values{"login": {login(i)}, "password": {"wrong"}, "csrf": {csrf}})
				if err == nil {
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
	}
	count := func(where string, arg any) int {
		var n int
		if err := s.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sign_in_attempts WHERE `+where, arg).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	guess(func(int) string { return "target" })
	if n := count("login = $1", "target"); n != 5 {
		t.Errorf("100 parallel guesses on one account: %d checked, want 5", n)
	}
	guess(func(i int) string { return "nobody" + strings.Repeat("x", i%7) })
	if n := count("ip = $1 AND NOT ok", "127.0.0.1"); n != 30 {
		t.Errorf("100 parallel guesses from one address: %d checked in all, want 30", n)
	}
}

// TestSignInAnswersRevealNothing: an unknown login, a wrong password and a
// locked account get the same status and the same message.
func TestSignInAnswersRevealNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t, "38")
	s.user("real", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	c := s.client("")
	try := func(login, pw string) (int, string) {
		resp, err := c.PostForm(s.srv.URL+"/signin", url.Values{"login": {login}, "password": {pw}, "csrf": {s.signInToken(c)}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, between(string(b), `role="alert">`, `</p>`)
	}
	unknownSt, unknownMsg := try("ghost", "wrong")
	for i := 0; i < 5; i++ {
		try("real", "wrong")
	}
	lockedSt, lockedMsg := try("real", testPassword)
	if unknownSt != http.StatusUnauthorized || lockedSt != unknownSt || lockedMsg != unknownMsg || unknownMsg == "" {
		t.Errorf("unknown login: %d %q; locked account: %d %q; want the same 401 answer", unknownSt, unknownMsg, lockedSt, lockedMsg)
	}
}

// TestMarkingJSONIsStrict: a null score, data after the JSON, a key given
// twice and an unknown field are all refused with 400 and a Chinese
// message, and no mark is stored; the well-formed body is then accepted.
func TestMarkingJSONIsStrict(t *testing.T) {
	t.Parallel()
	a := newMarkingAPI(t, storetest.MarkingSeed{ExamCode: "39", Subject: "math", Schools: 2, TeachersPerSchool: 1, StudentsPerSchool: 2,
		Groups: []store.QuestionGroup{{Code: "1", MaxScore: 4, Step: 1, Mode: "1+0"}}}, marking.MarkingOptions{})
	a.setUp("39")
	m := a.seed.Teachers[0][0]
	var next nextResp
	a.must(m, "GET", "/api/marking/next?n=1", nil, &next)
	if len(next.Tasks) != 1 {
		t.Fatal("no task")
	}
	path := "/api/marking/tasks/" + next.Tasks[0].ID + "/mark"
	send := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", a.srv.URL+path, strings.NewReader(body))
		a.authorize(req, m)
		resp, err := a.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e apiError
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error.Message
	}
	for _, body := range []string{`{"scores":[null]}`, `{"scores":null}`, `{"scores":[3]}garbage`, `{"scores":[3]} {"scores":[1]}`,
		`{"scores":[1],"scores":[3]}`, `{"scores":[3],"score":[3]}`, `{"scores":["3"]}`, `{"scores":[3]`} {
		st, msg := send(body)
		if st != http.StatusBadRequest || !hasCJK(msg) {
			t.Errorf("%s: %d %q, want 400 with a Chinese message", body, st, msg)
		}
	}
	if n := a.count(`SELECT count(*) FROM marks`); n != 0 {
		t.Fatalf("%d marks stored from refused bodies", n)
	}
	if st, msg := send(`{"scores":[3],"duration_ms":1200}`); st != http.StatusOK {
		t.Errorf("well-formed mark: %d %q", st, msg)
	}
}

func hasCJK(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
