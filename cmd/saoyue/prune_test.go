package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/backup"
	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/blob/blobtest"
	"github.com/saoyue/saoyue/store/storetest"
)

// TestBackupPrune: three backups of an installation whose images change
// between them, into a directory and into another bucket; `backup prune
// --keep 2` removes the oldest backup and the image copy only it named,
// keeps the copies a kept backup names (also those the oldest named), and
// both kept backups still verify. --keep 0 is refused.
func TestBackupPrune(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, dbURL := storetest.NewWithURL(t)
	srcBucket, _ := drillBucket(t, "prune-src")
	dstBucket, _ := drillBucket(t, "prune-dst")
	src := minioStore(t, srcBucket)
	put := func(key, body string) string {
		if err := src.Put(ctx, key, strings.NewReader(body), int64(len(body)), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		return blob.SHA256([]byte(body))
	}
	x, y := put("pages/x.jpg", "image x, in every backup"), put("pages/y.jpg", "image y, only in the first")
	var z, w string
	s3 := blobtest.Config(t, dstBucket) // the test MinIO; OpenTarget takes the bucket from the target
	targets := []string{t.TempDir(), "s3://" + dstBucket}
	backupAll := func() {
		for _, to := range targets {
			if msg, err := saoyueCmd(t, "backup", "--to", to, "--database-url", dbURL, "--s3-bucket", srcBucket); err != nil {
				t.Fatalf("backup to %s: %v\n%s", to, err, msg)
			}
		}
	}
	backupAll()
	if err := src.Delete(ctx, "pages/y.jpg"); err != nil {
		t.Fatal(err)
	}
	z = put("pages/z.jpg", "image z, in the second and third")
	backupAll()
	w = put("pages/w.jpg", "image w, in the third")
	backupAll()

	for _, to := range targets {
		target, err := backup.OpenTarget(ctx, to, s3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := saoyueCmd(t, "backup", "prune", "--keep", "0", to); err == nil {
			t.Errorf("%s: prune --keep 0 was not refused", to)
		}
		msg, err := saoyueCmd(t, "backup", "prune", "--keep", "2", to)
		if err != nil || !strings.Contains(msg, "删除较早的 1 份及只属于它们的对象 1 个") {
			t.Fatalf("%s: prune --keep 2: %v\n%s", to, err, msg)
		}
		for sum, want := range map[string]bool{x: true, y: false, z: true, w: true} {
			_, err := target.Stat(ctx, "objects/"+sum[:2]+"/"+sum)
			if got := err == nil; got != want || (err != nil && !errors.Is(err, blob.ErrNotFound)) {
				t.Errorf("%s: object %.12s present %v, want %v (%v)", to, sum, got, want, err)
			}
		}
		var snaps []string
		target.List(ctx, "snapshots/", func(o blob.Object) error {
			if name, file, _ := strings.Cut(strings.TrimPrefix(o.Key, "snapshots/"), "/"); file == backup.ManifestName {
				snaps = append(snaps, name)
			}
			return nil
		})
		if len(snaps) != 2 {
			t.Fatalf("%s: %d backups left, want 2: %v", to, len(snaps), snaps)
		}
		for _, s := range snaps {
			if m, err := backup.Verify(ctx, target, s); err != nil || len(m.Blobs) < 2 {
				t.Errorf("%s: kept backup %s does not verify: %v", to, s, err)
			}
		}
		if !strings.HasPrefix(to, "s3://") {
			entries, _ := os.ReadDir(filepath.Join(to, "snapshots"))
			if len(entries) != 2 {
				t.Errorf("%s: %d snapshot directories left, want 2", to, len(entries))
			}
		}
		if msg, err := saoyueCmd(t, "backup", "prune", "--keep", "2", to); err != nil || !strings.Contains(msg, "删除较早的 0 份") {
			t.Errorf("%s: a second prune: %v\n%s", to, err, msg)
		}
	}
}
