package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/saoyue/saoyue/card"
	"github.com/spf13/pflag"
)

// Config holds every setting of the server binary. Each field is read from
// its SAOYUE_* environment variable and can be overridden by a flag; it is
// passed explicitly to whatever needs it.
type Config struct {
	DatabaseURL string // SAOYUE_DATABASE_URL; required (PostgreSQL is always a real server)
	RedisAddr   string // SAOYUE_REDIS_ADDR; empty = run the queue in-process
	S3Endpoint  string // SAOYUE_S3_ENDPOINT; empty = keep blobs under DataDir
	S3AccessKey string // SAOYUE_S3_ACCESS_KEY
	S3SecretKey string // SAOYUE_S3_SECRET_KEY
	S3Bucket    string // SAOYUE_S3_BUCKET
	DataDir     string // SAOYUE_DATA_DIR: local blobs, exports
	HTTPAddr    string // SAOYUE_HTTP_ADDR
	Debug       bool   // SAOYUE_DEBUG
	S3Secure    bool   // SAOYUE_S3_SECURE: talk HTTPS to the object store
	DBMaxConns  int    // SAOYUE_DB_MAX_CONNS: connections per process
	TLSCert     string // SAOYUE_TLS_CERT: serve HTTPS with this certificate
	TLSKey      string // SAOYUE_TLS_KEY
	// SecureCookies (SAOYUE_SECURE_COOKIES=1) marks cookies Secure on
	// plain HTTP too: the server is behind a proxy that terminates TLS.
	SecureCookies bool
	HealthAddr    string // SAOYUE_HEALTH_ADDR: the worker's /healthz and /readyz; empty = none
	// ReadMemory is the memory budget of the pages a worker (or serve's
	// in-process queue) reads at once; SAOYUE_READ_MEMORY, bytes or "1GiB".
	ReadMemory string
	// Fonts print cards, labels and room lists, and render the blank card
	// the reader compares with; SAOYUE_CJK_FONT, SAOYUE_LATIN_FONT (empty:
	// the first installed candidate).
	Fonts card.Fonts
}

// ReadMemoryBytes is ReadMemory in bytes: what handler.Deps takes (0, the
// handler's default, when unset).
func (c *Config) ReadMemoryBytes() (int64, error) {
	if c.ReadMemory == "" {
		return 0, nil
	}
	n, err := parseBytes(c.ReadMemory)
	if err != nil {
		return 0, fmt.Errorf("SAOYUE_READ_MEMORY / --read-memory: %w", err)
	}
	return n, nil
}

// BindFlags registers the flags with defaults taken from the environment,
// so a flag given on the command line wins over the variable.
func (c *Config) BindFlags(fs *pflag.FlagSet, getenv func(string) string) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.DatabaseURL, "database-url", env("SAOYUE_DATABASE_URL", ""), "PostgreSQL URL (env SAOYUE_DATABASE_URL)")
	fs.StringVar(&c.RedisAddr, "redis-addr", env("SAOYUE_REDIS_ADDR", ""), "Redis address for the task queue; empty runs the queue in-process (env SAOYUE_REDIS_ADDR)")
	fs.StringVar(&c.S3Endpoint, "s3-endpoint", env("SAOYUE_S3_ENDPOINT", ""), "S3/MinIO endpoint host:port; empty keeps blobs in the data dir (env SAOYUE_S3_ENDPOINT)")
	fs.StringVar(&c.S3AccessKey, "s3-access-key", env("SAOYUE_S3_ACCESS_KEY", ""), "S3 access key (env SAOYUE_S3_ACCESS_KEY)")
	fs.StringVar(&c.S3SecretKey, "s3-secret-key", env("SAOYUE_S3_SECRET_KEY", ""), "S3 secret key (env SAOYUE_S3_SECRET_KEY)")
	fs.StringVar(&c.S3Bucket, "s3-bucket", env("SAOYUE_S3_BUCKET", "saoyue"), "S3 bucket (env SAOYUE_S3_BUCKET)")
	fs.StringVar(&c.DataDir, "data-dir", env("SAOYUE_DATA_DIR", "var/data"), "directory for local blobs and exports (env SAOYUE_DATA_DIR)")
	fs.StringVar(&c.HTTPAddr, "http-addr", env("SAOYUE_HTTP_ADDR", "127.0.0.1:8080"), "HTTP listen address (env SAOYUE_HTTP_ADDR)")
	fs.StringVar(&c.ReadMemory, "read-memory", env("SAOYUE_READ_MEMORY", "1GiB"), "memory budget of the pages read at once; a page larger than it is refused (env SAOYUE_READ_MEMORY)")
	fs.BoolVar(&c.Debug, "debug", getenv("SAOYUE_DEBUG") != "", "debug logging (env SAOYUE_DEBUG)")
	fs.BoolVar(&c.S3Secure, "s3-secure", truthy(getenv("SAOYUE_S3_SECURE")), "use HTTPS for the S3 endpoint (env SAOYUE_S3_SECURE=1)")
	maxConns, err := strconv.Atoi(env("SAOYUE_DB_MAX_CONNS", "0"))
	if err != nil || maxConns <= 0 {
		maxConns = 4 * runtime.NumCPU()
	}
	fs.IntVar(&c.DBMaxConns, "db-max-conns", maxConns, "PostgreSQL connections per process (env SAOYUE_DB_MAX_CONNS; default 4 per core)")
	fs.StringVar(&c.TLSCert, "tls-cert", env("SAOYUE_TLS_CERT", ""), "serve HTTPS with this certificate (PEM; env SAOYUE_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", env("SAOYUE_TLS_KEY", ""), "the certificate's private key (PEM; env SAOYUE_TLS_KEY)")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", truthy(getenv("SAOYUE_SECURE_COOKIES")), "mark cookies Secure on plain HTTP, behind a TLS proxy (env SAOYUE_SECURE_COOKIES=1)")
	fs.StringVar(&c.Fonts.CJK, "cjk-font", env("SAOYUE_CJK_FONT", ""), "TrueType font with Chinese glyphs for cards and labels (env SAOYUE_CJK_FONT)")
	fs.StringVar(&c.Fonts.Latin, "latin-font", env("SAOYUE_LATIN_FONT", ""), "TrueType font for digits and letters on cards (env SAOYUE_LATIN_FONT)")
	fs.StringVar(&c.HealthAddr, "health-addr", env("SAOYUE_HEALTH_ADDR", ""), "the worker's /healthz, /readyz and /metrics listen address; empty = none (env SAOYUE_HEALTH_ADDR)")
}

// truthy reads a boolean environment variable: 1, true, yes, on.
func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
