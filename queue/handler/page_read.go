package handler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/metrics"
	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/reading"
	"github.com/saoyue/saoyue/store"
)

// ReaderVersion is stored with every reading, so a later reader can tell
// which pages to read again.
const ReaderVersion = "omr/1"

// PageRead reads a page image and stores everything it found.
type PageRead struct {
	DB      *store.DB
	Blobs   blob.Store
	Queue   queue.Enqueuer
	Readers *Readers
	// Reading holds a token while a page is being read, so that no more
	// pages are read at once than it holds (the cores): reading is the
	// only part of the task that keeps a core busy, the rest waits on
	// object storage, PostgreSQL and Redis. The worker runs more tasks
	// than that, so a core that finishes a page finds the next one
	// already fetched, and a task waiting on storage never leaves a core
	// idle. Nil: no limit.
	Reading chan struct{}
	// Memory bounds the memory of the pages being read at once: a page
	// reserves its cost from its header before it is decoded. Nil: no
	// limit.
	Memory *MemoryBudget

	packOnce sync.Once
	packer   *cropPacker
}

// ProcessTask reads one page and stores what it found: the page and its
// bag, the image, the reading, the page's decision and crops, one
// transaction, then the scoring of the cards it completed.
func (h *PageRead) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p queue.PageReadPayload
	if err := queue.DecodePayload(t, &p); err != nil {
		return err
	}
	h.packOnce.Do(func() { h.packer = newCropPacker(h.Blobs) })
	ticket := h.packer.begin()
	defer h.packer.end(ticket)
	page, batch, reader, err := h.load(ctx, p.PageID)
	if err != nil {
		return err
	}
	data, err := blob.ReadAll(ctx, h.Blobs, page.BlobKey)
	if err != nil {
		return fmt.Errorf("fetch page image: %w", err)
	}
	began := time.Now()
	res, err := h.read(ctx, reader, page.SourceName, data)
	if err != nil {
		return err
	}
	metrics.ReadDuration.Observe(time.Since(began).Seconds())
	pr := pageRead(page, batch, res)
	if err := h.storeCrops(ctx, ticket, res, pr); err != nil {
		return err
	}
	if pr.Result, err = json.Marshal(res); err != nil {
		return fmt.Errorf("encode reading: %w", err)
	}
	pr.Then = createTasks
	out, err := h.DB.SavePageRead(ctx, pr)
	if err != nil {
		return err
	}
	countReading(pr)
	return h.scoreCompleted(ctx, out, reader.Pages(res.Template))
}

// load finds the page, its bag and the reader for the bag's subject. A
// page that cannot be read by any retry is not retried.
func (h *PageRead) load(ctx context.Context, pageID int64) (*store.Page, *store.Batch, *omr.Reader, error) {
	page, batch, err := store.PageToRead(ctx, h.DB.Pool, pageID)
	if errors.Is(err, store.ErrPageNotFound) {
		return nil, nil, nil, fmt.Errorf("%v: %w", err, asynq.SkipRetry)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if batch == nil {
		return nil, nil, nil, fmt.Errorf("page %d belongs to no batch: %w", page.ID, asynq.SkipRetry)
	}
	reader, err := h.Readers.ForBag(ctx, batch)
	if errors.Is(err, store.ErrTemplateNotFound) {
		return nil, nil, nil, fmt.Errorf("subject of batch %d has no card template registered: %w", batch.ID, asynq.SkipRetry)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return page, batch, reader, nil
}

// pageRead is the reading as the store takes it, with the page's decision
// (reading.DecidePage).
func pageRead(page *store.Page, batch *store.Batch, res *reading.Result) *store.PageRead {
	pr := &store.PageRead{
		PageID: page.ID, BatchID: batch.ID, Seq: page.Seq, ExamID: batch.ExamID, SubjectID: batch.SubjectID,
		ReaderVersion: ReaderVersion, TemplateCode: res.Template, PageNo: res.Page, Form: res.Form, Rotation: res.Rotation,
	}
	if res.ExamNo != nil {
		pr.HasIdentity = true
		pr.ExamNoBarcode, pr.ExamNoGrid, pr.ExamNoVerdict, pr.ExamNo = res.ExamNo.Barcode, res.ExamNo.Grid, res.ExamNo.Verdict, res.ExamNo.Value
	}
	pr.Absent = res.Absent != nil && res.Absent.Marked
	pr.Violation = res.Violation != nil && res.Violation.Marked
	d := reading.DecidePage(res)
	pr.Failed = d.Failed
	for _, e := range d.Exceptions {
		item := ""
		if e.Item > 0 {
			item = strconv.Itoa(e.Item)
		}
		pr.Exceptions = append(pr.Exceptions, store.Exception{Kind: e.Kind, ItemNo: item, Reason: e.Reason})
	}
	return pr
}

// storeCrops puts the page's crops in object storage before their rows
// are saved: they are one range of an object shared with the pages read
// beside it (see cropPacker), and the marking page reads each crop by
// range.
func (h *PageRead) storeCrops(ctx context.Context, ticket uint64, res *reading.Result, pr *store.PageRead) error {
	if len(res.Crops) == 0 {
		h.packer.end(ticket)
		return nil
	}
	var pack []byte
	for i := range res.Crops {
		c := &res.Crops[i]
		pr.Crops = append(pr.Crops, store.CropRow{Group: c.Group, Offset: int64(len(pack)), Size: int64(len(c.JPEG))})
		pack = append(pack, c.JPEG...)
		c.JPEG = nil
	}
	key, base, err := h.packer.store(ctx, ticket, pack)
	if err != nil {
		return err
	}
	for i := range pr.Crops {
		pr.Crops[i].BlobKey = key
		pr.Crops[i].Offset += base
	}
	return nil
}

// createTasks makes the page's crops marking tasks in the reading's own
// transaction: they commit with it, and cost no transaction of their own.
// Marking tasks are created idempotently; a crop whose candidate's school
// is not known yet is picked up again when it is.
func createTasks(ctx context.Context, tx pgx.Tx, out *store.PageReadOutcome) error {
	if len(out.Crops) == 0 {
		return nil
	}
	if _, _, err := marking.CreateTasks(ctx, tx, out.Crops); err != nil {
		return fmt.Errorf("create marking tasks: %w", err)
	}
	return nil
}

// scoreCompleted scores the cards the reading completed (sides: the
// template's page count). A card is scored by the reading that completes
// it, right after that reading commits: scoring each side as it came
// scored most cards twice, and a task per reading cost a queue round for
// every page. A card that still lacks a side keeps its score_due flag: its
// other side's reading scores it, or, if that side never comes, the sweep.
// Scoring outside the reading's transaction keeps the batch's lock short;
// a scoring that fails here is queued as a task of its own, so a card is
// never left unscored by a passing error.
func (h *PageRead) scoreCompleted(ctx context.Context, out *store.PageReadOutcome, sides int) error {
	var after string // this reading's id, for the scoring tasks it queues
	for _, id := range out.Cards {
		if sides > 0 && out.CardPages[id] < sides {
			continue
		}
		// Due: this reading has just flagged it.
		_, err := grading.ScoreCard(ctx, h.DB, id)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return err
		}
		if after == "" {
			after = readingID()
		}
		task, opts := queue.NewCardScoreAfterReadTask(id, after)
		if err := h.Queue.Enqueue(ctx, task, opts...); err != nil {
			return err
		}
	}
	return nil
}

// read reads the page within the worker's memory budget and reading
// slots. The memory is reserved first, for the page's cost from its header
// (a page too large for the whole budget is refused); a slot is then
// taken, so a page waiting for memory never holds a core's slot.
func (h *PageRead) read(ctx context.Context, reader *omr.Reader, name string, data []byte) (*omr.Result, error) {
	release, refused, err := h.Memory.reserve(ctx, data)
	if err != nil {
		return nil, err
	}
	if refused != "" {
		return omr.Refused(name, refused), nil
	}
	defer release()
	if h.Reading != nil {
		select {
		case h.Reading <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-h.Reading }()
	}
	return reader.Read(name, data), nil
}

// readingID names one completed reading: a page read again (a retry after
// a crash, a rescan) must get its scoring queued again, so the id cannot
// be the page's.
func readingID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// countReading counts a saved reading in the process's metrics.
func countReading(pr *store.PageRead) {
	metrics.PagesRead.Inc()
	if len(pr.Exceptions) > 0 {
		metrics.PagesExcepted.Inc()
	}
	if pr.Failed {
		metrics.PagesFailed.Inc()
	}
}
