#!/usr/bin/env bash
# The Go binding's whole test suite. Assumes `make build` already ran (it
# needs target/release/libctpolicy.{a,so} and the ctpolicy CLI). Exits
# non-zero on any failure; never skips.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

fail() { echo "bindings/go/test.sh: ERROR: $*" >&2; exit 1; }

# The toolchain: go 1.24 or newer, cgo and a C compiler. Use the local
# toolchain only (no silent download of another one).
export GOTOOLCHAIN=local
export CGO_ENABLED=1
GO=${GO:-}
if [ -z "$GO" ]; then
  if command -v go >/dev/null 2>&1; then GO=go
  elif [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go
  else fail "the Go toolchain is missing: install Go 1.24 or newer (https://go.dev/dl/) and put 'go' on PATH"
  fi
fi
version=$("$GO" env GOVERSION) || fail "'$GO env GOVERSION' failed"
minor=$(echo "$version" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
[ -n "$minor" ] && [ "$minor" -ge 24 ] || fail "Go $version is too old: this binding needs Go 1.24 or newer"
cc=$("$GO" env CC)
command -v "${cc%% *}" >/dev/null 2>&1 || fail "no C compiler ('$cc') for cgo: install gcc"

here=$(pwd)
root=../..
for f in "$root/target/release/libctpolicy.a" "$root/target/release/libctpolicy.so" "$root/target/release/libctpolicy.so.2" "$root/target/release/ctpolicy" "$root/include/ctpolicy.h"; do
  [ -e "$f" ] || fail "$f is missing: run 'make build' (cargo build --release --locked) first"
done

step() { echo; echo "== $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ctpolicy-go.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
# Builds outside the repository must not reach the network: this module has
# no dependencies, and a replace or go.work points at a folder.
export GOPROXY=off

step "gofmt"
unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || fail "not gofmt-formatted: $unformatted"

step "go vet (static, dynamic and pkg-config builds)"
"$GO" vet ./...
"$GO" vet -tags ctpolicy_dynamic ./...
# (vet of the pkg-config build needs an installed ctpolicy.pc: below.)

step "example programs: examples/allow (ALLOW renewal), examples/deny (three DENYs with a nil Token), examples/renewal-worker and examples/checkout-handler (the guard against a local stand-in for Klarna)"
for example in allow deny renewal-worker checkout-handler; do
  "$GO" build -o "$work/$example" "./examples/$example"
  "$work/$example" > "$work/$example.out" || fail "examples/$example exited $?: $(cat "$work/$example.out")"
  diff -u "examples/$example/expected_output.txt" "$work/$example.out" || fail "examples/$example printed something other than its expected_output.txt"
done

step "without cgo: the first and only error says to turn cgo on"
if CGO_ENABLED=0 "$GO" build . 2> "$work/nocgo.err"; then
  fail "CGO_ENABLED=0 go build succeeded: the binding cannot work without cgo"
fi
errors=$(grep -c '^\./' "$work/nocgo.err" || true)
[ "$errors" -eq 1 ] && grep -q '^\./nocgo.go:.*ctpolicy_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler' "$work/nocgo.err" \
  || fail "CGO_ENABLED=0 go build did not stop at the one cgo message: $(cat "$work/nocgo.err")"

step "before 'make build': go build itself says to run it (static and dynamic builds)"
fresh=$work/fresh-checkout
mkdir -p "$fresh/bindings" "$fresh/include"
cp -r . "$fresh/bindings/go"
cp "$root/include/ctpolicy.h" "$fresh/include/"
for tags in "" ctpolicy_dynamic; do
  if (cd "$fresh/bindings/go" && "$GO" build -tags "$tags" . 2> "$work/build.err"); then
    fail "go build -tags '$tags' succeeded in a checkout without target/release"
  fi
  grep -q "is missing: run 'make build' at the root of the ctpolicy checkout first, or build with -tags ctpolicy_pkgconfig" "$work/build.err" \
    || fail "go build -tags '$tags' without the library did not say to run make build: $(cat "$work/build.err")"
done

step "outside a checkout without the pkg-config tag: go build itself says what to do"
cp -r . "$work/lonely-copy"
if (cd "$work/lonely-copy" && "$GO" build . 2> "$work/build.err"); then
  fail "go build succeeded in a copy without the checkout around it"
fi
# cgo compiles the package's C preambles in parallel, so whichever guard
# fires first (the missing header, or the missing libctpolicy.a) is the one
# reported; both must point to the pkg-config tag.
grep -Eq "ctpolicy: (ctpolicy.h not found|target/release/libctpolicy.a is missing).*build with -tags ctpolicy_pkgconfig" "$work/build.err" \
  || fail "go build outside the checkout did not point to ctpolicy_pkgconfig: $(cat "$work/build.err")"

# A module of someone else's, outside the repository, that runs
# examples/deny's main.go against this module.
consumer() {
  local dir=$1
  mkdir -p "$dir"
  cp examples/deny/main.go "$dir/"
  printf 'module example.com/consumer\n\ngo 1.24\n' > "$dir/go.mod"
}

step "another module uses this one through the replace directive README.md shows (its gomod block)"
consumer "$work/replace"
# The README's lines, read as tests/snippets/blocks.py reads every block, with its placeholder path made real.
python3 "$root/tests/snippets/blocks.py" --lang gomod --json | python3 -c '
import json, sys
blocks = json.load(sys.stdin)
assert len(blocks) == 1, f"expected one gomod block in the docs, found {len(blocks)}"
assert "/path/to/ctpolicy/bindings/go" in blocks[0]["text"], "the gomod block no longer points at /path/to/ctpolicy/bindings/go"
sys.stdout.write(blocks[0]["text"].replace("/path/to/ctpolicy/bindings/go", sys.argv[1]))' "$here" >> "$work/replace/go.mod" \
  || fail "could not take the replace directive from README.md"
(cd "$work/replace" && "$GO" run .) > "$work/replace.out" || fail "the replace consumer failed: $(cat "$work/replace.out")"
diff -u examples/deny/expected_output.txt "$work/replace.out" || fail "the replace consumer printed something else"

step "another module uses this one through a go.work"
consumer "$work/workspace/app"
printf 'go 1.24\n\nuse (\n\t./app\n\t%s\n)\n' "$here" > "$work/workspace/go.work"
(cd "$work/workspace/app" && "$GO" run .) > "$work/workspace.out" || fail "the go.work consumer failed: $(cat "$work/workspace.out")"
diff -u examples/deny/expected_output.txt "$work/workspace.out" || fail "the go.work consumer printed something else"

step "installed library: make install PREFIX=..., -tags ctpolicy_pkgconfig, module copied outside the checkout"
prefix=$work/prefix
make -C "$root" --no-print-directory install PREFIX="$prefix" STAGE="$work/stage" > /dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
"$GO" vet -tags ctpolicy_pkgconfig .
# A copy with no checkout around it, as in a vendor folder or a Docker build.
cp -r . "$work/ctpolicy-go"
consumer "$work/installed"
printf 'require ctpolicy.dev/ctpolicy/bindings/go v0.0.0\n\nreplace ctpolicy.dev/ctpolicy/bindings/go => %s\n' "$work/ctpolicy-go" >> "$work/installed/go.mod"
(cd "$work/installed" && CGO_LDFLAGS="-Wl,-rpath,$prefix/lib" "$GO" build -tags ctpolicy_pkgconfig -o "$work/installed/app" .)
grep -q "NEEDED.*\[libctpolicy.so.2\]" <<<"$(readelf -d "$work/installed/app")" || fail "the pkg-config build does not link libctpolicy.so.2"
grep -q "libctpolicy.so.2 => $prefix/lib/libctpolicy.so.2" <<<"$(ldd "$work/installed/app")" || fail "the pkg-config build does not load the installed library: $(ldd "$work/installed/app")"
"$work/installed/app" > "$work/installed.out" || fail "the pkg-config build failed: $(cat "$work/installed.out")"
diff -u examples/deny/expected_output.txt "$work/installed.out" || fail "the pkg-config build printed something else"
unset PKG_CONFIG_PATH

step "go test -race (static link: vectors, CLI identity, CheckCharge/CheckMany vs Check, redaction, audit trail, lifecycle, errors, concurrency, examples)"
"$GO" test -race -count=1 ./...

step "go test -tags ctpolicy_dynamic (libctpolicy.so)"
"$GO" test -tags ctpolicy_dynamic -count=1 ./...

step "go test with GOEXPERIMENT=cgocheck2 (every cgo pointer pass checked)"
GOEXPERIMENT=cgocheck2 "$GO" test -count=1 ./...

# The fuzz budget is a count of executions, not a duration: with a duration,
# Go's fuzz coordinator (go1.26 and older) can report a spurious
# "context deadline exceeded" failure when the clock runs out while a worker is
# mid-call (golang/go#75804, fixed in go1.27). A count has no deadline to race.
# 300,000 executions take about 7-10 s on a 2-core machine.
step "fuzz: FuzzCheck, 300,000 executions"
"$GO" test -run '^$' -fuzz='^FuzzCheck$' -fuzztime=300000x .

step "fuzz: FuzzCheckCharge, 300,000 executions"
"$GO" test -run '^$' -fuzz='^FuzzCheckCharge$' -fuzztime=300000x .

echo
echo "bindings/go: all tests passed ($version, $("$GO" env GOOS)/$("$GO" env GOARCH))"
