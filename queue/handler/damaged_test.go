package handler_test

import (
	"context"
	"testing"

	"github.com/saoyue/saoyue/omr"
	"github.com/saoyue/saoyue/queue"
)

// A scan whose data was damaged in transfer (cut short, its end marker put
// back: it still looks complete) is a failed page with a damaged_image
// exception for the technician, and no reading of its items.
func TestPageReadDamagedJPEGIsAnException(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w, blobs, b, in, scans := oneCard(t, 5)
	img := scans[0].Image
	cut := append(append([]byte(nil), img[:len(img)*2/3]...), 0xFF, 0xD9)
	res, err := in.AddPage(ctx, b.ID, 1, scans[0].Name, cut)
	if err != nil {
		t.Fatal(err)
	}
	task, _ := queue.NewPageReadTask(res.PageID)
	if err := pageRead(w, blobs).ProcessTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	var kind, reason, status string
	var items int
	err = w.db.Pool.QueryRow(ctx, `SELECT e.kind, e.reason, p.status,
		(SELECT count(*) FROM item_scores s WHERE s.subject_id = $2)
		FROM exceptions e JOIN pages p ON p.id = e.page_id WHERE e.page_id = $1`, res.PageID, b.SubjectID).Scan(&kind, &reason, &status, &items)
	if err != nil {
		t.Fatal(err)
	}
	if kind != string(omr.ExcDamaged) || items != 0 {
		t.Errorf("page %s: %s %q, %d item scores", status, kind, reason, items)
	}
	t.Logf("page %s: %s: %s", status, kind, reason)
}
