package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/scanner"
	"github.com/saoyue/saoyue/store"
)

// uploader returns the county server's API client, or with --direct the
// direct uploader, and a function closing what it opened.
func (o *options) uploader(ctx context.Context) (scanner.Uploader, func(), error) {
	if !o.direct {
		return &scanner.HTTPUploader{Server: o.server, Token: o.token, Client: &http.Client{Timeout: 2 * time.Minute}}, func() {}, nil
	}
	d, err := openDirect(ctx, o.directTo)
	if err != nil {
		return nil, nil, err
	}
	return d, d.close, nil
}

// direct writes pages into the county's bucket and database and queues
// their reading itself, through the same queue.Ingester the server's
// upload API uses: for a scan station inside the county centre.
type direct struct {
	db *store.DB
	q  queue.Enqueuer
	in *queue.Ingester
}

func openDirect(ctx context.Context, c directConfig) (*direct, error) {
	blobs, err := blob.NewMinIO(ctx, c.S3)
	if err != nil {
		return nil, err
	}
	// The county server migrates the schema; a scan station does not.
	db, err := store.Open(ctx, c.DatabaseURL)
	if err != nil {
		return nil, err
	}
	q := queue.NewRedis(c.RedisAddr)
	return &direct{db: db, q: q, in: &queue.Ingester{DB: db, Blobs: blobs, Queue: q}}, nil
}

func (d *direct) close() {
	_ = d.q.Close()
	d.db.Close()
}

func (d *direct) OpenBatch(ctx context.Context, spec scanner.BatchSpec) (*scanner.Batch, error) {
	b, _, err := d.db.OpenScanBatch(ctx, store.ScanBag{
		ExamCode: spec.Exam, SubjectCode: spec.Subject, SchoolCode: spec.School, Room: spec.Room,
		Expected: spec.Expected, CreatedBy: "saoyue-scan --direct",
	})
	if errors.Is(err, store.ErrUnknownBag) {
		return nil, &scanner.RefusedError{Reason: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return &scanner.Batch{ID: b.ID, BatchSpec: spec, Status: string(b.Status), Pages: b.Pages}, nil
}

func (d *direct) HasPage(ctx context.Context, sha256 string) (int64, bool, error) {
	p, err := store.PageBySHA256(ctx, d.db.Pool, sha256)
	if errors.Is(err, store.ErrPageNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return p.ID, true, nil
}

func (d *direct) UploadPage(ctx context.Context, batchID int64, seq int, name, sha256 string, data []byte) (*scanner.UploadResult, error) {
	res, err := d.in.AddHashedPage(ctx, batchID, seq, name, sha256, data)
	if err != nil {
		return nil, fmt.Errorf("upload page %s: %w", name, err)
	}
	return &scanner.UploadResult{PageID: res.PageID, SHA256: res.SHA256, Duplicate: res.Duplicate}, nil
}
