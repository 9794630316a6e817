#!/usr/bin/env bash
# Runs the Java binding's whole test suite (JUnit 5 through Maven Surefire),
# then test_install.sh (mvn install from a clean copy of the repository and a
# Maven project outside it; CTPOLICY_SKIP_INSTALL_TEST=1 skips it with a notice,
# for quick iteration only).
# Assumes `make build` already ran (the ctpolicy CLI the tests compare with;
# Maven itself runs cargo for the library).
# Needs a JDK >= 22 (the FFM API) and Maven; fails loudly when either is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

die() {
    echo "bindings/java/test.sh: ERROR: $*" >&2
    exit 1
}

# The major version of a java binary, or nothing.
java_major() {
    local line
    line="$("$1" -version 2>&1 | head -n 1)" || return 0
    # openjdk version "25.0.3" 2026-04-21 / java version "1.8.0_402"
    line="${line#*\"}"
    line="${line%%\"*}"
    case "$line" in
        1.*) line="${line#1.}" ;;
    esac
    echo "${line%%[.+-]*}"
}

jdk_ok() {
    [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
    local major
    major="$(java_major "$1/bin/java")"
    [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge 22 ]
}

jdk=""
if [ -n "${JAVA_HOME:-}" ] && jdk_ok "$JAVA_HOME"; then
    jdk="$JAVA_HOME"
else
    # The first JDK >= 22 in reverse version order of the folder names.
    for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -Vr); do
        candidate="${candidate%/}"
        if jdk_ok "$candidate"; then
            jdk="$candidate"
            break
        fi
    done
fi
if [ -z "$jdk" ]; then
    die "no JDK >= 22 found (checked JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*). The binding uses the
Foreign Function & Memory API (java.lang.foreign), final in Java 22. Install a JDK >= 22 (e.g. Temurin 25)
and set JAVA_HOME to it."
fi
export JAVA_HOME="$jdk"
export PATH="$JAVA_HOME/bin:$PATH"
major="$(java_major "$JAVA_HOME/bin/java")"
echo "bindings/java: using JDK $major at $JAVA_HOME"

if ! command -v mvn >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bindings/java: Maven is missing; installing it with apt-get"
        apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q maven >/dev/null \
            || die "could not install Maven with apt-get"
    fi
    command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is not installed; install Maven >= 3.6.3"
fi

[ -f "$root/target/release/libctpolicy.so" ] \
    || die "$root/target/release/libctpolicy.so is missing: run \`make build\` in $root first"
[ -x "$root/target/release/ctpolicy" ] \
    || die "$root/target/release/ctpolicy (the CLI) is missing: run \`make build\` in $root first"

# Maven's local repository is the project's build/m2 (plugins, JUnit, and the
# jar test_install.sh installs), never ~/.m2; CTPOLICY_M2 names another.
m2="${CTPOLICY_M2:-$root/build/m2}"
mkdir -p "$m2"
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dmaven.repo.local=$m2"
echo "bindings/java: Maven's local repository: $m2"

# Maven's own guava calls sun.misc.Unsafe, which JDK 24+ warns about; that is Maven's noise, not ours.
if [ "$major" -ge 24 ]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi

rm -rf target/surefire-reports
status=0
# Maven 3.8 prints colour resets even in batch mode; strip them.
mvn -q -B test 2>&1 | sed -u $'s/\x1b\\[[0-9;]*m//g' || status=${PIPESTATUS[0]}

# Surefire's summary (quiet mode hides it), summed over the per-class reports.
reports=(target/surefire-reports/*.txt)
if [ ! -e "${reports[0]}" ]; then
    die "Maven exited with status $status and no test ran (no surefire reports)"
fi
awk '
    /Tests run:/ {
        for (i = 1; i <= NF; i++) {
            v = $(i + 1); gsub(/,/, "", v)
            if ($i == "run:") run += v
            if ($i == "Failures:") fail += v
            if ($i == "Errors:") err += v
            if ($i == "Skipped:") skip += v
        }
    }
    END { printf "Tests run: %d, Failures: %d, Errors: %d, Skipped: %d\n", run, fail, err, skip }
' "${reports[@]}"
if [ "$status" -ne 0 ]; then
    echo "bindings/java/test.sh: FAILED (mvn exit status $status); see $here/target/surefire-reports" >&2
    exit "$status"
fi

# The examples' launcher on a JDK older than 22: it names the JDK it needs.
old_jdk=""
for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null); do
    candidate="${candidate%/}"
    candidate_major="$(java_major "$candidate/bin/java")"
    if [[ "$candidate_major" =~ ^[0-9]+$ ]] && [ "$candidate_major" -lt 22 ]; then
        old_jdk="$candidate"
        break
    fi
done
if [ -n "$old_jdk" ]; then
    if old_out="$(JAVA_HOME="$old_jdk" bash examples/run.sh 2>&1)"; then
        die "examples/run.sh ran on $old_jdk (older than 22)"
    fi
    grep -q "need a JDK 22 or newer; .* is Java " <<<"$old_out" \
        || die "examples/run.sh on $old_jdk did not name the JDK it needs: $old_out"
    echo "bindings/java: examples/run.sh on $(basename "$old_jdk") refuses: ${old_out%%;*}"
else
    echo "bindings/java: NOTICE: no JDK older than 22 under /usr/lib/jvm: the launcher's old-JDK message was not tried"
fi

# The install path: mvn install from a clean copy, a project outside the repository.
if [ "${CTPOLICY_SKIP_INSTALL_TEST:-0}" = 1 ]; then
    echo "bindings/java: NOTICE: CTPOLICY_SKIP_INSTALL_TEST=1: the install test (test_install.sh) did NOT run"
else
    bash "$here/test_install.sh" || die "test_install.sh failed"
fi
echo "bindings/java/test.sh: OK"
