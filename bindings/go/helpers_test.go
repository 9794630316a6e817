//go:build cgo

package ctpolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// repoRoot is the repository root: this package lives in bindings/go.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// readVectors reads tests/vectors/<name>. A missing file fails the test:
// the vectors are the contract, never skipped.
func readVectors(t testing.TB, name string, into any) {
	t.Helper()
	path := filepath.Join(repoRoot(t), "tests", "vectors", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("vectors: %v", err)
	}
	// Every JSON value stays json.RawMessage down to the inputs, so the
	// exact bytes (key order, integer literals) reach the engine.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("vectors %s: %v", name, err)
	}
}

// decodeValue parses JSON keeping numbers as json.Number.
func decodeValue(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func mustDecode(t testing.TB, data []byte) any {
	t.Helper()
	v, err := decodeValue(data)
	if err != nil {
		t.Fatalf("not JSON: %v: %.200s", err, data)
	}
	return v
}

// jsonEqual compares two decoded JSON values: objects as maps (key order
// not compared), strings byte for byte, numbers by their value.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		rx, okx := new(big.Rat).SetString(string(x))
		ry, oky := new(big.Rat).SetString(string(y))
		return okx && oky && rx.Cmp(ry) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, present := y[k]
			if !present || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errorObject is the {"error": {...}} object of a failed call as the
// library wrote it.
func errorObject(t testing.TB, err error) any {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T is not *ctpolicy.Error: %v", err, err)
	}
	if e.raw == nil {
		t.Fatalf("error made by the binding, not the library: %v", e)
	}
	return mustDecode(t, e.raw)
}

// checkErrorExpectation compares an {"status", "code", "detail", "path"}
// expectation with an error: status always, the others when given.
func checkErrorExpectation(t testing.TB, name string, expect json.RawMessage, err error) {
	t.Helper()
	var want map[string]json.RawMessage
	if jerr := json.Unmarshal(expect, &want); jerr != nil {
		t.Errorf("%s: bad error expectation: %v", name, jerr)
		return
	}
	e, ok := err.(*Error)
	if !ok {
		t.Errorf("%s: got %T %v, want *Error", name, err, err)
		return
	}
	obj, _ := errorObject(t, e).(map[string]any)
	inner, _ := obj["error"].(map[string]any)
	if inner == nil {
		t.Errorf("%s: error output has no \"error\" object: %s", name, e.raw)
		return
	}
	// The typed fields and the raw object must agree.
	if inner["status"] != e.Status.String() {
		t.Errorf("%s: status %v in the object, %v returned", name, inner["status"], e.Status)
	}
	for _, key := range sortedKeys(want) {
		switch key {
		case "status", "code", "detail", "path", "message":
		default:
			t.Errorf("%s: unknown key %q in the error expectation", name, key)
			continue
		}
		if key == "message" {
			continue // for people; never compared
		}
		w := mustDecode(t, want[key])
		if !jsonEqual(w, inner[key]) {
			t.Errorf("%s: error %s = %s, want %s (message: %s)", name, key, show(inner[key]), show(w), e.Message)
		}
	}
	typed := map[string]string{"code": e.Code, "detail": e.Detail, "path": e.Path, "message": e.Message}
	for k, v := range typed {
		got, _ := inner[k].(string)
		if got != v {
			t.Errorf("%s: typed %s %q differs from the object's %q", name, k, v, got)
		}
	}
}

// assertNoSecret fails when text holds the secret.
func assertNoSecret(t testing.TB, name, what, text, secret string) {
	t.Helper()
	if secret != "" && strings.Contains(text, secret) {
		t.Errorf("%s: %s contains the customer token", name, what)
	}
}
