package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
)

// ErrScanTokenNotFound is returned for a token that was never issued or has
// been revoked.
var ErrScanTokenNotFound = &saoyue.Error{Code: saoyue.EUNAUTHORIZED, Message: "技术员令牌不存在或已撤销"}

// ErrUnknownBag is returned when a batch names an exam, subject, school or
// room that does not exist.
var ErrUnknownBag = &saoyue.Error{Code: saoyue.EINVALID, Message: "考试、学科、学校或考场不存在"}

// unknownBag says which code of a bag is unknown, in the user's terms, and
// is still ErrUnknownBag for errors.Is.
func unknownBag(format string, args ...any) error {
	return fmt.Errorf("%w (%w)", saoyue.Errorf(saoyue.EINVALID, format, args...), ErrUnknownBag)
}

// ScanToken is a scan station's credential: it acts for one school.
type ScanToken struct {
	ID         int64
	SchoolID   int64
	SchoolCode string
	SchoolName string
	Label      string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// tokenSHA256 is how a token is kept: a leaked database gives no token.
func tokenSHA256(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateScanToken issues a token for the school and returns it; only its
// hash is stored, so this is the one time it can be shown.
func CreateScanToken(ctx context.Context, q TxOrPool, schoolCode, label string) (string, *ScanToken, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", nil, fmt.Errorf("create scan token: %w", err)
	}
	token := "sy_" + base64.RawURLEncoding.EncodeToString(raw[:])
	t := &ScanToken{SchoolCode: schoolCode, Label: label}
	err := q.QueryRow(ctx, `
		INSERT INTO scan_tokens (token_sha256, school_id, label)
		SELECT $1, id, $3 FROM schools WHERE code = $2
		RETURNING id, school_id, created_at, (SELECT name FROM schools WHERE code = $2)`,
		tokenSHA256(token), schoolCode, label).Scan(&t.ID, &t.SchoolID, &t.CreatedAt, &t.SchoolName)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, unknownBag("没有学校 %s", schoolCode)
	}
	if err != nil {
		return "", nil, fmt.Errorf("create scan token: %w", err)
	}
	return token, t, nil
}

const scanTokenColumns = `t.id, t.school_id, s.code, s.name, t.label, t.created_at, t.last_used_at, t.revoked_at`

func scanScanToken(row pgx.Row) (*ScanToken, error) {
	var t ScanToken
	err := row.Scan(&t.ID, &t.SchoolID, &t.SchoolCode, &t.SchoolName, &t.Label, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	return &t, err
}

// ScanTokenBySecret returns the live token with this secret and notes its
// use, or ErrScanTokenNotFound.
func ScanTokenBySecret(ctx context.Context, q TxOrPool, token string) (*ScanToken, error) {
	t, err := scanScanToken(q.QueryRow(ctx, `
		WITH used AS (
			UPDATE scan_tokens SET last_used_at = now()
			WHERE token_sha256 = $1 AND revoked_at IS NULL
			RETURNING *)
		SELECT `+scanTokenColumns+` FROM used t JOIN schools s ON s.id = t.school_id`, tokenSHA256(token)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrScanTokenNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("check scan token: %w", err)
	}
	return t, nil
}

// ScanTokens lists every token, newest first.
func ScanTokens(ctx context.Context, q TxOrPool) ([]ScanToken, error) {
	rows, err := q.Query(ctx, `
		SELECT `+scanTokenColumns+` FROM scan_tokens t JOIN schools s ON s.id = t.school_id
		ORDER BY t.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list scan tokens: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ScanToken, error) {
		t, err := scanScanToken(row)
		return *t, err
	})
}

// RevokeScanToken stops a token from working; revoking twice is harmless.
func RevokeScanToken(ctx context.Context, q TxOrPool, id int64) error {
	tag, err := q.Exec(ctx, `UPDATE scan_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("revoke scan token %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke scan token %d: %w", id, ErrScanTokenNotFound)
	}
	return nil
}

// ScanBag names a bag by the codes printed on it.
type ScanBag struct {
	ExamCode    string
	SubjectCode string
	SchoolCode  string
	Room        int // room number within the school; 0 = no room (a mixed bag)
	Expected    int // cards in the bag by the room roster
	CreatedBy   string
}

// ScanBatch is a batch with the codes of its bag and how many pages it has.
type ScanBatch struct {
	Batch
	ExamCode    string
	SubjectCode string
	SchoolCode  string
	Room        int
	Pages       int
}

// OpenScanBatch returns the open batch of the bag, or creates it: scanning
// a bag again (a restarted station, a second pass) continues its batch.
// created says which. Unknown codes give ErrUnknownBag with what is wrong.
func (db *DB) OpenScanBatch(ctx context.Context, bag ScanBag) (b *ScanBatch, created bool, err error) {
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		var examID, subjectID, schoolID int64
		var roomID *int64
		if err := tx.QueryRow(ctx, `SELECT id FROM exams WHERE code = $1`, bag.ExamCode).Scan(&examID); errors.Is(err, pgx.ErrNoRows) {
			return unknownBag("没有考试 %s", bag.ExamCode)
		} else if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT id FROM subjects WHERE exam_id = $1 AND code = $2`, examID, bag.SubjectCode).Scan(&subjectID); errors.Is(err, pgx.ErrNoRows) {
			return unknownBag("考试 %s 没有学科 %s", bag.ExamCode, bag.SubjectCode)
		} else if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT id FROM schools WHERE code = $1`, bag.SchoolCode).Scan(&schoolID); errors.Is(err, pgx.ErrNoRows) {
			return unknownBag("没有学校 %s", bag.SchoolCode)
		} else if err != nil {
			return err
		}
		if bag.Room > 0 {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM rooms WHERE exam_id = $1 AND school_id = $2 AND number = $3`, examID, schoolID, bag.Room).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				return unknownBag("考试 %s 中学校 %s 没有第 %d 考场", bag.ExamCode, bag.SchoolCode, bag.Room)
			} else if err != nil {
				return err
			}
			roomID = &id
			// Two stations opening the same bag at once get one batch.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('scan-bag'), $1::int)`, id); err != nil {
				return err
			}
			var existing int64
			err = tx.QueryRow(ctx, `
				SELECT id FROM batches
				WHERE exam_id = $1 AND subject_id = $2 AND school_id = $3 AND room_id = $4 AND status = 'open'
				ORDER BY id LIMIT 1`, examID, subjectID, schoolID, id).Scan(&existing)
			if err == nil {
				if bag.Expected > 0 {
					if _, err := tx.Exec(ctx, `UPDATE batches SET expected_cards = $2 WHERE id = $1`, existing, bag.Expected); err != nil {
						return err
					}
				}
				b, err = scanBatch(ctx, tx, existing)
				return err
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO batches (exam_id, subject_id, school_id, room_id, expected_cards, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			examID, subjectID, schoolID, roomID, bag.Expected, bag.CreatedBy).Scan(&id); err != nil {
			return err
		}
		created = true
		b, err = scanBatch(ctx, tx, id)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrUnknownBag) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("open batch for exam %s %s school %s room %d: %w", bag.ExamCode, bag.SubjectCode, bag.SchoolCode, bag.Room, err)
	}
	return b, created, nil
}

// ScanBatchByID returns a batch with its codes and page count.
func ScanBatchByID(ctx context.Context, q TxOrPool, id int64) (*ScanBatch, error) {
	b, err := scanBatch(ctx, q, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("batch %d: %w", id, ErrBatchNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load batch %d: %w", id, err)
	}
	return b, nil
}

func scanBatch(ctx context.Context, q TxOrPool, id int64) (*ScanBatch, error) {
	var b ScanBatch
	var room *int
	err := q.QueryRow(ctx, `
		SELECT b.id, b.exam_id, b.subject_id, b.school_id, b.room_id, b.expected_cards, b.status, b.created_by,
		       e.code, sub.code, s.code, r.number,
		       (SELECT count(*) FROM pages p WHERE p.batch_id = b.id)
		FROM batches b
		JOIN exams e ON e.id = b.exam_id
		JOIN subjects sub ON sub.id = b.subject_id
		JOIN schools s ON s.id = b.school_id
		LEFT JOIN rooms r ON r.id = b.room_id
		WHERE b.id = $1`, id).Scan(&b.ID, &b.ExamID, &b.SubjectID, &b.SchoolID, &b.RoomID, &b.ExpectedCards, &b.Status, &b.CreatedBy,
		&b.ExamCode, &b.SubjectCode, &b.SchoolCode, &room, &b.Pages)
	if room != nil {
		b.Room = *room
	}
	return &b, err
}

// PageSchool returns the school of the batch a page belongs to (0 if the
// page has no batch), so the scan API shows a school only its own pages.
func PageSchool(ctx context.Context, q TxOrPool, pageID int64) (int64, error) {
	var school *int64
	err := q.QueryRow(ctx, `
		SELECT b.school_id FROM pages p LEFT JOIN batches b ON b.id = p.batch_id WHERE p.id = $1`, pageID).Scan(&school)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("page %d: %w", pageID, ErrPageNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("load page %d: %w", pageID, err)
	}
	if school == nil {
		return 0, nil
	}
	return *school, nil
}
