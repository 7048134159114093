package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/store"
)

const (
	sessionCookie = "saoyue_session"
	// A marking day is long; twelve hours lets a teacher sign in once in the
	// morning and keeps a forgotten school PC from staying signed in overnight.
	sessionLifetime = 12 * time.Hour
	csrfHeader      = "X-CSRF-Token"
	csrfField       = "csrf"
)

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

type sessionKey struct{}

// currentSession returns the signed-in session of the request, nil when
// nobody is signed in. It is read once per request and kept in the context.
func (s *Server) currentSession(r *http.Request) (*store.Session, error) {
	if v, ok := r.Context().Value(sessionKey{}).(*store.Session); ok {
		return v, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, err := store.SessionByToken(r.Context(), s.DB.Pool, hashToken(c.Value))
	if errors.Is(err, store.ErrNoSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	*r = *r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
	return sess, nil
}

// startSession signs the user in on this browser.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *store.User) (*store.Session, error) {
	token := randomToken()
	sess := &store.Session{TokenHash: hashToken(token), CSRFToken: randomToken(), ExpiresAt: time.Now().Add(sessionLifetime), User: u}
	if err := store.CreateSession(r.Context(), s.DB.Pool, sess, r.UserAgent(), clientIP(r)); err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r),
	})
	return sess, nil
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := store.DeleteSession(r.Context(), s.DB.Pool, hashToken(c.Value)); err != nil {
			s.Logger.Error("sign out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r)})
}

// secure says whether cookies get the Secure flag: always behind TLS, and
// when the operator says a TLS proxy is in front.
func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.SecureCookies }

// clientIP is the peer address; a proxy's X-Forwarded-For is not trusted,
// or anyone could dodge the sign-in rate limit by sending one.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// csrfOK checks the form field or header against the session's token.
func csrfOK(r *http.Request, sess *store.Session) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) == 1
}

func unsafeMethod(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// guarded wraps a handler with its route's declaration: it identifies the
// caller, refuses whoever the declaration does not admit, and checks the
// CSRF token of every change made with a session.
func (s *Server) guarded(g guard, h http.HandlerFunc) http.HandlerFunc {
	switch g.access {
	case accessPublic:
		return h
	case accessScan:
		return s.scanAuth(h)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.currentSession(r)
		switch {
		case err != nil:
			s.error(w, r, err)
		case sess == nil && g.access != accessAPI:
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case g.access == accessAccount:
			h(w, r) // the password form checks its own token, to answer in the form
		case sess == nil:
			s.error(w, r, saoyue.Errorf(saoyue.EUNAUTHORIZED, "请先登录"))
		case sess.User.MustChangePassword && g.access != accessAPI:
			http.Redirect(w, r, "/password", http.StatusSeeOther)
		case sess.User.MustChangePassword:
			s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "请先修改初始密码"))
		case unsafeMethod(r) && g.access != accessTool && !csrfOK(r, sess):
			s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "页面已过期，请刷新后重试"))
		case !hasAnyRole(sess.User, g.roles):
			s.error(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "您的账号无权访问此页面或进行此操作"))
		default:
			h(w, r)
		}
	}
}

// hasAnyRole reports whether the user holds one of the roles; no roles
// admit every account.
func hasAnyRole(u *store.User, roles []saoyue.Role) bool {
	if len(roles) == 0 {
		return true
	}
	for _, role := range roles {
		if u.Has(role) {
			return true
		}
	}
	return false
}

// sessionOf is the session the route's guard admitted; only for routes
// declared page, api or account, where it is never nil.
func sessionOf(r *http.Request) *store.Session {
	sess, _ := r.Context().Value(sessionKey{}).(*store.Session)
	return sess
}

// markerOf resolves the signed-in teacher to their marking assignment; the
// subject may be chosen with ?subject= when a teacher marks two. An account
// without a teacher or without a plan entry has nothing to mark.
func (s *Server) markerOf(r *http.Request) (*marking.Marker, error) {
	u := sessionOf(r).User
	if u.TeacherID == nil {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "只有阅卷教师可以阅卷")
	}
	subject, _ := queryInt(r, "subject", 0)
	return s.engine().Marker(r.Context(), *u.TeacherID, int64(subject))
}

// actorOf names the account in the audit log.
func actorOf(u *store.User) string { return "user:" + u.Login }

// pageData is what every page template gets.
type pageData struct {
	Title   string
	Nav     string // the nav entry to highlight
	Session *store.Session
	Data    any
}

// safeNext keeps a sign-in redirect on this site: only a relative path of
// this origin passes. Browsers drop tabs and newlines from URLs and read a
// backslash as a slash, so "/\t/evil.example" would leave the site: any
// control character or backslash sends the user home instead.
func safeNext(next string) string {
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}
