package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// The callers the route × role test sends every route, one column each.
const (
	anon     = iota // nobody signed in
	fresh           // a centre account still on its one-time password
	asMarker        // a teacher marking a group of the plan
	asLeader        // a teacher leading a group of the plan
	asTech          // the technician of the site's first school
	asCentre        // the county centre
	asApprov        // an approver
	station         // a scan station with its school's technician token
	callers
)

var callerNames = [callers]string{"anonymous", "fresh", "marker", "leader", "technician", "centre", "approver", "station"}

// Expected answers beside the HTTP statuses: a redirect to sign in, and a
// redirect elsewhere (home, the password page, the page asked for).
const (
	signIn = -1
	away   = -2
)

// routeExpect is what each caller gets from each route of the table
// (routes.go), the route's path values standing for nothing that exists
// (task "x", ids 999999, exam "nosuch") except the report's exam. A form
// that fails goes back to its page with the error ("away"); an admitted
// caller may still be refused by the data (403 from /leader for a marker
// who leads no group). Every
// route of the table must have a row here: a new route without one fails
// TestRouteRoles. Columns: anonymous, fresh, marker, leader, technician,
// centre, approver, station.
var routeExpect = map[string][callers]int{
	"GET /static/":       {200, 200, 200, 200, 200, 200, 200, 200},
	"GET /healthz":       {200, 200, 200, 200, 200, 200, 200, 200},
	"GET /readyz":        {200, 200, 200, 200, 200, 200, 200, 200},
	"GET /signin":        {200, 200, away, away, away, away, away, 200},
	"POST /signin":       {403, 403, 403, 403, 403, 403, 403, 403}, // no sign-in token: refused before the password
	"POST /signout":      {away, away, away, away, away, away, away, away},
	"GET /{$}":           {signIn, away, away, away, away, away, away, signIn},
	"GET /password":      {signIn, 200, 200, 200, 200, 200, 200, signIn},
	"POST /password":     {signIn, 400, 400, 400, 400, 400, 400, signIn}, // wrong old password
	"GET /mark":          {signIn, away, 200, 200, 403, 403, 403, signIn},
	"GET /leader":        {signIn, away, 403, 200, 403, 403, 403, signIn},
	"GET /tech":          {signIn, away, 403, 403, 200, 403, 403, signIn},
	"GET /approvals":     {signIn, away, 403, 403, 403, 403, 200, signIn},
	"GET /exams":         {signIn, away, 403, 403, 403, 200, 403, signIn},
	"GET /centre":        {signIn, away, 403, 403, 403, 200, 403, signIn},
	"GET /centre/stages": {signIn, away, 403, 403, 403, 200, 403, signIn},
	"GET /centre/plan":   {signIn, away, 403, 403, 403, 200, 403, signIn},

	// Operations: the test server has a real Prometheus handler and a stand-in dashboard.
	"GET /metrics":          {200, 200, 200, 200, 200, 200, 200, 200},
	"GET /centre/queue":     {signIn, away, 403, 403, 403, 301, 403, signIn},
	"GET /centre/queue/":    {signIn, away, 403, 403, 403, 200, 403, signIn},
	"POST /centre/queue/":   {signIn, away, 403, 403, 403, 200, 403, signIn}, // the tool's script sends no CSRF token
	"DELETE /centre/queue/": {signIn, away, 403, 403, 403, 200, 403, signIn},

	"GET /api/marking/next":                                                      {401, 403, 200, 200, 403, 403, 403, 401},
	"POST /api/marking/tasks/{task}/mark":                                        {401, 403, 404, 404, 403, 403, 403, 401},
	"PUT /api/marking/tasks/{task}/mark":                                         {401, 403, 404, 404, 403, 403, 403, 401},
	"POST /api/marking/tasks/{task}/flag":                                        {401, 403, 404, 404, 403, 403, 403, 401},
	"GET /api/marking/tasks/{task}/crop":                                         {401, 403, 404, 404, 403, 403, 403, 401},
	"GET /api/marking/history":                                                   {401, 403, 200, 200, 403, 403, 403, 401},
	"GET /api/marking/progress":                                                  {401, 403, 200, 200, 403, 403, 403, 401},
	"GET /api/leader/problems":                                                   {401, 403, 403, 200, 403, 403, 403, 401}, // the plan's leader only
	"POST /api/leader/problems/{problem}/resolve":                                {401, 403, 403, 400, 403, 403, 403, 401},
	"GET /api/leader/markers/{teacher}/marks":                                    {401, 403, 403, 200, 403, 403, 403, 401},
	"POST /api/leader/tasks/{task}/remark":                                       {401, 403, 404, 404, 403, 403, 403, 401},
	"POST /api/leader/tasks/{task}/return":                                       {401, 403, 404, 404, 403, 403, 403, 401},
	"POST /api/leader/tasks/{task}/control":                                      {401, 403, 404, 404, 403, 403, 403, 401},
	"GET /api/leader/quality":                                                    {401, 403, 403, 200, 403, 403, 403, 401},
	"GET /tech/exceptions":                                                       {signIn, away, 403, 403, 200, 200, 403, signIn},
	"POST /tech/exceptions/{id}/resolve":                                         {signIn, away, 403, 403, 404, 404, 403, signIn},
	"GET /pages/{id}/image":                                                      {signIn, away, 403, 403, 404, 404, 404, signIn},
	"GET /exams/{code}/report":                                                   {signIn, away, 403, 403, 403, 200, 200, signIn}, // a school sees it once released
	"GET /exams/{code}/report.xlsx":                                              {signIn, away, 403, 403, 403, 200, 200, signIn},
	"GET /exams/{code}/report.csv":                                               {signIn, away, 403, 403, 403, 200, 200, signIn},
	"GET /exams/{code}/report.pdf":                                               {signIn, away, 403, 403, 403, 400, 400, signIn}, // no school chosen
	"GET /exams/{code}/progress.xlsx":                                            {signIn, away, 403, 403, 403, 400, 400, signIn}, // no earlier exam chosen; the county's only
	"POST /approvals/{id}":                                                       {signIn, away, 403, 403, 403, 403, away, signIn},
	"POST /approvals/scores/{id}":                                                {signIn, away, 403, 403, 403, 403, away, signIn},
	"GET /api/centre/dashboard":                                                  {401, 403, 403, 403, 403, 200, 403, 401},
	"POST /centre/stages/advance":                                                {signIn, away, 403, 403, 403, away, 403, signIn},
	"POST /centre/plan/assign":                                                   {signIn, away, 403, 403, 403, away, 403, signIn},
	"POST /centre/plan/remove":                                                   {signIn, away, 403, 403, 403, away, 403, signIn},
	"POST /centre/plan/settings":                                                 {signIn, away, 403, 403, 403, away, 403, signIn},
	"POST /centre/plan/auto":                                                     {signIn, away, 403, 403, 403, away, 403, signIn},
	"GET /centre/exceptions":                                                     {signIn, away, 403, 403, 403, 200, 403, signIn},
	"GET /centre/exceptions.csv":                                                 {signIn, away, 403, 403, 403, 200, 403, signIn},
	"GET /centre/accounts":                                                       {signIn, away, 403, 403, 403, 200, 403, signIn},
	"POST /centre/accounts/{id}/{action}":                                        {signIn, away, 403, 403, 403, away, 403, signIn},
	"GET /api/centre/exams/{exam}/subjects/{subject}/plan":                       {401, 403, 403, 403, 403, 404, 403, 401},
	"POST /api/centre/exams/{exam}/subjects/{subject}/plan":                      {401, 403, 403, 403, 403, 404, 403, 401},
	"PUT /api/centre/exams/{exam}/subjects/{subject}/plan/teachers/{teacher}":    {401, 403, 403, 403, 403, 404, 403, 401},
	"DELETE /api/centre/exams/{exam}/subjects/{subject}/plan/teachers/{teacher}": {401, 403, 403, 403, 403, 404, 403, 401},
	"POST /api/centre/exams/{exam}/subjects/{subject}/tasks":                     {401, 403, 403, 403, 403, 404, 403, 401},
	"GET /api/centre/exams/{exam}/subjects/{subject}/progress":                   {401, 403, 403, 403, 403, 404, 403, 401},
	"GET /api/centre/groups/{group}/quality":                                     {401, 403, 403, 403, 403, 404, 403, 401},
	"PUT /api/centre/groups/{group}/settings":                                    {401, 403, 403, 403, 403, 400, 403, 401},

	// The scan API knows only technician tokens, never sessions.
	"POST /api/v1/batches":            {401, 401, 401, 401, 401, 401, 401, 400}, // empty body
	"GET /api/v1/batches/{id}":        {401, 401, 401, 401, 401, 401, 401, 404},
	"POST /api/v1/batches/{id}/pages": {401, 401, 401, 401, 401, 401, 401, 404},
	"GET /api/v1/pages/{sha256}":      {401, 401, 401, 401, 401, 401, 401, 404},
}

// TestRouteRoles walks every route of the table for every caller and for
// anonymous, and checks the answer against routeExpect: a route refused
// to a role it is for, or open to one it is not for, fails; so does a
// route of the table without a row, or a row without a route.
func TestRouteRoles(t *testing.T) {
	t.Parallel()
	st := newSite(t, "44")
	ctx := context.Background()
	school := st.seed.Schools[0]
	var schoolCode string
	if err := st.db.Pool.QueryRow(ctx, `SELECT code FROM schools WHERE id = $1`, school).Scan(&schoolCode); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateScanToken(ctx, st.db.Pool, schoolCode, "路由测试")
	if err != nil {
		t.Fatal(err)
	}
	var users [callers]*store.User
	users[fresh] = st.user("rt_fresh", true, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	users[asMarker], _ = st.teacherUser("rt_marker", saoyue.RoleMarker, false)
	users[asLeader], _ = st.teacherUser("rt_leader", saoyue.RoleLeader, false)
	users[asTech] = st.user("rt_tech", false, []saoyue.Role{saoyue.RoleTechnician}, nil, &school)
	users[asCentre] = st.user("rt_centre", false, []saoyue.Role{saoyue.RoleCentre}, nil, nil)
	users[asApprov] = st.user("rt_approver", false, []saoyue.Role{saoyue.RoleApprover}, nil, nil)

	st.server.Metrics = promhttp.Handler()
	st.server.QueueDashboard = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "dashboard") })

	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	seen := map[string]bool{}
	for _, rt := range st.server.routes() {
		seen[rt.pattern] = true
		want, ok := routeExpect[rt.pattern]
		if !ok {
			t.Errorf("route %q has no row in routeExpect: say what each role gets from it", rt.pattern)
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = examplePath(path, "44")
		for c := range callers {
			req, _ := http.NewRequest(method, st.srv.URL+path, nil)
			switch {
			case c == station:
				req.Header.Set("Authorization", "Bearer "+token)
			case c != anon:
				// A fresh session each time: POST /signout ends the one it is sent with.
				cookie, csrf := newSession(t, st.db, users[c])
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
				req.Header.Set(csrfHeader, csrf)
			}
			got, where := do(t, client, req)
			if !answers(want[c], got, where) {
				t.Errorf("%s %s as %s: %d %s, want %s", method, path, callerNames[c], got, where, expectName(want[c]))
			}
		}
	}
	for p := range routeExpect {
		if !seen[p] {
			t.Errorf("routeExpect has %q, which is not a route", p)
		}
	}
}

// examplePath fills a pattern's wildcards with values that name nothing,
// except the exam of a report.
func examplePath(p, exam string) string {
	r := strings.NewReplacer("{$}", "", "{task}", "x", "{id}", "999999", "{problem}", "999999", "{teacher}", "999999",
		"{group}", "999999", "{exam}", "nosuch", "{subject}", "math", "{code}", exam, "{action}", "unlock",
		"{sha256}", strings.Repeat("0", 64))
	p = r.Replace(p)
	if strings.HasSuffix(p, "/static/") {
		p += "app.css"
	}
	return p
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func answers(want, got int, where string) bool {
	switch want {
	case signIn:
		return got == http.StatusSeeOther && strings.HasPrefix(where, "/signin")
	case away:
		return got == http.StatusSeeOther && !strings.HasPrefix(where, "/signin?next=")
	}
	return got == want
}

func expectName(want int) string {
	switch want {
	case signIn:
		return "a redirect to sign in"
	case away:
		return "a redirect"
	}
	return fmt.Sprint(want)
}

// newSession signs the user in as the sign-in form would, straight in the
// database, and returns the cookie value and the CSRF token.
func newSession(t *testing.T, db *store.DB, u *store.User) (string, string) {
	t.Helper()
	tok, csrf := randomToken(), randomToken()
	sess := &store.Session{TokenHash: hashToken(tok), CSRFToken: csrf, ExpiresAt: time.Now().Add(time.Hour), User: u}
	if err := store.CreateSession(context.Background(), db.Pool, sess, "test", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	return tok, csrf
}

// TestUndeclaredRouteCannotBeRegistered: a route whose access is not
// declared stops the server at start rather than being served unguarded.
func TestUndeclaredRouteCannotBeRegistered(t *testing.T) {
	t.Parallel()
	s := &Server{}
	defer func() {
		if recover() == nil {
			t.Error("a route without a declared access was registered")
		}
	}()
	s.mux([]route{{pattern: "GET /nobody-said", handler: func(http.ResponseWriter, *http.Request) {}}})
}
