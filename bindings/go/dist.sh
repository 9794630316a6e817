#!/usr/bin/env bash
# Writes a Go module proxy folder (GOPROXY=file://...) holding this module
# at version v$VERSION with the prebuilt, stripped static library inside,
# so that `go get ctpolicy.dev/ctpolicy/bindings/go@v$VERSION` builds and
# links without cargo or a checkout (linux/amd64).
#
#   bash bindings/go/dist.sh OUT_DIR VERSION LIBCTPOLICY_A CTPOLICY_H
#
# OUT_DIR/ctpolicy.dev/ctpolicy/bindings/go/@v/{list,vVERSION.info,.mod,.zip}.
# In the module, link_static.go is replaced by one that links
# prebuilt/linux-amd64/libctpolicy.a; the other link modes are as in the
# repository (ctpolicy_pkgconfig against an installed library).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 OUT_DIR VERSION LIBCTPOLICY_A CTPOLICY_H" >&2; exit 2; }
out=$1 version=$2 archive=$3 header=$4
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module=$(sed -n 's/^module //p' "$here/go.mod")
[ -f "$archive" ] && [ -f "$header" ] || { echo "$0: $archive or $header is missing (make stage)" >&2; exit 1; }
grep -q "^const Version = \"$version\"" "$here/version.go" || { echo "$0: version.go does not say $version" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src="$work/src"
mkdir -p "$src/prebuilt/linux-amd64" "$src/prebuilt/include"
# The package's sources (no tests: they read the repository's vectors), its
# header shim, README and the license; the library and its header.
for f in "$here"/*.go; do
  case "$f" in *_test.go|*/link_static.go) ;; *) cp "$f" "$src/" ;; esac
done
cp "$here/go.mod" "$here/ctpolicy_go.h" "$here/README.md" "$src/"
cp "$here/../../LICENSE" "$src/LICENSE"
cp "$archive" "$src/prebuilt/linux-amd64/libctpolicy.a"
cp "$header" "$src/prebuilt/include/ctpolicy.h"
cat > "$src/link_static.go" <<'GO'
//go:build cgo && !ctpolicy_dynamic && !ctpolicy_pkgconfig

package ctpolicy

// The released module carries the library: prebuilt/linux-amd64 holds the
// stripped Rust staticlib of this version, linked into the Go binary, so
// neither cargo nor a checkout is needed. The extra system libraries are
// the ones Rust's standard library needs on Linux.

/*
#cgo CFLAGS: -I${SRCDIR}/prebuilt/include
#cgo linux,amd64 LDFLAGS: ${SRCDIR}/prebuilt/linux-amd64/libctpolicy.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#if !defined(__linux__) || !defined(__x86_64__)
#error "ctpolicy: this release carries the library for linux/amd64 only; elsewhere build with -tags ctpolicy_pkgconfig against an installed library"
#endif
*/
import "C"

// linkMode reports how the native library was linked into this binary.
const linkMode = "static"
GO
gofmt -l "$src" | grep . && { echo "$0: not gofmt-formatted" >&2; exit 1; }

dir="$out/$module/@v"
mkdir -p "$dir"
python3 - "$src" "$module@v$version" "$dir/v$version.zip" "$(git -C "$here" log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)" <<'PY'
import os, sys, zipfile
src, prefix, target, when = sys.argv[1:]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
    for folder, _, files in sorted(os.walk(src)):
        for name in sorted(files):
            path = os.path.join(folder, name)
            info = zipfile.ZipInfo(prefix + "/" + os.path.relpath(path, src), date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, open(path, "rb").read())
PY
cp "$here/go.mod" "$dir/v$version.mod"
printf '{"Version":"v%s","Time":"%s"}\n' "$version" "$(git -C "$here" log -1 --format=%cI 2>/dev/null | sed 's/+00:00$/Z/' || true)" > "$dir/v$version.info"
grep -qx "v$version" "$dir/list" 2>/dev/null || echo "v$version" >> "$dir/list"
echo "dist-go: $dir/v$version.zip ($(du -h "$dir/v$version.zip" | cut -f1)); use GOPROXY=file://$(cd "$out" && pwd) GONOSUMDB=${module%%/*}"
