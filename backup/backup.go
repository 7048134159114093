package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
)

// Options say what to back up and where.
type Options struct {
	DatabaseURL string
	Blobs       blob.Store // must also be a blob.Lister
	Target      Target     // where backups are kept (OpenTarget)
	PGBin       string     // directory of pg_dump/pg_restore; "" = DefaultPGBin or PATH
	Version     string     // the saoyue version, recorded in the manifest
	Parallel    int        // blobs copied at once; 0 = 4
}

// Backup takes one consistent backup into opt.Dir and returns its
// manifest and snapshot directory.
//
// The database is dumped first, then the blobs are listed and copied: a
// blob is always stored before the row that names it commits, so every
// blob the dump names already exists when the listing starts. The dump's
// snapshot is exported from a transaction that also counts the rows and
// collects the blob keys the rows name, so the manifest describes exactly
// the dump, and a blob the dump names but the store lacks fails the backup.
func Backup(ctx context.Context, opt Options) (*Manifest, error) {
	lister, ok := opt.Blobs.(blob.Lister)
	if !ok {
		return nil, fmt.Errorf("blob store %s cannot list its blobs", opt.Blobs)
	}
	if opt.Target.String() == opt.Blobs.String() {
		// Its objects/ would be listed and copied into itself at every backup.
		return nil, saoyue.Errorf(saoyue.EINVALID, "备份目标 %s 就是被备份的对象存储：请换一个目录或存储桶", opt.Target)
	}
	pgDump, err := tool(opt.PGBin, "pg_dump")
	if err != nil {
		return nil, err
	}
	conn, err := libpqConn(opt.DatabaseURL)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	m := &Manifest{Format: formatV1, Name: now.Format("20060102T150405.000Z"), SaoyueVersion: opt.Version,
		CreatedAt: now, BlobSource: opt.Blobs.String()}
	tmp, err := os.MkdirTemp("", "saoyue-backup-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	prev, err := previousBlobs(ctx, opt.Target)
	if err != nil {
		return nil, err
	}
	named, err := dumpDatabase(ctx, opt.DatabaseURL, conn, pgDump, tmp, m)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{DumpName, SecretName} {
		if err := putFile(ctx, opt.Target, snapKey(m.Name, name), filepath.Join(tmp, name)); err != nil {
			return nil, err
		}
	}
	if err := copyBlobs(ctx, opt, tmp, lister, prev, m); err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(m.Blobs))
	for _, b := range m.Blobs {
		have[b.Key] = true
	}
	for _, k := range named {
		if !have[k] {
			return nil, saoyue.Errorf(saoyue.ECONFLICT, "备份不完整：数据库引用的对象 %s 不在对象存储 %s 中", k, opt.Blobs)
		}
	}
	if err := writeManifest(ctx, opt.Target, m); err != nil {
		return nil, err
	}
	return m, nil
}

// putFile stores a local file in the target.
func putFile(ctx context.Context, t Target, key, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return t.Put(ctx, key, f, fi.Size(), "application/octet-stream")
}

// dumpDatabase runs pg_dump on a snapshot exported from a read-only
// transaction, and reads from that same snapshot the schema version, the
// row counts, the marking secret and the blob keys the rows name.
func dumpDatabase(ctx context.Context, databaseURL string, c pgConn, pgDump, snap string, m *Manifest) ([]string, error) {
	db, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	defer db.Close(context.Background())
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin backup snapshot: %w", err)
	}
	defer tx.Rollback(context.Background())
	var snapshotID string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot(), current_schema()`).Scan(&snapshotID, &m.Schema); err != nil {
		return nil, fmt.Errorf("export backup snapshot: %w", err)
	}
	args := []string{"--format=custom", "--no-owner", "--no-privileges", "--snapshot=" + snapshotID,
		"--file=" + filepath.Join(snap, DumpName)}
	if m.Schema != "public" {
		args = append(args, "--schema="+m.Schema)
	}
	if err := run(ctx, c, pgDump, args...); err != nil {
		return nil, fmt.Errorf("dump database: %w", err)
	}
	if m.Database, err = digestFile(snap, DumpName); err != nil {
		return nil, err
	}
	named, err := readSnapshot(ctx, tx, m)
	if err != nil {
		return nil, err
	}
	var secret []byte
	if err := tx.QueryRow(ctx, `SELECT key FROM marking_secret WHERE id = 1`).Scan(&secret); err != nil {
		return nil, fmt.Errorf("read marking secret: %w", err)
	}
	if err := os.WriteFile(filepath.Join(snap, SecretName), secret, 0o600); err != nil {
		return nil, fmt.Errorf("write marking secret: %w", err)
	}
	if m.Secret, err = digestFile(snap, SecretName); err != nil {
		return nil, err
	}
	return named, tx.Commit(ctx)
}

// readSnapshot fills the manifest's schema version and row counts and
// returns the blob keys the rows name.
func readSnapshot(ctx context.Context, tx pgx.Tx, m *Manifest) ([]string, error) {
	var dirty bool
	var version int64
	if err := tx.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations`).Scan(&version, &dirty); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if dirty {
		return nil, saoyue.Errorf(saoyue.ECONFLICT, "数据库迁移 %d 未完成（dirty），不能备份", version)
	}
	m.SchemaVersion = uint(version)
	counts, err := countRows(ctx, tx)
	if err != nil {
		return nil, err
	}
	m.Counts = counts
	rows, err := tx.Query(ctx, `SELECT blob_key FROM pages UNION SELECT blob_key FROM crops`)
	if err != nil {
		return nil, fmt.Errorf("read blob keys: %w", err)
	}
	named, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read blob keys: %w", err)
	}
	return named, nil
}

// querier is a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// countRows counts the rows of every table of the current schema.
func countRows(ctx context.Context, q querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	counts := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := q.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
			return nil, fmt.Errorf("count rows of %s: %w", t, err)
		}
		counts[t] = n
	}
	return counts, nil
}

// previousBlobs indexes the latest backup's blobs by key, so that a blob
// listed again with the same size and time is not read again.
func previousBlobs(ctx context.Context, t Target) (map[string]Blob, error) {
	snap, err := latestSnapshot(ctx, t)
	if err != nil || snap == "" {
		return nil, err
	}
	m, err := ReadManifest(ctx, t, snap)
	if err != nil {
		return nil, err
	}
	idx := make(map[string]Blob, len(m.Blobs))
	for _, b := range m.Blobs {
		idx[b.Key] = b
	}
	return idx, nil
}

// copyBlobs lists the store and copies what the backup directory lacks.
func copyBlobs(ctx context.Context, opt Options, tmp string, lister blob.Lister, prev map[string]Blob, m *Manifest) error {
	par := opt.Parallel
	if par <= 0 {
		par = 4
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	var mu sync.Mutex
	err := lister.List(gctx, "", func(o blob.Object) error {
		if p, ok := prev[o.Key]; ok && p.Size == o.Size && p.ModTime.Equal(o.ModTime) && haveObject(gctx, opt.Target, p) {
			mu.Lock()
			m.Blobs = append(m.Blobs, p)
			m.BlobBytes += p.Size
			mu.Unlock()
			return nil
		}
		g.Go(func() error {
			b, copied, err := copyBlob(gctx, opt.Blobs, opt.Target, tmp, o)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			m.Blobs = append(m.Blobs, b)
			m.BlobBytes += b.Size
			if copied {
				m.BlobsCopied++
			}
			return nil
		})
		return nil
	})
	if werr := g.Wait(); err == nil {
		err = werr
	}
	return err
}

func haveObject(ctx context.Context, t Target, b Blob) bool {
	size, err := t.Stat(ctx, objectKey(b.SHA256))
	return err == nil && size == b.Size
}

// copyBlob copies one blob into the target under its digest, through a
// temporary file (the digest names it, so it is known only once read);
// copied is false when those bytes were there already (the same image
// under another key, or a blob rewritten with the same content).
func copyBlob(ctx context.Context, s blob.Store, t Target, tmpDir string, o blob.Object) (Blob, bool, error) {
	rc, err := s.Get(ctx, o.Key)
	if errors.Is(err, blob.ErrNotFound) {
		return Blob{}, false, fmt.Errorf("blob %s vanished while backing up: %w", o.Key, err)
	}
	if err != nil {
		return Blob{}, false, err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(tmpDir, "blob-*")
	if err != nil {
		return Blob{}, false, fmt.Errorf("copy blob %s: %w", o.Key, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), rc)
	if err != nil {
		return Blob{}, false, fmt.Errorf("copy blob %s: %w", o.Key, err)
	}
	b := Blob{Key: o.Key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), ModTime: o.ModTime}
	if haveObject(ctx, t, b) {
		return b, false, nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Blob{}, false, fmt.Errorf("copy blob %s: %w", o.Key, err)
	}
	if err := t.Put(ctx, objectKey(b.SHA256), tmp, n, "application/octet-stream"); err != nil {
		return Blob{}, false, fmt.Errorf("copy blob %s into the backup: %w", o.Key, err)
	}
	return b, true, nil
}

// digestFile returns the size and SHA-256 of a local file of the snapshot.
func digestFile(dir, name string) (File, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	return digest(name, f)
}

// digest reads r to its end.
func digest(name string, r io.Reader) (File, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return File{}, fmt.Errorf("read %s: %w", name, err)
	}
	return File{Name: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
