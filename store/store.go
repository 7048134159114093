// Package store keeps saoyue's state in PostgreSQL through pgx. Each table
// has its own file of methods; the schema lives in migrations/ and is
// embedded, so the binary migrates the database it is pointed at.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers pgx5://
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the connection pool with the domain's storage methods.
type DB struct {
	Pool *pgxpool.Pool
}

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	return OpenMax(ctx, databaseURL, 0)
}

// OpenMax is Open with at most maxConns connections in the pool; 0 keeps
// the URL's pool_max_conns or pgx's default (4, or the number of cores if
// more).
func OpenMax(ctx context.Context, databaseURL string, maxConns int32) (*DB, error) {
	if databaseURL == "" {
		return nil, errors.New("no database configured: set SAOYUE_DATABASE_URL or --database-url (make demo and make test start a private PostgreSQL)")
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s: %w", cfg.ConnConfig.Host, err)
	}
	return &DB{Pool: pool}, nil
}

// Close releases the pool.
func (db *DB) Close() { db.Pool.Close() }

// Migrate brings the schema up to date. golang-migrate keeps the applied
// version in schema_migrations and holds a PostgreSQL advisory lock while it
// works, so two processes starting together cannot both migrate.
func Migrate(databaseURL string) (version uint, err error) {
	src, err := iofs.New(migrations, "migrations")
	if err != nil {
		return 0, fmt.Errorf("read embedded migrations: %w", err)
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, migrateURL(databaseURL))
	if err != nil {
		return 0, fmt.Errorf("open database for migration: %w", err)
	}
	defer func() {
		srcErr, dbErr := m.Close()
		if err == nil {
			err = errors.Join(srcErr, dbErr)
		}
	}()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return 0, fmt.Errorf("migrate database: %w", err)
	}
	v, dirty, err := m.Version()
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if dirty {
		return v, fmt.Errorf("schema version %d is dirty: a migration failed half-way; fix it by hand and run migrate again", v)
	}
	return v, nil
}

// migrateURL turns a postgres:// URL or a key=value DSN into the pgx5://
// URL the migration driver expects.
func migrateURL(databaseURL string) string {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return "pgx5://" + databaseURL[strings.Index(databaseURL, "://")+3:]
	}
	// key=value form: rebuild as a URL.
	cfg, err := pgconn.ParseConfig(databaseURL)
	if err != nil {
		return databaseURL
	}
	u := url.URL{Scheme: "pgx5", Host: fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), Path: "/" + cfg.Database}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	q := url.Values{}
	for k, v := range cfg.RuntimeParams {
		q.Set(k, v)
	}
	q.Set("sslmode", "disable")
	u.RawQuery = q.Encode()
	return u.String()
}

// InTx runs fn in one transaction: everything or nothing.
func (db *DB) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.Pool, fn)
}

// InTxAfter runs fn in one transaction whose first queries are those queue
// adds to the batch: BEGIN and they travel in one round trip (pgx's
// Batch.BeginTx), and their callbacks have run when fn starts. A worker
// waits on the database once less, and holds the locks those queries take
// that much less.
func (db *DB) InTxAfter(ctx context.Context, queue func(b *pgx.Batch), fn func(tx pgx.Tx) error) error {
	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{})
	queue(b)
	br := db.Pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() {
		// Also after a panic in fn; after Commit it does nothing.
		tx.Rollback(ctx)
	}()
	if err := br.Close(); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
