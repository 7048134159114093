package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/saoyue/saoyue"
	"github.com/saoyue/saoyue/blob"
)

// RestoreOptions say which backup goes where.
type RestoreOptions struct {
	From        Target     // where the backup is kept
	Snapshot    string     // which backup; "" = the latest
	DatabaseURL string     // the target database
	Blobs       blob.Store // the target store; must also be a blob.Lister
	PGBin       string
	Force       bool // restore over a database or store that is not empty
	Parallel    int
}

// Restore checks the backup, refuses a target that is not empty unless
// Force, restores the database and the blobs, and checks the result
// against the manifest: schema version, rows per table, marking secret and
// every blob's size.
func Restore(ctx context.Context, opt RestoreOptions) (*Manifest, error) {
	m, err := Verify(ctx, opt.From, opt.Snapshot)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "saoyue-restore-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	lister, ok := opt.Blobs.(blob.Lister)
	if !ok {
		return nil, fmt.Errorf("blob store %s cannot list its blobs", opt.Blobs)
	}
	pgRestore, err := tool(opt.PGBin, "pg_restore")
	if err != nil {
		return nil, err
	}
	conn, err := libpqConn(opt.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkTargets(ctx, opt, lister, m); err != nil {
		return nil, err
	}
	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"}
	if opt.Force {
		args = append(args, "--clean", "--if-exists")
	}
	dump := filepath.Join(tmp, DumpName)
	if err := getFile(ctx, opt.From, snapKey(m.Name, DumpName), dump); err != nil {
		return nil, err
	}
	if err := run(ctx, conn, pgRestore, append(args, dump)...); err != nil {
		return nil, fmt.Errorf("restore database: %w", err)
	}
	if err := putBlobs(ctx, opt, m); err != nil {
		return nil, err
	}
	if err := checkRestored(ctx, opt, m); err != nil {
		return nil, err
	}
	return m, nil
}

// urlSchema is the schema a database URL works in: its search_path, or
// public.
func urlSchema(databaseURL string) string {
	if u, err := url.Parse(databaseURL); err == nil && strings.Contains(databaseURL, "://") {
		if s := u.Query().Get("search_path"); s != "" {
			return s
		}
	}
	return "public"
}

var errNotEmpty = errors.New("not empty")

// checkTargets refuses a database schema with tables or a store with
// blobs, unless Force.
func checkTargets(ctx context.Context, opt RestoreOptions, lister blob.Lister, m *Manifest) error {
	if s := urlSchema(opt.DatabaseURL); s != m.Schema {
		return saoyue.Errorf(saoyue.EINVALID, "备份的是 schema %s，目标数据库地址用的是 schema %s", m.Schema, s)
	}
	db, err := pgx.Connect(ctx, opt.DatabaseURL)
	if err != nil {
		return fmt.Errorf("connect to target database: %w", err)
	}
	defer db.Close(context.Background())
	var tables int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, m.Schema).Scan(&tables); err != nil {
		return fmt.Errorf("check target database: %w", err)
	}
	if tables > 0 && !opt.Force {
		return saoyue.Errorf(saoyue.ECONFLICT, "目标数据库不是空的（schema %s 已有 %d 张表）：恢复只写入新建的空数据库；确要覆盖请加 --force", m.Schema, tables)
	}
	var first string
	err = lister.List(ctx, "", func(o blob.Object) error { first = o.Key; return errNotEmpty })
	if err != nil && !errors.Is(err, errNotEmpty) {
		return err
	}
	if first != "" && !opt.Force {
		return saoyue.Errorf(saoyue.ECONFLICT, "目标对象存储 %s 不是空的（已有 %s 等对象）：恢复只写入新建的空存储桶；确要覆盖请加 --force", opt.Blobs, first)
	}
	return nil
}

// putBlobs writes every blob of the manifest under its key. Verify has
// just checked each copy's digest; the store checks the size.
func putBlobs(ctx context.Context, opt RestoreOptions, m *Manifest) error {
	par := opt.Parallel
	if par <= 0 {
		par = 4
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(par)
	for _, b := range m.Blobs {
		g.Go(func() error {
			rc, err := opt.From.Get(gctx, objectKey(b.SHA256))
			if err != nil {
				return fmt.Errorf("restore blob %s: %w", b.Key, err)
			}
			defer rc.Close()
			return opt.Blobs.Put(gctx, b.Key, rc, b.Size, contentType(b.Key))
		})
	}
	return g.Wait()
}

func contentType(key string) string {
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// checkRestored compares the restored installation with the manifest.
func checkRestored(ctx context.Context, opt RestoreOptions, m *Manifest) error {
	db, err := pgx.Connect(ctx, opt.DatabaseURL)
	if err != nil {
		return fmt.Errorf("connect to restored database: %w", err)
	}
	defer db.Close(context.Background())
	var version int64
	if err := db.QueryRow(ctx, `SELECT version FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("read restored schema version: %w", err)
	}
	if uint(version) != m.SchemaVersion {
		return saoyue.Errorf(saoyue.ECONFLICT, "恢复后的数据库结构版本 %d 与备份清单的 %d 不符", version, m.SchemaVersion)
	}
	counts, err := countRows(ctx, db)
	if err != nil {
		return err
	}
	for table, want := range m.Counts {
		if counts[table] != want {
			return saoyue.Errorf(saoyue.ECONFLICT, "恢复后表 %s 有 %d 行，备份清单记为 %d 行", table, counts[table], want)
		}
	}
	var secret []byte
	if err := db.QueryRow(ctx, `SELECT key FROM marking_secret WHERE id = 1`).Scan(&secret); err != nil {
		return fmt.Errorf("read restored marking secret: %w", err)
	}
	saved, err := blob.ReadAll(ctx, opt.From, snapKey(m.Name, SecretName))
	if err != nil {
		return fmt.Errorf("read backed-up marking secret: %w", err)
	}
	if !bytes.Equal(secret, saved) {
		return saoyue.Errorf(saoyue.ECONFLICT, "恢复后的阅卷密钥与备份的不同")
	}
	for _, b := range m.Blobs {
		size, err := opt.Blobs.Stat(ctx, b.Key)
		if err != nil || size != b.Size {
			return saoyue.Errorf(saoyue.ECONFLICT, "恢复后对象 %s 缺失或大小不符（%d 字节，应为 %d）：%v", b.Key, size, b.Size, err)
		}
	}
	return nil
}

// getFile copies a file of the target to a local file.
func getFile(ctx context.Context, t Target, key, name string) error {
	rc, err := t.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read %s/%s: %w", t, key, err)
	}
	defer rc.Close()
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s/%s: %w", t, key, err)
	}
	return nil
}
