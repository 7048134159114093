package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/store"
)

// openDB connects and migrates: every command that touches the database
// brings the schema up to date first (migrations take an advisory lock).
func openDB(ctx context.Context, cfg *Config) (*store.DB, error) {
	if cfg.DatabaseURL == "" {
		return nil, fmt.Errorf("no database configured: set SAOYUE_DATABASE_URL or --database-url; `make demo` starts a private PostgreSQL (scripts/services.sh up)")
	}
	if _, err := store.Migrate(cfg.DatabaseURL); err != nil {
		return nil, err
	}
	return store.OpenMax(ctx, cfg.DatabaseURL, int32(cfg.DBMaxConns))
}

// openBlobs returns MinIO when an endpoint is configured, else a directory
// under the data dir (the embedded default).
func openBlobs(ctx context.Context, cfg *Config) (blob.Store, error) {
	if cfg.S3Endpoint != "" {
		return blob.NewMinIO(ctx, blob.S3Config{
			Endpoint:  cfg.S3Endpoint,
			AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey,
			Bucket:    cfg.S3Bucket,
			Secure:    cfg.S3Secure,
		})
	}
	dir := filepath.Join(cfg.DataDir, "blobs")
	slog.Info("no object storage configured; keeping blobs in a local directory", "dir", dir)
	return blob.NewDir(dir)
}
