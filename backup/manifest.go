// Package backup copies an installation (its PostgreSQL database, every blob
// and the marking secret) into a backup target, checks such a copy, and
// restores it into an empty database and store (DOMAIN.md rule 7).
//
// A target is a directory or an S3 bucket (of the same or another
// endpoint), holding any number of backups that share one object store:
//
//	objects/ab/<sha256>           every blob's bytes, named by their SHA-256
//	snapshots/<UTC time>/         one backup
//	    manifest.json             counts, digests, schema and saoyue versions, blob keys
//	    db.dump                   pg_dump custom-format archive
//	    marking_secret            the key of the opaque marking task ids
//
// Blobs are content-addressed there, so a second backup copies only the
// objects the first did not have.
package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
)

// Names inside a backup.
const (
	ManifestName = "manifest.json"
	DumpName     = "db.dump"
	SecretName   = "marking_secret"
	objectsDir   = "objects"
	snapshotsDir = "snapshots"
	formatV1     = 1
)

// Target is where backups are kept: a directory (blob.Dir) or a bucket
// (blob.MinIO).
type Target interface {
	blob.Store
	blob.Lister
}

// OpenTarget opens "s3://BUCKET" on the endpoint and keys of s3 (a bucket
// created if missing), or else a directory.
func OpenTarget(ctx context.Context, spec string, s3 blob.S3Config) (Target, error) {
	if bucket, ok := strings.CutPrefix(spec, "s3://"); ok {
		if s3.Endpoint == "" {
			return nil, saoyue.Errorf(saoyue.EINVALID, "备份目标 %s 是 S3 存储桶，但没有指定 S3 地址（--target-s3-endpoint 或 SAOYUE_BACKUP_S3_ENDPOINT）", spec)
		}
		s3.Bucket = strings.TrimSuffix(bucket, "/")
		return blob.NewMinIO(ctx, s3)
	}
	return blob.NewDir(spec)
}

// Manifest describes one backup: what verify and restore check against.
type Manifest struct {
	Format        int              `json:"format"`
	Name          string           `json:"name"` // the snapshot's directory name: its UTC time
	SaoyueVersion string           `json:"saoyue_version"`
	SchemaVersion uint             `json:"schema_version"`
	Schema        string           `json:"schema"` // the PostgreSQL schema dumped
	CreatedAt     time.Time        `json:"created_at"`
	BlobSource    string           `json:"blob_source"`
	Database      File             `json:"database"`
	Secret        File             `json:"marking_secret"`
	Counts        map[string]int64 `json:"counts"` // rows per table, in the dump's snapshot
	Blobs         []Blob           `json:"blobs"`
	BlobBytes     int64            `json:"blob_bytes"`
	BlobsCopied   int              `json:"blobs_copied"` // objects this backup added to the target
}

// File is a file of the snapshot.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Blob is one blob of the store: its key there, and its bytes' digest,
// which names its copy under objects/.
type Blob struct {
	Key     string    `json:"key"`
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"`
	ModTime time.Time `json:"mod_time"`
}

// objectKey is where a blob's bytes are kept in the target.
func objectKey(sha string) string { return objectsDir + "/" + sha[:2] + "/" + sha }

// snapKey is the key of a file of a snapshot.
func snapKey(snap, name string) string { return snapshotsDir + "/" + snap + "/" + name }

func writeManifest(ctx context.Context, t Target, m *Manifest) error {
	sort.Slice(m.Blobs, func(i, j int) bool { return m.Blobs[i].Key < m.Blobs[j].Key })
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return t.Put(ctx, snapKey(m.Name, ManifestName), bytes.NewReader(b), int64(len(b)), "application/json")
}

// ReadManifest reads the manifest of snapshot snap of t.
func ReadManifest(ctx context.Context, t Target, snap string) (*Manifest, error) {
	key := snapKey(snap, ManifestName)
	b, err := blob.ReadAll(ctx, t, key)
	if err != nil {
		return nil, saoyue.Errorf(saoyue.EINVALID, "读取备份清单 %s/%s 失败：%v", t, key, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, saoyue.Errorf(saoyue.EINVALID, "备份清单 %s/%s 已损坏：%v", t, key, err)
	}
	if m.Format != formatV1 {
		return nil, saoyue.Errorf(saoyue.EINVALID, "备份清单 %s/%s 的格式 %d 无法识别", t, key, m.Format)
	}
	return &m, nil
}

// SplitPath turns what a user names into a target and a snapshot: a
// snapshot's own directory (DIR/snapshots/T) means that snapshot of DIR;
// anything else is a target, meaning its latest snapshot ("").
func SplitPath(path string) (target, snap string) {
	clean := filepath.Clean(path)
	if _, err := os.Stat(filepath.Join(clean, ManifestName)); err == nil && filepath.Base(filepath.Dir(clean)) == snapshotsDir {
		return filepath.Dir(filepath.Dir(clean)), filepath.Base(clean)
	}
	return path, ""
}

// latestSnapshot is the newest complete snapshot of t ("" if none): a
// snapshot is complete once its manifest is written, which is last.
func latestSnapshot(ctx context.Context, t Target) (string, error) {
	latest := ""
	err := t.List(ctx, snapshotsDir+"/", func(o blob.Object) error {
		rest := strings.TrimPrefix(o.Key, snapshotsDir+"/")
		if name, file, ok := strings.Cut(rest, "/"); ok && file == ManifestName && name > latest {
			latest = name // names are UTC times: they sort
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("list backups in %s: %w", t, err)
	}
	return latest, nil
}

// resolve returns snap, or the latest snapshot when snap is "".
func resolve(ctx context.Context, t Target, snap string) (string, error) {
	if snap != "" {
		return snap, nil
	}
	latest, err := latestSnapshot(ctx, t)
	if err != nil {
		return "", err
	}
	if latest == "" {
		return "", saoyue.Errorf(saoyue.ENOTFOUND, "%s 里没有备份", t)
	}
	return latest, nil
}
