#!/usr/bin/env bash
# The release folder is reproducible: builds every artifact a second time
# into a temp folder (make dist-c dist-python dist-java dist-go) and
# compares each file, byte for byte (sha256), with DIST's. The tarballs are
# dated at the last commit, the jars and the Maven metadata at the pom's
# project.build.outputTimestamp, so one commit gives one SHA256SUMS.
#
#   bash tests/dist_reproducible.sh DIST     (make test-dist runs it)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIST" >&2; exit 2; }
dist="$(cd "$1" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fail() { echo "tests/dist_reproducible.sh: FAILED: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ctpolicy-dist-again.XXXXXX")
trap 'rm -rf "$work"' EXIT
make -C "$root" --no-print-directory dist-c dist-python dist-java dist-go \
    DIST="$work/dist" DIST_WORK="$work/dist-c" STAGE="$work/stage" > "$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; fail "the second build failed"; }
(cd "$dist" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum) > "$work/first.sums"
(cd "$work/dist" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum) > "$work/second.sums"
[ -s "$work/first.sums" ] || fail "$dist holds no artifact"
diff -u "$work/first.sums" "$work/second.sums" || fail "two builds of one commit differ (above: first build -, second +)"
echo "tests/dist_reproducible.sh: OK: $(wc -l < "$work/first.sums") files, byte-identical in two builds"
grep -E '\.(tar\.gz|whl|jar)$' "$work/first.sums"
