#!/usr/bin/env bash
# `go get` from the release's module proxy folder, as a user without Rust
# does it: a new module in a temp folder outside the repository, cargo off
# PATH, the network off (GOPROXY is the folder alone), its own module cache.
#
#   bash bindings/go/test_dist.sh GOPROXY_DIR VERSION
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 GOPROXY_DIR VERSION" >&2; exit 2; }
proxy="$(cd "$1" && pwd)" version=$2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fail() { echo "bindings/go/test_dist.sh: FAILED: $*" >&2; exit 1; }
go_bin="$(command -v go || echo /usr/local/go/bin/go)"
[ -x "$go_bin" ] || fail "no Go toolchain"
work=$(mktemp -d "${TMPDIR:-/tmp}/ctpolicy-go-dist.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
path="$(dirname "$go_bin"):/usr/bin:/bin"
PATH="$path" command -v cargo >/dev/null 2>&1 && fail "cargo is on the test's PATH ($path): the test would prove nothing"
mkdir -p "$work/app"
cat > "$work/app/main.go" <<'GO'
package main

import (
	"fmt"
	"os"

	ctpolicy "ctpolicy.dev/ctpolicy/bindings/go"
)

func main() {
	engine, err := ctpolicy.NewEngine(nil)
	if err != nil {
		fmt.Println("policy:", err)
		os.Exit(2)
	}
	defer engine.Close()
	d, err := engine.Check([]byte(`{"customer_present": false,
	  "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2", "Klarna-Idempotency-Key": "k-1"},
	  "token_record": {"customer_token": "krn:customer-token:eu1:a1b2", "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
	  "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "r-1"}}}`))
	if err != nil {
		fmt.Println("not decided:", err)
		os.Exit(2)
	}
	fmt.Println(d.Decision, ctpolicy.Version, ctpolicy.LibraryVersion(), ctpolicy.LinkMode())
}
GO
cd "$work/app"
export PATH="$path" HOME="$work/home" GOPATH="$work/gopath" GOMODCACHE="$work/gopath/mod" GOCACHE="$work/gocache" \
  GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=1 GOPROXY="file://$proxy" GONOSUMDB=ctpolicy.dev GOSUMDB=off
"$go_bin" mod init example.com/app >/dev/null 2>&1
# The command is README.md's own (its release-folder block), with the real folder.
get="$(python3 "$root/tests/snippets/blocks.py" --release-line go "$(dirname "$proxy")")" || fail "README.md's release-folder block has no go line"
[ "$get" = "GOPROXY=file://$proxy GONOSUMDB=ctpolicy.dev go get ctpolicy.dev/ctpolicy/bindings/go@v$version" ] \
  || fail "README.md gets the module with '$get', not v$version from $proxy"
PATH="$(dirname "$go_bin"):$PATH" bash -c "$get" || fail "$get"
"$go_bin" build -o app . || fail "go build against the released module"
out="$(./app)" || fail "the program failed: $out"
[ "$out" = "ALLOW $version $version static" ] || fail "unexpected output: $out"
echo "bindings/go/test_dist.sh: OK: go get v$version from $proxy, no cargo: $out"
