package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue/store"
)

const signInCSRFCookie = "saoyue_signin"

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

// signInLimits: per account, five wrong passwords in a row lock it for ten
// minutes; per address, a school's PCs share one address behind NAT, so the
// limit is generous: it stops guessing, not a room of teachers mistyping.
var signInLimits = store.SignInLimits{MaxFailures: 5, LockFor: 10 * time.Minute, IPWindow: 15 * time.Minute, IPMaxFailures: 30}

// signInRefused is the one answer to every refused sign-in of an account:
// an unknown login, a wrong password, a disabled or a locked account look
// the same, so the answer does not tell which logins exist.
const signInRefused = "账号或密码不正确；多次输错后账号会暂时锁定，请稍后再试或联系监测中心"

// handleSignIn: POST /signin checks the password, limited per address and
// per account (store.ReserveSignIn counts the attempt before the check).
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := signInData{Login: strings.TrimSpace(r.PostFormValue("login")), Next: r.PostFormValue("next")}
	c, err := r.Cookie(signInCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		d.Error = "页面已过期，请重新输入"
		s.renderSignIn(w, r, d, http.StatusForbidden)
		return
	}
	attempt, verdict, err := s.DB.ReserveSignIn(ctx, d.Login, clientIP(r), signInLimits)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if verdict == store.SignInIPLimited {
		d.Error = "这台电脑登录失败次数过多，请 15 分钟后再试"
		s.renderSignIn(w, r, d, http.StatusTooManyRequests)
		return
	}
	u, ok, err := s.checkPassword(ctx, d.Login, r.PostFormValue("password"), verdict == store.SignInLocked)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !ok {
		d.Error = signInRefused
		s.renderSignIn(w, r, d, http.StatusUnauthorized)
		return
	}
	if err := s.DB.ConfirmSignIn(ctx, attempt, d.Login); err != nil {
		s.error(w, r, err)
		return
	}
	if _, err := s.startSession(w, r, u); err != nil {
		s.error(w, r, err)
		return
	}
	if u.MustChangePassword {
		http.Redirect(w, r, "/password?next="+url.QueryEscape(safeNext(d.Next)), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}

// checkPassword runs one bcrypt comparison whatever the account's state
// (unknown, locked, disabled), so the time taken tells nothing either.
func (s *Server) checkPassword(ctx context.Context, login, password string, locked bool) (*store.User, bool, error) {
	u, err := store.UserByLogin(ctx, s.DB.Pool, login)
	if err != nil && !errors.Is(err, store.ErrUserNotFound) {
		return nil, false, err
	}
	hash := dummyHash
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	if u == nil || locked || u.Disabled || !match {
		return nil, false, nil
	}
	return u, true, nil
}
