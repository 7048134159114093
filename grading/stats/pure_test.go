package stats

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The statistics are pure functions over values: the package imports no
// database, storage, network or file access, so every figure stays
// testable by hand. A new import must be one of these.
func TestStatsArePure(t *testing.T) {
	allowed := []string{"fmt", "math", "sort", "strconv", "strings", "unicode", "github.com/saoyue/saoyue"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !slices.Contains(allowed, path) {
				t.Errorf("%s imports %s: package stats holds pure functions only", f, path)
			}
		}
	}
}
