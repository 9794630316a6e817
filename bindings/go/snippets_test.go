//go:build cgo

package ctpolicy

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// A `go` block of the docs, as tests/snippets/blocks.py reads it.
type docBlock struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Text  string `json:"text"`
	Ident string `json:"ident"`
}

func (b docBlock) where() string { return fmt.Sprintf("%s:%d", b.File, b.Line) }

// snippetHarness declares the variables the docs' fragments use, each with a
// value of the type the fragment needs. A fragment that needs another one
// fails to compile ("undefined: x"): add it here (and to the `_ =` list).
const snippetHarness = `
	var err error
	engine, _ := ctpolicy.NewEngine(nil)
	policyJSON := []byte("{}")
	const token = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
	stored := token
	requestJSON := []byte("{}")
	requests := [][]byte{requestJSON}
	recordJSON, eventJSON, responseJSON := []byte("null"), []byte("{}"), []byte("{}")
	at := "2026-11-25T10:00:00Z"
	charge := ctpolicy.Charge{}
	line := "charge failed for " + token
	b := []byte(line)
	path, keptHead := "/tmp/audit.jsonl", ""
	lastUsed := time.Now()
	attempts := int64(0)
	tokens := harnessRecords{}
	rows, row := harnessRows{}, []byte("{}")
	auditLog, _ := ctpolicy.OpenAuditLog(path)
	req, _ := http.NewRequest("POST", "https://example.invalid/v2/accounts/a/payment/authorize", nil)
	_, _, _, _, _, _, _, _, _, _ = err, engine, policyJSON, stored, requests, recordJSON, eventJSON, responseJSON, at, charge
	_, _, _, _, _, _, _, _, _ = b, path, keptHead, lastUsed, attempts, tokens, auditLog, req, requestJSON
	_, _ = rows, row
`

// The imports every fragment file has (each kept used by a `var _`).
var snippetImports = map[string]string{
	"errors": "errors.New", "fmt": "fmt.Sprint", "log": "log.Printf", "log/slog": "slog.Info",
	"net/http": "http.NewRequest", "os": "os.Exit", "time": "time.Now",
}

// TestDocsGoBlocks compiles every `go` block of every tracked Markdown file
// (read by tests/snippets/blocks.py, as the snippet catalog counts them)
// against this package, in a module of its own outside the repository:
//
//   - a complete file (it starts with `package`) is a test file of that
//     module, and `go test` runs it (its Example's Output is checked);
//   - a type declaration (`type X ...`) must declare the package's X: the
//     block's type, its names qualified, must convert to ctpolicy.X (a
//     struct: same fields, in order) or be assignable both ways (an
//     interface: same methods);
//   - a `#cgo` line must be in one of the package's files, verbatim;
//   - anything else is a fragment: the body of a function that declares
//     snippetHarness's variables, compiled (its results unused are fine).
func TestDocsGoBlocks(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("python3", filepath.Join(root, "tests/snippets/blocks.py"), "--lang", "go", "--json").Output()
	if err != nil {
		t.Fatalf("tests/snippets/blocks.py: %v", err)
	}
	var blocks []docBlock
	if err := json.Unmarshal(out, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 10 {
		t.Fatalf("only %d go blocks found in the docs", len(blocks))
	}
	here, _ := filepath.Abs(".")
	module := t.TempDir()
	goMod := fmt.Sprintf("module snippets\n\ngo 1.24\n\nrequire ctpolicy.dev/ctpolicy/bindings/go v0.0.0\n\nreplace ctpolicy.dev/ctpolicy/bindings/go => %s\n", here)
	write := func(name, text string) {
		full := filepath.Join(module, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", goMod)
	sources := packageSources(t)
	var fragments, declarations, structChecks strings.Builder
	counts := map[string]int{}
	for _, block := range blocks {
		text := strings.TrimSpace(block.Text)
		switch {
		case strings.HasPrefix(text, "package "):
			counts["complete"]++
			dir := "complete_" + block.Ident
			write(dir+"/doc.go", "// Package ctpolicy holds a complete file of the docs ("+block.where()+").\npackage ctpolicy\n")
			write(dir+"/snippet_test.go", fmt.Sprintf("//line %s:%d\n%s", block.File, block.Line+1, block.Text))
		case strings.HasPrefix(text, "#cgo "):
			counts["cgo directive"]++
			if !strings.Contains(sources, "\n"+text+"\n") {
				t.Errorf("%s: no file of the package has the line `%s`", block.where(), text)
			}
		case strings.HasPrefix(text, "type "):
			counts["declaration"]++
			declaration, checks := typeCheck(t, block)
			declarations.WriteString(declaration)
			structChecks.WriteString(checks)
		default:
			counts["fragment"]++
			fmt.Fprintf(&fragments, "\n// %s\nfunc snippet_%s() error {%s\t{\n//line %s:%d\n%s\n\t}\n\treturn nil\n}\n",
				block.where(), block.Ident, snippetHarness, block.File, block.Line+1, block.Text)
		}
	}
	var imports, uses []string
	for path, use := range snippetImports {
		imports = append(imports, fmt.Sprintf("%q", path))
		uses = append(uses, "var _ = "+use)
	}
	sort.Strings(imports)
	sort.Strings(uses)
	header := "package snippets\n\nimport (\n\tctpolicy \"ctpolicy.dev/ctpolicy/bindings/go\"\n\t" + strings.Join(imports, "\n\t") + "\n)\n\n" +
		strings.Join(uses, "\n") + "\n\nvar _ = ctpolicy.LibraryVersion\n\n" +
		"// harnessRecords is the token store the guard fragments name.\ntype harnessRecords struct{}\n\n" +
		"func (harnessRecords) Get(string) ([]byte, bool, error) { return nil, false, nil }\n" +
		"func (harnessRecords) Put(string, []byte) error       { return nil }\n\n" +
		"// harnessRows is the store's cursor the vault fragment reads.\ntype harnessRows struct{}\n\n" +
		"func (harnessRows) Next() bool { return false }\n"
	write("fragments.go", useEveryVariable(t, header+fragments.String()))
	write("declarations_test.go", "package snippets\n\nimport (\n\t\"reflect\"\n\t\"testing\"\n\n\tctpolicy \"ctpolicy.dev/ctpolicy/bindings/go\"\n)\n\n"+
		"var _ = ctpolicy.LibraryVersion\nvar _ = reflect.TypeOf\n\n"+
		"// exported is the exported fields of a struct type: name and type, in order.\n"+
		"func exported(t reflect.Type) (fields []string) {\n\tfor i := 0; i < t.NumField(); i++ {\n"+
		"\t\tif f := t.Field(i); f.IsExported() {\n\t\t\tfields = append(fields, f.Name+\" \"+f.Type.String())\n\t\t}\n\t}\n\treturn fields\n}\n"+
		"\nfunc TestDeclarations(t *testing.T) {\n"+structChecks.String()+"}\n"+declarations.String())
	cmd := exec.Command("go", "test", "-count=1", "./...")
	cmd.Dir = module
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the docs' go blocks do not build or pass (%v):\n%s", err, output)
	}
	t.Logf("%d go blocks: %v", len(blocks), counts)
}

// packageSources is the text of every non-test Go file of this package.
func packageSources(t *testing.T) string {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		text, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(text)
	}
	return all.String()
}

// typeCheck turns a block declaring `type X ...` into docX, with the
// package's exported names qualified, and the checks that it is ctpolicy.X:
// an interface is assignable both ways (compiled); a struct's fields are
// ctpolicy.X's exported fields, names and types in order (a test, by
// reflection: the package's unexported fields stay out of the docs).
func typeCheck(t *testing.T, block docBlock) (string, string) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, block.where(), "package p\n"+block.Text, 0)
	if err != nil {
		t.Fatalf("%s: %v", block.where(), err)
	}
	var out, checks strings.Builder
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.TYPE {
			t.Fatalf("%s: only type declarations may stand outside a function", block.where())
		}
		for _, spec := range gen.Specs {
			ts := spec.(*ast.TypeSpec)
			name := ts.Name.Name
			ts.Name.Name = "doc" + name
			qualify(ts.Type)
			var text strings.Builder
			if err := printer.Fprint(&text, fset, &ast.GenDecl{Tok: token.TYPE, Specs: []ast.Spec{ts}}); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "\n// %s\n%s\n", block.where(), text.String())
			switch ts.Type.(type) {
			case *ast.StructType:
				fmt.Fprintf(&checks, "\tif got, want := exported(reflect.TypeOf(ctpolicy.%s{})), exported(reflect.TypeOf(doc%s{})); !reflect.DeepEqual(got, want) {\n"+
					"\t\tt.Errorf(\"%s: the package's %s has the exported fields %%q, the docs show %%q\", got, want)\n\t}\n", name, name, block.where(), name)
			case *ast.InterfaceType:
				fmt.Fprintf(&out, "var _ ctpolicy.%s = doc%s(nil)\nvar _ doc%s = ctpolicy.%s(nil)\n", name, name, name, name)
			default:
				fmt.Fprintf(&out, "var _ ctpolicy.%s = *new(doc%s)\n", name, name)
			}
		}
	}
	return out.String(), checks.String()
}

// qualify rewrites the exported type names in expr as the package's (Status -> ctpolicy.Status).
func qualify(expr ast.Node) {
	ast.Inspect(expr, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			return false
		case *ast.Field:
			if n.Type != nil {
				n.Type = qualified(n.Type)
				qualify(n.Type)
			}
			return false
		case *ast.StarExpr:
			n.X = qualified(n.X)
		case *ast.ArrayType:
			n.Elt = qualified(n.Elt)
		case *ast.MapType:
			n.Key, n.Value = qualified(n.Key), qualified(n.Value)
		}
		return true
	})
}

func qualified(expr ast.Expr) ast.Expr {
	if id, ok := expr.(*ast.Ident); ok && unicode.IsUpper(rune(id.Name[0])) {
		return &ast.SelectorExpr{X: ast.NewIdent("ctpolicy"), Sel: ast.NewIdent(id.Name)}
	}
	return expr
}

// useEveryVariable adds `_ = x` after every statement of a function body
// that declares x, so that a fragment showing a call's results compiles.
func useEveryVariable(t *testing.T, source string) string {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "fragments.go", source, parser.ParseComments)
	if err != nil {
		t.Fatalf("the docs' go fragments do not parse: %v\n%s", err, source)
	}
	type insertion struct {
		at   int
		text string
	}
	var inserts []insertion
	statements := func(list []ast.Stmt) {
		for _, stmt := range list {
			var names []string
			switch s := stmt.(type) {
			case *ast.AssignStmt:
				if s.Tok == token.DEFINE {
					for _, lhs := range s.Lhs {
						if id, ok := lhs.(*ast.Ident); ok && id.Name != "_" {
							names = append(names, id.Name)
						}
					}
				}
			case *ast.DeclStmt:
				if gen, ok := s.Decl.(*ast.GenDecl); ok && gen.Tok == token.VAR {
					for _, spec := range gen.Specs {
						for _, id := range spec.(*ast.ValueSpec).Names {
							if id.Name != "_" {
								names = append(names, id.Name)
							}
						}
					}
				}
			}
			if len(names) > 0 {
				inserts = append(inserts, insertion{fset.Position(stmt.End()).Offset, "; _ = " + strings.Join(names, "; _ = ")})
			}
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, v := range []ast.Expr{n.Key, n.Value} {
					if id, ok := v.(*ast.Ident); ok && id.Name != "_" {
						inserts = append(inserts, insertion{fset.Position(n.Body.Lbrace).Offset + 1, " _ = " + id.Name + ";"})
					}
				}
			}
		case *ast.BlockStmt:
			statements(n.List)
		case *ast.CaseClause:
			statements(n.Body)
		case *ast.CommClause:
			statements(n.Body)
		}
		return true
	})
	sort.Slice(inserts, func(i, j int) bool { return inserts[i].at > inserts[j].at })
	for _, in := range inserts {
		source = source[:in.at] + in.text + source[in.at:]
	}
	return source
}
