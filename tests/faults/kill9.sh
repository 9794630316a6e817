#!/usr/bin/env bash
# The audit trail under kill -9: KILLS runs of `ctpolicy check --audit-log`
# (every other one with --audit-fsync) on one log, each killed with
# SIGKILL at a random moment. After each kill a torn tail (a write cut
# short) is cut with `ctpolicy audit repair`, the log must verify, and
# every decision the killed run printed must have its entry in the log.
# Entries without a printed decision are allowed (the last group was
# written but its decisions never reached stdout); the reverse is a
# failure. Prints the counts; exit 1 on any decision without its entry.
#
#   bash tests/faults/kill9.sh [KILLS]        (default 25; `make audit-kill9`)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLI="$ROOT/target/release/ctpolicy"
KILLS="${1:-25}"
[ -x "$CLI" ] || { echo "run \`make build\` first" >&2; exit 1; }
WORK="$(mktemp -d /tmp/ctpolicy-kill9.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
LOG="$WORK/audit.jsonl"

# 100,000 requests whose decision ids name the run (RUN) and the line.
python3 - "$WORK/requests.tmpl" <<'PY'
import sys
token = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
line = ('{"customer_present":false,"headers":{"Klarna-Customer-Token":"%s","Klarna-Idempotency-Key":"k-%%d"},'
        '"token_record":{"customer_token":"%s","scopes":["payment:customer_not_present"],"state":"ACTIVE"},'
        '"body":{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"r-%%d"}},'
        '"now":"2026-11-25T10:00:00Z","decision_id":"RUN-%%d"}\n') % (token, token)
with open(sys.argv[1], "w") as out:
    out.write("".join(line % (i, i, i) for i in range(100_000)))
PY

killed=0 finished=0 repaired=0 cut_bytes=0
for run in $(seq 1 "$KILLS"); do
    flags=()
    if (( run % 2 == 0 )); then flags=(--audit-fsync); fi
    "$CLI" check "${flags[@]}" --audit-log "$LOG" \
        < <(sed "s/RUN-/r$run-/" "$WORK/requests.tmpl") > "$WORK/decisions.$run" 2>/dev/null &
    pid=$!
    # A random moment: 10 to 250 ms into the run.
    sleep "0.$(printf '%03d' $(( 10 + RANDOM % 240 )))"
    if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
    wait "$pid" 2>/dev/null || true
    if ! "$CLI" audit verify "$LOG" >/dev/null 2>&1; then
        report="$("$CLI" audit repair --format json "$LOG")" || { echo "run $run: repair refused: $report" >&2; exit 1; }
        repaired=$((repaired + 1))
        cut_bytes=$((cut_bytes + $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["cut_bytes"])' "$report")))
    fi
    "$CLI" audit verify "$LOG" >/dev/null || { echo "run $run: the log does not verify after repair" >&2; exit 1; }
done

python3 - "$WORK" "$KILLS" "$killed" "$finished" "$repaired" "$cut_bytes" <<'PY'
import json, sys
work, kills, killed, finished, repaired, cut = sys.argv[1], *map(int, sys.argv[2:])
entries = {}
with open(f"{work}/audit.jsonl") as log:
    for line in log:
        run = json.loads(line)["decision_id"].split("-")[0]
        entries.setdefault(run, set()).add(json.loads(line)["decision_id"])
given = missing = 0
for run in range(1, kills + 1):
    with open(f"{work}/decisions.{run}", "rb") as out:
        text = out.read()
    whole = text[: text.rfind(b"\n") + 1].decode().splitlines()  # a cut last line was never given
    ids = [json.loads(l)["receipt"]["decision_id"] for l in whole]
    given += len(ids)
    missing += sum(1 for i in ids if i not in entries.get(f"r{run}", set()))
total = sum(len(v) for v in entries.values())
print(f"kill -9 loop: {kills} runs, {killed} killed by SIGKILL, {finished} finished first; "
      f"{given} decisions printed, {total} entries in the log, {total - given} entries without a printed decision, "
      f"{missing} decisions without an entry; {repaired} torn tails cut by audit repair ({cut} bytes)")
if killed < 20 and kills >= 20:
    sys.exit("fewer than 20 runs were killed: the runs finish too fast on this machine")
sys.exit(1 if missing else 0)
PY
