//go:build cgo

package ctpolicy

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeShowsTheExample keeps README.md's example the same code as
// Example in example_test.go, which go test runs and checks.
func TestReadmeShowsTheExample(t *testing.T) {
	source, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(source)
	start := strings.Index(text, "func Example() {")
	end := strings.Index(text[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("Example not found in example_test.go")
	}
	example := text[start : start+end+3]
	if !strings.Contains(string(readme), example) {
		t.Errorf("README.md does not hold Example of example_test.go verbatim; copy it:\n%s", example)
	}
}
