#!/usr/bin/env bash
# The C release tarball as a user without Rust meets it: unpacked anywhere,
# a program outside the repository built with nothing but its files and
# pkg-config (its .pc files are relocatable), dynamic and static, and run;
# the bundled CLI runs too. No cargo on PATH.
#
#   bash tests/c/test_dist.sh dist/ctpolicy-VERSION-ARCH-linux.tar.gz
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 TARBALL" >&2; exit 2; }
tarball="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fail() { echo "tests/c/test_dist.sh: FAILED: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ctpolicy-c-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PATH=/usr/bin:/bin
command -v cargo >/dev/null 2>&1 && fail "cargo is on PATH ($PATH): the test would prove nothing"
# The command is README.md's own (its release-folder block), with the real folder.
unpack="$(python3 "$root/tests/snippets/blocks.py" --release-line tar "$(dirname "$tarball")")" || fail "README.md's release-folder block has no tar line"
[ "$unpack" = "tar -xzf $tarball" ] || fail "README.md unpacks '$unpack', not $tarball"
(cd "$work" && bash -c "$unpack") || fail "$unpack"
prefix=$(echo "$work"/ctpolicy-*-linux)
[ -d "$prefix" ] || fail "the tarball holds no ctpolicy-*-linux folder"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
mkdir "$work/app"
cat > "$work/app/app.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <ctpolicy.h>

int main(void) {
    const char *request = "{\"customer_present\":false,"
        "\"headers\":{\"Klarna-Customer-Token\":\"krn:customer-token:eu1:a1b2\",\"Klarna-Idempotency-Key\":\"k-1\"},"
        "\"token_record\":{\"customer_token\":\"krn:customer-token:eu1:a1b2\",\"scopes\":[\"payment:customer_not_present\"],\"state\":\"ACTIVE\"},"
        "\"body\":{\"currency\":\"EUR\",\"request_payment_transaction\":{\"amount\":1299,\"payment_transaction_reference\":\"r-1\"}}}";
    struct ctp_engine *engine = NULL;
    struct ctp_buf out = {0};
    if (ctp_engine_new(NULL, 0, &engine, &out) != CTP_OK) return 2;
    uint32_t status = ctp_check_json(engine, (const uint8_t *)request, strlen(request), &out, &out);
    if (status != CTP_OK) return 2;
    printf("%.*s\n", (int)out.len, (const char *)out.ptr);
    ctp_buf_free(&out);
    ctp_engine_free(engine);
    return 0;
}
C
cd "$work/app"
# shellcheck disable=SC2046
cc app.c $(pkg-config --cflags --libs ctpolicy) -Wl,-rpath,"$(pkg-config --variable=libdir ctpolicy)" -o app-dynamic \
  || fail "the dynamic build"
# shellcheck disable=SC2046
cc app.c $(pkg-config --cflags --libs ctpolicy-static) -o app-static || fail "the static build"
for app in app-dynamic app-static; do
  out=$("./$app") || fail "$app exited $?"
  grep -q '"decision":"ALLOW"' <<<"$out" || fail "$app: $out"
done
"$prefix/bin/ctpolicy" --version >/dev/null || fail "the bundled CLI does not run"
echo "tests/c/test_dist.sh: OK: $(basename "$tarball") unpacked, built dynamic and static with pkg-config, ALLOW; no cargo"
