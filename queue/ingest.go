package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/metrics"
	"github.com/saoyue/saoyue/store"
)

// Ingester accepts scanned page images: it stores each image once under its
// SHA-256, records the page, and enqueues its reading. It is what the
// upload API, the direct-to-bucket scan client and the demo all call.
type Ingester struct {
	DB    *store.DB
	Blobs blob.Store
	Queue Enqueuer
}

// IngestResult says what became of an image.
type IngestResult struct {
	PageID    int64  `json:"page_id"`
	SHA256    string `json:"sha256"`
	Duplicate bool   `json:"duplicate"` // the same image was already a page
	// BatchID is the batch the page belongs to: another one than the
	// upload's for a duplicate; never sent to the scan station.
	BatchID int64 `json:"-"`
}

// AddPage stores and records one image of a batch. seq is its position in
// the scan order. Uploading the same image again is harmless: it is one
// page, and its read is enqueued again only if the first never finished.
func (in *Ingester) AddPage(ctx context.Context, batchID int64, seq int, name string, data []byte) (*IngestResult, error) {
	return in.AddHashedPage(ctx, batchID, seq, name, blob.SHA256(data), data)
}

// AddHashedPage is AddPage for a caller that has just computed the image's
// SHA-256 (hex) from these very bytes: the upload API, which checks the
// digest the scan station sent, and the station's spool in direct mode,
// which names and checks its copies by it. Hashing a page is a tenth of a
// millisecond each time; the pages are stored under sum, so a sum that is
// not data's would file the image under another image's name.
func (in *Ingester) AddHashedPage(ctx context.Context, batchID int64, seq int, name, sum string, data []byte) (*IngestResult, error) {
	if len(data) == 0 {
		return nil, errors.New("empty image")
	}
	code, status, err := store.BatchExamStage(ctx, in.DB.Pool, batchID)
	if err != nil {
		return nil, err
	}
	if err := ScansAccepted(code, status); err != nil {
		return nil, err
	}
	key := blob.PageKey(sum, imageExt(name, data))
	// Store the blob before the row: a row never points at a missing image.
	// The key is the content's digest, so putting the same image again
	// rewrites the same bytes; asking first would cost a request per page to
	// save one on the rare rescan.
	if err := in.Blobs.Put(ctx, key, bytes.NewReader(data), int64(len(data)), contentType(key)); err != nil {
		return nil, fmt.Errorf("store page image %s: %w", name, err)
	}
	p := &store.Page{ImageSHA256: sum, BlobKey: key, BatchID: &batchID, Seq: seq, SourceName: name}
	created, err := store.AddPage(ctx, in.DB.Pool, p)
	if err != nil {
		return nil, err
	}
	if created {
		metrics.PagesReceived.Inc()
	}
	if created || p.Status == saoyue.PageReceived {
		task, opts := NewPageReadTask(p.ID)
		if err := in.Queue.Enqueue(ctx, task, opts...); err != nil {
			// The page is recorded; a sweep re-enqueues pages left in
			// 'received', so nothing is lost.
			return nil, fmt.Errorf("queue page %s for reading: %w", name, err)
		}
	}
	res := &IngestResult{PageID: p.ID, SHA256: sum, Duplicate: !created}
	if p.BatchID != nil {
		res.BatchID = *p.BatchID
	}
	return res, nil
}

// ScansAccepted refuses an upload to an exam whose stage takes no scans:
// before scanning has started, and from final on.
func ScansAccepted(examCode string, st saoyue.Stage) error {
	if st.AcceptsScans() {
		return nil
	}
	if st.AtLeast(saoyue.StageFinal) {
		return saoyue.Errorf(saoyue.ECONFLICT, "考试 %s 当前阶段为「%s」，不能再上传答题卡", examCode, st.Name())
	}
	return saoyue.Errorf(saoyue.ECONFLICT, "考试 %s 当前阶段为「%s」，还没有开始扫描，不能上传答题卡", examCode, st.Name())
}

func imageExt(name string, data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return ".jpg"
	case bytes.HasPrefix(data, []byte("\x89PNG")):
		return ".png"
	}
	if ext := strings.ToLower(path.Ext(name)); len(ext) <= 5 {
		return ext
	}
	return ""
}

func contentType(key string) string {
	switch path.Ext(key) {
	case ".jpg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	}
	return "application/octet-stream"
}
