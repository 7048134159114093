package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/reading"
)

// ExamSubject is one subject of one exam, for the centre's pickers.
type ExamSubject struct {
	ExamID      int64
	ExamCode    string
	ExamName    string
	SubjectID   int64
	SubjectCode string
	SubjectName string
}

// ListExamSubjects returns every exam's subjects, newest exam first.
func ListExamSubjects(ctx context.Context, q TxOrPool) ([]ExamSubject, error) {
	rows, err := q.Query(ctx, `
		SELECT e.id, e.code, e.name, s.id, s.code, s.name
		FROM exams e JOIN subjects s ON s.exam_id = e.id
		ORDER BY e.id DESC, s.id`)
	if err != nil {
		return nil, fmt.Errorf("list exam subjects: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExamSubject, error) {
		var x ExamSubject
		err := r.Scan(&x.ExamID, &x.ExamCode, &x.ExamName, &x.SubjectID, &x.SubjectCode, &x.SubjectName)
		return x, err
	})
}

// RegisterFilter selects rows of the exception register; zero fields
// match everything.
type RegisterFilter struct {
	ExamID      int64
	SchoolID    int64
	SubjectCode string
	Kind        reading.Kind
	Status      saoyue.ExceptionStatus
	Limit       int // 0: no limit
	Offset      int
}

// RegisterRow is one exception with where it was found.
type RegisterRow struct {
	Exception
	ExamCode    string
	SchoolCode  string
	SchoolName  string
	SubjectCode string
	SubjectName string
	Room        *int
	PageSeq     *int
	RequestedAt *time.Time
}

// ExceptionRegister lists the exceptions of every school (异常试卷登记表)
// in the order they were found, with the total the filter matches.
func ExceptionRegister(ctx context.Context, q TxOrPool, f RegisterFilter) ([]RegisterRow, int, error) {
	limit := any(nil)
	if f.Limit > 0 {
		limit = f.Limit
	}
	rows, err := q.Query(ctx, `
		SELECT e.id, e.batch_id, e.page_id, e.card_id, e.kind, e.item_no, e.reason, e.detail, e.status, e.resolution,
			e.requested_by, e.resolved_by, e.approved_by, e.created_at, e.resolved_at,
			coalesce(x.code, ''), coalesce(sc.code, ''), coalesce(sc.name, ''), coalesce(su.code, ''), coalesce(su.name, ''),
			r.number, p.seq, e.requested_at, count(*) OVER ()
		FROM exceptions e
		LEFT JOIN batches b ON b.id = e.batch_id
		LEFT JOIN exams x ON x.id = b.exam_id
		LEFT JOIN schools sc ON sc.id = b.school_id
		LEFT JOIN subjects su ON su.id = b.subject_id
		LEFT JOIN rooms r ON r.id = b.room_id
		LEFT JOIN pages p ON p.id = e.page_id
		WHERE ($1 = 0 OR b.exam_id = $1) AND ($2 = 0 OR b.school_id = $2) AND ($3 = '' OR su.code = $3)
		  AND ($4 = '' OR e.kind = $4) AND ($5 = '' OR e.status = $5)
		ORDER BY e.id
		LIMIT $6 OFFSET $7`, f.ExamID, f.SchoolID, f.SubjectCode, f.Kind, f.Status, limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("read exception register: %w", err)
	}
	total := 0
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RegisterRow, error) {
		var x RegisterRow
		e := &x.Exception
		err := r.Scan(&e.ID, &e.BatchID, &e.PageID, &e.CardID, &e.Kind, &e.ItemNo, &e.Reason, &e.Detail, &e.Status,
			&e.Resolution, &e.RequestedBy, &e.ResolvedBy, &e.ApprovedBy, &e.CreatedAt, &e.ResolvedAt,
			&x.ExamCode, &x.SchoolCode, &x.SchoolName, &x.SubjectCode, &x.SubjectName, &x.Room, &x.PageSeq, &x.RequestedAt, &total)
		return x, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read exception register: %w", err)
	}
	return out, total, nil
}

// UserFilter selects accounts; zero fields match everything.
type UserFilter struct {
	Role     string
	SchoolID int64
}

// Account is a user as the centre manages it.
type Account struct {
	User
	SchoolCode string
	LastSignIn *time.Time
	Sessions   int // live sessions
}

// ListAccounts returns the accounts by school and login.
func ListAccounts(ctx context.Context, q TxOrPool, f UserFilter) ([]Account, error) {
	rows, err := q.Query(ctx, `
		SELECT `+userColumns+`, coalesce(s.code, ''), u.last_sign_in,
			(SELECT count(*)::int FROM sessions x WHERE x.user_id = u.id AND x.expires_at > now())
		FROM users u LEFT JOIN schools s ON s.id = u.school_id
		WHERE ($1 = '' OR $1 = ANY(u.roles)) AND ($2 = 0 OR u.school_id = $2)
		ORDER BY s.code NULLS FIRST, u.login`, f.Role, f.SchoolID)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) {
		var a Account
		u := &a.User
		err := r.Scan(&u.ID, &u.Login, &u.Name, &u.PasswordHash, &u.Roles, &u.TeacherID, &u.SchoolID, &u.SchoolName,
			&u.MustChangePassword, &u.FailedAttempts, &u.LockedUntil, &u.Disabled, &a.SchoolCode, &a.LastSignIn, &a.Sessions)
		return a, err
	})
}

// UserByID finds an account by id.
func UserByID(ctx context.Context, q TxOrPool, id int64) (*User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN schools s ON s.id = u.school_id WHERE u.id = $1 FOR UPDATE OF u`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("account %d: %w", id, ErrUserNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read account %d: %w", id, err)
	}
	return u, nil
}

// SetUserDisabled disables or enables an account; a disabled account has
// no live session (SessionByToken refuses it).
func SetUserDisabled(ctx context.Context, q TxOrPool, id int64, disabled bool) error {
	if _, err := q.Exec(ctx, `UPDATE users SET disabled = $2 WHERE id = $1`, id, disabled); err != nil {
		return fmt.Errorf("disable account %d: %w", id, err)
	}
	return nil
}

// UnlockUser clears the failed sign-ins and the lock they set.
func UnlockUser(ctx context.Context, q TxOrPool, id int64) error {
	if _, err := q.Exec(ctx, `UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("unlock account %d: %w", id, err)
	}
	return nil
}

// EndUserSessions signs the account out of every browser.
func EndUserSessions(ctx context.Context, q TxOrPool, id int64) (int64, error) {
	tag, err := q.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
	if err != nil {
		return 0, fmt.Errorf("end sessions of account %d: %w", id, err)
	}
	return tag.RowsAffected(), nil
}
