package handler_test

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/store"
)

// lostQueue accepts tasks and forgets them, like a Redis that lost its last
// second of writes.
type lostQueue struct{}

func (lostQueue) Enqueue(context.Context, *asynq.Task, ...asynq.Option) error { return nil }
func (lostQueue) Close() error                                                { return nil }

// TestSweepQueuesLostWorkAgain: a page whose page:read task was lost, and a
// card whose scoring was dropped while another scoring of it ran, are
// found by the sweep and finished; nothing else is queued again.
func TestSweepQueuesLostWorkAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, 1, 6)
	blobs, q := w.inProcess(t)
	room := w.roomIDs[0]
	b := w.batch(t, room)
	g := w.generator(t, room, "clean", 5)
	in := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}
	seq := 0
	for i := 0; i < 2; i++ {
		scans, err := g.Card(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scans {
			seq++
			if _, err := in.AddPage(ctx, b.ID, seq, s.Name, s.Image); err != nil {
				t.Fatal(err)
			}
		}
	}
	q.Wait()
	sweep := &handler.Sweep{DB: w.db, Queue: q}
	if pages, cards, err := sweep.Once(ctx); err != nil || pages+cards != 0 {
		t.Fatalf("after an undisturbed run the sweep found %d pages and %d cards (%v), want none", pages, cards, err)
	}

	// The third card's front is stored but its task is lost.
	scans, err := g.Card(2)
	if err != nil {
		t.Fatal(err)
	}
	lost := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: lostQueue{}}
	res, err := lost.AddPage(ctx, b.ID, seq+1, scans[0].Name, scans[0].Image)
	if err != nil {
		t.Fatal(err)
	}
	// A scoring of card 1 that ran before its second page was saved: the
	// scores are gone stale (here: missing) and the card is due.
	var cardID, candidateID int64
	if err := w.db.Pool.QueryRow(ctx, `SELECT id, candidate_id FROM cards ORDER BY id LIMIT 1`).Scan(&cardID, &candidateID); err != nil {
		t.Fatal(err)
	}
	var want string
	scoreSum := `SELECT count(*) || ':' || coalesce(sum(score), 0) FROM item_scores WHERE candidate_id = $1`
	if err := w.db.Pool.QueryRow(ctx, scoreSum, candidateID).Scan(&want); err != nil || want[0] == '0' {
		t.Fatalf("card not scored before the test: %q %v", want, err)
	}
	if _, err := w.db.Pool.Exec(ctx, `DELETE FROM item_scores WHERE candidate_id = $1`, candidateID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Pool.Exec(ctx, `UPDATE cards SET score_due = true WHERE id = $1`, cardID); err != nil {
		t.Fatal(err)
	}

	// A page that has waited less than Age is left alone: its task may
	// simply not have run yet.
	pages, cards, err := sweep.Once(ctx)
	if err != nil || pages != 0 || cards != 1 {
		t.Fatalf("sweep queued %d pages and %d cards (%v), want 0 and 1", pages, cards, err)
	}
	q.Wait()
	var got string
	if err := w.db.Pool.QueryRow(ctx, scoreSum, candidateID).Scan(&got); err != nil || got != want {
		t.Errorf("scores of the card due for scoring: %q after the sweep, %q before (%v)", got, want, err)
	}
	if _, err := w.db.Pool.Exec(ctx, `UPDATE pages SET received_at = now() - interval '10 minutes' WHERE id = $1`, res.PageID); err != nil {
		t.Fatal(err)
	}
	if pages, _, err := sweep.Once(ctx); err != nil || pages != 1 {
		t.Fatalf("sweep queued %d pages (%v), want the one whose task was lost", pages, err)
	}
	q.Wait()
	var status string
	if err := w.db.Pool.QueryRow(ctx, `SELECT status FROM pages WHERE id = $1`, res.PageID).Scan(&status); err != nil || status == "received" {
		t.Fatalf("page with a lost task: status %q (%v), want it read", status, err)
	}
	// Its card lacks its back: it waits, due, for the back's reading, and
	// if that never comes the sweep scores what there is.
	var due int
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM cards WHERE score_due`).Scan(&due)
	if due != 1 {
		t.Fatalf("%d cards due for scoring after a card's front alone was read, want that card", due)
	}
	if _, cards, err := sweep.Once(ctx); err != nil || cards != 1 {
		t.Fatalf("sweep queued %d cards (%v), want the one without its back", cards, err)
	}
	q.Wait()
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM cards WHERE score_due`).Scan(&due)
	if due != 0 {
		t.Errorf("%d cards still due for scoring after the sweep", due)
	}
}

// TestCardScoreAfterReadSkipsACardScoredSince: a reading's scoring task
// scores a card whose pages changed, and stops at one query when another
// scoring has covered the change already.
func TestCardScoreAfterReadSkipsACardScoredSince(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, 1, 3)
	blobs, q := w.inProcess(t)
	room := w.roomIDs[0]
	b := w.batch(t, room)
	g := w.generator(t, room, "clean", 9)
	in := &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}
	scans, err := g.Card(0)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range scans {
		if _, err := in.AddPage(ctx, b.ID, i+1, s.Name, s.Image); err != nil {
			t.Fatal(err)
		}
	}
	q.Wait()
	var cardID, candidateID int64
	if err := w.db.Pool.QueryRow(ctx, `SELECT id, candidate_id FROM cards`).Scan(&cardID, &candidateID); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM item_scores WHERE candidate_id = $1`, candidateID).Scan(&n)
		return n
	}
	scored := count()
	if scored == 0 {
		t.Fatal("the card was not scored by the pipeline")
	}
	if _, err := w.db.Pool.Exec(ctx, `DELETE FROM item_scores WHERE candidate_id = $1`, candidateID); err != nil {
		t.Fatal(err)
	}
	h := &handler.CardScore{DB: w.db}
	task, _ := queue.NewCardScoreAfterReadTask(cardID, "r1")
	if err := h.ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("a card not due was scored again (%d item scores)", n)
	}
	if _, err := w.db.Pool.Exec(ctx, `UPDATE cards SET score_due = true WHERE id = $1`, cardID); err != nil {
		t.Fatal(err)
	}
	if err := h.ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != scored {
		t.Fatalf("a card due for scoring has %d item scores, want %d", n, scored)
	}
	if due, err := store.CardScoreDue(ctx, w.db.Pool, cardID); err != nil || due {
		t.Fatalf("card still due after scoring (%v)", err)
	}
	// A plain card:score (the sweep's, a re-score) scores whatever the flag.
	if _, err := w.db.Pool.Exec(ctx, `DELETE FROM item_scores WHERE candidate_id = $1`, candidateID); err != nil {
		t.Fatal(err)
	}
	plain, _ := queue.NewCardScoreTask(cardID)
	if err := h.ProcessTask(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != scored {
		t.Fatalf("card:score without if_due left %d item scores, want %d", n, scored)
	}
}
