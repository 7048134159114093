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
	"github.com/saoyue/saoyue/grading"
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

// apiSession is the session of an API call: signed in, password changed,
// and, for a call that changes something, carrying the CSRF token.
func (s *Server) apiSession(r *http.Request) (*store.Session, error) {
	sess, err := s.currentSession(r)
	if err != nil {
		return nil, err
	}
	if sess == nil {
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "请先登录")
	}
	if sess.User.MustChangePassword {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "请先修改初始密码")
	}
	if unsafeMethod(r) && !csrfOK(r, sess) {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "页面已过期，请刷新后重试")
	}
	return sess, nil
}

// apiRole is apiSession plus one of the roles.
func (s *Server) apiRole(r *http.Request, roles ...string) (*store.Session, error) {
	sess, err := s.apiSession(r)
	if err != nil {
		return nil, err
	}
	for _, role := range roles {
		if sess.User.Has(role) {
			return sess, nil
		}
	}
	return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "您的账号无权进行此操作")
}

// sessionAuth is the marking API's Auth backed by browser sessions.
type sessionAuth struct{ s *Server }

// Marker resolves the signed-in teacher to their marking assignment; the
// subject may be chosen with ?subject= when a teacher marks two.
func (a sessionAuth) Marker(r *http.Request) (*grading.Marker, error) {
	sess, err := a.s.apiSession(r)
	if err != nil {
		return nil, err
	}
	return a.s.markerOf(r, sess)
}

func (s *Server) markerOf(r *http.Request, sess *store.Session) (*grading.Marker, error) {
	if sess.User.TeacherID == nil || !(sess.User.Has(store.RoleMarker) || sess.User.Has(store.RoleLeader)) {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "只有阅卷教师可以阅卷")
	}
	subject, _ := queryInt(r, "subject", 0)
	return s.engine().Marker(r.Context(), *sess.User.TeacherID, int64(subject))
}

// Centre accepts centre staff only.
func (a sessionAuth) Centre(r *http.Request) (string, error) {
	sess, err := a.s.apiRole(r, store.RoleCentre)
	if err != nil {
		return "", err
	}
	return actorOf(sess.User), nil
}

// actorOf names the account in the audit log.
func actorOf(u *store.User) string { return "user:" + u.Login }

// pageSession guards a page: it sends a stranger to sign in, a fresh
// account to change its one-time password, and answers 403 to a role the
// page is not for. It returns nil when it has answered.
func (s *Server) pageSession(w http.ResponseWriter, r *http.Request, roles ...string) *store.Session {
	sess, err := s.currentSession(r)
	if err != nil {
		s.pageError(w, r, err)
		return nil
	}
	if sess == nil {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	if sess.User.MustChangePassword {
		http.Redirect(w, r, "/password", http.StatusSeeOther)
		return nil
	}
	if unsafeMethod(r) && !csrfOK(r, sess) {
		s.pageError(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "页面已过期，请返回刷新后重试"))
		return nil
	}
	if len(roles) == 0 {
		return sess
	}
	for _, role := range roles {
		if sess.User.Has(role) {
			return sess
		}
	}
	s.pageError(w, r, saoyue.Errorf(saoyue.EFORBIDDEN, "您的账号无权访问此页面"))
	return nil
}

// pageError answers a page request with a Chinese error page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	code := saoyue.ErrorCode(err)
	msg := saoyue.ErrorMessage(err)
	if code == saoyue.EINTERNAL {
		s.Logger.Error("page", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "服务器内部错误，请稍后重试"
	}
	w.WriteHeader(saoyue.HTTPStatus(code))
	sess, _ := s.currentSession(r)
	s.render(w, "error.html", pageData{Title: "出错了", Session: sess, Data: msg})
}

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

// centreOnly guards a page written before sign-in existed.
func (s *Server) centreOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.pageSession(w, r, store.RoleCentre) != nil {
			h(w, r)
		}
	}
}
