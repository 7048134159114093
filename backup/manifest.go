// Package backup copies an installation (its PostgreSQL database, every blob
// and the marking secret) into a directory, checks such a copy, and restores
// it into an empty database and bucket (DOMAIN.md rule 7).
//
// A backup directory holds any number of backups sharing one object store:
//
//	DIR/objects/ab/<sha256>           every blob's bytes, named by their SHA-256
//	DIR/snapshots/<UTC time>/         one backup
//	    manifest.json                 counts, digests, schema and saoyue versions, blob keys
//	    db.dump                       pg_dump custom-format archive
//	    marking_secret                the key of the opaque marking task ids
//
// Blobs are content-addressed there, so a second backup copies only the
// objects the first did not have.
package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/saoyue/saoyue"
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

// Manifest describes one backup: what verify and restore check against.
type Manifest struct {
	Format        int              `json:"format"`
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
	BlobsCopied   int              `json:"blobs_copied"` // objects this backup added to the store
}

// File is a file of the snapshot directory.
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

// objectPath is where a blob's bytes are kept in the backup directory.
func objectPath(root, sha string) string {
	return filepath.Join(root, objectsDir, sha[:2], sha)
}

func writeManifest(dir string, m *Manifest) error {
	sort.Slice(m.Blobs, func(i, j int) bool { return m.Blobs[i].Key < m.Blobs[j].Key })
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return writeFileSync(filepath.Join(dir, ManifestName), b, 0o644)
}

// ReadManifest reads the manifest of the backup at path (see Locate).
func ReadManifest(snap string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(snap, ManifestName))
	if err != nil {
		return nil, saoyue.Errorf(saoyue.EINVALID, "读取备份清单 %s 失败：%v", filepath.Join(snap, ManifestName), err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, saoyue.Errorf(saoyue.EINVALID, "备份清单 %s 已损坏：%v", filepath.Join(snap, ManifestName), err)
	}
	if m.Format != formatV1 {
		return nil, saoyue.Errorf(saoyue.EINVALID, "备份清单 %s 的格式 %d 无法识别", filepath.Join(snap, ManifestName), m.Format)
	}
	return &m, nil
}

// Locate turns what a user names into a snapshot directory and the root
// holding its objects: a snapshot itself, or a backup directory, meaning
// its latest snapshot.
func Locate(path string) (root, snap string, err error) {
	if _, err := os.Stat(filepath.Join(path, ManifestName)); err == nil {
		return filepath.Dir(filepath.Dir(filepath.Clean(path))), path, nil
	}
	latest, err := latestSnapshot(path)
	if err != nil {
		return "", "", err
	}
	if latest == "" {
		return "", "", saoyue.Errorf(saoyue.ENOTFOUND, "%s 里没有备份", path)
	}
	return path, latest, nil
}

// latestSnapshot is the newest complete snapshot under root ("" if none):
// a snapshot is complete once its manifest is written, which is last.
func latestSnapshot(root string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(root, snapshotsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read backups in %s: %w", root, err)
	}
	for i := len(entries) - 1; i >= 0; i-- { // names are UTC times: sorted
		snap := filepath.Join(root, snapshotsDir, entries[i].Name())
		if _, err := os.Stat(filepath.Join(snap, ManifestName)); err == nil {
			return snap, nil
		}
	}
	return "", nil
}

// writeFileSync writes and fsyncs a file under a temporary name, then
// renames it: a crash leaves the old file or the new, never half of one.
func writeFileSync(name string, b []byte, perm os.FileMode) error {
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
