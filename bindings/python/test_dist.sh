#!/usr/bin/env bash
# `pip install` from the release's wheel folder, as a user without Rust does
# it: a new venv in a temp folder outside the repository, cargo and rustc off
# PATH, no package index (--no-index: only the folder), no pip configuration.
# The pip command is the one README.md's release-folder block shows.
#
#   bash bindings/python/test_dist.sh WHEEL_DIR VERSION
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 WHEEL_DIR VERSION" >&2; exit 2; }
wheels="$(cd "$1" && pwd)" version=$2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fail() { echo "bindings/python/test_dist.sh: FAILED: $*" >&2; exit 1; }
compgen -G "$wheels/ctpolicy-$version-*.whl" >/dev/null || fail "no ctpolicy $version wheel in $wheels"
# The interpreter itself, not a shim that may sit beside cargo (pyenv, ~/.cargo/bin).
python="$(python3 -c 'import sys; print(sys.executable)')" || fail "no python3"
work=$(mktemp -d "${TMPDIR:-/tmp}/ctpolicy-py-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$python" -m venv "$work/venv" || fail "could not create a venv with $python"
# PATH: the venv, then the system's folders, less any folder holding cargo or rustc.
path="$work/venv/bin"
for dir in /usr/local/bin /usr/bin /bin; do
  [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ] || path="$path:$dir"
done
PATH="$path" command -v cargo >/dev/null 2>&1 && fail "cargo is on the test's PATH ($path): the test would prove nothing"
PATH="$path" command -v rustc >/dev/null 2>&1 && fail "rustc is on the test's PATH ($path): the test would prove nothing"
cd "$work"
# The command is README.md's own (its release-folder block), with the real folder.
install="$(python3 "$root/tests/snippets/blocks.py" --release-line pip "$(dirname "$wheels")")" || fail "README.md's release-folder block has no pip line"
[ "$install" = "pip install --no-index --find-links $wheels ctpolicy" ] || fail "README.md installs with '$install', not from $wheels"
env -i PATH="$path" HOME="$work/home" PIP_CONFIG_FILE=/dev/null PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_QUIET=1 \
  bash -c "$install" || fail "$install"
cat > "$work/renewal.py" <<'PY'
import sys

import ctpolicy

assert ctpolicy.__file__.startswith(sys.prefix), f"ctpolicy imported from {ctpolicy.__file__}, not the venv"
decision = ctpolicy.Engine().check({
    "customer_present": False,
    "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2", "Klarna-Idempotency-Key": "k-1"},
    "token_record": {"customer_token": "krn:customer-token:eu1:a1b2",
                     "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
    "body": {"currency": "EUR",
             "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "r-1"}},
})
assert decision.decision == "ALLOW" and decision.allowed, decision
print(decision.decision, ctpolicy.__version__)
PY
out="$(env -i PATH="$path" HOME="$work/home" python renewal.py)" || fail "the program failed: $out"
[ "$out" = "ALLOW $version" ] || fail "unexpected output: $out"
echo "bindings/python/test_dist.sh: OK: pip install --no-index --find-links $wheels ctpolicy, no cargo: $out"
