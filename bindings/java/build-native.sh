#!/usr/bin/env bash
# Maven runs this in the generate-resources phase (exec-maven-plugin, see
# pom.xml): it puts a stripped libctpolicy.so into OUT_DIR, from where the
# build packs it into the jar at native/linux-x86_64/. It fails loudly when it
# cannot, so no jar is ever built without the native library.
#
#   build-native.sh REPO_ROOT OUT_DIR [PREBUILT]
#
# PREBUILT (Maven: -Dctpolicy.native.lib=/path/to/libctpolicy.so) packs that
# file instead of building; otherwise `cargo build --release --locked --lib`
# runs at REPO_ROOT (a no-op when the library is up to date; $CARGO and
# $CARGO_TARGET_DIR are honoured).
set -euo pipefail

die() { echo "ctpolicy (Maven, build-native.sh): ERROR: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: build-native.sh REPO_ROOT OUT_DIR [PREBUILT]"
root="$1"
out="$2"
prebuilt="${3:-}"

if [ -n "$prebuilt" ]; then
    [ -f "$prebuilt" ] || die "-Dctpolicy.native.lib names $prebuilt, which is not a file"
    library="$prebuilt"
else
    [ -f "$root/Cargo.toml" ] || die "the Rust crate is not at $root (no Cargo.toml); build from a checkout of the repository or pass -Dctpolicy.native.lib=/path/to/libctpolicy.so"
    cargo="${CARGO:-cargo}"
    command -v "$cargo" >/dev/null 2>&1 \
        || die "\`$cargo\` (Rust's cargo) was not found on PATH; it builds the native library libctpolicy that the jar packs. Install Rust (https://rustup.rs, 1.80 or later) and retry, or pass -Dctpolicy.native.lib=/path/to/libctpolicy.so"
    echo "ctpolicy: building the native library: $cargo build --release --locked --lib (in $root)"
    (cd "$root" && "$cargo" build --release --locked --lib) \
        || die "\`cargo build --release --locked --lib\` failed in $root (output above)"
    library="${CARGO_TARGET_DIR:-$root/target}/release/libctpolicy.so"
    case "$library" in /*) ;; *) library="$root/$library" ;; esac
    [ -f "$library" ] || die "cargo succeeded but $library does not exist"
fi

strip_tool="${STRIP:-strip}"
command -v "$strip_tool" >/dev/null 2>&1 \
    || die "\`$strip_tool\` (binutils) was not found; it removes the library's 5 MB of debug information from the jar. Install binutils or set STRIP"
mkdir -p "$out"
cp "$library" "$out/libctpolicy.so.tmp"
"$strip_tool" --strip-unneeded "$out/libctpolicy.so.tmp"
mv "$out/libctpolicy.so.tmp" "$out/libctpolicy.so"
echo "ctpolicy: packing $library (stripped, $(stat -c %s "$out/libctpolicy.so") bytes)"
