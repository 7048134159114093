package main

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"net/http/httptest"

	"github.com/hibiken/asynq"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob/blobtest"
	"github.com/saoyue/saoyue/grading"
	"github.com/saoyue/saoyue/queue"
	"github.com/saoyue/saoyue/store"
	"github.com/saoyue/saoyue/store/storetest"
	"github.com/saoyue/saoyue/web"
)

// TestBuildsForWindowsWithoutCgo is the promise to the schools: the client
// cross-compiles for their Windows scan stations and links no OpenCV.
func TestBuildsForWindowsWithoutCgo(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "saoyue-scan.exe")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows go build: %v\n%s", err, b)
	}
	deps, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"gocv.io", "saoyue/omr", "saoyue/queue/handler"} {
		if strings.Contains(string(deps), bad) {
			t.Errorf("saoyue-scan depends on %s", bad)
		}
	}
}

type nopQueue struct{}

func (nopQueue) Enqueue(context.Context, *asynq.Task, ...asynq.Option) error { return nil }
func (nopQueue) Close() error                                                { return nil }

// TestImportCommandUploadsABag runs `saoyue-scan import` on a folder
// against the county server (real PostgreSQL and MinIO), then again:
// the second run uploads nothing new.
func TestImportCommandUploadsABag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.New(t)
	county, _ := store.UpsertCounty(ctx, db.Pool, "01", "示例县")
	e := &store.Exam{Code: "22", Name: "监测", RoomCapacity: 30, Subjects: []store.Subject{{Code: "english", Name: "英语", Session: "pm", FullScore: 100}}}
	if err := db.CreateExam(ctx, e); err != nil {
		t.Fatal(err)
	}
	if _, err := grading.AdvanceTo(ctx, db, "22", saoyue.StageScanning, "测试", "测试不打印标签"); err != nil {
		t.Fatal(err)
	}
	school, _ := store.UpsertSchool(ctx, db.Pool, county, "0301", "三中")
	if _, err := store.UpsertRooms(ctx, db.Pool, e.ID, school, []int{30}); err != nil {
		t.Fatal(err)
	}
	token, _, err := store.CreateScanToken(ctx, db.Pool, "0301", "三中扫描站")
	if err != nil {
		t.Fatal(err)
	}
	blobs := blobtest.Shared(t)
	s := web.NewServer(db, blobs, slog.New(slog.DiscardHandler))
	s.Ingester = &queue.Ingester{DB: db, Blobs: blobs, Queue: nopQueue{}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	dir := t.TempDir()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for _, name := range []string{"p1.jpg", "p2.jpg", "p10.jpg"} {
		g := image.NewGray(image.Rect(0, 0, 200, 280))
		for i := range g.Pix {
			g.Pix[i] = byte(150 + r.IntN(100))
		}
		var b bytes.Buffer
		jpeg.Encode(&b, g, nil)
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spool := t.TempDir()
	run := func() string {
		var out bytes.Buffer
		cmd := newRootCmd(func(string) string { return "" })
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs([]string{"import", dir, "--exam", "22", "--subject", "english", "--school", "0301", "--room", "1",
			"--expected", "2", "--server", srv.URL, "--token", token, "--spool", spool, "-q"})
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Fatalf("saoyue-scan import: %v\n%s", err, out.String())
		}
		return out.String()
	}
	out := run()
	// 2 cards at 2 pages each are 4 pages; 3 were scanned.
	for _, want := range []string{"已扫描  3 页", "已上传  3 页", "缺少    1 页"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	var names []string
	rows, _ := db.Pool.Query(ctx, `SELECT source_name FROM pages ORDER BY seq`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	if strings.Join(names, " ") != "p1.jpg p2.jpg p10.jpg" {
		t.Errorf("pages %v, want p1 p2 p10 in scan order", names)
	}
	run() // again: nothing new
	// A bag with a file that is no scan: the rest is uploaded, the summary
	// names the file, and the command fails so a script notices.
	if err := os.WriteFile(filepath.Join(dir, "p11.jpg"), []byte("not a JPEG at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out2 bytes.Buffer
	cmd := newRootCmd(func(string) string { return "" })
	cmd.SetOut(&out2)
	cmd.SetErr(&out2)
	cmd.SetArgs([]string{"import", dir, "--exam", "22", "--subject", "english", "--school", "0301", "--room", "1",
		"--expected", "2", "--server", srv.URL, "--token", token, "--spool", spool, "-q"})
	if err := cmd.ExecuteContext(ctx); err == nil || !strings.Contains(err.Error(), "1 个文件无法读取") {
		t.Errorf("import with an unreadable file: err %v, want 1 个文件无法读取\n%s", err, out2.String())
	}
	if !strings.Contains(out2.String(), "p11.jpg") {
		t.Errorf("summary does not name the unreadable file:\n%s", out2.String())
	}
	var n int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM pages`).Scan(&n)
	if n != 3 {
		t.Errorf("%d pages after importing the bag twice, want 3", n)
	}
}
