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

root=../..
for f in "$root/target/release/libctpolicy.a" "$root/target/release/libctpolicy.so" "$root/target/release/ctpolicy" "$root/include/ctpolicy.h"; do
  [ -e "$f" ] || fail "$f is missing: run 'make build' (cargo build --release --locked) first"
done

step() { echo; echo "== $*"; }

step "gofmt"
unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || fail "not gofmt-formatted: $unformatted"

step "go vet (static and dynamic builds)"
"$GO" vet ./...
"$GO" vet -tags ctpolicy_dynamic ./...

step "go test -race (static link: vectors, CLI identity, CheckCharge/CheckBatch vs Check, lifecycle, errors, concurrency, examples)"
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
