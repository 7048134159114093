package grading

import (
	"context"
	"errors"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/store"
)

// Sign-in limits for accounts checked outside the browser (the CLI): the
// same as the sign-in page's, so a password cannot be guessed faster here.
const (
	accountMaxFailures = 5
	accountLockFor     = 10 * time.Minute
)

// Authenticate checks an account's login and password the way the sign-in
// page does (bcrypt, disabled and locked accounts refused, failures
// counted towards the lock) and that it holds one of the roles. It is how
// the CLI names a real, signed-in person: a typed name is not enough.
func Authenticate(ctx context.Context, db *store.DB, login, password, from string, roles ...string) (*store.User, error) {
	if login == "" || password == "" {
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "请提供账号和密码")
	}
	u, err := store.UserByLogin(ctx, db.Pool, login)
	if errors.Is(err, store.ErrUserNotFound) {
		_ = store.RecordSignIn(ctx, db.Pool, login, from, false, accountMaxFailures, accountLockFor)
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "账号或密码不正确")
	}
	if err != nil {
		return nil, err
	}
	if u.LockedUntil != nil && u.LockedUntil.After(time.Now()) {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "账号 %s 已暂时锁定，请稍后再试或联系监测中心", login)
	}
	if u.Disabled {
		return nil, saoyue.Errorf(saoyue.EFORBIDDEN, "账号 %s 已停用", login)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		if err := store.RecordSignIn(ctx, db.Pool, login, from, false, accountMaxFailures, accountLockFor); err != nil {
			return nil, err
		}
		return nil, saoyue.Errorf(saoyue.EUNAUTHORIZED, "账号或密码不正确")
	}
	if err := store.RecordSignIn(ctx, db.Pool, login, from, true, accountMaxFailures, accountLockFor); err != nil {
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

func hasAnyRole(u *store.User, roles []string) bool {
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
