package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue"
)

// The read-only figures the signed-in users' pages show: a technician's
// batches, the page behind an exception, the centre's dashboard.

// TechBatch is one bag of a school with its counts so far.
type TechBatch struct {
	ID         int64
	ExamCode   string
	Subject    string
	Room       int
	Expected   int
	Pages      int
	Cards      int
	Absent     int
	Violation  int
	Exceptions int // not resolved
	Status     saoyue.BatchStatus
	CreatedAt  time.Time
}

// SchoolBatches lists a school's batches, newest first.
func SchoolBatches(ctx context.Context, q TxOrPool, schoolID int64) ([]TechBatch, error) {
	rows, err := q.Query(ctx, `
		SELECT b.id, e.code, su.name, coalesce(r.number, 0), b.expected_cards,
			(SELECT count(*) FROM pages p WHERE p.batch_id = b.id)::int,
			(SELECT count(*) FROM cards c WHERE c.batch_id = b.id)::int,
			(SELECT count(*) FROM cards c WHERE c.batch_id = b.id AND c.absent)::int,
			(SELECT count(*) FROM cards c WHERE c.batch_id = b.id AND c.violation)::int,
			(SELECT count(*) FROM exceptions x WHERE x.batch_id = b.id AND x.status <> 'resolved')::int,
			b.status, b.created_at
		FROM batches b JOIN exams e ON e.id = b.exam_id JOIN subjects su ON su.id = b.subject_id
		LEFT JOIN rooms r ON r.id = b.room_id
		WHERE b.school_id = $1 ORDER BY b.created_at DESC, b.id DESC LIMIT 500`, schoolID)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TechBatch, error) {
		var b TechBatch
		err := r.Scan(&b.ID, &b.ExamCode, &b.Subject, &b.Room, &b.Expected, &b.Pages, &b.Cards, &b.Absent, &b.Violation, &b.Exceptions, &b.Status, &b.CreatedAt)
		return b, err
	})
}

// PageView is a page image with what the reader made of it.
type PageView struct {
	PageID   int64
	BlobKey  string
	SchoolID int64 // of its batch; 0 when unknown
	Seq      int
	Result   json.RawMessage // the reader's JSON, nil when not read
	Barcode  string
	Grid     string
	Verdict  string
}

// GetPageView loads a page for the exception view.
func GetPageView(ctx context.Context, q TxOrPool, pageID int64) (*PageView, error) {
	var v PageView
	var barcode, grid, verdict *string
	err := q.QueryRow(ctx, `
		SELECT p.id, p.blob_key, coalesce(b.school_id, 0), p.seq, rr.result, rr.exam_no_barcode, rr.exam_no_grid, rr.exam_no_verdict
		FROM pages p LEFT JOIN batches b ON b.id = p.batch_id LEFT JOIN read_results rr ON rr.page_id = p.id
		WHERE p.id = $1`, pageID).Scan(&v.PageID, &v.BlobKey, &v.SchoolID, &v.Seq, &v.Result, &barcode, &grid, &verdict)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("page %d: %w", pageID, ErrPageNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read page %d: %w", pageID, err)
	}
	for _, p := range []struct {
		src *string
		dst *string
	}{{barcode, &v.Barcode}, {grid, &v.Grid}, {verdict, &v.Verdict}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return &v, nil
}

// ExceptionSchool is the school of an exception's batch, 0 when unknown.
func ExceptionSchool(ctx context.Context, q TxOrPool, id int64) (int64, error) {
	var school int64
	err := q.QueryRow(ctx, `SELECT coalesce(b.school_id, 0) FROM exceptions x LEFT JOIN batches b ON b.id = x.batch_id WHERE x.id = $1`, id).Scan(&school)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("exception %d: %w", id, ErrExceptionNotFound)
	}
	return school, err
}

// ScanProgress is one school's scanning of one subject.
type ScanProgress struct {
	SchoolCode string
	SchoolName string
	Subject    string
	Candidates int
	Batches    int
	Pages      int
	Cards      int
	Exceptions int
}

// ExamScanProgress counts, per school and subject of an exam, the
// candidates, the batches and pages received, the cards known and the
// exceptions still open.
func ExamScanProgress(ctx context.Context, q TxOrPool, examID int64) ([]ScanProgress, error) {
	rows, err := q.Query(ctx, `
		SELECT s.code, s.name, su.name,
			(SELECT count(*) FROM candidates c JOIN rooms r ON r.id = c.room_id WHERE c.exam_id = $1 AND r.school_id = s.id)::int,
			(SELECT count(*) FROM batches b WHERE b.subject_id = su.id AND b.school_id = s.id)::int,
			(SELECT count(*) FROM pages p JOIN batches b ON b.id = p.batch_id WHERE b.subject_id = su.id AND b.school_id = s.id)::int,
			(SELECT count(*) FROM cards c JOIN candidates ca ON ca.id = c.candidate_id JOIN rooms r ON r.id = ca.room_id
			 WHERE c.subject_id = su.id AND r.school_id = s.id)::int,
			(SELECT count(*) FROM exceptions x JOIN batches b ON b.id = x.batch_id
			 WHERE b.subject_id = su.id AND b.school_id = s.id AND x.status <> 'resolved')::int
		FROM exam_schools es JOIN schools s ON s.id = es.school_id JOIN subjects su ON su.exam_id = es.exam_id
		WHERE es.exam_id = $1 ORDER BY s.code, su.id`, examID)
	if err != nil {
		return nil, fmt.Errorf("read scanning progress: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ScanProgress, error) {
		var p ScanProgress
		err := r.Scan(&p.SchoolCode, &p.SchoolName, &p.Subject, &p.Candidates, &p.Batches, &p.Pages, &p.Cards, &p.Exceptions)
		return p, err
	})
}

// RecentMarks counts the normal and arbitration marks of each group of a
// subject given since a time: the pace the finish estimate extrapolates.
func RecentMarks(ctx context.Context, q TxOrPool, subjectID int64, since time.Time) (map[int64]int, error) {
	rows, err := q.Query(ctx, `
		SELECT t.group_id, count(*)::int FROM marks m JOIN marking_tasks t ON t.id = m.task_id
		JOIN question_groups g ON g.id = t.group_id
		WHERE g.subject_id = $1 AND m.created_at >= $2 AND m.kind IN ('normal','arbitration')
		GROUP BY t.group_id`, subjectID, since)
	if err != nil {
		return nil, fmt.Errorf("count recent marks: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var g int64
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			return nil, err
		}
		out[g] = n
	}
	return out, rows.Err()
}

// ActiveSubject is a subject of an exam that is not final yet.
type ActiveSubject struct {
	ExamID      int64
	ExamCode    string
	ExamName    string
	ExamStatus  saoyue.Stage
	SubjectID   int64
	SubjectCode string
	SubjectName string
}

// ActiveSubjects lists the subjects of exams in progress, newest exam first.
func ActiveSubjects(ctx context.Context, q TxOrPool) ([]ActiveSubject, error) {
	rows, err := q.Query(ctx, `
		SELECT e.id, e.code, e.name, e.status, su.id, su.code, su.name
		FROM exams e JOIN subjects su ON su.exam_id = e.id
		WHERE e.status NOT IN ('final','archived') ORDER BY e.created_at DESC, e.id DESC, su.id`)
	if err != nil {
		return nil, fmt.Errorf("list active subjects: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ActiveSubject, error) {
		var a ActiveSubject
		err := r.Scan(&a.ExamID, &a.ExamCode, &a.ExamName, &a.ExamStatus, &a.SubjectID, &a.SubjectCode, &a.SubjectName)
		return a, err
	})
}
