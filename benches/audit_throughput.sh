#!/usr/bin/env bash
# Throughput of the audit trail (hygiene.md H3), not part of `make test`:
# `ctpolicy check` with and without `--audit-log` on 1,000,000 renewals
# (benches/fixtures.rs RENEWAL, strict partner policy), pinned to one core,
# then `ctpolicy audit verify` on the log that run wrote.
# Usage: benches/audit_throughput.sh [LINES] [RUNS]   (default 1000000 3)
# Prints the best of RUNS for each, in requests (entries) per second.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lines=${1:-1000000}
runs=${2:-3}
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

# Best of `runs` runs of the command: "wall cpu" in seconds, where cpu is
# user + system time (what one core spent, whatever else the machine ran).
# $1 is a setup command run before each (untimed).
best() {
    local setup=$1; shift
    local best_wall="" best_cpu=""
    for _ in $(seq "$runs"); do
        eval "$setup"
        local times wall cpu
        /usr/bin/time -o "$work/time" -f "%e %U %S" "$@" >/dev/null 2>&1 || [ $? -eq 1 ]
        times=$(tail -1 "$work/time")
        wall=$(echo "$times" | awk '{print $1}')
        cpu=$(echo "$times" | awk '{print $2 + $3}')
        if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc -l)" = 1 ]; then best_wall=$wall; fi
        if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc -l)" = 1 ]; then best_cpu=$cpu; fi
    done
    echo "$best_wall $best_cpu"
}

read -r plain plain_cpu < <(best ":" "${pin[@]}" "$cli" check --policy "$work/policy.json" "$work/renewals.jsonl")
read -r audited audited_cpu < <(best "rm -f '$work/audit.log'" "${pin[@]}" "$cli" check --policy "$work/policy.json" --audit-log "$work/audit.log" "$work/renewals.jsonl")
read -r verify verify_cpu < <(best ":" "${pin[@]}" "$cli" audit verify --format json "$work/audit.log")
size=$(stat -c %s "$work/audit.log")
rate() { echo "$lines / $1" | bc -l | xargs printf '%.0f'; }
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
echo "lines:                         $lines (log: $size bytes); best of $runs, wall clock | CPU time (user+sys)"
echo "check:                         $(rate "$plain") requests/s ($plain s) | $(rate "$plain_cpu") requests/CPU-s ($plain_cpu s)"
echo "check --audit-log:             $(rate "$audited") requests/s ($audited s) | $(rate "$audited_cpu") requests/CPU-s ($audited_cpu s)"
echo "ratio audited / plain:         $(ratio "$plain" "$audited") wall | $(ratio "$plain_cpu" "$audited_cpu") CPU"
echo "audit verify:                  $(rate "$verify") entries/s ($verify s) | $(rate "$verify_cpu") entries/CPU-s ($verify_cpu s)"
