package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/card"
	"github.com/saoyue/saoyue/reading"
)

// PageRead is what reading one page produced, ready to be stored.
type PageRead struct {
	PageID        int64
	BatchID       int64
	Seq           int // the page's place in its bag's scan order
	ExamID        int64
	SubjectID     int64
	ReaderVersion string
	TemplateCode  string // "" when the page could not be identified
	PageNo        int
	Form          string
	Rotation      int
	ExamNoBarcode string
	ExamNoGrid    string
	ExamNoVerdict reading.Verdict
	ExamNo        string // the agreed exam number, "" when unknown
	HasIdentity   bool   // the page carries barcode / exam-number grid
	Absent        bool
	Violation     bool
	Failed        bool   // the page could not be read at all
	Result        []byte // the reader's JSON
	Exceptions    []Exception
	Crops         []CropRow
	// Then runs last in the reading's transaction, with what the reading
	// touched: work that follows from it (the crops' marking tasks) commits
	// with it or not at all, and costs no transaction of its own.
	Then func(ctx context.Context, tx pgx.Tx, out *PageReadOutcome) error
}

// CropRow is a cut-out answer of a question group on a page: Size bytes
// from Offset of the object BlobKey (Size 0: the whole object).
type CropRow struct {
	Group   string
	BlobKey string
	Offset  int64
	Size    int64
}

// PageReadOutcome says which cards the page touched.
type PageReadOutcome struct {
	CardID *int64
	Cards  []int64 // cards that gained a page: to be scored again
	// CardPages is how many of its page numbers each card of Cards has.
	CardPages map[int64]int
	Crops     []int64 // crops that now belong to a card: ready to become marking tasks
}

// SavePageRead stores a reading in one transaction: the result, the page's
// identity, its card (joining the back side by scan order), its crops and
// its exceptions. Running it twice for the same page leaves the same rows.
// The batch is locked for the transaction so the two sides of a sheet read
// concurrently still find each other. What the page means (which
// exceptions, whether it joins a card) is decided by the rules in
// page_rules.go; this is their persistence.
func (db *DB) SavePageRead(ctx context.Context, r *PageRead) (*PageReadOutcome, error) {
	s := &pageSave{r: r, out: &PageReadOutcome{}, excs: slices.Clone(r.Exceptions)}
	if err := db.InTxAfter(ctx, s.queueFirst, func(tx pgx.Tx) error { return savePageTx(ctx, tx, s) }); err != nil {
		return nil, fmt.Errorf("save reading of page %d: %w", r.PageID, err)
	}
	return s.out, nil
}

// pageSave is one SavePageRead under way.
type pageSave struct {
	r                    *PageRead
	out                  *PageReadOutcome
	excs                 []Exception // the reading's, then those storing it finds
	templateID, pageCard *int64
	linked               []linkedPage
}

// queueFirst queues BEGIN's companions: the batch's lock, the reading and
// the page's template, number and status go in one round trip, so the
// worker waits on the database once instead of five times, and holds the
// lock that much less.
func (s *pageSave) queueFirst(b *pgx.Batch) {
	r := s.r
	// Every statement here has one good plan whatever its arguments,
	// but for those taking an array of ids (the crops' marking tasks,
	// the cards to score) PostgreSQL preferred a fresh custom plan at
	// every reading: planning the marking tasks cost twice executing
	// them, a sixth of the database's time per page.
	//
	// The commit does not wait for its WAL to reach the disk (1-2 ms
	// here), and the batch's lock, held until the commit, is that much
	// shorter: readings of one bag follow each other through it.
	// Nothing is lost by it. Everything this transaction writes is
	// derived from the page image, which is in object storage and whose
	// page row was committed durably when it arrived. A database crash
	// in the next fraction of a second can undo the reading: the page is
	// then 'received' again, and the sweep reads it again. And WAL is
	// flushed in order, so any durable commit after this one (the
	// card's scoring, a technician's change, a marker taking a task) makes
	// this one durable too: nothing a person did can rest on a reading
	// the database then forgets.
	//
	// Both settings (set_config's true: for this transaction only) and
	// the batch's lock are one statement, not three: every statement is
	// a message the database parses, binds, runs and answers, at every
	// reading.
	b.Queue(`SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
		set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(7301, $1::int)`, r.BatchID)
	b.Queue(`
		INSERT INTO read_results (page_id, reader_version, exam_no_barcode, exam_no_grid, exam_no_verdict, rotation, result)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (page_id) DO UPDATE SET reader_version = EXCLUDED.reader_version,
			exam_no_barcode = EXCLUDED.exam_no_barcode, exam_no_grid = EXCLUDED.exam_no_grid,
			exam_no_verdict = EXCLUDED.exam_no_verdict, rotation = EXCLUDED.rotation,
			result = EXCLUDED.result, read_at = now()`,
		r.PageID, r.ReaderVersion, r.ExamNoBarcode, r.ExamNoGrid, r.ExamNoVerdict, r.Rotation, r.Result)
	// A card code that is not one of the subject's templates leaves the
	// page without a template, and makes it an exception (the condition
	// is unknownTemplate's). The page's card, if it has one already (a
	// page read again), comes back too.
	b.Queue(`
		UPDATE pages SET template_id = t.id,
			page_no = CASE WHEN t.id IS NOT NULL AND $3::int > 0 THEN $3::int END,
			form = $4,
			status = CASE WHEN $5::bool OR ($6::text <> '' AND t.id IS NULL) THEN 'exception' ELSE 'read' END
		FROM (SELECT (SELECT id FROM templates WHERE code = $6::text AND subject_id = $2
		              ORDER BY version DESC LIMIT 1) AS id) t
		WHERE pages.id = $1
		RETURNING t.id, pages.card_id`,
		r.PageID, r.SubjectID, r.PageNo, r.Form, r.Failed, r.TemplateCode).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&s.templateID, &s.pageCard); err != nil {
			return fmt.Errorf("update page %d: %w", r.PageID, err)
		}
		return nil
	})
}

// savePageTx is the transaction after its first round trip: the card,
// the back sides it links, then the rest in one more round trip.
func savePageTx(ctx context.Context, tx pgx.Tx, s *pageSave) error {
	r, out := s.r, s.out
	if e := unknownTemplate(r.TemplateCode, s.templateID != nil); e != nil {
		s.excs = append(s.excs, *e)
	}
	if mayAttach(r, s.templateID != nil) {
		cardID, exc, err := attachCard(ctx, tx, r)
		if err != nil {
			return err
		}
		if exc != nil {
			s.excs = append(s.excs, *exc)
		}
		out.CardID = cardID
	}
	// Only this page and the sides of its card scanned after it can
	// have become linkable: a reading costs the same in a bag of 60
	// pages as in one of 6,000.
	var err error
	if s.linked, err = linkBackSides(ctx, tx, r.BatchID, r.Seq, r.Seq+card.MaxPages-1); err != nil {
		return err
	}
	out.CardID, out.Cards = cardsTouched(r.PageID, out.CardID, s.pageCard, s.linked)

	// The rest needs no answer before the next: one round trip.
	b := &pgx.Batch{}
	s.queueCards(b)
	s.queueCrops(b)
	for _, e := range pageExceptions(s.excs, r.BatchID, r.PageID, out.CardID) {
		queueException(b, &e)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if r.Then != nil {
		return r.Then(ctx, tx, out)
	}
	return nil
}

// queueCards flags the cards the page touched for scoring and counts
// their pages.
func (s *pageSave) queueCards(b *pgx.Batch) {
	out := s.out
	if len(out.Cards) == 0 {
		return
	}
	b.Queue(`UPDATE cards SET score_due = true WHERE id = ANY($1)
		RETURNING id, (SELECT count(DISTINCT page_no) FROM pages WHERE card_id = cards.id)`,
		out.Cards).Query(func(rows pgx.Rows) error {
		out.CardPages = map[int64]int{}
		for rows.Next() {
			var card int64
			var n int
			if err := rows.Scan(&card, &n); err != nil {
				return fmt.Errorf("count the cards' pages: %w", err)
			}
			out.CardPages[card] = n
		}
		return rows.Err()
	})
}

// queueCrops saves the page's crops and gives the crops of the sides
// linked now their card.
func (s *pageSave) queueCrops(b *pgx.Batch) {
	r, out := s.r, s.out
	if len(r.Crops) > 0 {
		// One statement for all of the page's crops; a group that is not
		// in this subject's templates has no row to join and is skipped.
		var groups, keys []string
		var offsets, sizes []int64
		for _, c := range r.Crops {
			groups, keys = append(groups, c.Group), append(keys, c.BlobKey)
			offsets, sizes = append(offsets, c.Offset), append(sizes, c.Size)
		}
		b.Queue(`
			INSERT INTO crops (page_id, card_id, group_id, blob_key, blob_offset, blob_size)
			SELECT $1, (SELECT card_id FROM pages WHERE id = $1), g.id, c.key, c.off, nullif(c.size, 0)
			FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS c(grp, key, off, size)
			JOIN question_groups g ON g.subject_id = $2 AND g.code = c.grp
			ON CONFLICT (page_id, group_id) DO UPDATE SET blob_key = EXCLUDED.blob_key, card_id = EXCLUDED.card_id,
				blob_offset = EXCLUDED.blob_offset, blob_size = EXCLUDED.blob_size
			RETURNING id, card_id`,
			r.PageID, r.SubjectID, groups, keys, offsets, sizes).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id int64
				var card *int64
				if err := rows.Scan(&id, &card); err != nil {
					return fmt.Errorf("save crops: %w", err)
				}
				if card != nil {
					out.Crops = append(out.Crops, id)
				}
			}
			return nil
		})
	}
	// The crops of the sides linked now were cut when they were read,
	// before they had a card; this page's own get it as they are saved.
	if len(s.linked) == 0 {
		return
	}
	pages := make([]int64, len(s.linked))
	for i, l := range s.linked {
		pages[i] = l.page
	}
	b.Queue(`
		UPDATE crops SET card_id = p.card_id FROM pages p
		WHERE crops.page_id = p.id AND p.id = ANY($1) AND crops.card_id IS NULL AND p.card_id IS NOT NULL
		RETURNING crops.id`, pages).Query(func(rows pgx.Rows) error {
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("link crops to cards: %w", err)
		}
		out.Crops = append(out.Crops, ids...)
		return nil
	})
}

// attachCard finds the candidate and their card for an identity page:
// the card the page joined, or the exception that kept it from joining.
func attachCard(ctx context.Context, tx pgx.Tx, r *PageRead) (*int64, *Exception, error) {
	// The candidate, the bag's school and the candidate's card in one
	// statement: no row means the exam number is nobody's. The card is made
	// only for a candidate AttachRefusal lets the page join; its SQL
	// condition is that rule's, which the check below holds it to.
	var cardID *int64
	var owner CardOwner
	var bagSchool int64
	var bagCode string
	err := tx.QueryRow(ctx, `
		WITH cand AS (
			SELECT c.id, r.school_id, s.code, c.withdrawn_at IS NOT NULL AS withdrawn
			FROM candidates c JOIN rooms r ON r.id = c.room_id JOIN schools s ON s.id = r.school_id
			WHERE c.exam_id = $1 AND c.exam_no = $2),
		bag AS (SELECT b.school_id, s.code FROM batches b JOIN schools s ON s.id = b.school_id WHERE b.id = $4),
		card AS (
			INSERT INTO cards (subject_id, candidate_id, batch_id, form, absent, violation)
			SELECT $3, cand.id, $4, $5, $6, $7 FROM cand, bag
			WHERE cand.school_id = bag.school_id AND NOT cand.withdrawn
			ON CONFLICT (subject_id, candidate_id) DO UPDATE SET subject_id = cards.subject_id
			RETURNING id)
		SELECT (SELECT id FROM card), cand.school_id, cand.code, cand.withdrawn, bag.school_id, bag.code
		FROM cand, bag`, r.ExamID, r.ExamNo, r.SubjectID, r.BatchID, r.Form, r.Absent, r.Violation).
		Scan(&cardID, &owner.SchoolID, &owner.SchoolCode, &owner.Withdrawn, &bagSchool, &bagCode)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, examNoUnknown(r.ExamNo), nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("create card for %s: %w", r.ExamNo, err)
	}
	if refusal := AttachRefusal(r.ExamNo, owner, bagSchool, bagCode); refusal != nil {
		if cardID != nil {
			return nil, nil, fmt.Errorf("page %d: the card of %s was made although %s", r.PageID, r.ExamNo, refusal.Kind)
		}
		return nil, refusal, nil
	}
	if cardID == nil {
		return nil, nil, fmt.Errorf("page %d: no card made for %s", r.PageID, r.ExamNo)
	}
	// The page joins the card unless the card has this page already (the
	// same candidate twice), in one statement: every part of a WITH runs,
	// and the updates see whether the duplicate exists.
	var dup bool
	var otherName string
	err = tx.QueryRow(ctx, `
		WITH dup AS (SELECT source_name FROM pages WHERE card_id = $1 AND page_no = $2 AND id <> $3 LIMIT 1),
		attach AS (UPDATE pages SET card_id = $1 WHERE id = $3 AND NOT EXISTS (SELECT 1 FROM dup) RETURNING id),
		card AS (UPDATE cards SET form = $4, absent = $5, violation = $6, batch_id = $7
		         WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM dup) RETURNING id)
		SELECT EXISTS (SELECT 1 FROM dup), coalesce((SELECT source_name FROM dup), '')`,
		*cardID, r.PageNo, r.PageID, r.Form, r.Absent, r.Violation, r.BatchID).Scan(&dup, &otherName)
	if err != nil {
		return nil, nil, fmt.Errorf("attach page to card: %w", err)
	}
	if dup {
		return nil, duplicatePage(r.ExamNo, r.PageNo, otherName), nil
	}
	return cardID, nil, nil
}

// linkBackSides gives each identified page without identity (the back of a
// sheet) the card of the page scanned just before it, when that page is
// the previous side of the same template. Duplex scanners deliver front,
// back, front, back; a missing side leaves its neighbour unlinked, which
// reconciliation reports.
func linkBackSides(ctx context.Context, tx pgx.Tx, batchID int64, fromSeq, toSeq int) ([]linkedPage, error) {
	var linked []linkedPage
	for {
		// more: a page linked now is followed by a later side not linked
		// yet, which the next round may link; without one there is no next
		// round to ask for.
		rows, err := tx.Query(ctx, `
			UPDATE pages p SET card_id = prev.card_id
			FROM pages prev
			WHERE p.batch_id = $1 AND prev.batch_id = $1 AND p.seq BETWEEN $2 AND $3
			  AND prev.seq = p.seq - 1 AND p.page_no > 1 AND prev.page_no = p.page_no - 1
			  AND prev.template_id = p.template_id
			  AND prev.card_id IS NOT NULL AND p.card_id IS NULL
			  AND NOT EXISTS (SELECT 1 FROM pages x WHERE x.card_id = prev.card_id AND x.page_no = p.page_no)
			RETURNING p.id, prev.card_id, EXISTS (SELECT 1 FROM pages n
				WHERE n.batch_id = $1 AND n.seq = p.seq + 1 AND n.page_no = p.page_no + 1 AND n.card_id IS NULL)`,
			batchID, fromSeq, toSeq)
		if err != nil {
			return nil, fmt.Errorf("join back sides: %w", err)
		}
		var l linkedPage
		var next, more bool
		n := len(linked)
		_, err = pgx.ForEachRow(rows, []any{&l.page, &l.card, &next}, func() error {
			linked = append(linked, l)
			more = more || next
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("join back sides: %w", err)
		}
		if len(linked) == n || !more {
			return linked, nil
		}
	}
}

// linkedPage is a back side that linkBackSides gave a card.
type linkedPage struct{ page, card int64 }

// CardResponse is a card's reading of one objective item.
type CardResponse struct {
	Item     int
	Chosen   string
	Status   reading.ItemStatus
	Override bool // set by a person, approved
}

// Card is a candidate's answer card in a subject.
type Card struct {
	ID          int64
	SubjectID   int64
	CandidateID int64
	BatchID     *int64
	Form        string
	Absent      bool
	Violation   bool
}

const (
	cardSQL = `SELECT id, subject_id, candidate_id, batch_id, form, absent, violation FROM cards WHERE id = $1`
	// What was read for each objective item of a card's pages: each
	// page's items, decoded as reading.Items (see scanResponses).
	cardResponsesSQL = `
		SELECT r.result->'items' FROM pages p JOIN read_results r ON r.page_id = p.id
		WHERE p.card_id = $1`
	cardOverridesSQL = `SELECT item_no, response FROM answer_overrides WHERE card_id = $1`
	// The scoring transaction's first statement locks the card's row and
	// clears its score_due flag: a page reading of the same card waits for
	// the scoring to commit (and sets the flag again), or the scoring waits
	// for the reading and then sees its rows.
	lockCardForScoringSQL = `UPDATE cards SET score_due = false WHERE id = $1`
)

func scanCard(row pgx.Row, id int64) (*Card, error) {
	var c Card
	if err := row.Scan(&c.ID, &c.SubjectID, &c.CandidateID, &c.BatchID, &c.Form, &c.Absent, &c.Violation); err != nil {
		return nil, fmt.Errorf("read card %d: %w", id, err)
	}
	return &c, nil
}

// CardResponses returns what was read for each objective item of a card,
// with approved corrections taking the place of the machine's reading.
func CardResponses(ctx context.Context, q TxOrPool, cardID int64) (map[int]CardResponse, error) {
	out := map[int]CardResponse{}
	rows, err := q.Query(ctx, cardResponsesSQL, cardID)
	if err != nil {
		return nil, fmt.Errorf("read card responses: %w", err)
	}
	if err := scanResponses(rows, out); err != nil {
		return nil, err
	}
	ov, err := q.Query(ctx, cardOverridesSQL, cardID)
	if err != nil {
		return nil, fmt.Errorf("read corrections: %w", err)
	}
	return out, scanOverrides(ov, out)
}

func scanResponses(rows pgx.Rows, out map[int]CardResponse) error {
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return fmt.Errorf("read card responses: %w", err)
		}
		// The stored reading is decoded into the reader's own types: a
		// renamed field breaks this package's compile, not a JSON path.
		var items []reading.Item
		if raw == nil {
			continue // a reading without items
		}
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("read card responses: %w", err)
		}
		for _, it := range items {
			out[it.Number] = CardResponse{Item: it.Number, Chosen: strings.Join(it.Chosen, ""), Status: it.Status}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read card responses: %w", err)
	}
	return nil
}

// scanOverrides runs after scanResponses: a correction replaces the reading.
func scanOverrides(rows pgx.Rows, out map[int]CardResponse) error {
	defer rows.Close()
	for rows.Next() {
		var item int
		var resp string
		if err := rows.Scan(&item, &resp); err != nil {
			return fmt.Errorf("read corrections: %w", err)
		}
		out[item] = CardResponse{Item: item, Chosen: resp, Status: reading.StatusOK, Override: true}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read corrections: %w", err)
	}
	return nil
}

// CardToScore is what scoring a card reads: the card, what was read on it
// (corrections applied) and, when asked for, its subject's answer key.
type CardToScore struct {
	Card      *Card
	Responses map[int]CardResponse
	Key       []KeyRow
}

// QueueCardToScore adds to b the queries that fill in: with lock first
// (see lockCardForScoringSQL), then the card, its responses and, with key,
// the answer key of its subject. One round trip instead of up to five;
// in fills in once b is closed without error.
func QueueCardToScore(b *pgx.Batch, cardID int64, lock, key bool, in *CardToScore) {
	if lock {
		b.Queue(lockCardForScoringSQL, cardID)
	}
	b.Queue(cardSQL, cardID).QueryRow(func(row pgx.Row) (err error) {
		in.Card, err = scanCard(row, cardID)
		return err
	})
	in.Responses = map[int]CardResponse{}
	b.Queue(cardResponsesSQL, cardID).Query(func(rows pgx.Rows) error { return scanResponses(rows, in.Responses) })
	b.Queue(cardOverridesSQL, cardID).Query(func(rows pgx.Rows) error { return scanOverrides(rows, in.Responses) })
	if key {
		b.Queue(cardKeySQL, cardID).Query(func(rows pgx.Rows) (err error) {
			in.Key, err = collectKeyRows(rows)
			return err
		})
	}
}

// ReadCardToScore reads in tx, in one round trip, what scoring a card
// needs, without taking its lock: QueueCardToScore sent on its own.
func ReadCardToScore(ctx context.Context, tx pgx.Tx, cardID int64, key bool) (*CardToScore, error) {
	var in CardToScore
	b := &pgx.Batch{}
	QueueCardToScore(b, cardID, false, key, &in)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return &in, nil
}

// CardScoreDue reports whether the card's pages changed since it was last
// scored; an unknown card is not due.
func CardScoreDue(ctx context.Context, q TxOrPool, cardID int64) (bool, error) {
	var due bool
	err := q.QueryRow(ctx, `SELECT score_due FROM cards WHERE id = $1`, cardID).Scan(&due)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("card %d due for scoring: %w", cardID, err)
	}
	return due, nil
}

// CardsDueForScoring lists cards whose pages changed since they were last
// scored, oldest first.
func CardsDueForScoring(ctx context.Context, q TxOrPool, limit int) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM cards WHERE score_due ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list cards due for scoring: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// SubjectCards lists the ids of every card of a subject.
func SubjectCards(ctx context.Context, q TxOrPool, subjectID int64) ([]int64, error) {
	rows, err := q.Query(ctx, `SELECT id FROM cards WHERE subject_id = $1 ORDER BY id`, subjectID)
	if err != nil {
		return nil, fmt.Errorf("list cards: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}
