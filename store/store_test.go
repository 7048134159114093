package store_test

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	t.Parallel()
	_, url := storetest.NewWithURL(t)
	// Two processes starting at once: the advisory lock serialises them and
	// both end at the same version.
	var wg sync.WaitGroup
	versions := make([]uint, 3)
	errs := make([]error, 3)
	for i := range versions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			versions[i], errs[i] = store.Migrate(url)
		}()
	}
	wg.Wait()
	for i := range versions {
		if errs[i] != nil {
			t.Fatalf("migrate %d: %v", i, errs[i])
		}
		if versions[i] != versions[0] || versions[i] == 0 {
			t.Fatalf("versions differ or zero: %v", versions)
		}
	}
}

func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// The keys the rules depend on: a page image stored once, one score per
// candidate and item, one exam number per candidate per exam.
func TestSchemaKeys(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) error {
		_, err := db.Pool.Exec(ctx, sql, args...)
		return err
	}
	must := func(sql string, args ...any) {
		t.Helper()
		if err := exec(sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	must(`INSERT INTO counties (id, code, name) VALUES (1, '01', '示例县')`)
	must(`INSERT INTO schools (id, county_id, code, name) VALUES (1, 1, '0101', '城关小学')`)
	must(`INSERT INTO students (id, school_id, student_no, name) VALUES (1, 1, 'S1', '张三'), (2, 1, 'S2', '李四')`)
	must(`INSERT INTO exams (id, code, name) VALUES (1, '21', '五年级监测')`)
	must(`INSERT INTO subjects (id, exam_id, code, name) VALUES (1, 1, 'math', '数学')`)
	must(`INSERT INTO rooms (id, exam_id, school_id, number, capacity) VALUES (1, 1, 1, 1, 30)`)
	must(`INSERT INTO candidates (id, exam_id, student_id, exam_no, room_id, seat) VALUES (1, 1, 1, '2101010101', 1, 1)`)

	sha := "aa00000000000000000000000000000000000000000000000000000000000000"
	must(`INSERT INTO pages (image_sha256, blob_key) VALUES ($1, 'k')`, sha)

	cases := []struct {
		name string
		sql  string
		args []any
	}{
		{"same image twice", `INSERT INTO pages (image_sha256, blob_key) VALUES ($1, 'k2')`, []any{sha}},
		{"second exam number for a candidate", `INSERT INTO candidates (exam_id, student_id, exam_no, room_id, seat) VALUES (1, 1, '2101010102', 1, 2)`, nil},
		{"exam number reused", `INSERT INTO candidates (exam_id, student_id, exam_no, room_id, seat) VALUES (1, 2, '2101010101', 1, 2)`, nil},
		{"seat taken twice", `INSERT INTO candidates (exam_id, student_id, exam_no, room_id, seat) VALUES (1, 2, '2101010102', 1, 1)`, nil},
	}
	for _, c := range cases {
		if err := exec(c.sql, c.args...); !uniqueViolation(err) {
			t.Errorf("%s: got %v, want a unique violation", c.name, err)
		}
	}

	must(`INSERT INTO item_scores (candidate_id, subject_id, item, score, source) VALUES (1, 1, '1', 2, 'omr')`)
	if err := exec(`INSERT INTO item_scores (candidate_id, subject_id, item, score, source) VALUES (1, 1, '1', 0, 'manual')`); !uniqueViolation(err) {
		t.Errorf("second score for one candidate and item: got %v, want a unique violation", err)
	}
	if err := exec(`INSERT INTO pages (image_sha256, blob_key) VALUES ('not-a-digest', 'k3')`); err == nil {
		t.Error("a page with a malformed digest was accepted")
	}
	if err := exec(`INSERT INTO incidents (exam_id, level, description, reported_by) VALUES (1, 4, 'x', 'y')`); err == nil {
		t.Error("incident level 4 was accepted (levels are 1-3)")
	}
}

// InTxAfter commits what fn did and what the batch did, or nothing of
// either, and gives its connection back to the pool every time (more runs
// than the pool has connections).
func TestInTxAfter(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE tx_after (n int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		t.Helper()
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM tx_after`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(n int) func(b *pgx.Batch) {
		return func(b *pgx.Batch) { b.Queue(`INSERT INTO tx_after VALUES ($1)`, n) }
	}
	runs := int(db.Pool.Config().MaxConns) + 3
	for i := 0; i < runs; i++ {
		// The batch's rows are there for fn to see.
		var seen int
		err := db.InTxAfter(ctx, insert(2*i), func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM tx_after WHERE n = $1`, 2*i).Scan(&seen); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO tx_after VALUES ($1)`, 2*i+1)
			return err
		})
		if err != nil || seen != 1 {
			t.Fatalf("run %d: %v, batch row seen %d times", i, err, seen)
		}
		// fn fails: the batch's row goes too.
		boom := errors.New("boom")
		if err := db.InTxAfter(ctx, insert(-1), func(pgx.Tx) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("run %d: fn's error lost: %v", i, err)
		}
		// The batch fails: fn does not run.
		ran := false
		err = db.InTxAfter(ctx, insert(0), func(pgx.Tx) error { ran = true; return nil })
		if !uniqueViolation(err) || ran {
			t.Fatalf("run %d: failing batch gave %v, fn ran %v", i, err, ran)
		}
	}
	if n := count(); n != 2*runs {
		t.Fatalf("%d rows, want %d", n, 2*runs)
	}
	if st := db.Pool.Stat(); st.AcquiredConns() != 0 {
		t.Fatalf("%d connections still held", st.AcquiredConns())
	}
}

// TestMultiHostURL: a URL listing a primary and a standby, with
// target_session_attrs (a PostgreSQL streaming replica, docs/DEPLOYMENT.md),
// migrates and opens; here the first host is a port nobody listens on, so
// only pgx's fallback to the second can work.
func TestMultiHostURL(t *testing.T) {
	t.Parallel()
	_, schemaURL := storetest.NewWithURL(t)
	u, err := url.Parse(schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("target_session_attrs", "read-write")
	multi := u.Scheme + "://" + u.User.String() + "@127.0.0.1:1," + u.Host + u.Path + "?" + q.Encode()
	v, err := store.Migrate(multi)
	if err != nil || v == 0 {
		t.Fatalf("migrate %s: version %d, %v", multi, v, err)
	}
	db, err := store.Open(context.Background(), multi)
	if err != nil {
		t.Fatalf("open %s: %v", multi, err)
	}
	defer db.Close()
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != 1 {
		t.Errorf("schema_migrations through the multi-host URL: %d rows, %v", n, err)
	}
}
