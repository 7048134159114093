package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/saoyue/saoyue"
)

var (
	// ErrUserNotFound is returned for an unknown login or id.
	ErrUserNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这个账号"}
	// ErrLoginTaken is returned when the login is someone else's already.
	ErrLoginTaken = &saoyue.Error{Code: saoyue.ECONFLICT, Message: "登录名已被他人使用"}
)

// User is a browser account.
type User struct {
	ID                 int64
	Login              string
	Name               string
	PasswordHash       string
	Roles              []saoyue.Role
	TeacherID          *int64
	SchoolID           *int64
	SchoolName         string
	MustChangePassword bool
	FailedAttempts     int
	LockedUntil        *time.Time
	Disabled           bool
}

// Has reports whether the user holds the role.
func (u *User) Has(role saoyue.Role) bool {
	for _, r := range u.Roles {
		if r == role {
			return true
		}
	}
	return false
}

const userColumns = `u.id, u.login, u.name, u.password_hash, u.roles, u.teacher_id, u.school_id, coalesce(s.name, ''),
	u.must_change_password, u.failed_attempts, u.locked_until, u.disabled`

func scanUser(r pgx.Row) (*User, error) {
	var u User
	err := r.Scan(&u.ID, &u.Login, &u.Name, &u.PasswordHash, &u.Roles, &u.TeacherID, &u.SchoolID, &u.SchoolName,
		&u.MustChangePassword, &u.FailedAttempts, &u.LockedUntil, &u.Disabled)
	return &u, err
}

// CreateUser stores a new account.
func CreateUser(ctx context.Context, q TxOrPool, u *User) error {
	err := q.QueryRow(ctx, `
		INSERT INTO users (login, name, password_hash, roles, teacher_id, school_id, must_change_password)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		u.Login, u.Name, u.PasswordHash, u.Roles, u.TeacherID, u.SchoolID, u.MustChangePassword).Scan(&u.ID)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("account %s: %w", u.Login, ErrLoginTaken)
	}
	if err != nil {
		return fmt.Errorf("create account %s: %w", u.Login, err)
	}
	return nil
}

// UserByLogin finds an account by its login.
func UserByLogin(ctx context.Context, q TxOrPool, login string) (*User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users u LEFT JOIN schools s ON s.id = u.school_id WHERE u.login = $1`, login))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("account %s: %w", login, ErrUserNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read account %s: %w", login, err)
	}
	return u, nil
}

// SetUserPassword replaces the password hash; mustChange marks a password
// someone else chose (a reset), to be changed at the next sign-in.
func SetUserPassword(ctx context.Context, q TxOrPool, id int64, hash string, mustChange bool) error {
	_, err := q.Exec(ctx, `UPDATE users SET password_hash = $2, must_change_password = $3, failed_attempts = 0, locked_until = NULL WHERE id = $1`,
		id, hash, mustChange)
	if err != nil {
		return fmt.Errorf("set password of account %d: %w", id, err)
	}
	return nil
}

// RosterTeacher is a teacher of an exam's schools without an account yet.
type RosterTeacher struct {
	TeacherID  int64
	TeacherNo  string
	Name       string
	SchoolID   int64
	SchoolCode string
	SchoolName string
	Subjects   []string
}

// TeachersWithoutAccount lists the teachers of the exam's schools who
// teach one of its subjects and have no account, by school and number.
func TeachersWithoutAccount(ctx context.Context, q TxOrPool, examCode string) ([]RosterTeacher, error) {
	rows, err := q.Query(ctx, `
		SELECT t.id, t.teacher_no, t.name, s.id, s.code, s.name, array_agg(DISTINCT ts.subject_code ORDER BY ts.subject_code)
		FROM exams e
		JOIN exam_schools es ON es.exam_id = e.id
		JOIN schools s ON s.id = es.school_id
		JOIN teachers t ON t.school_id = s.id
		JOIN teacher_subjects ts ON ts.teacher_id = t.id
		JOIN subjects su ON su.exam_id = e.id AND su.code = ts.subject_code
		WHERE e.code = $1 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.teacher_id = t.id)
		GROUP BY t.id, s.id ORDER BY s.code, t.teacher_no`, examCode)
	if err != nil {
		return nil, fmt.Errorf("list teachers of exam %s: %w", examCode, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RosterTeacher, error) {
		var t RosterTeacher
		err := r.Scan(&t.TeacherID, &t.TeacherNo, &t.Name, &t.SchoolID, &t.SchoolCode, &t.SchoolName, &t.Subjects)
		return t, err
	})
}

// SchoolIDByCode returns the id of a school code.
func SchoolIDByCode(ctx context.Context, q TxOrPool, code string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM schools WHERE code = $1`, code).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("no school with code %s", code)
	}
	if err != nil {
		return 0, fmt.Errorf("look up school %s: %w", code, err)
	}
	return id, nil
}
