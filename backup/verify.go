package backup

import (
	"context"
	"errors"
	"fmt"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
)

// Verify re-reads snapshot snap of t (its latest when "") and checks every
// file and object against the manifest's digests. The first bad file found
// is named in the error.
func Verify(ctx context.Context, t Target, snap string) (*Manifest, error) {
	snap, err := resolve(ctx, t, snap)
	if err != nil {
		return nil, err
	}
	m, err := ReadManifest(ctx, t, snap)
	if err != nil {
		return nil, err
	}
	for _, want := range []File{m.Database, m.Secret} {
		if err := check(ctx, t, snapKey(snap, want.Name), want.SHA256, want.Size, ""); err != nil {
			return nil, err
		}
	}
	for _, b := range m.Blobs {
		if err := check(ctx, t, objectKey(b.SHA256), b.SHA256, b.Size, "（"+b.Key+" 的备份）"); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// check re-reads one file of the backup and compares size and digest.
func check(ctx context.Context, t Target, key, sum string, size int64, of string) error {
	rc, err := t.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return saoyue.Errorf(saoyue.EINVALID, "备份已损坏：%s/%s%s 不存在", t, key, of)
	}
	if err != nil {
		return fmt.Errorf("read %s/%s: %w", t, key, err)
	}
	defer rc.Close()
	got, err := digest(key, rc)
	if err != nil {
		return err
	}
	if got.SHA256 != sum || got.Size != size {
		return saoyue.Errorf(saoyue.EINVALID, "备份已损坏：%s/%s%s 的内容与清单不符（清单 %d 字节 SHA-256 %.12s…，实际 %d 字节 %.12s…）",
			t, key, of, size, sum, got.Size, got.SHA256)
	}
	return nil
}
