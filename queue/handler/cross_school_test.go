package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/reading"
	"github.com/saoyue/saoyue/store"

	"github.com/saoyue/saoyue/fixtures"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/scanner"
	"github.com/saoyue/saoyue/web"
)

// School 0101's technician uploads, with 0101's token, a card bearing a
// school-0102 candidate's exam number into a 0101 bag: the reading raises
// a wrong_school exception and neither attaches nor scores the card. The
// real card, scanned later in 0102's bag with 0102's token, attaches and
// is scored, with no duplicate exception: scoring the mix-up as the
// candidate's would make the real card a duplicate.
func TestCardOfAnotherSchoolIsAnExceptionNotScored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, 2, 2)
	blobs, q := w.inProcess(t)
	s := web.NewServer(w.db, blobs, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	s.Ingester = &queue.Ingester{DB: w.db, Blobs: blobs, Queue: q}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	token := map[string]string{}
	for _, code := range []string{"0101", "0102"} {
		tk, _, err := store.CreateScanToken(ctx, w.db.Pool, code, "扫描站"+code)
		if err != nil {
			t.Fatal(err)
		}
		token[code] = tk
	}
	call := func(token, path string, body []byte, header map[string]string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	// scanBag uploads one card into the bag of room 1 of the school, with
	// that school's token, and waits for the readings.
	scanBag := func(school string, scans []fixtures.Scan) int64 {
		body, _ := json.Marshal(map[string]any{"exam": w.exam.Code, "subject": w.subject.Code, "school": school, "room": 1, "expected": 2})
		batch := int64(call(token[school], "/api/v1/batches", body, map[string]string{"Content-Type": "application/json"})["id"].(float64))
		for i, sc := range scans {
			call(token[school], fmt.Sprintf("/api/v1/batches/%d/pages", batch), sc.Image, map[string]string{
				"X-Saoyue-SHA256": scanner.SHA256(sc.Image), "X-Saoyue-Seq": fmt.Sprint(i + 1), "X-Saoyue-Name": sc.Name})
		}
		q.Wait()
		return batch
	}
	room0102 := w.roomIDs[1]
	victim := w.rooms[room0102][0]
	if victim.SchoolCode != "0102" {
		t.Fatalf("room %d is school %s's, want 0102's", room0102, victim.SchoolCode)
	}
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := w.db.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	cards := func() int { return count(`SELECT count(*) FROM cards WHERE candidate_id = $1`, victim.ID) }
	scores := func() int {
		return count(`SELECT count(*) FROM item_scores WHERE candidate_id = $1`, victim.ID)
	}

	wrong, err := w.generator(t, room0102, "clean", 41).Card(0)
	if err != nil {
		t.Fatal(err)
	}
	bag0101 := scanBag("0101", wrong)
	var reason string
	if err := w.db.Pool.QueryRow(ctx, `SELECT reason FROM exceptions WHERE batch_id = $1 AND kind = $2 AND status = 'open'`,
		bag0101, reading.ExcWrongSchool).Scan(&reason); err != nil {
		t.Fatalf("no open wrong_school exception in 0101's bag: %v", err)
	}
	if want := fmt.Sprintf("考号 %s 不是本校（0101）的考生", victim.ExamNo); !bytes.Contains([]byte(reason), []byte(want)) {
		t.Errorf("reason %q, want it to say %q", reason, want)
	}
	// A technician typing the number in a correction is refused as well.
	var excID int64
	if err := w.db.Pool.QueryRow(ctx, `SELECT id FROM exceptions WHERE batch_id = $1 AND kind = $2`, bag0101, reading.ExcWrongSchool).Scan(&excID); err != nil {
		t.Fatal(err)
	}
	_, err = grading.ResolveException(ctx, w.db, excID, "tech0101", grading.ExceptionResolution{
		Action: grading.ActionExamNo, ExamNo: victim.ExamNo, Reason: "条形码看错了"})
	if msg := saoyue.ErrorMessage(err); saoyue.ErrorCode(err) != saoyue.EINVALID || !strings.Contains(msg, "不是本校（0101）的考生") {
		t.Errorf("correcting to another school's number: %v, want it refused", err)
	}
	if n := cards(); n != 0 {
		t.Errorf("the 0101 bag's card made %d cards for 0102's candidate, want none", n)
	}
	if n := scores(); n != 0 {
		t.Errorf("0102's candidate has %d item scores from 0101's bag, want none", n)
	}
	if n := count(`SELECT count(*) FROM pages WHERE batch_id = $1 AND card_id IS NOT NULL`, bag0101); n != 0 {
		t.Errorf("%d pages of 0101's bag joined a card", n)
	}

	real, err := w.generator(t, room0102, "clean", 42).Card(0)
	if err != nil {
		t.Fatal(err)
	}
	bag0102 := scanBag("0102", real)
	if n := cards(); n != 1 {
		t.Fatalf("after 0102's own bag: %d cards for the candidate, want 1", n)
	}
	if n := count(`SELECT count(*) FROM pages WHERE batch_id = $1 AND card_id IS NOT NULL`, bag0102); n != len(real) {
		t.Errorf("%d of the %d sides of the real card joined it", n, len(real))
	}
	if n := scores(); n == 0 {
		t.Error("the real card was not scored")
	}
	if n := count(`SELECT count(*) FROM exceptions WHERE kind = 'duplicate'`); n != 0 {
		t.Errorf("%d duplicate exceptions, want none: the real card is not a duplicate", n)
	}
}
