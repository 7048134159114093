package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/backup"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/blob/blobtest"
	"github.com/saoyue/saoyue/grading/marking"
	"github.com/saoyue/saoyue/report"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
)

// drillDB creates a database of its own on the test server (a "new
// instance" for a restore) and returns its URL; drop drops it.
func drillDB(t *testing.T, name string) (dbURL string, drop func()) {
	t.Helper()
	base := storetest.URL(t)
	var b [4]byte
	rand.Read(b[:])
	name = "drill_" + name + "_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	dropped := false
	drop = func() {
		if dropped {
			return
		}
		dropped = true
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Fatalf("drop database %s: %v", name, err)
		}
	}
	t.Cleanup(drop)
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String(), drop
}

// drillBucket names a fresh bucket of the test MinIO; drop empties and
// removes it.
func drillBucket(t *testing.T, name string) (bucket string, drop func()) {
	t.Helper()
	c := blobtest.Config(t, blobtest.Bucket("drill-"+name))
	dropped := false
	drop = func() {
		if !dropped {
			dropped = true
			blobtest.Remove(t, c)
		}
	}
	t.Cleanup(drop)
	return c.Bucket, drop
}

// saoyueCmd runs `saoyue args...` and returns its output.
func saoyueCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runCmd(t, newRootCmd(), args...)
}

// installation is what a user sees of an installation, to compare before
// and after a restore.
type installation struct {
	report     map[string]string // CSV table → content
	pages      map[string]string // page blob key → SHA-256 of its bytes
	open       map[int64]bool    // marking tasks open (or leased)
	marked     map[int64]bool    // marking tasks marked
	marksTotal int
}

func snapshotInstallation(t *testing.T, dbURL string, blobs blob.Store) installation {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in := installation{report: map[string]string{}, pages: map[string]string{}, open: map[int64]bool{}, marked: map[int64]bool{}}
	r, err := report.Generate(ctx, db, demoExam, report.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names, err := report.WriteCSVDir(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		in.report[filepath.Base(n)] = string(b)
	}
	rows, _ := db.Pool.Query(ctx, `SELECT blob_key FROM pages`)
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		b, err := blob.ReadAll(ctx, blobs, k)
		if err != nil {
			t.Fatalf("page image %s: %v", k, err)
		}
		in.pages[k] = blob.SHA256(b)
	}
	rows, _ = db.Pool.Query(ctx, `SELECT id, status FROM marking_tasks`)
	for rows.Next() {
		var id int64
		var status string
		rows.Scan(&id, &status)
		switch status {
		case "open", "leased":
			in.open[id] = true
		case "marked":
			in.marked[id] = true
		}
	}
	rows.Close()
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM marks`).Scan(&in.marksTotal)
	return in
}

func minioStore(t *testing.T, bucket string) *blob.MinIO {
	t.Helper()
	return blobtest.Open(t, blobtest.Config(t, bucket))
}

// TestRestoreDrill is the restore drill: the demo's pipeline reads a bag
// of fixture cards into PostgreSQL and MinIO and marks part of it; the
// installation is backed up twice (the second copies no blob again),
// verified, destroyed (database dropped, bucket removed) and restored
// into a new database and bucket. The report is identical cell for cell,
// every page image byte-identical, and marking continues where it stopped.
func TestRestoreDrill(t *testing.T) {
	t.Parallel()
	srcURL, dropSrc := drillDB(t, "src")
	srcBucket, dropBucket := drillBucket(t, "src")
	out := &syncBuffer{}
	if err := demoCmd(out, "--no-serve", "--schools", "0305", "--database-url", srcURL, "--redis-addr", "",
		"--s3-bucket", srcBucket, "--data-dir", t.TempDir()).Execute(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	before := snapshotInstallation(t, srcURL, minioStore(t, srcBucket))
	if len(before.pages) < 20 || len(before.open) == 0 || len(before.marked) == 0 {
		t.Fatalf("the demo left %d pages, %d open and %d marked tasks: nothing to drill on", len(before.pages), len(before.open), len(before.marked))
	}

	dir := t.TempDir()
	src := []string{"--database-url", srcURL, "--s3-bucket", srcBucket}
	msg, err := saoyueCmd(t, append([]string{"backup", "--to", dir}, src...)...)
	if err != nil || !strings.Contains(msg, "备份完成") {
		t.Fatalf("backup: %v\n%s", err, msg)
	}
	msg, err = saoyueCmd(t, append([]string{"backup", "--to", dir}, src...)...)
	if err != nil || !strings.Contains(msg, "本次新复制对象 0 个") {
		t.Fatalf("second backup copied blobs again: %v\n%s", err, msg)
	}
	checkVerifyNamesBadFile(t, dir)

	dropSrc()
	dropBucket()
	dstURL, _ := drillDB(t, "dst")
	dstBucket, _ := drillBucket(t, "dst")
	dst := []string{"--database-url", dstURL, "--s3-bucket", dstBucket}
	msg, err = saoyueCmd(t, append([]string{"restore", "--from", dir}, dst...)...)
	if err != nil || !strings.Contains(msg, "恢复完成") {
		t.Fatalf("restore: %v\n%s", err, msg)
	}
	msg, err = saoyueCmd(t, append([]string{"restore", "--from", dir}, dst...)...)
	if err == nil || !strings.Contains(err.Error(), "目标数据库不是空的") {
		t.Fatalf("a second restore into the restored database was not refused: %v\n%s", err, msg)
	}
	emptyURL, _ := drillDB(t, "empty")
	msg, err = saoyueCmd(t, "restore", "--from", dir, "--database-url", emptyURL, "--s3-bucket", dstBucket)
	if err == nil || !strings.Contains(err.Error(), "目标对象存储") {
		t.Fatalf("a restore into the restored bucket was not refused: %v\n%s", err, msg)
	}
	if _, err = saoyueCmd(t, append([]string{"restore", "--force", "--from", dir}, dst...)...); err != nil {
		t.Fatalf("restore --force: %v", err)
	}

	after := snapshotInstallation(t, dstURL, minioStore(t, dstBucket))
	t.Logf("%d report tables, %d page images, %d open and %d marked tasks", len(before.report), len(before.pages), len(before.open), len(before.marked))
	compareInstallations(t, before, after)
	checkMarkingContinues(t, dstURL, after)
}

// checkVerifyNamesBadFile damages one object of the backup: verify fails
// naming it; repaired, verify passes again.
func checkVerifyNamesBadFile(t *testing.T, dir string) {
	t.Helper()
	if msg, err := saoyueCmd(t, "backup", "verify", dir); err != nil || !strings.Contains(msg, "完好") {
		t.Fatalf("verify of a good backup: %v\n%s", err, msg)
	}
	target, err := backup.OpenTarget(context.Background(), dir, blob.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	snaps, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*", "manifest.json"))
	if len(snaps) != 2 {
		t.Fatalf("two backups made %d manifests: %v", len(snaps), snaps)
	}
	m, err := backup.ReadManifest(context.Background(), target, filepath.Base(filepath.Dir(snaps[1])))
	if err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(dir, "objects", m.Blobs[0].SHA256[:2], m.Blobs[0].SHA256)
	good, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0xff
	os.WriteFile(obj, bad, 0o644)
	_, err = saoyueCmd(t, "backup", "verify", dir)
	if err == nil || !strings.Contains(err.Error(), m.Blobs[0].SHA256) || !strings.Contains(err.Error(), m.Blobs[0].Key) ||
		!strings.Contains(err.Error(), "备份已损坏") {
		t.Errorf("verify of a damaged object said %v, want it named", err)
	}
	os.WriteFile(obj, good, 0o644)
}

func compareInstallations(t *testing.T, before, after installation) {
	t.Helper()
	if len(after.report) != len(before.report) || len(before.report) == 0 {
		t.Errorf("report tables: %d before, %d after", len(before.report), len(after.report))
	}
	for name, want := range before.report {
		if got := after.report[name]; got != want {
			t.Errorf("report table %s differs after restore:\nbefore:\n%.600s\nafter:\n%.600s", name, want, got)
		}
	}
	if len(after.pages) != len(before.pages) {
		t.Errorf("%d page images before, %d after", len(before.pages), len(after.pages))
	}
	for k, sum := range before.pages {
		if after.pages[k] != sum {
			t.Errorf("page image %s: SHA-256 %s before, %q after", k, sum, after.pages[k])
		}
	}
	if len(after.open) != len(before.open) || len(after.marked) != len(before.marked) || after.marksTotal != before.marksTotal {
		t.Errorf("tasks open/marked, marks: %d/%d/%d before, %d/%d/%d after", len(before.open), len(before.marked),
			before.marksTotal, len(after.open), len(after.marked), after.marksTotal)
	}
}

// checkMarkingContinues asks for work as the demo's teacher on the
// restored installation: what comes is open work, never a marked answer.
func checkMarkingContinues(t *testing.T, dbURL string, after installation) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Every teacher of the plan: the ones who marked before the backup may
	// have finished what they may mark (never their own school's answers),
	// so marking continues if some teacher is offered work, and only open
	// tasks are ever offered.
	rows, err := db.Pool.Query(ctx, `SELECT teacher_id, subject_id FROM marking_assignments ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type who struct{ teacher, subject int64 }
	var markers []who
	for rows.Next() {
		var w who
		if err := rows.Scan(&w.teacher, &w.subject); err != nil {
			t.Fatal(err)
		}
		markers = append(markers, w)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	e := marking.NewEngine(db, marking.MarkingOptions{Rand: func() float64 { return 0.999999 }})
	offered := 0
	for _, w := range markers {
		m, err := e.Marker(ctx, w.teacher, w.subject)
		if err != nil {
			t.Fatal(err)
		}
		next, err := e.Next(ctx, m, 5)
		if err != nil {
			t.Fatal(err)
		}
		offered += len(next.Tasks)
		for _, task := range next.Tasks {
			if after.marked[task.ID] || !after.open[task.ID] {
				t.Errorf("task %d offered after restore is not an open task (marked: %v)", task.ID, after.marked[task.ID])
			}
		}
	}
	if offered == 0 && len(after.open) > 0 {
		t.Fatalf("the restored installation offers none of %d teachers any of its %d open tasks", len(markers), len(after.open))
	}
}

// TestBackupWhileWorking takes a backup, into another bucket, while a
// second bag is being read and markers submit marks, restores it, and checks that the restored
// state hangs together: every mark has its task, every crop its page,
// every blob a row names is in the restored bucket, and marking goes on.
func TestBackupWhileWorking(t *testing.T) {
	t.Parallel()
	srcURL, _ := drillDB(t, "busy")
	srcBucket, _ := drillBucket(t, "busy")
	demoArgs := func(school string) []string {
		return []string{"--no-serve", "--schools", school, "--database-url", srcURL, "--redis-addr", "",
			"--s3-bucket", srcBucket, "--data-dir", t.TempDir()}
	}
	out := &syncBuffer{}
	if err := demoCmd(out, demoArgs("0305")...).Execute(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	start := snapshotInstallation(t, srcURL, minioStore(t, srcBucket))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scanned := make(chan error, 1)
	go func() { scanned <- demoCmd(&syncBuffer{}, demoArgs("0101")...).ExecuteContext(ctx) }()
	marking := make(chan int, 1)
	go func() { marking <- markUntil(ctx, t, srcURL) }()
	waitForRows(t, srcURL, `SELECT count(*) FROM pages`, len(start.pages)+10)
	// The backup goes to another bucket of the same MinIO.
	backupBucket, _ := drillBucket(t, "busybak")
	dir := "s3://" + backupBucket
	msg, err := saoyueCmd(t, "backup", "--to", dir, "--database-url", srcURL, "--s3-bucket", srcBucket)
	if err != nil {
		t.Fatalf("backup while working: %v\n%s", err, msg)
	}
	if err := <-scanned; err != nil {
		t.Fatalf("second bag: %v", err)
	}
	cancel()
	marked := <-marking
	final := snapshotInstallation(t, srcURL, minioStore(t, srcBucket))

	dstURL, _ := drillDB(t, "busydst")
	dstBucket, _ := drillBucket(t, "busydst")
	if msg, err := saoyueCmd(t, "backup", "verify", dir); err != nil {
		t.Fatalf("verify of the bucket's backup: %v\n%s", err, msg)
	}
	if msg, err := saoyueCmd(t, "restore", "--from", dir, "--database-url", dstURL, "--s3-bucket", dstBucket); err != nil {
		t.Fatalf("restore: %v\n%s", err, msg)
	}
	restored := snapshotInstallation(t, dstURL, minioStore(t, dstBucket))
	t.Logf("pages %d → %d (backup %d), marks %d → %d (backup %d; %d submitted meanwhile)", len(start.pages), len(final.pages),
		len(restored.pages), start.marksTotal, final.marksTotal, restored.marksTotal, marked)
	if len(restored.pages) <= len(start.pages) || restored.marksTotal < start.marksTotal || restored.marksTotal > final.marksTotal {
		t.Errorf("the backup was not taken mid-work: pages %d/%d/%d, marks %d/%d/%d", len(start.pages), len(restored.pages),
			len(final.pages), start.marksTotal, restored.marksTotal, final.marksTotal)
	}
	checkConsistent(t, dstURL, minioStore(t, dstBucket))
	checkMarkingContinues(t, dstURL, restored)
}

// markUntil marks, as every assigned marker in turn, until ctx ends, and
// returns how many marks it submitted.
func markUntil(ctx context.Context, t *testing.T, dbURL string) int {
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer db.Close()
	rows, _ := db.Pool.Query(ctx, `SELECT teacher_id, subject_id FROM marking_assignments WHERE role = 'marker'`)
	type pair struct{ teacher, subject int64 }
	var who []pair
	for rows.Next() {
		var p pair
		rows.Scan(&p.teacher, &p.subject)
		who = append(who, p)
	}
	rows.Close()
	e := marking.NewEngine(db, marking.MarkingOptions{Rand: func() float64 { return 0.999999 }})
	n := 0
	for ctx.Err() == nil {
		busy := false
		for _, p := range who {
			m, err := e.Marker(ctx, p.teacher, p.subject)
			if err != nil {
				continue
			}
			next, err := e.Next(ctx, m, 1)
			if err != nil || len(next.Tasks) == 0 {
				continue
			}
			scores := make([]float64, len(next.Parts))
			if _, err := e.Submit(ctx, m, next.Tasks[0].ID, marking.Submission{Scores: scores, DurationMS: 3000}); err == nil {
				n++
				busy = true
			}
		}
		if !busy {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return n
}

func waitForRows(t *testing.T, dbURL, query string, want int) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var n int
		if err := conn.QueryRow(context.Background(), query).Scan(&n); err == nil && n >= want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never reached %d", query, want)
}

// checkConsistent asks the restored database for what a torn backup would
// show: marks without their task, crops without their page, marked tasks
// without a mark, blobs named but missing.
func checkConsistent(t *testing.T, dbURL string, blobs blob.Store) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for what, q := range map[string]string{
		"marks without their task":    `SELECT count(*) FROM marks m WHERE NOT EXISTS (SELECT 1 FROM marking_tasks k WHERE k.id = m.task_id)`,
		"crops without their page":    `SELECT count(*) FROM crops c WHERE NOT EXISTS (SELECT 1 FROM pages p WHERE p.id = c.page_id)`,
		"tasks without their crop":    `SELECT count(*) FROM marking_tasks k WHERE NOT EXISTS (SELECT 1 FROM crops c WHERE c.id = k.crop_id)`,
		"marked tasks without a mark": `SELECT count(*) FROM marking_tasks k WHERE k.status = 'marked' AND NOT EXISTS (SELECT 1 FROM marks m WHERE m.task_id = k.id)`,
	} {
		var n int
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("restored database has %d %s", n, what)
		}
	}
	rows, _ := conn.Query(ctx, `SELECT blob_key, blob_offset + coalesce(blob_size, 0) FROM crops UNION ALL SELECT blob_key, 0 FROM pages`)
	type ref struct {
		key string
		end int64
	}
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ref, error) {
		var x ref
		return x, r.Scan(&x.key, &x.end)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		size, err := blobs.Stat(ctx, r.key)
		if err != nil || size < r.end {
			t.Errorf("blob %s named by the restored database: %d bytes (row needs %d), %v", r.key, size, r.end, err)
		}
	}
}

// TestBackupRefusesItsOwnBucket: a backup into the bucket it backs up
// would copy its own copies at every run.
func TestBackupRefusesItsOwnBucket(t *testing.T) {
	t.Parallel()
	_, dbURL := storetest.NewWithURL(t)
	bucket, _ := drillBucket(t, "self")
	_, err := saoyueCmd(t, "backup", "--to", "s3://"+bucket, "--database-url", dbURL, "--s3-bucket", bucket)
	if err == nil || !strings.Contains(err.Error(), "就是被备份的对象存储") {
		t.Fatalf("backup into its own bucket: %v", err)
	}
}
