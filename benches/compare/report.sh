#!/bin/sh
# Runs the comparison once with a fixed measurement time (3 s per bench,
# 1 s warm-up) and writes results.json beside this script.
# Usage: benches/compare/report.sh [MEASUREMENT_SECONDS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-3}
COMPARE_RESULTS="$here/results.json" cargo bench --manifest-path "$here/Cargo.toml" --bench compare -- \
    --measurement-time "$secs" --warm-up-time 1 --noplot
