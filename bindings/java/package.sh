#!/usr/bin/env bash
# Builds the Java artifacts into OUT_DIR (default: dist/ at the repository
# root): ctpolicy-<v>.jar (with the stripped native library and LICENSE),
# ctpolicy-<v>-sources.jar and ctpolicy-<v>-javadoc.jar; and OUT_DIR/maven,
# a file-based Maven repository holding dev.ctpolicy:ctpolicy:<v> (the same
# jars and the pom, with checksums and metadata), which a project declares
# as a <repository> with url file:///path/to/OUT_DIR/maven to use the jar
# without Rust. `make dist-java`.
#
#   bash bindings/java/package.sh [OUT_DIR]
#
# Uses JAVA_HOME when it is a JDK >= 22, else the newest such JDK under
# /usr/lib/jvm. Runs `mvn package -DskipTests` (the tests are `make test`'s),
# then `mvn deploy:deploy-file` into OUT_DIR/maven. Maven's local repository
# is the project's build/m2 ($CTPOLICY_M2 names another), never ~/.m2.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/dist}"

die() { echo "bindings/java/package.sh: ERROR: $*" >&2; exit 1; }

java_major() {
    local line
    line="$("$1" -version 2>&1 | head -n 1)" || return 0
    line="${line#*\"}"
    line="${line%%\"*}"
    case "$line" in 1.*) line="${line#1.}" ;; esac
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
    for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -Vr); do
        candidate="${candidate%/}"
        if jdk_ok "$candidate"; then jdk="$candidate"; break; fi
    done
fi
[ -n "$jdk" ] || die "no JDK >= 22 found (JAVA_HOME='${JAVA_HOME:-}', /usr/lib/jvm/*); install one (e.g. Temurin 25)"
export JAVA_HOME="$jdk" PATH="$jdk/bin:$PATH"
command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is not installed"
if [ "$(java_major "$JAVA_HOME/bin/java")" -ge 24 ]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi

m2="${CTPOLICY_M2:-$root/build/m2}"
mkdir -p "$m2"
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dmaven.repo.local=$m2"

version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$here/pom.xml" | head -1)"
(cd "$here" && mvn -B -q package -DskipTests 2>&1 | sed -u $'s/\x1b\\[[0-9;]*m//g') || die "mvn package failed"
mkdir -p "$out"
for suffix in "" "-sources" "-javadoc"; do
    jar="$here/target/ctpolicy-$version$suffix.jar"
    [ -f "$jar" ] || die "$jar was not built"
    cp "$jar" "$out/"
done
# The file-based Maven repository: only this artifact lives there, so it is rewritten whole.
repo="$out/maven"
rm -rf "$repo" && mkdir -p "$repo"
(cd "$here" && mvn -B -q org.apache.maven.plugins:maven-deploy-plugin:3.1.3:deploy-file \
    -Dfile="target/ctpolicy-$version.jar" -DpomFile=pom.xml \
    -Dsources="target/ctpolicy-$version-sources.jar" -Djavadoc="target/ctpolicy-$version-javadoc.jar" \
    -DrepositoryId=ctpolicy-release -Durl="file://$repo" 2>&1 | sed -u $'s/\x1b\\[[0-9;]*m//g') \
    || die "mvn deploy:deploy-file into $repo failed"
# deploy-file dates the metadata now; date it at the jars' instant instead
# (project.build.outputTimestamp), so the whole folder is the same from one
# build of a commit to the next (make dist's SHA256SUMS).
stamp="$(sed -n 's:.*<project.build.outputTimestamp>\(.*\)</project.build.outputTimestamp>.*:\1:p' "$here/pom.xml")"
[[ "$stamp" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || die "pom.xml's project.build.outputTimestamp '$stamp' is not YYYY-MM-DDTHH:MM:SSZ"
metadata="$repo/dev/ctpolicy/ctpolicy/maven-metadata.xml"
sed -i "s:<lastUpdated>[0-9]*</lastUpdated>:<lastUpdated>$(tr -d -- '-:TZ' <<<"$stamp")</lastUpdated>:" "$metadata"
md5sum < "$metadata" | cut -d' ' -f1 | tr -d '\n' > "$metadata.md5"
sha1sum < "$metadata" | cut -d' ' -f1 | tr -d '\n' > "$metadata.sha1"
for suffix in ".jar" "-sources.jar" "-javadoc.jar" ".pom"; do
    [ -f "$repo/dev/ctpolicy/ctpolicy/$version/ctpolicy-$version$suffix" ] \
        || die "$repo/dev/ctpolicy/ctpolicy/$version/ctpolicy-$version$suffix was not written"
done
cmp -s "$repo/dev/ctpolicy/ctpolicy/$version/ctpolicy-$version.jar" "$out/ctpolicy-$version.jar" \
    || die "the jar in $repo is not the one just built"
echo "bindings/java/package.sh: wrote ctpolicy-$version.jar, -sources.jar and -javadoc.jar to $out, and the Maven repository $repo"
