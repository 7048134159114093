package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/saoyue/saoyue/store/storetest"
)

// TestDemo runs `saoyue demo --no-serve` on one school against a fresh
// schema: the same path `make demo` takes, embedded queue and local blobs.
func TestDemo(t *testing.T) {
	t.Parallel()
	out := runDemoCmd(t, "0305", "")
	for _, want := range []string{"Exam 90", "Printed 10 label/roster PDFs", "pages through the hot folder", "青溪县白鹤镇小学", "Exceptions waiting", "Marking tasks created from cropped answers", "Sign in with password"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Marking tasks created from cropped answers: 0\n") {
		t.Errorf("demo created no marking tasks:\n%s", out.String())
	}
}

// With a Redis queue configured (the environment of `make test`, or a
// county's server) the demo still runs its pipeline in-process: nobody has
// started a worker for it, and a summary of cards nobody read would say
// every card is missing.
func TestDemoReadsItsCardsWithRedisConfigured(t *testing.T) {
	t.Parallel()
	redisAddr := os.Getenv("SAOYUE_REDIS_ADDR")
	if redisAddr == "" {
		t.Fatal("SAOYUE_REDIS_ADDR not set: run `make test`, or `eval \"$(scripts/services.sh env)\"` first")
	}
	out := runDemoCmd(t, "0101", redisAddr)
	// The school's row: cards read, none missed.
	row := regexp.MustCompile(`青溪县城关第一小学\s+(\d+)\s+\d+\s+(\d+)`).FindStringSubmatch(out.String())
	if row == nil || row[1] == "0" || row[2] != "0" {
		t.Fatalf("demo with Redis configured read no cards (cards, missed: %v):\n%s", row, out.String())
	}
}

// runDemoCmd runs `saoyue demo --no-serve` for one school on a fresh schema
// and local blobs, with the Redis address given ("" for none), and returns
// what it printed.
func runDemoCmd(t *testing.T, school, redisAddr string) *bytes.Buffer {
	t.Helper()
	_, url := storetest.NewWithURL(t)
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"demo", "--no-serve", "--schools", school, "--database-url", url,
		"--data-dir", t.TempDir(), "--redis-addr", redisAddr, "--s3-endpoint", ""})
	if err := root.Execute(); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	return &out
}
