package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/saoyue/saoyue"
)

// ErrPageNotFound is returned for an unknown page id.
var ErrPageNotFound = &saoyue.Error{Code: saoyue.ENOTFOUND, Message: "没有这一页"}

// Page is one scanned image.
type Page struct {
	ID          int64
	ImageSHA256 string
	BlobKey     string
	BatchID     *int64
	Seq         int
	SourceName  string
	Status      saoyue.PageStatus
}

// AddPage records a page image once: a second upload of the same image
// (same SHA-256) returns the existing page with created = false.
func AddPage(ctx context.Context, q TxOrPool, p *Page) (created bool, err error) {
	err = q.QueryRow(ctx, `
		INSERT INTO pages (image_sha256, blob_key, batch_id, seq, source_name)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (image_sha256) DO NOTHING
		RETURNING id, status`, p.ImageSHA256, p.BlobKey, p.BatchID, p.Seq, p.SourceName).Scan(&p.ID, &p.Status)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("record page %s: %w", p.SourceName, err)
	}
	existing, err := PageBySHA256(ctx, q, p.ImageSHA256)
	if err != nil {
		return false, err
	}
	*p = *existing
	return false, nil
}

const pageColumns = `id, image_sha256, blob_key, batch_id, seq, source_name, status`

func scanPage(row pgx.Row) (*Page, error) {
	var p Page
	err := row.Scan(&p.ID, &p.ImageSHA256, &p.BlobKey, &p.BatchID, &p.Seq, &p.SourceName, &p.Status)
	return &p, err
}

// PageBySHA256 finds the page of an image.
func PageBySHA256(ctx context.Context, q TxOrPool, sha string) (*Page, error) {
	p, err := scanPage(q.QueryRow(ctx, `SELECT `+pageColumns+` FROM pages WHERE image_sha256 = $1`, sha))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("page with image %s: %w", sha[:12], ErrPageNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("find page: %w", err)
	}
	return p, nil
}

// PageToRead returns a page and its batch (nil for a page of no batch) in
// one round trip: every page read starts with both.
func PageToRead(ctx context.Context, q TxOrPool, id int64) (*Page, *Batch, error) {
	var p Page
	var b Batch
	var batchID, examID, subjectID, schoolID *int64
	var expected *int
	var status *saoyue.BatchStatus
	var createdBy *string
	err := q.QueryRow(ctx, `
		SELECT p.id, p.image_sha256, p.blob_key, p.batch_id, p.seq, p.source_name, p.status,
			b.id, b.exam_id, b.subject_id, b.school_id, b.room_id, b.expected_cards, b.status, b.created_by
		FROM pages p LEFT JOIN batches b ON b.id = p.batch_id WHERE p.id = $1`, id).Scan(
		&p.ID, &p.ImageSHA256, &p.BlobKey, &p.BatchID, &p.Seq, &p.SourceName, &p.Status,
		&batchID, &examID, &subjectID, &schoolID, &b.RoomID, &expected, &status, &createdBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, fmt.Errorf("page %d: %w", id, ErrPageNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load page %d: %w", id, err)
	}
	if batchID == nil {
		return &p, nil, nil
	}
	b.ID, b.ExamID, b.SubjectID, b.SchoolID = *batchID, *examID, *subjectID, *schoolID
	b.ExpectedCards, b.Status, b.CreatedBy = *expected, *status, *createdBy
	return &p, &b, nil
}

// UnreadPages lists pages still waiting to be read that arrived more than
// age ago, oldest first: their page:read task was lost (Redis restarted
// before it saved them) or never queued.
func UnreadPages(ctx context.Context, q TxOrPool, age time.Duration, limit int) ([]int64, error) {
	rows, err := q.Query(ctx, `
		SELECT id FROM pages WHERE status = 'received' AND received_at < now() - make_interval(secs => $1)
		ORDER BY received_at LIMIT $2`, age.Seconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("list unread pages: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
