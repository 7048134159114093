package saoyue_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/saoyue/saoyue"

// docs/ARCHITECTURE.md's package table says what each package depends on
// within the module; the imports must say the same, so the table stays a
// map a newcomer can trust.
func TestArchitectureTableMatchesImports(t *testing.T) {
	doc, err := os.ReadFile("docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)`[^|]*\\|[^\\n]*\\| ([^|\\n]*) \\|$")
	rows := row.FindAllStringSubmatch(string(doc), -1)
	if len(rows) < 10 {
		t.Fatalf("found %d package rows in docs/ARCHITECTURE.md", len(rows))
	}
	documented := map[string]bool{}
	for _, r := range rows {
		pkg, deps := r[1], r[2]
		if pkg == "saoyue" || pkg == "cmd/saoyue" {
			pkg = map[string]string{"saoyue": ".", "cmd/saoyue": "cmd/saoyue"}[pkg]
		}
		documented[pkg] = true
		if strings.TrimSpace(deps) == "everything" {
			continue
		}
		var want []string
		for _, d := range strings.Split(deps, ",") {
			d = strings.TrimSpace(strings.Trim(strings.TrimSpace(d), "`"))
			if i := strings.IndexAny(d, " ("); i >= 0 {
				d = d[:i]
			}
			if isPackage(d) {
				want = append(want, d)
			}
		}
		got := imports(t, pkg)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the table says it depends on %v within the module, its imports say %v", r[1], want, got)
		}
	}
	for _, p := range packages(t) {
		if !documented[p] {
			t.Errorf("package %s is not in docs/ARCHITECTURE.md's table", p)
		}
	}
}

// isPackage reports whether a name in the table is one of the module's
// packages (the root is `saoyue`), not a library.
func isPackage(name string) bool {
	if name == "saoyue" {
		return true
	}
	st, err := os.Stat(name)
	return err == nil && st.IsDir() && hasGo(name, false)
}

// imports lists the module's packages that dir's non-test files import
// (its tests', for a package of tests only).
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	onlyTests := !hasGo(dir, false) // e2e: its tests are the package
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") && !onlyTests {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			switch {
			case p == module:
				seen["saoyue"] = true
			case strings.HasPrefix(p, module+"/"):
				seen[strings.TrimPrefix(p, module+"/")] = true
			}
		}
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// packages lists the module's directories with Go files (tests count:
// e2e is only tests), skipping data and tools.
func packages(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "var" || d.Name() == "testdata" || d.Name() == "static" || d.Name() == "templates") {
			return filepath.SkipDir
		}
		if hasGo(p, true) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hasGo(dir string, tests bool) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if tests || !strings.HasSuffix(f, "_test.go") {
			return true
		}
	}
	return false
}

// store is written as functions over a querier (docs/ARCHITECTURE.md, "How
// store is written"); methods on *store.DB are kept for what needs the pool
// itself. A new method must be one of those and be added here.
func TestStoreMethodsNeedThePool(t *testing.T) {
	allowed := map[string]bool{
		"Close": true, "InTx": true, "InTxAfter": true, // the pool's life and transactions
		// Writes that open their own transaction.
		"SavePageRead": true, "CreateExam": true, "OpenScanBatch": true, "ReserveSignIn": true, "ConfirmSignIn": true,
	}
	files, _ := filepath.Glob("store/*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) == 0 {
				continue
			}
			if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == "DB" && !allowed[fn.Name.Name] {
					t.Errorf("%s: (*DB).%s is a method; write it as a function over TxOrPool", f, fn.Name.Name)
				}
			}
		}
	}
}
