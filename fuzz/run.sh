#!/usr/bin/env bash
# Fuzzes ctpolicy with cargo-fuzz (libFuzzer + AddressSanitizer).
#
#   fuzz/run.sh smoke [TARGET...]         each target briefly (20,000 runs or 15 s)
#   fuzz/run.sh long [RUNS] [TARGET...]   each target for RUNS executions (default 10,000,000)
#
# FUZZ_MAX_TIME=SECONDS caps each long run's time as well (libFuzzer
# -max_total_time); RESULTS.md then shows how many executions were done.
# FUZZ_MAX_LEN=BYTES caps the input length (libFuzzer -max_len; default
# 4096 or the largest seed); the mode column of RESULTS.md says so.
# FUZZ_SANITIZER=none builds without AddressSanitizer (about ten times the
# executions per second; the mode column says "no ASan"): for targets whose
# code under test is safe Rust apart from UTF-8 invariants, which ASan does
# not see (redact, check_json; the ffi target runs the same decide path
# under ASan). FUZZ_NICE=N runs libFuzzer at `nice -n N` (default 19).
# Builds once, runs the targets one at a time (one libFuzzer process, under
# `nice`), prints libFuzzer's final stats per target; a long run
# also appends a line per target to fuzz/RESULTS.md (a smoke run does not,
# so `make test` leaves the tree clean). Exits 1 at the first finding (crash,
# leak, timeout, OOM: the reproducer stays in fuzz/artifacts/<target>/),
# 2 when cargo-fuzz cannot be found or installed or the build fails.
# Works on stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz use -Zsanitizer.
set -euo pipefail

FUZZ_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$FUZZ_DIR")
ALL_TARGETS=(token_parse check_json apply_event apply_response policy_load ffi redact)
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never
# Flags of `cargo fuzz build` and `cargo fuzz run` (must be equal, or run rebuilds):
# release with debug assertions and overflow checks (-a), AddressSanitizer
# unless FUZZ_SANITIZER says otherwise.
sanitizer=${FUZZ_SANITIZER:-address}
[[ $sanitizer == address || $sanitizer == none ]] || { echo "fuzz/run.sh: FUZZ_SANITIZER must be address or none, not '$sanitizer'" >&2; exit 2; }
CARGO_FUZZ_FLAGS=(--release --debug-assertions --sanitizer "$sanitizer")
niceness=${FUZZ_NICE:-19}
[[ $niceness =~ ^[0-9]+$ ]] || { echo "fuzz/run.sh: FUZZ_NICE must be a number from 0 to 19, not '$niceness'" >&2; exit 2; }

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

die() {
    echo "fuzz/run.sh: $*" >&2
    exit 2
}

mode=${1:-}
shift || true
case "$mode" in
    smoke)
        runs=20000
        libfuzzer_limits=(-runs=$runs -max_total_time=15)
        ;;
    long)
        runs=10000000
        if [[ ${1:-} =~ ^[0-9]+$ ]]; then
            runs=$1
            shift
        fi
        libfuzzer_limits=(-runs=$runs)
        if [[ -n ${FUZZ_MAX_TIME:-} ]]; then
            libfuzzer_limits+=(-max_total_time="$FUZZ_MAX_TIME")
            mode="long (cap ${FUZZ_MAX_TIME}s)"
        fi
        if [[ -n ${FUZZ_MAX_LEN:-} ]]; then
            libfuzzer_limits+=(-max_len="$FUZZ_MAX_LEN")
            mode="$mode (max_len $FUZZ_MAX_LEN)"
        fi
        if [[ $sanitizer == none ]]; then
            mode="$mode (no ASan)"
        fi
        if [[ $niceness != 19 ]]; then
            mode="$mode (nice $niceness)"
        fi
        ;;
    *) usage ;;
esac
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
for target in "${targets[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $target "* ]] || die "unknown target '$target' (targets: ${ALL_TARGETS[*]})"
done

# cargo-fuzz: the one on PATH, else the project's own copy in build/tools
# (installed there, never into ~/.cargo, the first time it is needed).
TOOLS="$ROOT/build/tools"
export PATH="$PATH:$TOOLS/bin"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz not found; installing it into $TOOLS (cargo install --root $TOOLS cargo-fuzz --locked; a few minutes, once)" >&2
    cargo install --root "$TOOLS" cargo-fuzz --locked >&2 || die "FAILED to install cargo-fuzz into $TOOLS; install it by hand: cargo install cargo-fuzz --locked"
    cargo fuzz --version >/dev/null 2>&1 || die "FAILED: cargo-fuzz installed into $TOOLS/bin but 'cargo fuzz' does not run"
fi
echo "== $(cargo fuzz --version), $(rustc --version)"

cd "$ROOT"
python3 "$FUZZ_DIR/seed_corpora.py"

echo "== building the fuzz targets once (cargo fuzz build ${CARGO_FUZZ_FLAGS[*]})"
cargo fuzz build "${CARGO_FUZZ_FLAGS[@]}" || die "FAILED to build the fuzz targets"


# libFuzzer takes one dictionary: KRN pieces for tokens, JSON and KRN for the rest.
mkdir -p "$FUZZ_DIR/target" "$FUZZ_DIR/artifacts/logs"
merged_dict="$FUZZ_DIR/target/json+krn.dict"
cat "$FUZZ_DIR/dict/json.dict" "$FUZZ_DIR/dict/krn.dict" > "$merged_dict"

commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git -C "$ROOT" diff --quiet HEAD -- . ':(exclude)fuzz' 2>/dev/null; then
    commit="$commit+dirty"
fi

results="$FUZZ_DIR/RESULTS.md"
if [[ ! -f $results ]]; then
    cat > "$results" <<'HEADER'
# Fuzzing results

One line per target per run of `fuzz/run.sh` (appended by the script).
`commit` is the crate's HEAD; `+dirty` means the crate (outside fuzz/) had
uncommitted changes, which were what was fuzzed. `time` is wall-clock
seconds on a shared 2-core machine at `nice -n 19`; `exec/s` is libFuzzer's
average. `corpus` is the number of files in fuzz/corpus/<target>/ after the
run (seeds included).

| date (UTC) | commit | mode | target | executions | time (s) | exec/s | corpus | findings |
| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |
HEADER
fi

status=0
for target in "${targets[@]}"; do
    dict="$merged_dict"
    [[ $target == token_parse || $target == redact ]] && dict="$FUZZ_DIR/dict/krn.dict"
    artifacts="$FUZZ_DIR/artifacts/$target"
    mkdir -p "$artifacts"
    log="$FUZZ_DIR/artifacts/logs/$target-${mode%% *}-$(date -u +%Y%m%dT%H%M%SZ).log"
    before=$(ls "$artifacts" | sort)
    echo "== $target: $mode, ${libfuzzer_limits[*]} (log: ${log#"$ROOT"/})"
    start=$(date +%s)
    set +e
    nice -n "$niceness" cargo fuzz run "${CARGO_FUZZ_FLAGS[@]}" "$target" -- \
        "${libfuzzer_limits[@]}" -dict="$dict" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -close_fd_mask=1 > "$log" 2>&1
    rc=$?
    set -e
    seconds=$(( $(date +%s) - start ))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    exec_per_s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$FUZZ_DIR/corpus/$target" -type f | wc -l)
    new_artifacts=$(comm -13 <(echo "$before") <(ls "$artifacts" | sort) | sed '/^$/d')
    # libFuzzer's final stats lines.
    grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs|^stat::' "$log" || true
    if [[ $rc -eq 0 && -z $new_artifacts ]]; then
        findings=none
    else
        status=1
        findings="FOUND: ${new_artifacts:-exit status $rc} (fuzz/artifacts/$target/)"
        echo "!! $target: libFuzzer exit status $rc" >&2
        grep -E -A40 'panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY' "$log" | head -80 >&2 || true
        for file in $new_artifacts; do
            echo "!! reproducer fuzz/artifacts/$target/$file ($(wc -c < "$artifacts/$file") bytes), hex:" >&2
            od -An -tx1 -v "$artifacts/$file" | head -40 >&2
            echo "!! replay: RUSTC_BOOTSTRAP=1 cargo fuzz run ${CARGO_FUZZ_FLAGS[*]} $target fuzz/artifacts/$target/$file" >&2
        done
    fi
    if [[ $mode != smoke ]]; then
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
            "$(date -u '+%Y-%m-%d %H:%M')" "$commit" "$mode" "$target" "${executions:-?}" "$seconds" \
            "${exec_per_s:-?}" "$corpus" "$findings" >> "$results"
    fi
    echo "== $target: ${executions:-?} executions in ${seconds}s (${exec_per_s:-?} exec/s), corpus $corpus, findings: $findings"
    if [[ $status -ne 0 ]]; then
        echo "fuzz/run.sh: stopped at the first finding (log: ${log#"$ROOT"/})" >&2
        exit 1
    fi
done
echo "== fuzz/run.sh $mode: no findings in ${targets[*]}"
