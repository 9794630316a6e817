#!/usr/bin/env bash
# The Python install paths as a new user meets them, from a clean copy of
# the repository (what `git clone` gives: tracked and new unignored files,
# no target/, no built library anywhere):
#
#   1. `pip install <clone>/bindings/python` into a fresh venv builds the
#      native library with cargo; a project outside the repository imports
#      ctpolicy and reaches a first decision.
#   2. Without cargo, the install fails saying cargo is needed.
#   3. package.sh (what `make dist-python` runs) makes the sdist and, from
#      it, the wheel; auditwheel shows the manylinux tag the wheel carries;
#      the wheel holds LICENSE and a stripped library; it installs into a
#      fresh venv and decides there too.
#
# Called by test.sh. The cargo build of the crate in the copy is its cost
# (about a minute and a half per build): the dependencies are reused from
# $ROOT/target/clean-copy (a cargo target dir kept between runs,
# shared with the Java install test) unless
# CTPOLICY_FRESH_BUILD=1, which builds everything from nothing inside the
# copy, as a real fresh clone does.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
TOOLS_VENV="${CTPOLICY_PY_TOOLS_VENV:-$HERE/.venv-dist}"

fail() { echo "bindings/python/test_install.sh: FAILED: $*" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CLONE="$WORK/clone"

echo "== a clean copy of the repository (git's files, no target/) in $CLONE"
mkdir -p "$CLONE"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
    | tar --null -T - -cf -) | tar -xf - -C "$CLONE"
[ ! -e "$CLONE/target" ] || fail "the copy has a target/ folder"
[ -L "$CLONE/bindings/python/LICENSE" ] && [ -f "$CLONE/bindings/python/LICENSE" ] \
    || fail "bindings/python/LICENSE is not a link to the root LICENSE in the copy"

if [ "${CTPOLICY_FRESH_BUILD:-0}" = 1 ]; then
    unset CARGO_TARGET_DIR
    echo "== fresh build: cargo builds everything inside the copy"
else
    export CARGO_TARGET_DIR="$ROOT/target/clean-copy"
fi

decide='
import os, sys
from datetime import datetime, timezone
import ctpolicy, ctpolicy._native as native
here = os.path.dirname(ctpolicy.__file__)
assert here.startswith(sys.prefix), (here, sys.prefix)
assert str(native.LIBRARY_PATH) == os.path.join(here, native.library_filename()), native.LIBRARY_PATH
token = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
with ctpolicy.Engine() as engine:
    d = engine.check({
        "customer_present": False,
        "headers": {"Klarna-Customer-Token": token, "Klarna-Idempotency-Key": "renewal-1"},
        "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299}},
        "token_record": {"customer_token": token, "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
        "now": datetime(2026, 11, 25, 10, tzinfo=timezone.utc),
    })
print(d.decision, d.codes, d.token.fingerprint[:15])
assert d.allowed, d
'

echo "== 1. pip install bindings/python from the copy into a fresh venv (cargo builds the library)"
"$PYTHON" -m venv "$WORK/venv"
start=$SECONDS
"$WORK/venv/bin/python" -m pip install --quiet "$CLONE/bindings/python" > "$WORK/pip.log" 2>&1 \
    || { tail -40 "$WORK/pip.log" >&2; fail "pip install bindings/python failed in a clean copy"; }
echo "   installed in $((SECONDS - start)) s"
mkdir "$WORK/app"
out="$(cd "$WORK/app" && env -u PYTHONPATH -u CTPOLICY_LIB "$WORK/venv/bin/python" -c "$decide")" \
    || fail "the installed package did not decide from a project outside the repository"
[[ "$out" == "ALLOW () sha256:"* ]] || fail "unexpected decision: $out"
echo "   $out"

echo "== 2. without cargo the build fails and says so"
[ -x "$TOOLS_VENV/bin/python" ] || fail "no tools venv at $TOOLS_VENV (test.sh makes it)"
nocargo_path="$TOOLS_VENV/bin:/usr/bin:/bin"
if PATH="$nocargo_path" command -v cargo >/dev/null 2>&1; then
    fail "cargo is in /usr/bin or /bin, so the missing-cargo case cannot be staged"
fi
set +e
env -u CARGO -u CTPOLICY_LIB PATH="$nocargo_path" "$TOOLS_VENV/bin/python" -m pip wheel --no-deps \
    --no-build-isolation --no-index -w "$WORK/nocargo" "$CLONE/bindings/python" > "$WORK/nocargo.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || fail "the wheel built without cargo"
grep -q "(Rust's cargo) was not found on PATH" "$WORK/nocargo.log" \
    || { tail -20 "$WORK/nocargo.log" >&2; fail "the failure without cargo does not say cargo is missing"; }
echo "   refused: $(grep -o "\`cargo\` (Rust's cargo) was not found on PATH[^;]*" "$WORK/nocargo.log" | head -1)"

echo "== 3. sdist -> wheel -> auditwheel repair (package.sh, as make dist-python)"
rm -rf "$CLONE/bindings/python/build" "$CLONE/bindings/python"/*.egg-info
CTPOLICY_PY_TOOLS_VENV="$TOOLS_VENV" bash "$CLONE/bindings/python/package.sh" "$WORK/dist"
sdist=("$WORK"/dist/ctpolicy-*.tar.gz)
wheel=("$WORK"/dist/ctpolicy-*.whl)
[ -f "${sdist[0]}" ] && [ -f "${wheel[0]}" ] || fail "package.sh did not write an sdist and a wheel"
# (Listings go through variables: with pipefail, grep -q closing a pipe early would fail it.)
sdist_listing="$(tar -tzf "${sdist[0]}")"
for f in Cargo.toml Cargo.lock build.rs cbindgen.toml src/lib.rs src/ffi/mod.rs include/ctpolicy.h; do
    grep -qx "ctpolicy-[0-9.]*/rust/$f" <<<"$sdist_listing" || fail "the sdist lacks rust/$f"
done
grep -qx 'ctpolicy-[0-9.]*/LICENSE' <<<"$sdist_listing" || fail "the sdist lacks LICENSE"
show="$(PATH="$TOOLS_VENV/bin:$PATH" auditwheel show "${wheel[0]}" 2>&1 | tr '\n' ' ')"
tag="$(sed -n 's/.*following platform tag: "\([^"]*\)".*/\1/p' <<<"$show")"
[[ "$tag" == manylinux_2_* ]] || fail "auditwheel show names no manylinux tag: $show"
[[ "$(basename "${wheel[0]}")" == *"-py3-none-$tag.whl" ]] \
    || fail "the wheel $(basename "${wheel[0]}") is not tagged $tag, the tag auditwheel shows"
echo "   $(basename "${wheel[0]}"): auditwheel show: $tag"
"$PYTHON" - "${wheel[0]}" "$WORK/lib.so" <<'EOF' || fail "the wheel's contents are wrong"
import sys, zipfile
wheel, lib_out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as zf:
    names = zf.namelist()
    licenses = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert licenses, f"no dist-info/licenses/LICENSE in {names}"
    text = zf.read(licenses[0]).decode()
    assert "Apache License" in text and "Version 2.0, January 2004" in text, "LICENSE is not Apache-2.0"
    assert "ctpolicy/libctpolicy.so" in names, names
    assert "Tag: py3-none-manylinux_" in zf.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
    with open(lib_out, "wb") as out:
        out.write(zf.read("ctpolicy/libctpolicy.so"))
EOF
sections="$(readelf -S --wide "$WORK/lib.so")"
if grep -qE '\.debug_|\.symtab' <<<"$sections"; then fail "the wheel's libctpolicy.so is not stripped"; fi
dyn_syms="$(readelf --dyn-syms --wide "$WORK/lib.so")"
grep -q ' ctp_check_json$' <<<"$dyn_syms" || fail "the stripped library lost its exports"
echo "   wheel holds LICENSE and a stripped libctpolicy.so ($(stat -c %s "$WORK/lib.so") bytes)"
"$PYTHON" -m venv "$WORK/venv2"
"$WORK/venv2/bin/python" -m pip install --quiet --no-index "${wheel[0]}" || fail "the repaired wheel does not install"
out="$(cd "$WORK/app" && env -u PYTHONPATH -u CTPOLICY_LIB "$WORK/venv2/bin/python" -c "$decide")" \
    || fail "the repaired wheel did not decide from a project outside the repository"
echo "   $out"
echo "bindings/python/test_install.sh: OK"
