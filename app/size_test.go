package app_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/app"
)

// Limits on the bound structs (issue #16): the App keeps the window's
// lifecycle and little else; each service stays small enough to read.
const (
	maxAppMethods     = 25 // all of them: its own, promoted, exported or not
	maxServiceMethods = 12 // exported: what the frontend calls
)

// methodSets parses package app's sources and returns every type's method
// names, including those promoted from the package's own embedded types.
func methodSets(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	own := map[string][]string{}
	embeds := map[string][]string{}
	for _, f := range pkgs["app"].Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil {
					own[typeName(d.Recv.List[0].Type)] = append(own[typeName(d.Recv.List[0].Type)], d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok {
						continue
					}
					if st, ok := ts.Type.(*ast.StructType); ok {
						for _, fl := range st.Fields.List {
							if len(fl.Names) == 0 {
								embeds[ts.Name.Name] = append(embeds[ts.Name.Name], typeName(fl.Type))
							}
						}
					}
				}
			}
		}
	}
	var all func(string) []string
	all = func(typ string) []string {
		out := slices.Clone(own[typ])
		for _, e := range embeds[typ] {
			for _, m := range all(e) {
				if !slices.Contains(out, m) {
					out = append(out, m)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	sets := map[string][]string{}
	for typ := range own {
		sets[typ] = all(typ)
	}
	for typ := range embeds {
		sets[typ] = all(typ)
	}
	return sets
}

func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return typeName(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.X.(*ast.Ident).Name + "." + e.Sel.Name
	}
	return ""
}

func TestTheAppStaysSmall(t *testing.T) {
	sets := methodSets(t)
	if got := sets["App"]; len(got) > maxAppMethods {
		t.Errorf("App has %d methods, want at most %d: move the work into a service\n%v", len(got), maxAppMethods, got)
	}
	// core's methods are promoted into every service: an exported one would
	// be bound once per service.
	for _, m := range sets["core"] {
		if ast.IsExported(m) {
			t.Errorf("core has the exported method %s: every service would bind it", m)
		}
	}

	// What Wails binds: the App and every service, each small.
	a := app.Unopened()
	bound := app.Bound(a)
	svcs := reflect.ValueOf(a.Services)
	for i := range svcs.NumField() {
		if !slices.ContainsFunc(bound, func(b any) bool { return b == svcs.Field(i).Interface() }) {
			t.Errorf("the service %s is not bound", svcs.Type().Field(i).Name)
		}
	}
	total := 0
	for _, b := range bound {
		typ := reflect.TypeOf(b)
		name := typ.Elem().Name()
		n := typ.NumMethod()
		total += n
		var exported []string
		for _, m := range sets[name] {
			if ast.IsExported(m) {
				exported = append(exported, m)
			}
		}
		if n != len(exported) {
			t.Errorf("%s: Wails binds %d methods, the source declares %d exported (%v)", name, n, len(exported), exported)
		}
		if name != "App" && n > maxServiceMethods {
			t.Errorf("%s binds %d methods, want at most %d: split it", name, n, maxServiceMethods)
		}
		t.Logf("%-16s binds %2d, has %2d in all", name, n, len(sets[name]))
	}
	t.Logf("%d bound methods on %d structs", total, len(bound))
}
