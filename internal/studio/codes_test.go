package studio_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/internal/studio"
)

// dynamicCodes are the only places a code reaches a *studio.Error from a
// variable rather than a studio constant, each for a reason checked here:
// the client relays the code the server sent (itself from the set), and
// the dataset engine carries a file error's code, set from its Code*
// constants which are studio's.
var dynamicCodes = map[string]string{
	"sync/client/client.go:decodeError":     "relays the server's code, which is one of the set",
	"internal/dataset/strip.go:intakeError": "a fileError's code, set from dataset.Code* = studio.E*",
}

// sameString are constants whose value is a code's string but that are not
// error codes.
var sameString = map[string]string{
	"internal/compiler/profile.go:KindLoRA": "a profile kind, which the lora_pipeline code is named after",
}

// TestCodesClosed walks every Go file of the module and fails when an
// error code is written as a string literal (in studio.Errorf, studio.Wrap,
// a studio.Error literal, a comparison or switch on studio.ErrorCode), or
// when a constant outside package studio holds a code's string: every code
// is one of studio's constants, so the set stays closed.
func TestCodesClosed(t *testing.T) {
	set := map[string]bool{}
	for _, c := range studio.Codes() {
		set[c] = true
	}
	root := filepath.Join("..", "..")
	var problems []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", "frontend", "build", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		inStudio := rel == "internal/studio/"+filepath.Base(rel)
		problems = append(problems, scanCodes(fset, f, rel, inStudio, set)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func scanCodes(fset *token.FileSet, f *ast.File, rel string, inStudio bool, set map[string]bool) []string {
	var out []string
	bad := func(n ast.Node, format string, args ...any) {
		out = append(out, fset.Position(n.Pos()).String()+": "+fmt.Sprintf(format, args...))
	}
	isStudio := func(e ast.Expr, name string) bool {
		switch x := e.(type) {
		case *ast.SelectorExpr:
			id, ok := x.X.(*ast.Ident)
			return ok && id.Name == "studio" && x.Sel.Name == name
		case *ast.Ident:
			return inStudio && x.Name == name
		}
		return false
	}
	// A code argument must be a constant of package studio (studio.EX, or EX
	// inside studio), a local constant defined as one, or a known dynamic.
	localConsts := map[string]ast.Expr{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						localConsts[n.Name] = vs.Values[i]
					}
					if i < len(vs.Values) && !inStudio {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if s, _ := strconv.Unquote(lit.Value); set[s] && sameString[rel+":"+n.Name] == "" {
								bad(lit, "constant %v holds the code %v: refer to studio's constant instead", n.Name, s)
							}
						}
					}
				}
			}
		}
	}
	var fn string
	checkCode := func(e ast.Expr) {
		switch x := e.(type) {
		case *ast.BasicLit:
			s, _ := strconv.Unquote(x.Value)
			bad(x, "code literal %v: use a studio constant", strconv.Quote(s))
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "studio" {
				return
			}
			if _, ok := dynamicCodes[rel+":"+fn]; ok {
				return
			}
			bad(x, "code from %v: use a studio constant", toString(x))
		case *ast.Ident:
			if inStudio {
				return
			}
			if v, ok := localConsts[x.Name]; ok {
				if sel, ok := v.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Name == "studio" {
						return
					}
				}
			}
			if _, ok := dynamicCodes[rel+":"+fn]; ok {
				return
			}
			bad(x, "code from %v: use a studio constant", x.Name)
		default:
			if _, ok := dynamicCodes[rel+":"+fn]; ok {
				return
			}
			bad(x, "code from an expression in %v", fn)
		}
	}
	isErrorCode := func(e ast.Expr) bool {
		c, ok := e.(*ast.CallExpr)
		return ok && isStudio(c.Fun, "ErrorCode")
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		fn = fd.Name.Name
		ast.Inspect(fd, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				switch {
				case isStudio(x.Fun, "Errorf") && len(x.Args) > 0:
					checkCode(x.Args[0])
				case isStudio(x.Fun, "Wrap") && len(x.Args) > 1:
					checkCode(x.Args[1])
				}
			case *ast.CompositeLit:
				if isStudio(x.Type, "Error") {
					for _, el := range x.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
								checkCode(kv.Value)
							}
						}
					}
				}
			case *ast.BinaryExpr:
				if (x.Op == token.EQL || x.Op == token.NEQ) && (isErrorCode(x.X) || isErrorCode(x.Y)) {
					other := x.Y
					if isErrorCode(x.Y) {
						other = x.X
					}
					if lit, ok := other.(*ast.BasicLit); ok && lit.Value != `""` {
						checkCode(lit)
					}
				}
			case *ast.SwitchStmt:
				if x.Tag != nil && isErrorCode(x.Tag) {
					for _, st := range x.Body.List {
						for _, e := range st.(*ast.CaseClause).List {
							if lit, ok := e.(*ast.BasicLit); ok && lit.Value != `""` {
								checkCode(lit)
							}
						}
					}
				}
			}
			return true
		})
	}
	return out
}

func toString(a any) string {
	switch x := a.(type) {
	case string:
		return x
	case *ast.SelectorExpr:
		return toString(x.X) + "." + x.Sel.Name
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// TestCodesListed checks that Codes lists every code constant declared in
// codes.go, once, so the set the HTTP table, the client and the frontend are
// checked against is the whole set.
func TestCodesListed(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						declared = append(declared, s)
					}
				}
			}
		}
	}
	got := slices.Clone(studio.Codes())
	slices.Sort(got)
	slices.Sort(declared)
	if !slices.Equal(got, declared) {
		t.Errorf("Codes() = %v\ndeclared in codes.go: %v", got, declared)
	}
	if len(got) != len(slices.Compact(slices.Clone(got))) {
		t.Errorf("Codes() repeats a code: %v", got)
	}
	for _, c := range got {
		if !isSnake(c) {
			t.Errorf("code %q is not snake_case", c)
		}
	}
}

func isSnake(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
