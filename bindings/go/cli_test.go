//go:build cgo

package ctpolicy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// cliPath is the ctpolicy CLI: $CTPOLICY_CLI, else the repository's build.
func cliPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CTPOLICY_CLI"); p != "" {
		return p
	}
	p := filepath.Join(repoRoot(t), "target", "release", "ctpolicy")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the CLI is not built (%v): run `make build` first, or set CTPOLICY_CLI", err)
	}
	return p
}

// jsonlLine is the one line that carries a case's input to the CLI, or
// ok=false when the input cannot be one line of JSON Lines (it holds a
// newline that compacting cannot remove, or is blank, which the CLI skips).
func jsonlLine(input []byte) (line []byte, ok bool) {
	if len(bytes.TrimSpace(input)) == 0 {
		return nil, false
	}
	if !bytes.ContainsAny(input, "\n") {
		return input, true
	}
	var buf bytes.Buffer
	if json.Valid(input) && json.Compact(&buf, input) == nil && !bytes.ContainsAny(buf.Bytes(), "\n") {
		return buf.Bytes(), true
	}
	return nil, false
}

// TestIdenticalToCLI runs every check vector through `ctpolicy check
// --format jsonl` (grouped by policy) and through Check, and requires the
// same decision or error object, key for key, message and receipt included.
func TestIdenticalToCLI(t *testing.T) {
	cli := cliPath(t)
	var file checkFile
	readVectors(t, "check.json", &file)
	engs := engines(t, file.Policies)

	groups := map[string][]checkCase{}
	for _, c := range file.Cases {
		groups[c.policyName()] = append(groups[c.policyName()], c)
	}
	names := make([]string, 0, len(groups))
	for name := range groups {
		names = append(names, name)
	}
	sort.Strings(names)

	dir := t.TempDir()
	compared, skipped := 0, 0
	for _, policyName := range names {
		policy := file.Policies[policyName]
		if len(policy) == 0 {
			policy = json.RawMessage("{}")
		}
		policyFile := filepath.Join(dir, policyName+".policy.json")
		if err := os.WriteFile(policyFile, policy, 0o600); err != nil {
			t.Fatal(err)
		}
		var lines [][]byte
		var cases []checkCase
		for _, c := range groups[policyName] {
			input, err := c.input()
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			line, ok := jsonlLine(input)
			if !ok {
				skipped++
				t.Logf("%s: input cannot be one JSON Lines line; compared by TestCheckVectors only", c.Name)
				continue
			}
			lines = append(lines, line)
			cases = append(cases, c)
		}
		requestsFile := filepath.Join(dir, policyName+".jsonl")
		if err := os.WriteFile(requestsFile, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
			t.Fatal(err)
		}

		cmd := exec.Command(cli, "check", "--format", "jsonl", "--policy", policyFile, requestsFile)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		var exit *exec.ExitError
		if err != nil && !(errors.As(err, &exit) && exit.ExitCode() >= 1 && exit.ExitCode() <= 2) {
			t.Fatalf("policy %s: %s failed: %v\n%s", policyName, cli, err, stderr.Bytes())
		}

		var outLines [][]byte
		sc := bufio.NewScanner(bytes.NewReader(stdout))
		sc.Buffer(make([]byte, 0, 1<<20), 8<<20)
		for sc.Scan() {
			outLines = append(outLines, append([]byte(nil), sc.Bytes()...))
		}
		if len(outLines) != len(lines) {
			t.Fatalf("policy %s: the CLI wrote %d lines for %d requests\nstderr: %s", policyName, len(outLines), len(lines), stderr.Bytes())
		}
		for i, c := range cases {
			want, err := decodeValue(outLines[i])
			if err != nil {
				t.Errorf("%s: the CLI line is not JSON: %v: %.200s", c.Name, err, outLines[i])
				continue
			}
			var got any
			d, cerr := engs[policyName].Check(lines[i])
			if cerr != nil {
				got = errorObject(t, cerr)
			} else {
				got = mustDecode(t, d.Raw)
			}
			if !jsonEqual(want, got) {
				t.Errorf("%s (policy %s): binding and CLI differ\n  binding: %s\n  CLI:     %s", c.Name, policyName, show(got), outLines[i])
			}
			compared++
		}
	}
	if compared == 0 {
		t.Fatal("no case compared with the CLI")
	}
	t.Logf("%d check vectors identical to the CLI, %d not expressible as JSON Lines", compared, skipped)
}
