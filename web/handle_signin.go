package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue/store"
)

const (
	signInCSRFCookie = "saoyue_signin"
	// Per account: five wrong passwords in a row lock it for ten minutes.
	maxFailures = 5
	lockFor     = 10 * time.Minute
	// Per address: a school's PCs share one address behind NAT, so the limit
	// is generous; it stops guessing, not a room of teachers mistyping.
	ipWindow      = 15 * time.Minute
	ipMaxFailures = 30
)

// dummyHash makes a sign-in for an unknown login cost as much as a wrong
// password, so timing does not tell which logins exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("saoyue-no-such-user"), bcrypt.DefaultCost)

type signInData struct {
	Login, Next, Error, CSRF string
}

// handleSignInPage: GET /signin.
func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	if sess, _ := s.currentSession(r); sess != nil && !sess.User.MustChangePassword {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderSignIn(w, r, signInData{Next: r.URL.Query().Get("next")}, http.StatusOK)
}

// renderSignIn gives the form a fresh double-submit token: there is no
// session yet to hold one.
func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, d signInData, status int) {
	d.CSRF = randomToken()
	http.SetCookie(w, &http.Cookie{Name: signInCSRFCookie, Value: d.CSRF, Path: "/signin",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, "signin.html", pageData{Title: "登录", Data: d}); err != nil {
		s.Logger.Error("render page", "template", "signin.html", "err", err)
	}
}

// handleSignIn: POST /signin checks the password, limited per address and
// per account.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := signInData{Login: strings.TrimSpace(r.PostFormValue("login")), Next: r.PostFormValue("next")}
	c, err := r.Cookie(signInCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		d.Error = "页面已过期，请重新输入"
		s.renderSignIn(w, r, d, http.StatusForbidden)
		return
	}
	ip := clientIP(r)
	n, err := store.FailedSignIns(ctx, s.DB.Pool, ip, time.Now().Add(-ipWindow))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if n >= ipMaxFailures {
		d.Error = "登录失败次数过多，请 15 分钟后再试"
		s.renderSignIn(w, r, d, http.StatusTooManyRequests)
		return
	}
	password := r.PostFormValue("password")
	u, err := store.UserByLogin(ctx, s.DB.Pool, d.Login)
	if err != nil && !errors.Is(err, store.ErrUserNotFound) {
		s.pageError(w, r, err)
		return
	}
	if u == nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		_ = store.RecordSignIn(ctx, s.DB.Pool, d.Login, ip, false, maxFailures, lockFor)
		d.Error = "账号或密码不正确"
		s.renderSignIn(w, r, d, http.StatusUnauthorized)
		return
	}
	if u.LockedUntil != nil && u.LockedUntil.After(time.Now()) {
		d.Error = "密码连续输错次数过多，账号已暂时锁定，请 10 分钟后再试或联系监测中心"
		s.renderSignIn(w, r, d, http.StatusTooManyRequests)
		return
	}
	if u.Disabled || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		if err := store.RecordSignIn(ctx, s.DB.Pool, d.Login, ip, false, maxFailures, lockFor); err != nil {
			s.Logger.Error("record sign-in", "err", err)
		}
		d.Error = "账号或密码不正确"
		s.renderSignIn(w, r, d, http.StatusUnauthorized)
		return
	}
	if err := store.RecordSignIn(ctx, s.DB.Pool, d.Login, ip, true, maxFailures, lockFor); err != nil {
		s.pageError(w, r, err)
		return
	}
	if _, err := s.startSession(w, r, u); err != nil {
		s.pageError(w, r, err)
		return
	}
	if u.MustChangePassword {
		http.Redirect(w, r, "/password?next="+safeNext(d.Next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}
