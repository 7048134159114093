package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/saoyue/saoyue"
)

// ErrExamNotFound is returned when no exam has the code asked for.
var ErrExamNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这场考试"}

// ErrExamExists is returned when creating an exam whose code is taken.
var ErrExamExists = &saoyue.Error{Code: saoyue.ECONFLICT, Message: "考试代码已被使用"}

// Exam is one sitting with its subjects.
type Exam struct {
	ID           int64
	Code         string // two digits, the first part of every exam number
	Name         string
	Grade        string // only students of this grade sit it; empty = all
	Status       saoyue.Stage
	RoomCapacity int   // 30 or 42 (DOMAIN rule 12)
	SampleSize   int   // students per school; 0 = every student
	SampleSeed   int64 // makes the sample reproducible
	Subjects     []Subject
}

// Subject is one subject of an exam.
type Subject struct {
	ID        int64
	Code      string // math, english ...
	Name      string // 数学, 英语 ...
	Session   string // am or pm
	FullScore float64
}

// CreateExam stores a new exam and its subjects and sets their ids.
func (db *DB) CreateExam(ctx context.Context, e *Exam) error {
	return db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			INSERT INTO exams (code, name, grade, room_capacity, sample_size, sample_seed)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, status`,
			e.Code, e.Name, e.Grade, e.RoomCapacity, e.SampleSize, e.SampleSeed).Scan(&e.ID, &e.Status)
		if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return fmt.Errorf("create exam %s: %w", e.Code, ErrExamExists)
		}
		if err != nil {
			return fmt.Errorf("create exam %s: %w", e.Code, err)
		}
		for i := range e.Subjects {
			s := &e.Subjects[i]
			err := tx.QueryRow(ctx, `
				INSERT INTO subjects (exam_id, code, name, session, full_score)
				VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				e.ID, s.Code, s.Name, s.Session, s.FullScore).Scan(&s.ID)
			if err != nil {
				return fmt.Errorf("create exam %s: subject %s: %w", e.Code, s.Code, err)
			}
		}
		return nil
	})
}

// GetExam returns the exam with the given code and its subjects.
func GetExam(ctx context.Context, q TxOrPool, code string) (*Exam, error) {
	var e Exam
	err := q.QueryRow(ctx, `
		SELECT id, code, name, grade, status, room_capacity, sample_size, sample_seed
		FROM exams WHERE code = $1`, code).
		Scan(&e.ID, &e.Code, &e.Name, &e.Grade, &e.Status, &e.RoomCapacity, &e.SampleSize, &e.SampleSeed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("exam %s: %w", code, ErrExamNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read exam %s: %w", code, err)
	}
	rows, err := q.Query(ctx, `
		SELECT id, code, name, session, full_score::float8
		FROM subjects WHERE exam_id = $1 ORDER BY session, id`, e.ID)
	if err != nil {
		return nil, fmt.Errorf("read subjects of exam %s: %w", code, err)
	}
	e.Subjects, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Subject, error) {
		var s Subject
		err := row.Scan(&s.ID, &s.Code, &s.Name, &s.Session, &s.FullScore)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("read subjects of exam %s: %w", code, err)
	}
	return &e, nil
}

// AddExamSchools makes the schools take part in the exam; schools already
// taking part are left as they are.
func AddExamSchools(ctx context.Context, q TxOrPool, examID int64, schoolIDs []int64) error {
	_, err := q.Exec(ctx, `
		INSERT INTO exam_schools (exam_id, school_id)
		SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING`, examID, schoolIDs)
	if err != nil {
		return fmt.Errorf("add schools to exam: %w", err)
	}
	return nil
}

// ListExamSchools returns the schools taking part in the exam, by code.
func ListExamSchools(ctx context.Context, q TxOrPool, examID int64) ([]School, error) {
	rows, err := q.Query(ctx, `
		SELECT s.id, s.county_id, s.code, s.name, c.code, c.name
		FROM exam_schools es
		JOIN schools s ON s.id = es.school_id
		JOIN counties c ON c.id = s.county_id
		WHERE es.exam_id = $1
		ORDER BY s.code`, examID)
	if err != nil {
		return nil, fmt.Errorf("list schools of exam: %w", err)
	}
	schools, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (School, error) {
		var s School
		err := row.Scan(&s.ID, &s.CountyID, &s.Code, &s.Name, &s.CountyCode, &s.CountyName)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list schools of exam: %w", err)
	}
	return schools, nil
}
