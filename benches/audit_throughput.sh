#!/usr/bin/env bash
# Throughput of the audit trail (docs/HYGIENE.md H3), not part of `make test`:
# `ctpolicy check` with and without `--audit-log` on 1,000,000 renewals
# (benches/fixtures.rs RENEWAL, strict partner policy), pinned to one core,
# then `ctpolicy audit verify` on the log that run wrote.
# Usage: benches/audit_throughput.sh [LINES] [RUNS]   (default 1000000 5)
# Prints the best and the median of RUNS interleaved runs, in requests
# (entries) per second of wall clock and per CPU-second (user + system).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lines=${1:-1000000}
runs=${2:-5}
cli="$root/target/release/ctpolicy"
(cd "$root" && cargo build --release --locked >/dev/null 2>&1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$root/benches/fixtures.rs" "$work" "$lines" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
renewal = re.search(r'pub const RENEWAL: &str = r#"(.*?)"#;', src).group(1)
policy = re.search(r'pub const STRICT_POLICY: &str = r#"(.*?)"#;', src).group(1)
open(sys.argv[2] + "/renewals.jsonl", "w").write((renewal + "\n") * int(sys.argv[3]))
open(sys.argv[2] + "/policy.json", "w").write(policy)
PY
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

# One timed run of the command: "wall cpu" in seconds, where cpu is user +
# system time (what one core spent, whatever else the machine ran).
timed() {
    /usr/bin/time -o "$work/time" -f "%e %U %S" "$@" >/dev/null 2>&1 || [ $? -eq 1 ]
    tail -1 "$work/time" | awk '{print $1, $2 + $3}'
}

# The runs are interleaved (plain, audited, verify; `runs` times), so a
# change in the machine's load falls on both sides of the ratio alike.
: >"$work/plain"; : >"$work/audited"; : >"$work/verify"
for _ in $(seq "$runs"); do
    timed "${pin[@]}" "$cli" check --policy "$work/policy.json" "$work/renewals.jsonl" >>"$work/plain"
    rm -f "$work/audit.log"
    timed "${pin[@]}" "$cli" check --policy "$work/policy.json" --audit-log "$work/audit.log" "$work/renewals.jsonl" >>"$work/audited"
    timed "${pin[@]}" "$cli" audit verify --format json "$work/audit.log" >>"$work/verify"
done
# best FILE COLUMN / median FILE COLUMN (1: wall, 2: cpu)
best() { sort -g -k"$2" "$1" | head -1 | awk -v c="$2" '{print $c}'; }
median() { sort -g -k"$2" "$1" | awk -v c="$2" '{v[NR] = $c} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
size=$(stat -c %s "$work/audit.log")
rate() { echo "$lines / $1" | bc -l | xargs printf '%.0f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
row() { # label file column
    local b m
    b=$(best "$2" "$3"); m=$(median "$2" "$3")
    echo "$1 best $(rate "$b")/s ($b s), median $(rate "$m")/s ($m s)"
}
echo "lines: $lines (log: $size bytes); $runs interleaved runs; per second of wall clock, and per CPU-second (user+sys)"
row "check, wall:                 " "$work/plain" 1
row "check, CPU:                  " "$work/plain" 2
row "check --audit-log, wall:     " "$work/audited" 1
row "check --audit-log, CPU:      " "$work/audited" 2
echo "ratio audited / plain, CPU:   best $(ratio "$(best "$work/plain" 2)" "$(best "$work/audited" 2)"), median $(ratio "$(median "$work/plain" 2)" "$(median "$work/audited" 2)")"
row "audit verify, wall:          " "$work/verify" 1
row "audit verify, CPU:           " "$work/verify" 2
