package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SignInLimits are the sign-in rate limits: per account, a run of wrong
// passwords locks it for a while; per address, failures in a window refuse
// the address.
type SignInLimits struct {
	MaxFailures   int           // per account, in a row
	LockFor       time.Duration // how long a locked account stays locked
	IPWindow      time.Duration
	IPMaxFailures int
}

// SignInVerdict is what a reservation decided before any password is checked.
type SignInVerdict int

const (
	SignInAllowed   SignInVerdict = iota // check the password
	SignInIPLimited                      // the address has failed too often
	SignInLocked                         // the account is locked
)

// ReserveSignIn counts an attempt as failed before its password is checked,
// under transaction locks on the address and the login, so parallel guesses
// cannot all pass the limit check before any of them is counted: the limit
// holds however many arrive at once. A correct password then confirms the
// attempt (ConfirmSignIn), which clears the account's failures.
func (db *DB) ReserveSignIn(ctx context.Context, login, ip string, l SignInLimits) (attemptID int64, v SignInVerdict, err error) {
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		// Address before login, always: two attempts never wait on each
		// other's locks in opposite order.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('sign-in ip ' || $1, 0)),
			pg_advisory_xact_lock(hashtextextended('sign-in login ' || $2, 0))`, ip, login); err != nil {
			return err
		}
		var ipFailures int
		var locked bool
		err := tx.QueryRow(ctx, `
			SELECT (SELECT count(*) FROM sign_in_attempts WHERE ip = $1 AND NOT ok AND at >= now() - $3 * interval '1 second'),
			       COALESCE((SELECT locked_until > now() FROM users WHERE login = $2), false)`,
			ip, login, l.IPWindow.Seconds()).Scan(&ipFailures, &locked)
		switch {
		case err != nil:
			return err
		case ipFailures >= l.IPMaxFailures:
			v = SignInIPLimited
			return nil
		case locked:
			v = SignInLocked
			return nil
		}
		if err := tx.QueryRow(ctx, `INSERT INTO sign_in_attempts (login, ip, ok) VALUES ($1, $2, false) RETURNING id`,
			login, ip).Scan(&attemptID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			UPDATE users SET failed_attempts = failed_attempts + 1,
				locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + $3 * interval '1 second' ELSE locked_until END
			WHERE login = $1`, login, l.MaxFailures, l.LockFor.Seconds())
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("record sign-in attempt: %w", err)
	}
	return attemptID, v, nil
}

// ConfirmSignIn turns a reserved attempt into a successful one and clears
// the account's failures and lock.
func (db *DB) ConfirmSignIn(ctx context.Context, attemptID int64, login string) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sign_in_attempts SET ok = true WHERE id = $1`, attemptID); err != nil {
			return fmt.Errorf("confirm sign-in: %w", err)
		}
		_, err := tx.Exec(ctx, `UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in = now() WHERE login = $1`, login)
		if err != nil {
			return fmt.Errorf("confirm sign-in: %w", err)
		}
		return nil
	})
}
