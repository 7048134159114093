package omr

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/saoyue/saoyue/fixtures"
)

// Generating a scan costs about ten times reading it, so the 2,000-page
// corpora are worth keeping between runs of a changed reader:
// SAOYUE_ACCURACY_CACHE names a directory where each generated card is
// kept. The key holds every input of the generator (its source, the card
// package that renders the template, the template file, level, mark
// model and seed), so a change to any of them makes new scans, never
// stale ones.

var (
	generatorHashOnce sync.Once
	generatorHash     string
)

// sourceHash digests the non-test Go files of the packages that make a
// scan, and every sample template (other cards join a bag as wrong cards).
func sourceHash(tb testing.TB) string {
	generatorHashOnce.Do(func() {
		h := sha256.New()
		for _, glob := range []string{"../fixtures/*.go", "../card/*.go", "../fixtures/templates/*.yaml"} {
			files, err := filepath.Glob(glob)
			if err != nil {
				tb.Fatal(err)
			}
			sort.Strings(files)
			for _, f := range files {
				if !strings.HasSuffix(f, "_test.go") {
					b, err := os.ReadFile(f)
					if err != nil {
						tb.Fatal(err)
					}
					fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
					h.Write(b)
				}
			}
		}
		generatorHash = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return generatorHash
}

// corpusCacheDir is the directory of one corpus in the cache, or "" when
// no cache is asked for.
func corpusCacheDir(tb testing.TB, template, level, marks string, seed uint64) string {
	root := os.Getenv("SAOYUE_ACCURACY_CACHE")
	if root == "" {
		return ""
	}
	key := fmt.Sprintf("%s-%s-%s-seed%d-%s", template, level, marks, seed, sourceHash(tb))
	dir := filepath.Join(root, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatalf("corpus cache: %v", err)
	}
	return dir
}

// cachedCard returns card i's scans, from the cache when it holds them.
func cachedCard(dir string, g *fixtures.Generator, i int) ([]fixtures.Scan, error) {
	if dir == "" {
		return g.Card(i)
	}
	path := filepath.Join(dir, fmt.Sprintf("card-%06d.gob", i))
	if b, err := os.ReadFile(path); err == nil {
		var scans []fixtures.Scan
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&scans); err == nil {
			return scans, nil
		}
	}
	scans, err := g.Card(i)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(scans); err != nil {
		return nil, fmt.Errorf("corpus cache: encode card %d: %w", i, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("corpus cache: %w", err)
	}
	return scans, os.Rename(tmp, path)
}
