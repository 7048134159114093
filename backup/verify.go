package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/saoyue/saoyue"
)

// Verify re-reads a backup (see Locate for path) and checks every file and
// object against the manifest's digests. The first bad file found is named
// in the error.
func Verify(ctx context.Context, path string) (*Manifest, string, error) {
	root, snap, err := Locate(path)
	if err != nil {
		return nil, "", err
	}
	m, err := ReadManifest(snap)
	if err != nil {
		return nil, "", err
	}
	for _, want := range []File{m.Database, m.Secret} {
		got, err := digestFile(snap, want.Name)
		if err != nil {
			return nil, "", err
		}
		if got != want {
			return nil, "", badFile(snap+"/"+want.Name, want.SHA256, want.Size, got.SHA256, got.Size)
		}
	}
	for _, b := range m.Blobs {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		if err := checkObject(root, b); err != nil {
			return nil, "", err
		}
	}
	return m, snap, nil
}

// checkObject re-reads one blob's copy and checks its size and digest.
func checkObject(root string, b Blob) error {
	p := objectPath(root, b.SHA256)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return saoyue.Errorf(saoyue.EINVALID, "备份已损坏：对象 %s（%s）不存在", p, b.Key)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != b.SHA256 || n != b.Size {
		return badFile(p+"（"+b.Key+"）", b.SHA256, b.Size, sum, n)
	}
	return nil
}

func badFile(name, wantSum string, wantSize int64, gotSum string, gotSize int64) error {
	return saoyue.Errorf(saoyue.EINVALID, "备份已损坏：%s 的内容与清单不符（清单 %d 字节 SHA-256 %.12s…，实际 %d 字节 %.12s…）",
		name, wantSize, wantSum, gotSize, gotSum)
}
