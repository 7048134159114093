package backup

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
)

// PruneResult says what Prune removed and kept.
type PruneResult struct {
	Kept, Removed  []string // snapshot names, oldest first
	ObjectsRemoved int      // blob copies no kept backup names
	BytesRemoved   int64
}

// Prune keeps the keep newest complete backups of t and removes the older
// ones: their files, and the blob copies that they named and no kept
// backup names. Objects no backup names (those of a backup cut short) are
// left alone. A backup running beside Prune may count on an object of a
// removed backup that it found in place and did not copy again, so run
// Prune after the backup, not beside it (the hourly unit runs backup,
// verify, then prune).
func Prune(ctx context.Context, t Target, keep int) (*PruneResult, error) {
	if keep < 1 {
		return nil, saoyue.Errorf(saoyue.EINVALID, "至少保留 1 份备份（--keep %d）", keep)
	}
	snaps, err := snapshots(ctx, t)
	if err != nil {
		return nil, err
	}
	res := &PruneResult{}
	if len(snaps) <= keep {
		res.Kept = snaps
		return res, nil
	}
	res.Removed, res.Kept = snaps[:len(snaps)-keep], snaps[len(snaps)-keep:]
	// Every kept manifest is read before anything is deleted: one that
	// cannot be read stops the prune, since its objects are unknown.
	kept := map[string]bool{}
	for _, s := range res.Kept {
		m, err := ReadManifest(ctx, t, s)
		if err != nil {
			return nil, err
		}
		for _, b := range m.Blobs {
			kept[b.SHA256] = true
		}
	}
	for _, s := range res.Removed {
		if err := pruneSnapshot(ctx, t, s, kept, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// pruneSnapshot removes one backup: its manifest first (from then on it is
// no longer a complete backup, so a prune cut short never leaves a backup
// that looks whole and is not), then the objects only it named, then the
// rest of its files.
func pruneSnapshot(ctx context.Context, t Target, snap string, kept map[string]bool, res *PruneResult) error {
	m, err := ReadManifest(ctx, t, snap)
	if err != nil {
		return err
	}
	if err := t.Delete(ctx, snapKey(snap, ManifestName)); err != nil {
		return fmt.Errorf("remove backup %s: %w", snap, err)
	}
	for _, b := range m.Blobs {
		if kept[b.SHA256] {
			continue
		}
		kept[b.SHA256] = true // the same bytes under another key: removed once
		if err := t.Delete(ctx, objectKey(b.SHA256)); err != nil {
			return fmt.Errorf("remove object %s of backup %s: %w", b.SHA256, snap, err)
		}
		res.ObjectsRemoved++
		res.BytesRemoved += b.Size
	}
	var files []string
	err = t.List(ctx, snapshotsDir+"/"+snap+"/", func(o blob.Object) error {
		files = append(files, o.Key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list backup %s: %w", snap, err)
	}
	for _, k := range files {
		if err := t.Delete(ctx, k); err != nil {
			return fmt.Errorf("remove %s of backup %s: %w", k, snap, err)
		}
	}
	return nil
}

// snapshots lists the complete backups of t, oldest first.
func snapshots(ctx context.Context, t Target) ([]string, error) {
	var out []string
	err := t.List(ctx, snapshotsDir+"/", func(o blob.Object) error {
		rest := strings.TrimPrefix(o.Key, snapshotsDir+"/")
		if name, file, ok := strings.Cut(rest, "/"); ok && file == ManifestName {
			out = append(out, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", t, err)
	}
	sort.Strings(out) // names are UTC times
	return out, nil
}
