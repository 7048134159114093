package handler_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/queue/handler"
	"github.com/saoyue/saoyue/store"
)

// oneCard is a bag of one room in blobs of its own, an ingester whose tasks
// go nowhere (the test runs the handler itself), and one candidate's card.
func oneCard(t *testing.T, seed uint64) (*world, blob.Store, *store.Batch, *queue.Ingester, []fixtures.Scan) {
	w := newWorld(t, 1, 2)
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := w.batch(t, w.roomIDs[0])
	scans, err := w.generator(t, w.roomIDs[0], "clean", seed).Card(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(scans) != 2 {
		t.Fatalf("%d sides, want 2", len(scans))
	}
	return w, blobs, b, &queue.Ingester{DB: w.db, Blobs: blobs, Queue: lostQueue{}}, scans
}

// pageRead is the page handler on oneCard's world, reading without a limit
// on pages at once, its follow-up tasks dropped.
func pageRead(w *world, blobs blob.Store) *handler.PageRead {
	return &handler.PageRead{DB: w.db, Blobs: blobs, Queue: lostQueue{}, Readers: &handler.Readers{DB: w.db, Options: omr.DefaultOptions()}}
}

// A worker runs more tasks than it has cores, but reads no more pages at
// once than it has reading slots: a page whose slot is taken waits,
// fetched, and is read as soon as one frees; a task cancelled while it
// waits leaves the page as it was.
func TestPageReadWaitsForAReadingSlot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, blobs, b, in, scans := oneCard(t, 5)
	res, err := in.AddPage(ctx, b.ID, 1, scans[0].Name, scans[0].Image)
	if err != nil {
		t.Fatal(err)
	}
	readers := &handler.Readers{DB: w.db, Options: omr.DefaultOptions()}
	// The reader is built beforehand: the wait below is the slot's only.
	if _, err := readers.For(ctx, b.SubjectID); err != nil {
		t.Fatal(err)
	}
	h := &handler.PageRead{DB: w.db, Blobs: blobs, Queue: lostQueue{}, Readers: readers, Reading: make(chan struct{}, 1)}
	status := func() (s string) {
		if err := w.db.Pool.QueryRow(ctx, `SELECT status FROM pages WHERE id = $1`, res.PageID).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	task, _ := queue.NewPageReadTask(res.PageID)

	h.Reading <- struct{}{} // another page is being read
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.ProcessTask(cctx, task) }()
	select {
	case err := <-done:
		t.Fatalf("the page was handled while the only slot was taken (err %v)", err)
	case <-time.After(time.Second):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while waiting for a slot: %v, want context.Canceled", err)
	}
	if s := status(); s != "received" {
		t.Fatalf("page is %q after a cancelled wait, want received", s)
	}

	go func() { done <- h.ProcessTask(ctx, task) }()
	time.Sleep(200 * time.Millisecond)
	<-h.Reading // the other page is done
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the page was not read after the slot freed")
	}
	if s := status(); s != "read" {
		t.Fatalf("page is %q, want read", s)
	}
	if len(h.Reading) != 0 {
		t.Fatal("the reading kept its slot")
	}
}

// A card is scored once, by the reading that completes it, in that
// reading's own task (no scoring task is queued: the queue here drops
// everything): its front alone leaves it unscored and due.
func TestPageReadScoresTheCardItCompletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, blobs, b, in, scans := oneCard(t, 6)
	h := pageRead(w, blobs)
	state := func() (scores int, due bool) {
		w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM item_scores`).Scan(&scores)
		w.db.Pool.QueryRow(ctx, `SELECT coalesce(bool_or(score_due), false) FROM cards`).Scan(&due)
		return scores, due
	}
	for i, s := range scans {
		res, err := in.AddPage(ctx, b.ID, i+1, s.Name, s.Image)
		if err != nil {
			t.Fatal(err)
		}
		task, _ := queue.NewPageReadTask(res.PageID)
		if err := h.ProcessTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		scores, due := state()
		switch {
		case i == 0 && (scores != 0 || !due):
			t.Fatalf("after the front alone: %d item scores, due %v; want none, due", scores, due)
		case i == 1 && (scores == 0 || due):
			t.Fatalf("after both sides: %d item scores, due %v; want the card scored", scores, due)
		}
	}
}

// The back of a sheet read before its front (two tasks of one bag run at
// once) is linked to the card when the front is read; the card is scored
// once then, not once for attaching the front and again for the back.
func TestPageReadScoresACardOnceWhenItsBackCameFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, blobs, b, in, scans := oneCard(t, 7)
	// Every scoring writes the card's item scores in one statement.
	if _, err := w.db.Pool.Exec(ctx, `
		CREATE TABLE scorings (at timestamptz);
		CREATE FUNCTION count_scoring() RETURNS trigger LANGUAGE plpgsql AS
			$$ BEGIN INSERT INTO scorings VALUES (now()); RETURN NULL; END $$;
		CREATE TRIGGER count_scoring AFTER INSERT ON item_scores
			FOR EACH STATEMENT EXECUTE FUNCTION count_scoring()`); err != nil {
		t.Fatal(err)
	}
	h := pageRead(w, blobs)
	var tasks [2]*asynq.Task
	for i, s := range scans {
		res, err := in.AddPage(ctx, b.ID, i+1, s.Name, s.Image)
		if err != nil {
			t.Fatal(err)
		}
		tasks[i], _ = queue.NewPageReadTask(res.PageID)
	}
	for _, task := range []*asynq.Task{tasks[1], tasks[0]} {
		if err := h.ProcessTask(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	var scorings, scores, sides int
	var due bool
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM scorings`).Scan(&scorings)
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM item_scores`).Scan(&scores)
	w.db.Pool.QueryRow(ctx, `SELECT count(*), bool_or(c.score_due) FROM pages p JOIN cards c ON c.id = p.card_id`).Scan(&sides, &due)
	if sides != 2 || scores == 0 || due || scorings != 1 {
		t.Fatalf("%d sides on the card, %d item scores, due %v, scored %d times; want 2 sides, scored once", sides, scores, due, scorings)
	}
	// The back's crops, cut before it had a card, joined the card with it
	// and became marking tasks.
	var backCrops, unlinked, untasked int
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM crops c JOIN pages p ON p.id = c.page_id WHERE p.page_no = 2`).Scan(&backCrops)
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM crops WHERE card_id IS NULL`).Scan(&unlinked)
	w.db.Pool.QueryRow(ctx, `SELECT count(*) FROM crops c WHERE NOT EXISTS (SELECT 1 FROM marking_tasks t WHERE t.crop_id = c.id)`).Scan(&untasked)
	if backCrops == 0 || unlinked != 0 || untasked != 0 {
		t.Errorf("%d crops on the back, %d without a card, %d without a marking task; want some, 0, 0", backCrops, unlinked, untasked)
	}
}

// The reading's transaction asks for generic plans and an asynchronous
// commit for itself only: the connection goes back to the pool with the
// server's settings, and every other transaction commits durably.
func TestPageReadSettingsStayInItsTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, blobs, b, in, scans := oneCard(t, 9)
	if _, err := w.db.Pool.Exec(ctx, `
		CREATE TABLE reading_settings (sync text, plans text);
		CREATE FUNCTION note_settings() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
			INSERT INTO reading_settings VALUES (current_setting('synchronous_commit'), current_setting('plan_cache_mode'));
			RETURN NULL; END $$;
		CREATE TRIGGER note_settings AFTER INSERT ON read_results
			FOR EACH STATEMENT EXECUTE FUNCTION note_settings()`); err != nil {
		t.Fatal(err)
	}
	res, err := in.AddPage(ctx, b.ID, 1, scans[0].Name, scans[0].Image)
	if err != nil {
		t.Fatal(err)
	}
	task, _ := queue.NewPageReadTask(res.PageID)
	if err := pageRead(w, blobs).ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	var sync, plans string
	if err := w.db.Pool.QueryRow(ctx, `SELECT sync, plans FROM reading_settings`).Scan(&sync, &plans); err != nil {
		t.Fatal(err)
	}
	if sync != "off" || plans != "force_generic_plan" {
		t.Errorf("in the reading: synchronous_commit %s, plan_cache_mode %s; want off, force_generic_plan", sync, plans)
	}
	conns := w.db.Pool.AcquireAllIdle(ctx)
	if len(conns) == 0 {
		t.Fatal("no idle connection in the pool")
	}
	for _, c := range conns {
		if err := c.QueryRow(ctx, `SELECT current_setting('synchronous_commit'), current_setting('plan_cache_mode')`).Scan(&sync, &plans); err != nil {
			t.Fatal(err)
		}
		c.Release()
		if sync != "on" || plans != "auto" {
			t.Errorf("a connection after the reading: synchronous_commit %s, plan_cache_mode %s; want on, auto", sync, plans)
		}
	}
}
