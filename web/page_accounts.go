package web

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

type accountsPage struct {
	Accounts []store.Account
	Schools  []store.School
	Roles    [][2]string
	Role     string
	School   string
	Error    string
	OK       string
	Password string // a reset's one-time password, shown this once
	For      string // whose it is
	Me       int64
}

// handleAccountsPage: GET /centre/accounts?role=&school=, every account
// with its state and the centre's actions on it.
func (s *Server) handleAccountsPage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	q := r.URL.Query()
	s.renderAccounts(w, r, sess, accountsPage{Role: q.Get("role"), School: q.Get("school"), Error: q.Get("error"), OK: q.Get("ok")})
}

func (s *Server) renderAccounts(w http.ResponseWriter, r *http.Request, sess *store.Session, d accountsPage) {
	ctx := r.Context()
	var err error
	if d.Schools, err = store.ListSchools(ctx, s.DB.Pool); err != nil {
		s.error(w, r, err)
		return
	}
	f := store.UserFilter{Role: d.Role}
	for _, sc := range d.Schools {
		if sc.Code == d.School {
			f.SchoolID = sc.ID
		}
	}
	if d.School != "" && f.SchoolID == 0 {
		f.SchoolID = -1
	}
	if d.Accounts, err = store.ListAccounts(ctx, s.DB.Pool, f); err != nil {
		s.error(w, r, err)
		return
	}
	for _, role := range saoyue.Roles {
		d.Roles = append(d.Roles, [2]string{string(role), role.Name()})
	}
	d.Me = sess.User.ID
	s.render(w, "accounts.html", pageData{Title: "账号管理", Nav: "centre", Session: sess, Data: d})
}

// oneTimePassword avoids letters that look alike when read out or copied.
func oneTimePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// accountState is what the audit log keeps of an account before and after.
type accountState struct {
	Disabled       bool   `json:"disabled"`
	FailedAttempts int    `json:"failed_attempts"`
	Locked         bool   `json:"locked"`
	MustChange     bool   `json:"must_change_password"`
	Sessions       *int64 `json:"sessions_ended,omitempty"`
}

func stateOf(u *store.User) accountState {
	return accountState{Disabled: u.Disabled, FailedAttempts: u.FailedAttempts, Locked: u.LockedUntil != nil, MustChange: u.MustChangePassword}
}

// handleAccountAction: POST /centre/accounts/{id}/{action} with action
// disable, enable, reset, unlock or signout; each is audited with the
// centre user as actor. A reset answers with the page showing the new
// one-time password once.
func (s *Server) handleAccountAction(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	id, err := pathInt(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	action := r.PathValue("action")
	var u *store.User
	var password, msg string
	err = s.DB.InTx(r.Context(), func(tx pgx.Tx) error {
		var err error
		if u, err = store.UserByID(r.Context(), tx, id); err != nil {
			return err
		}
		password, msg, err = s.accountAction(r, tx, sess, u, action)
		return err
	})
	back := "/centre/accounts?role=" + url.QueryEscape(r.PostFormValue("role")) + "&school=" + url.QueryEscape(r.PostFormValue("school"))
	switch {
	case err != nil && saoyue.ErrorCode(err) == saoyue.EINTERNAL:
		s.error(w, r, err)
	case err != nil:
		http.Redirect(w, r, back+"&error="+url.QueryEscape(saoyue.ErrorMessage(err)), http.StatusSeeOther)
	case password != "":
		// Rendered, not redirected: the password must not travel in a URL.
		w.Header().Set("Cache-Control", "no-store")
		s.renderAccounts(w, r, sess, accountsPage{Role: r.PostFormValue("role"), School: r.PostFormValue("school"), OK: msg, Password: password, For: u.Login})
	default:
		http.Redirect(w, r, back+"&ok="+url.QueryEscape(msg), http.StatusSeeOther)
	}
}

func (s *Server) accountAction(r *http.Request, tx pgx.Tx, sess *store.Session, u *store.User, action string) (password, msg string, err error) {
	ctx := r.Context()
	before, after := stateOf(u), stateOf(u)
	self := u.ID == sess.User.ID
	switch action {
	case "disable":
		if self {
			return "", "", saoyue.Errorf(saoyue.EFORBIDDEN, "不能停用自己的账号。")
		}
		after.Disabled = true
		err = store.SetUserDisabled(ctx, tx, u.ID, true)
		if err == nil {
			_, err = store.EndUserSessions(ctx, tx, u.ID)
		}
		msg = "已停用账号 " + u.Login
	case "enable":
		after.Disabled = false
		err = store.SetUserDisabled(ctx, tx, u.ID, false)
		msg = "已启用账号 " + u.Login
	case "unlock":
		after.FailedAttempts, after.Locked = 0, false
		err = store.UnlockUser(ctx, tx, u.ID)
		msg = "已解除锁定 " + u.Login
	case "signout":
		var n int64
		n, err = store.EndUserSessions(ctx, tx, u.ID)
		after.Sessions = &n
		msg = "已让 " + u.Login + " 在所有浏览器上退出（" + strconv.FormatInt(n, 10) + " 处）"
	case "reset":
		password = oneTimePassword()
		var hash []byte
		if hash, err = bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost); err != nil {
			return "", "", err
		}
		if err = store.SetUserPassword(ctx, tx, u.ID, string(hash), true); err == nil {
			var n int64
			n, err = store.EndUserSessions(ctx, tx, u.ID)
			after.Sessions = &n
		}
		after.MustChange, after.FailedAttempts, after.Locked = true, 0, false
		msg = "已重置 " + u.Login + " 的密码"
	default:
		return "", "", saoyue.Errorf(saoyue.ENOTFOUND, "没有这个操作。")
	}
	if err != nil {
		return "", "", err
	}
	return password, msg, store.WriteAudit(ctx, tx, store.AuditEntry{Actor: actorOf(sess.User), Action: saoyue.AuditAccount(action),
		Entity: saoyue.EntityUser, EntityID: u.Login, Old: before, New: after, Reason: "账号管理页"})
}
