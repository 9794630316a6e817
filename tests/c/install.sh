#!/usr/bin/env bash
# `make install` as a user of the C library meets it: install into a fresh
# PREFIX, then build the complete example of docs/ABI.md in a folder outside
# the repository with nothing but the installed files and pkg-config, four
# ways (dynamic with an rpath, dynamic through LD_LIBRARY_PATH, the static
# archive in an ordinary program, a fully static program), and run each.
# Also checks the SONAME, that every installed binary is stripped, and that
# `make install-debug` puts the matching debug symbols where gdb looks.
# Exits non-zero on the first failure; skips nothing.
set -euo pipefail
# (Outputs are captured before grep -q reads them: grep -q stops early, and
# under pipefail the writer's SIGPIPE would fail the pipe.)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
fail() { echo "tests/c/install.sh: ERROR: $*" >&2; exit 1; }
step() { echo "== install: $*"; }
for tool in cc pkg-config readelf nm ldd make; do
  command -v "$tool" >/dev/null || fail "$tool is required"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ctpolicy-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
lib=$prefix/lib
abi=$(sed -n 's/^pub const CTP_ABI_VERSION: u32 = \([0-9]*\);/\1/p' "$root/src/ffi/mod.rs")
[ -n "$abi" ] || fail "CTP_ABI_VERSION not found in src/ffi/mod.rs"
soname=libctpolicy.so.$abi

step "make install PREFIX=$prefix"
make -C "$root" --no-print-directory install PREFIX="$prefix" STAGE="$work/stage" >/dev/null
for f in "$lib/$soname" "$lib/libctpolicy.a" "$prefix/include/ctpolicy.h" "$prefix/bin/ctpolicy" \
         "$lib/pkgconfig/ctpolicy.pc" "$lib/pkgconfig/ctpolicy-static.pc"; do
  [ -f "$f" ] && [ ! -L "$f" ] || fail "$f is not installed as a file"
done
[ "$(readlink "$lib/libctpolicy.so")" = "$soname" ] || fail "lib/libctpolicy.so is not a link to $soname"

step "SONAME"
got=$(readelf -d "$lib/$soname" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$got" = "$soname" ] || fail "the SONAME of $soname is '$got'"

step "stripped, with exports and a debug link"
for f in "$lib/$soname" "$prefix/bin/ctpolicy"; do
  sections=$(readelf -S --wide "$f")
  # (.debug_gdb_scripts is loaded code, Rust's pretty-printer hook, not DWARF)
  ! grep -v '\.debug_gdb_scripts' <<<"$sections" | grep -qE '\.debug_|\.symtab' || fail "$f is not stripped"
  grep -q '\.gnu_debuglink' <<<"$sections" || fail "$f has no .gnu_debuglink"
done
! grep -qE '\.debug_|\.llvmbc' <<<"$(readelf -S --wide "$lib/libctpolicy.a")" || fail "libctpolicy.a still holds DWARF or bitcode"
grep -q ' T ctp_check_json$' <<<"$(nm -D --defined-only "$lib/$soname")" || fail "the stripped .so lost its exports"
grep -q ' T ctp_check_json$' <<<"$(nm "$lib/libctpolicy.a" 2>/dev/null)" || fail "the stripped .a lost its symbol table"
grep -q '^ctpolicy ' <<<"$("$prefix/bin/ctpolicy" --version)" || fail "the installed CLI does not run"
echo "sizes (bytes): $soname $(stat -c %s "$lib/$soname"), libctpolicy.a $(stat -c %s "$lib/libctpolicy.a"), ctpolicy $(stat -c %s "$prefix/bin/ctpolicy")"

step "make install-debug: the symbols gdb finds (same build id)"
make -C "$root" --no-print-directory install-debug PREFIX="$prefix" STAGE="$work/stage" >/dev/null
build_id() { readelf -n "$1" 2>/dev/null | sed -n 's/.*Build ID: //p'; }
for pair in "$lib/$soname:$lib/.debug/$soname.debug" "$prefix/bin/ctpolicy:$prefix/bin/.debug/ctpolicy.debug"; do
  stripped=${pair%%:*} debug=${pair#*:}
  [ -f "$debug" ] || fail "$debug is not installed"
  grep -q '\.debug_info' <<<"$(readelf -S --wide "$debug")" || fail "$debug holds no DWARF"
  [ -n "$(build_id "$stripped")" ] && [ "$(build_id "$stripped")" = "$(build_id "$debug")" ] || fail "$debug is not the debug file of $stripped"
  grep -q "$(basename "$debug")" <<<"$(readelf --string-dump=.gnu_debuglink "$stripped")" || fail "$stripped does not name $(basename "$debug")"
done
[ -f "$lib/debug/libctpolicy.a" ] || fail "the unstripped archive is not in lib/debug"

# The program: the complete example of docs/ABI.md, outside the repository.
app=$work/app
mkdir -p "$app"
python3 "$root/tests/snippets/blocks.py" --program docs/ABI.md > "$app/app.c"
[ -s "$app/app.c" ] || fail "no C example in docs/ABI.md"
cd "$app"
export PKG_CONFIG_PATH=$lib/pkgconfig
unset LD_LIBRARY_PATH
CFLAGS=(-std=c11 -Wall -Wextra -Werror)
allows() { "$@" > out.txt || fail "$* exited $?: $(cat out.txt)"; grep -q '"decision":"ALLOW"' out.txt || fail "$* did not ALLOW: $(cat out.txt)"; }
needs_libctpolicy() { grep -q "NEEDED.*libctpolicy" <<<"$(readelf -d "$1")"; }

step "dynamic: pkg-config ctpolicy, rpath"
# shellcheck disable=SC2046 # pkg-config output is meant to split
cc "${CFLAGS[@]}" app.c -o app-rpath $(pkg-config --cflags --libs ctpolicy) -Wl,-rpath,"$(pkg-config --variable=libdir ctpolicy)"
grep -q "NEEDED.*\[$soname\]" <<<"$(readelf -d app-rpath)" || fail "app-rpath does not need $soname"
grep -q "$soname => $lib/$soname" <<<"$(ldd app-rpath)" || fail "app-rpath does not load $lib/$soname: $(ldd app-rpath)"
allows ./app-rpath

step "dynamic without rpath: the loader error the docs describe, then LD_LIBRARY_PATH"
# shellcheck disable=SC2046
cc "${CFLAGS[@]}" app.c -o app-plain $(pkg-config --cflags --libs ctpolicy)
if ./app-plain > out.txt 2> err.txt; then fail "app-plain ran without rpath or LD_LIBRARY_PATH"; fi
grep -q "$soname: cannot open shared object file" err.txt || fail "unexpected failure: $(cat err.txt)"
LD_LIBRARY_PATH=$lib allows ./app-plain

step "static archive in an ordinary program: pkg-config ctpolicy-static"
# shellcheck disable=SC2046
cc "${CFLAGS[@]}" app.c -o app-static $(pkg-config --cflags --libs ctpolicy-static)
! needs_libctpolicy app-static || fail "app-static needs libctpolicy at run time"
grep -q ' T ctp_check_json$' <<<"$(nm app-static)" || fail "app-static does not hold ctp_check_json"

step "fully static program: cc -static with pkg-config --static ctpolicy"
echo "(glibc warns that getpwuid_r and getaddrinfo need its shared libraries at run time: Rust's std links them, ctpolicy never calls them)"
# shellcheck disable=SC2046
cc "${CFLAGS[@]}" -static app.c -o app-full-static $(pkg-config --cflags --static --libs ctpolicy)
! grep -q NEEDED <<<"$(readelf -d app-full-static 2>&1)" || fail "app-full-static needs shared libraries"
grep -q "not a dynamic executable" <<<"$(ldd app-full-static 2>&1 || true)" || fail "app-full-static is dynamic: $(ldd app-full-static 2>&1)"

step "the static programs run with the shared library gone"
rm -f "$lib"/libctpolicy.so*
allows ./app-static
allows ./app-full-static
if ./app-rpath > out.txt 2>&1; then fail "app-rpath ran without its shared library: the test proves nothing"; fi

step "make dist-c: the tarball unpacked anywhere is a PREFIX (its .pc files locate themselves)"
make -C "$root" --no-print-directory dist-c DIST="$work/dist" STAGE="$work/stage" DIST_WORK="$work/dist-work" >/dev/null
mkdir -p "$work/unpacked"
tar -xzf "$work"/dist/ctpolicy-*-linux.tar.gz -C "$work/unpacked"
tree=$(echo "$work"/unpacked/ctpolicy-*-linux)
for f in lib/$soname lib/libctpolicy.a include/ctpolicy.h bin/ctpolicy LICENSE lib/pkgconfig/ctpolicy.pc lib/pkgconfig/ctpolicy-static.pc; do
  [ -e "$tree/$f" ] || fail "the dist tarball has no $f"
done
[ "$(readlink "$tree/lib/libctpolicy.so")" = "$soname" ] || fail "the dist tarball has no libctpolicy.so link"
export PKG_CONFIG_PATH=$tree/lib/pkgconfig
# shellcheck disable=SC2046
cc "${CFLAGS[@]}" app.c -o app-dist $(pkg-config --cflags --libs ctpolicy) -Wl,-rpath,"$(pkg-config --variable=libdir ctpolicy)"
grep -q "$soname => $tree/.*$soname " <<<"$(ldd app-dist)" || fail "app-dist does not load the unpacked library: $(ldd app-dist)"
allows ./app-dist
# shellcheck disable=SC2046
cc "${CFLAGS[@]}" app.c -o app-dist-static $(pkg-config --cflags --libs ctpolicy-static)
! needs_libctpolicy app-dist-static || fail "app-dist-static needs libctpolicy at run time"
allows ./app-dist-static
grep -q "lib/.debug/$soname.debug" <<<"$(tar -tzf "$work"/dist/ctpolicy-*-linux-debug.tar.gz)" || fail "the debug tarball lacks $soname.debug"

echo "install: all passed (SONAME $soname, stripped, debug symbols, dynamic rpath/LD_LIBRARY_PATH, static, fully static, dist tarball)"
