package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/saoyue/saoyue/blob"
	"github.com/saoyue/saoyue/scanner"
)

// options are the flags every subcommand shares: the bag, where pages go,
// and how progress is shown.
type options struct {
	batch        scanner.BatchSpec
	pagesPerCard int
	server       string
	token        string
	direct       bool
	spool        string
	quiet        bool
	directTo     directConfig // with --direct: where pages go
}

// directConfig is where --direct writes, read from the same environment
// as the county server's (SAOYUE_DATABASE_URL, SAOYUE_S3_*,
// SAOYUE_REDIS_ADDR): a station inside the county centre shares its
// settings.
type directConfig struct {
	DatabaseURL string
	RedisAddr   string
	S3          blob.S3Config
}

func directFromEnv(getenv func(string) string) directConfig {
	bucket := getenv("SAOYUE_S3_BUCKET")
	if bucket == "" {
		bucket = "saoyue"
	}
	secure := getenv("SAOYUE_S3_SECURE")
	return directConfig{DatabaseURL: getenv("SAOYUE_DATABASE_URL"), RedisAddr: getenv("SAOYUE_REDIS_ADDR"),
		S3: blob.S3Config{Endpoint: getenv("SAOYUE_S3_ENDPOINT"), AccessKey: getenv("SAOYUE_S3_ACCESS_KEY"),
			SecretKey: getenv("SAOYUE_S3_SECRET_KEY"), Bucket: bucket, Secure: secure == "1" || secure == "true"}}
}

func (o *options) bindFlags(cmd *cobra.Command, getenv func(string) string) {
	o.directTo = directFromEnv(getenv)
	fs := cmd.PersistentFlags()
	fs.StringVar(&o.batch.Exam, "exam", "", "exam code (考试代码), two digits")
	fs.StringVar(&o.batch.Subject, "subject", "", "subject code (学科), e.g. math")
	fs.StringVar(&o.batch.School, "school", "", "school code (学校代码)")
	fs.IntVar(&o.batch.Room, "room", 0, "room number (考场号) of the bag")
	fs.IntVar(&o.batch.Expected, "expected", 0, "cards in the bag by the room roster (应到份数)")
	fs.IntVar(&o.pagesPerCard, "pages-per-card", 2, "scanned pages per card: 2 for duplex scans of a one-sheet card")
	fs.StringVar(&o.server, "server", getenv("SAOYUE_SCAN_SERVER"), "county server URL (env SAOYUE_SCAN_SERVER)")
	fs.StringVar(&o.token, "token", getenv("SAOYUE_SCAN_TOKEN"), "the school's technician token (env SAOYUE_SCAN_TOKEN)")
	fs.BoolVar(&o.direct, "direct", false, "write straight into the county's bucket and database (env SAOYUE_DATABASE_URL, SAOYUE_S3_*, SAOYUE_REDIS_ADDR)")
	fs.StringVar(&o.spool, "spool", "", "folder keeping the bag's pages until they are uploaded (default: one per bag in the user's config folder)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar, only the summary")
}

func (o *options) check() error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"--exam", o.batch.Exam}, {"--subject", o.batch.Subject}, {"--school", o.batch.School}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("say which bag this is: %s missing", strings.Join(missing, ", "))
	}
	if o.batch.Room < 0 || o.batch.Expected < 0 || o.pagesPerCard < 1 {
		return fmt.Errorf("--room and --expected cannot be negative, --pages-per-card is at least 1")
	}
	if o.direct {
		if d := o.directTo; d.DatabaseURL == "" || d.S3.Endpoint == "" || d.RedisAddr == "" {
			return errors.New("--direct needs SAOYUE_DATABASE_URL, SAOYUE_S3_ENDPOINT (with SAOYUE_S3_ACCESS_KEY, SAOYUE_S3_SECRET_KEY, SAOYUE_S3_BUCKET) and SAOYUE_REDIS_ADDR")
		}
		return nil
	}
	if o.server == "" {
		return fmt.Errorf("no county server: give --server URL (or set SAOYUE_SCAN_SERVER), or --direct")
	}
	if o.token == "" {
		return fmt.Errorf("no technician token: give --token (or set SAOYUE_SCAN_TOKEN); the county issues it with `saoyue token create`")
	}
	return nil
}

func (o *options) target() string {
	if o.direct {
		return "direct"
	}
	return strings.TrimRight(o.server, "/")
}

// spoolDir is the bag's spool: one folder per bag, so a second run for
// the same bag continues it and a different bag never mixes in.
func (o *options) spoolDir() (string, error) {
	if o.spool != "" {
		return o.spool, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no folder for the spool: give --spool DIR: %w", err)
	}
	b := o.batch
	name := b.Exam + "-" + b.Subject + "-" + b.School + "-" + strconv.Itoa(b.Room)
	return filepath.Join(base, "saoyue-scan", "spool", name), nil
}

// openSpool opens the bag's spool and checks it belongs to this bag and
// this county server.
func (o *options) openSpool() (*scanner.Spool, error) {
	dir, err := o.spoolDir()
	if err != nil {
		return nil, err
	}
	sp, err := scanner.OpenSpool(dir)
	if err != nil {
		return nil, err
	}
	meta := sp.Meta()
	if meta.Target == "" {
		meta = scanner.SpoolMeta{Batch: o.batch, Target: o.target()}
		if err := sp.SetMeta(meta); err != nil {
			sp.Close()
			return nil, err
		}
		return sp, nil
	}
	mb := meta.Batch
	if mb.Exam != o.batch.Exam || mb.Subject != o.batch.Subject || mb.School != o.batch.School || mb.Room != o.batch.Room {
		sp.Close()
		return nil, fmt.Errorf("the spool %s holds %s, not %s: give another --spool", dir, mb, o.batch)
	}
	if meta.Target != o.target() {
		sp.Close()
		return nil, fmt.Errorf("the spool %s uploads to %s, not %s: finish it there, or give another --spool", dir, meta.Target, o.target())
	}
	if o.batch.Expected > 0 && o.batch.Expected != mb.Expected {
		meta.Batch.Expected = o.batch.Expected
		if err := sp.SetMeta(meta); err != nil {
			sp.Close()
			return nil, err
		}
	}
	return sp, nil
}
