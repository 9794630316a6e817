#!/usr/bin/env bash
# `vault lint --shard I/N` against one plain run on a large generated
# export: the N shards' outputs, merged with `vault merge`, must be byte
# for byte the plain run's output; prints each process's peak RSS
# (/usr/bin/time -v) and time. Not part of `make test` (the small-scale
# equality test is tests/vault_shards.rs); `make bench-vault-shards`.
#
#   bash benches/vault_shards.sh [RECORDS] [SHARDS]     (default 2000000 4)
#
# The export is the worst case for the duplicate tables (every record valid
# and ACTIVE with its own token and reference, about 300 bytes a record),
# plus one record in 100 repeating an earlier token, one in 100 repeating an
# earlier reference with another token, and some unreadable lines, records
# whose token is not a string, malformed tokens and timeline faults, so
# that every path of the shard rules is on the output. The shards run one
# after the other here; in production they are independent processes on
# any number of machines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLI="$ROOT/target/release/ctpolicy"
RECORDS="${1:-2000000}"
SHARDS="${2:-4}"
[ -x "$CLI" ] || { echo "run \`make build\` first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed" >&2; exit 1; }
WORK="$(mktemp -d /tmp/ctpolicy-vault-shards.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

echo "== generating $RECORDS records into $WORK/export.jsonl"
python3 - "$RECORDS" "$WORK/export.jsonl" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
template = ('{"customer_token":"krn:customer-token:eu1:%08x-5b1c-4e8f-9a6d-%012x%s",'
            '"customer_token_reference":"sub-%d","scopes":["payment:customer_not_present"],'
            '"state":"ACTIVE","created_at":"2025-11-02T09:14:00Z","last_used_at":"%s",'
            '"customer_id":"cus-%d","subscription_id":"plan-%d"}\n')
with open(path, "w", buffering=1 << 22) as out:
    chunk = []
    for i in range(n):
        token, reference, bad, used = i, i, "", "2026-10-02T09:15:12Z"
        if i % 100 == 99:
            token = i // 2                                   # a duplicate token
        elif i % 100 == 98:
            reference = i // 3                               # a duplicate reference, another token
        elif i % 997 == 996:
            bad = " "                                        # a malformed token
        elif i % 1009 == 1008:
            used = "2024-01-01T00:00:00Z"                    # used before created
        if i % 1013 == 1012:
            chunk.append("{not json\n")
        elif i % 1019 == 1018:
            chunk.append('{"customer_token":42,"state":"ACTIVE"}\n')
        else:
            chunk.append(template % (token, token, bad, reference, used, i, i))
        if len(chunk) == 100_000:
            out.write("".join(chunk))
            chunk.clear()
    out.write("".join(chunk))
PY
BYTES=$(stat -c %s "$WORK/export.jsonl")
echo "== export: $BYTES bytes"

OPTIONS=(--format jsonl --now 2026-11-30T00:00:00Z --stale-days 180)
# Runs `ctpolicy ARGS` with stdout to $1, reporting its peak RSS and times.
measure() {
    local out="$1" label="$2"; shift 2
    local status=0
    /usr/bin/time -v "$CLI" "$@" > "$out" 2> "$out.time" || status=$?
    [ "$status" -le 1 ] || { cat "$out.time" >&2; echo "$label failed with status $status" >&2; exit 1; }
    python3 - "$label" "$RECORDS" "$out" "$out.time" "$status" <<'PY'
import os, sys
label, records, out, timing, status = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
fields = dict(line.strip().split(": ", 1) for line in open(timing) if ": " in line)
rss = int(fields["Maximum resident set size (kbytes)"])
parts = [float(p) for p in fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
lines = sum(1 for _ in open(out, "rb"))
print(f"| {label} | {rss / 1024:.0f} MiB | {rss * 1024 / records:.0f} | {wall:.1f} s | {cpu:.1f} s | {lines:,} | {status} |")
PY
}

# Relative names, so that the output (which names the file) is the same
# from one run of this script to the next.
cd "$WORK"
echo
echo "| run | peak RSS | bytes/record | wall | CPU | output lines | exit |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
measure "$WORK/plain.out" "plain" vault lint "${OPTIONS[@]}" export.jsonl
SHARD_OUTPUTS=()
for i in $(seq 1 "$SHARDS"); do
    measure "$WORK/shard$i.out" "shard $i/$SHARDS" vault lint "${OPTIONS[@]}" --shard "$i/$SHARDS" export.jsonl
    SHARD_OUTPUTS+=("$WORK/shard$i.out")
done
measure "$WORK/merged.out" "merge" vault merge "${SHARD_OUTPUTS[@]}"
echo
if cmp -s "$WORK/plain.out" "$WORK/merged.out"; then
    echo "merged output of $SHARDS shards: byte-identical to the plain run ($(stat -c %s "$WORK/plain.out") bytes, sha256 $(sha256sum < "$WORK/plain.out" | cut -c1-16)…)"
else
    echo "merged output of $SHARDS shards DIFFERS from the plain run" >&2
    cmp "$WORK/plain.out" "$WORK/merged.out" >&2 || true
    exit 1
fi
