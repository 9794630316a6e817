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

# Best wall-clock seconds of `runs` runs of the command; $1 is a setup
# command run before each (untimed).
best() {
    local setup=$1; shift
    local best_s=""
    for _ in $(seq "$runs"); do
        eval "$setup"
        local start end s
        start=$(date +%s.%N)
        "$@" >/dev/null || [ $? -eq 1 ]
        end=$(date +%s.%N)
        s=$(echo "$end - $start" | bc -l)
        if [ -z "$best_s" ] || [ "$(echo "$s < $best_s" | bc -l)" = 1 ]; then best_s=$s; fi
    done
    echo "$best_s"
}

plain=$(best ":" "${pin[@]}" "$cli" check --policy "$work/policy.json" "$work/renewals.jsonl")
audited=$(best "rm -f '$work/audit.log'" "${pin[@]}" "$cli" check --policy "$work/policy.json" --audit-log "$work/audit.log" "$work/renewals.jsonl")
verify=$(best ":" "${pin[@]}" "$cli" audit verify --format json "$work/audit.log")
size=$(stat -c %s "$work/audit.log")
rate() { echo "$lines / $1" | bc -l | xargs printf '%.0f'; }
echo "lines:                         $lines (log: $size bytes)"
echo "check:                         $(rate "$plain") requests/s ($plain s)"
echo "check --audit-log:             $(rate "$audited") requests/s ($audited s)"
echo "ratio audited / plain:         $(echo "$plain / $audited" | bc -l | xargs printf '%.2f')"
echo "audit verify:                  $(rate "$verify") entries/s ($verify s)"
