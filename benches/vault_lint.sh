#!/usr/bin/env bash
# Measures `ctpolicy vault lint` on a large generated export: peak RSS
# (/usr/bin/time -v) and records per second. Not part of `make test`.
#
#   bash benches/vault_lint.sh [RECORDS]        (default 10000000)
#
# The export is written to $VAULT_BENCH_FILE (default a file under /tmp,
# removed afterwards; about 300 bytes a record, 3 GB for ten million). It is
# the worst case for the duplicate tables: every record is ACTIVE and valid,
# with its own token and its own reference, so both tables hold an entry per
# record. One record in 1,000 repeats an earlier token and one in 997 has a
# malformed token, so the output path is exercised too.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI="$ROOT/target/release/ctpolicy"
RECORDS="${1:-10000000}"
FILE="${VAULT_BENCH_FILE:-$(mktemp /tmp/ctpolicy-vault-bench.XXXXXX.jsonl)}"
[ -x "$CLI" ] || { echo "run \`make build\` first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed" >&2; exit 1; }
trap 'rm -f "$FILE" "$FILE.time"' EXIT

echo "== generating $RECORDS records into $FILE"
python3 - "$RECORDS" "$FILE" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
template = ('{"customer_token":"krn:customer-token:eu1:%08x-5b1c-4e8f-9a6d-%012x%s",'
            '"customer_token_reference":"sub-%d","scopes":["payment:customer_not_present"],'
            '"state":"ACTIVE","created_at":"2025-11-02T09:14:00Z","last_used_at":"2026-10-02T09:15:12Z",'
            '"customer_id":"cus-%d","subscription_id":"plan-%d"}\n')
with open(path, "w", buffering=1 << 22) as out:
    chunk = []
    for i in range(n):
        token = i - 1 if i % 1000 == 999 else i          # a duplicate token now and then
        bad = " " if i % 997 == 996 else ""               # a malformed token now and then
        chunk.append(template % (token, token, bad, i, i, i))
        if len(chunk) == 100_000:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))
PY
BYTES=$(stat -c %s "$FILE")
echo "== export: $BYTES bytes"

echo "== ctpolicy vault lint --now … --stale-days 180 (findings to /dev/null)"
/usr/bin/time -v "$CLI" vault lint --format jsonl --now 2026-11-30T00:00:00Z --stale-days 180 "$FILE" \
    >/dev/null 2>"$FILE.time" || status=$?
status=${status:-0}
[ "$status" -le 1 ] || { cat "$FILE.time" >&2; echo "lint failed with status $status" >&2; exit 1; }
RSS_KIB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$FILE.time")
WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$FILE.time")
USER=$(awk -F': ' '/User time/ {print $2}' "$FILE.time")
SYS=$(awk -F': ' '/System time/ {print $2}' "$FILE.time")
python3 - "$RECORDS" "$BYTES" "$RSS_KIB" "$WALL" "$USER" "$SYS" <<'PY'
import sys
records, size, rss_kib, wall, user, system = sys.argv[1:]
records, size, rss_kib = int(records), int(size), int(rss_kib)
parts = [float(p) for p in wall.split(":")]
seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
print(f"records:            {records:,}")
print(f"export size:        {size / 1e9:.2f} GB")
print(f"wall time:          {seconds:.1f} s (user {user} s, sys {system} s)")
print(f"records per second: {records / seconds:,.0f}")
print(f"throughput:         {size / seconds / 1e6:.0f} MB/s")
print(f"peak RSS:           {rss_kib / 1024:.0f} MiB ({rss_kib * 1024 / records:.0f} bytes per record)")
PY
