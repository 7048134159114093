// Package blobtest connects tests to the real MinIO started by
// scripts/services.sh, as storetest does for PostgreSQL: one place that
// knows the environment, skips under -short and says how to get a server.
package blobtest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/saoyue/saoyue/blob"
)

// Config returns the test server's settings for bucket ("" for the shared
// one, SAOYUE_S3_BUCKET). Under -short it skips the test; without a server
// it fails with how to start one.
func Config(t testing.TB, bucket string) blob.S3Config {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped under -short: needs MinIO")
	}
	endpoint := os.Getenv("SAOYUE_S3_ENDPOINT")
	if endpoint == "" {
		t.Fatal("SAOYUE_S3_ENDPOINT is not set: run `make test`, or `eval \"$(scripts/services.sh env)\"` first")
	}
	if bucket == "" {
		bucket = os.Getenv("SAOYUE_S3_BUCKET")
	}
	return blob.S3Config{Endpoint: endpoint, AccessKey: os.Getenv("SAOYUE_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("SAOYUE_S3_SECRET_KEY"), Bucket: bucket}
}

var buckets atomic.Int64

// Bucket names a fresh bucket for one test: prefix, the time and a
// counter, so parallel tests and repeated runs never share one.
func Bucket(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), buckets.Add(1))
}

// New connects to a fresh bucket of the test's own.
func New(t testing.TB) *blob.MinIO {
	t.Helper()
	return Open(t, Config(t, Bucket("test")))
}

// Shared connects to the shared test bucket (SAOYUE_S3_BUCKET); tests
// keep apart there by their keys (page digests, crop prefixes).
func Shared(t testing.TB) *blob.MinIO {
	t.Helper()
	return Open(t, Config(t, ""))
}

// Open connects with c, creating its bucket, or fails the test.
func Open(t testing.TB, c blob.S3Config) *blob.MinIO {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := blob.NewMinIO(ctx, c)
	if err != nil {
		t.Fatalf("connect to the test MinIO (run `eval \"$(scripts/services.sh env)\"`): %v", err)
	}
	return m
}

// Remove empties and removes c's bucket if it exists, for a test that
// destroys an installation (the restore drill) or cleans up a bucket that
// something other than Open created.
func Remove(t testing.TB, c blob.S3Config) {
	t.Helper()
	cl, err := minio.New(c.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Secure: c.Secure})
	if err != nil {
		t.Fatalf("connect to the test MinIO: %v", err)
	}
	ctx := context.Background()
	if ok, _ := cl.BucketExists(ctx, c.Bucket); !ok {
		return
	}
	for o := range cl.ListObjects(ctx, c.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err == nil {
			cl.RemoveObject(ctx, c.Bucket, o.Key, minio.RemoveObjectOptions{})
		}
	}
	if err := cl.RemoveBucket(ctx, c.Bucket); err != nil {
		t.Fatalf("remove bucket %s: %v", c.Bucket, err)
	}
}
