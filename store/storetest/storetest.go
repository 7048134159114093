// Package storetest gives each test its own freshly migrated PostgreSQL
// schema on the real server started by scripts/services.sh, so tests can run
// in parallel without seeing each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/saoyue/saoyue/store"
)

// URL returns the test server's URL or fails the test with how to get one.
// Under -short it skips the test.
func URL(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: needs PostgreSQL")
	}
	u := os.Getenv("SAOYUE_DATABASE_URL")
	if u == "" {
		t.Fatal("SAOYUE_DATABASE_URL is not set: run `make test`, or `eval \"$(scripts/services.sh env)\"` first")
	}
	return u
}

// New creates a schema for this test, migrates it, and returns a DB whose
// connections use it. The schema is dropped when the test ends.
func New(t testing.TB) *store.DB {
	t.Helper()
	db, _ := NewWithURL(t)
	return db
}

// NewWithURL is New that also returns the URL of the test's schema, for code
// under test that opens its own connections (commands, workers).
func NewWithURL(t testing.TB) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	base := URL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])

	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test database: %v", err)
	}
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
		conn.Close(context.Background())
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse test database URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	schemaURL := u.String()

	if _, err := store.Migrate(schemaURL); err != nil {
		t.Fatalf("migrate test schema: %v", err)
	}
	db, err := store.Open(ctx, schemaURL)
	if err != nil {
		t.Fatalf("open test schema: %v", err)
	}
	t.Cleanup(db.Close)
	return db, schemaURL
}
