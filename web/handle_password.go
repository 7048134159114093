package web

import (
	"net/http"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue/store"
)

type passwordData struct {
	Next, Error string
	Forced      bool
}

// handlePasswordPage: GET /password, where a one-time password is replaced.
func (s *Server) handlePasswordPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	s.render(w, "password.html", pageData{Title: "修改密码", Session: sess,
		Data: passwordData{Next: r.URL.Query().Get("next"), Forced: sess.User.MustChangePassword}})
}

// handlePassword: POST /password.
func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := sessionOf(r)
	d := passwordData{Next: r.PostFormValue("next"), Forced: sess.User.MustChangePassword}
	fail := func(msg string) {
		d.Error = msg
		w.WriteHeader(http.StatusBadRequest)
		s.render(w, "password.html", pageData{Title: "修改密码", Session: sess, Data: d})
	}
	if !csrfOK(r, sess) {
		fail("页面已过期，请重新输入")
		return
	}
	old, pw, again := r.PostFormValue("old"), r.PostFormValue("new"), r.PostFormValue("again")
	switch {
	case bcrypt.CompareHashAndPassword([]byte(sess.User.PasswordHash), []byte(old)) != nil:
		fail("原密码不正确")
		return
	case utf8.RuneCountInString(pw) < 8:
		fail("新密码至少 8 位")
		return
	case len(pw) > 72:
		fail("新密码太长（最多 72 个字符）")
		return
	case pw != again:
		fail("两次输入的新密码不一致")
		return
	case pw == old:
		fail("新密码不能与原密码相同")
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := store.SetUserPassword(ctx, s.DB.Pool, sess.User.ID, string(hash), false); err != nil {
		s.error(w, r, err)
		return
	}
	if err := store.DeleteUserSessions(ctx, s.DB.Pool, sess.User.ID, sess.TokenHash); err != nil {
		s.Logger.Error("sign out other sessions", "err", err)
	}
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}
