package web

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// apiSessions are the marking API tests' signed-in accounts: one per
// teacher (who > 0) and one centre account (who = 0), each with a real
// session row, so every call passes the routes' guards as a browser's would.
type apiSessions struct {
	mu  sync.Mutex
	tok map[int64][2]string // who -> session token, CSRF token
}

// authorize adds the session cookie and CSRF token of who to the request,
// creating the account and its session on first use.
func (a *markingAPI) authorize(req *http.Request, who int64) {
	a.t.Helper()
	a.sessions.mu.Lock()
	defer a.sessions.mu.Unlock()
	if a.sessions.tok == nil {
		a.sessions.tok = map[int64][2]string{}
	}
	tok, ok := a.sessions.tok[who]
	if !ok {
		ctx := context.Background()
		u := &store.User{Login: "centre-test", Name: "centre", PasswordHash: "-", Roles: []saoyue.Role{saoyue.RoleCentre}}
		if who > 0 {
			school := a.school[who]
			u = &store.User{Login: fmt.Sprintf("teacher-%d", who), Name: "teacher", PasswordHash: "-",
				Roles: []saoyue.Role{saoyue.RoleMarker}, TeacherID: &who, SchoolID: &school}
		}
		if err := store.CreateUser(ctx, a.db.Pool, u); err != nil {
			a.t.Fatal(err)
		}
		tok = [2]string{randomToken(), randomToken()}
		sess := &store.Session{TokenHash: hashToken(tok[0]), CSRFToken: tok[1], ExpiresAt: time.Now().Add(time.Hour), User: u}
		if err := store.CreateSession(ctx, a.db.Pool, sess, "test", "127.0.0.1"); err != nil {
			a.t.Fatal(err)
		}
		a.sessions.tok[who] = tok
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok[0]})
	req.Header.Set(csrfHeader, tok[1])
}
