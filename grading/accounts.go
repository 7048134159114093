package grading

import (
	"context"
	"errors"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// AccountLimits are the sign-in limits of accounts checked outside the
// browser (the CLI): the same as the sign-in page's, so a password cannot
// be guessed faster here.
var AccountLimits = store.SignInLimits{MaxFailures: 5, LockFor: 10 * time.Minute, IPWindow: 15 * time.Minute, IPMaxFailures: 30}

// Authenticate checks an account's login and password the way the sign-in
// page does (the attempt counted first, bcrypt, disabled and locked
// accounts refused with the same answer as a wrong password) and that it
// holds one of the roles. It is how the CLI names a real, signed-in
// person: a typed name is not enough.
func Authenticate(ctx context.Context, db *store.DB, login, password, from string, roles ...saoyue.Role) (*store.User, error) {
	if login == "" || password == "" {
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "请提供账号和密码")
	}
	attempt, verdict, err := db.ReserveSignIn(ctx, login, from, AccountLimits)
	if err != nil {
		return nil, err
	}
	if verdict == store.SignInIPLimited {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "登录失败次数过多，请 15 分钟后再试")
	}
	u, err := store.UserByLogin(ctx, db.Pool, login)
	if err != nil && !errors.Is(err, store.ErrUserNotFound) {
		return nil, err
	}
	if u == nil || verdict == store.SignInLocked || u.Disabled ||
		bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "账号或密码不正确；多次输错后账号会暂时锁定，请稍后再试或联系监测中心")
	}
	if err := db.ConfirmSignIn(ctx, attempt, login); err != nil {
		return nil, err
	}
	if u.MustChangePassword {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "账号 %s 还在使用初始密码，请先在网页上修改密码", login)
	}
	if len(roles) > 0 && !hasAnyRole(u, roles) {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "账号 %s 无权进行此操作", login)
	}
	return u, nil
}

func hasAnyRole(u *store.User, roles []saoyue.Role) bool {
	for _, r := range roles {
		if u.Has(r) {
			return true
		}
	}
	return false
}

// AccountActor names an account in the audit log's actor column, as the
// web pages do.
func AccountActor(u *store.User) string { return "user:" + u.Login }
