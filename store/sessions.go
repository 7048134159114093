package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
)

// ErrNoSession is returned for an unknown or expired session.
var ErrNoSession = &saoyue.Error{Code: saoyue.EUNAUTHORIZED, Message: "请先登录"}

// Session is a signed-in browser; the cookie holds a random token whose
// SHA-256 is the key here.
type Session struct {
	TokenHash string
	CSRFToken string
	ExpiresAt time.Time
	User      *User
}

// CreateSession stores a new session.
func CreateSession(ctx context.Context, q TxOrPool, s *Session, userAgent, ip string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6)`,
		s.TokenHash, s.User.ID, s.CSRFToken, s.ExpiresAt, userAgent, ip)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByToken returns the live session with its account; a disabled
// account has none.
func SessionByToken(ctx context.Context, q TxOrPool, tokenHash string) (*Session, error) {
	s := Session{TokenHash: tokenHash}
	var u User
	err := q.QueryRow(ctx, `
		SELECT x.csrf_token, x.expires_at, `+userColumns+`
		FROM sessions x JOIN users u ON u.id = x.user_id LEFT JOIN schools s ON s.id = u.school_id
		WHERE x.token_hash = $1 AND x.expires_at > now() AND NOT u.disabled`, tokenHash).Scan(
		&s.CSRFToken, &s.ExpiresAt, &u.ID, &u.Login, &u.Name, &u.PasswordHash, &u.Roles, &u.TeacherID, &u.SchoolID, &u.SchoolName,
		&u.MustChangePassword, &u.FailedAttempts, &u.LockedUntil, &u.Disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	s.User = &u
	return &s, nil
}

// DeleteSession signs one browser out.
func DeleteSession(ctx context.Context, q TxOrPool, tokenHash string) error {
	if _, err := q.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions signs the account out everywhere but the session
// kept (after a password change the other browsers must sign in again).
func DeleteUserSessions(ctx context.Context, q TxOrPool, userID int64, keepTokenHash string) error {
	_, err := q.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, keepTokenHash)
	if err != nil {
		return fmt.Errorf("delete sessions: %w", err)
	}
	_, err = q.Exec(ctx, `DELETE FROM sessions WHERE expires_at < now() - interval '1 day'`)
	return err
}
