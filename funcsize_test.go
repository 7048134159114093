package saoyue_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Limits on a function in the packages where rules, persistence and
// handlers meet: past them a function holds more than one job and hides its
// rules. Tests are not measured.
const (
	maxFuncLines      = 80
	maxFuncComplexity = 25
)

// measured lists the files the limits hold in: the packages where rules,
// persistence and handlers meet, and card, whose geometry, defaults and
// validation are long lists kept readable by one function per section of
// the card.
var measured = []string{"store/*.go", "queue/handler/*.go", "web/*.go", "card/*.go"}

func TestFunctionsAreShort(t *testing.T) {
	for _, glob := range measured {
		files, _ := filepath.Glob(glob)
		if len(files) == 0 {
			t.Fatalf("no files match %s", glob)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			af, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range af.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				name := funcName(fn)
				lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
				if lines > maxFuncLines {
					t.Errorf("%s: %s is %d lines long (at most %d)", f, name, lines, maxFuncLines)
				}
				if c := complexity(fn); c > maxFuncComplexity {
					t.Errorf("%s: %s has cyclomatic complexity %d (at most %d)", f, name, c, maxFuncComplexity)
				}
			}
		}
	}
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	return fmt.Sprintf("(%s).%s", types(fn.Recv.List[0].Type), fn.Name.Name)
}

func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "*" + types(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return types(e.X)
	}
	return "?"
}

// complexity is McCabe's cyclomatic complexity, counted as gocyclo does:
// one, plus one per if, for, range, non-default case and clause, && and ||.
// Function literals count toward the function they sit in.
func complexity(fn *ast.FuncDecl) int {
	c := 1
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			c++
		case *ast.CaseClause:
			if n.List != nil {
				c++
			}
		case *ast.CommClause:
			if n.Comm != nil {
				c++
			}
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				c++
			}
		}
		return true
	})
	return c
}
