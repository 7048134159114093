package main

import (
	"context"
	"runtime"
	"testing"

	"github.com/saoyue/saoyue/store/storetest"
)

// TestDBMaxConnsSizesThePool: the pool of a served process has
// SAOYUE_DB_MAX_CONNS connections at most, the flag wins over the
// variable, and without either it is 4 per core rather than pgx's 4.
func TestDBMaxConnsSizesThePool(t *testing.T) {
	t.Parallel()
	_, url := storetest.NewWithURL(t)
	pool := func(getenv map[string]string, args ...string) int32 {
		t.Helper()
		var c Config
		fs := newFlagSet()
		c.BindFlags(fs, func(k string) string { return getenv[k] })
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		c.DatabaseURL = url
		db, err := openDB(context.Background(), &c)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		return db.Pool.Config().MaxConns
	}
	if n := pool(map[string]string{"SAOYUE_DB_MAX_CONNS": "7"}); n != 7 {
		t.Errorf("SAOYUE_DB_MAX_CONNS=7: pool of %d", n)
	}
	if n := pool(map[string]string{"SAOYUE_DB_MAX_CONNS": "7"}, "--db-max-conns", "3"); n != 3 {
		t.Errorf("--db-max-conns 3 over the variable: pool of %d", n)
	}
	if n := pool(nil); n != int32(4*runtime.NumCPU()) {
		t.Errorf("default: pool of %d, want 4 per core (%d)", n, 4*runtime.NumCPU())
	}
}
