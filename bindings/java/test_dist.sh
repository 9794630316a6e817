#!/usr/bin/env bash
# The release's file-based Maven repository as a user without Rust meets it:
# a Maven project in a temp folder outside the repository declares it as a
# <repository> and depends on dev.ctpolicy:ctpolicy; Maven resolves the jar
# from there (`mvn dependency:build-classpath`), javac compiles a program
# against it and java runs it: the jar loads its own native library. No
# cargo on PATH.
#
#   bash bindings/java/test_dist.sh MAVEN_REPO_DIR VERSION
#
# JAVA_HOME: a JDK >= 22 (default /usr/lib/jvm/temurin-25-jdk-amd64). Maven's
# local repository is $CTPOLICY_DIST_M2 (default build/m2-dist at the
# repository root): Maven's dependency plugin comes from Maven Central into
# it once; dev/ctpolicy is removed from it before every run, so the jar can
# only come from MAVEN_REPO_DIR.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 MAVEN_REPO_DIR VERSION" >&2; exit 2; }
repo="$(cd "$1" && pwd)" version=$2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fail() { echo "bindings/java/test_dist.sh: FAILED: $*" >&2; exit 1; }
released="$repo/dev/ctpolicy/ctpolicy/$version/ctpolicy-$version.jar"
[ -f "$released" ] || fail "$released does not exist (make dist-java writes it)"
jdk="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[ -x "$jdk/bin/javac" ] || fail "no JDK at $jdk (set JAVA_HOME to a JDK >= 22)"
mvn_bin="$(command -v mvn)" || fail "Maven (mvn) is not installed"
m2="${CTPOLICY_DIST_M2:-$root/build/m2-dist}"
mkdir -p "$m2" && rm -rf "$m2/dev/ctpolicy"
m2="$(cd "$m2" && pwd)"
work=$(mktemp -d "${TMPDIR:-/tmp}/ctpolicy-java-dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
path="$jdk/bin:$(dirname "$mvn_bin"):/usr/bin:/bin"
PATH="$path" command -v cargo >/dev/null 2>&1 && fail "cargo is on the test's PATH ($path): the test would prove nothing"
export PATH="$path" JAVA_HOME="$jdk" MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow"
major="$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[ "${major:-0}" -ge 24 ] 2>/dev/null || MAVEN_OPTS=""

app="$work/app"
mkdir -p "$app/src"
cat > "$app/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>renewals</artifactId>
  <version>1.0</version>
  <repositories>
    <repository>
      <id>ctpolicy-release</id>
      <url>file://$repo</url>
    </repository>
  </repositories>
  <dependencies>
    <dependency>
      <groupId>dev.ctpolicy</groupId>
      <artifactId>ctpolicy</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
POM
# No user settings (mirrors could hide the repository): an empty settings file.
echo '<settings/>' > "$work/settings.xml"
cat > "$app/src/Renewal.java" <<'JAVA'
import dev.ctpolicy.Decision;
import dev.ctpolicy.Engine;

public class Renewal {
    public static void main(String[] args) {
        String request = """
            {"customer_present": false,
             "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2", "Klarna-Idempotency-Key": "k-1"},
             "token_record": {"customer_token": "krn:customer-token:eu1:a1b2", "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
             "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "r-1"}}}""";
        try (Engine engine = Engine.create("{}")) {
            Decision d = engine.check(request);
            if (!d.allowed()) {
                throw new AssertionError("expected ALLOW, got " + d.decision() + ": " + d.codes());
            }
            System.out.println(d.decision());
        }
    }
}
JAVA
cd "$app"
mvn -B -q -s "$work/settings.xml" -Dmaven.repo.local="$m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile="$work/cp.txt" \
    > "$work/mvn.log" 2>&1 || { sed $'s/\x1b\\[[0-9;]*m//g' "$work/mvn.log" | tail -30 >&2; fail "Maven could not resolve ctpolicy $version from $repo"; }
classpath="$(cat "$work/cp.txt")"
# ctpolicy and its one runtime dependency, jackson-core (from the released pom), nothing else.
resolved="$m2/dev/ctpolicy/ctpolicy/$version/ctpolicy-$version.jar"
others="$(tr ':' '\n' <<<"$classpath" | grep -vxF "$resolved" || true)"
tr ':' '\n' <<<"$classpath" | grep -qxF "$resolved" || fail "ctpolicy $version is not on the classpath: $classpath"
[[ "$others" =~ ^$m2/com/fasterxml/jackson/core/jackson-core/[^/]+/jackson-core-[^/]+\.jar$ ]] \
    || fail "unexpected classpath (ctpolicy's one runtime dependency is jackson-core): $classpath"
grep -qx "ctpolicy-$version.jar>ctpolicy-release=" "$m2/dev/ctpolicy/ctpolicy/$version/_remote.repositories" \
    || fail "Maven did not take the jar from the repository ctpolicy-release ($repo)"
cmp -s "$resolved" "$released" || fail "the resolved jar is not the released one"
javac -d classes -cp "$classpath" src/Renewal.java || fail "javac against the released jar"
out="$(java --enable-native-access=ALL-UNNAMED -cp "classes:$classpath" Renewal 2> "$work/err.txt")" \
    || { cat "$work/err.txt" >&2; fail "the program failed: $out"; }
[ "$out" = "ALLOW" ] || fail "unexpected output: $out"
echo "bindings/java/test_dist.sh: OK: dev.ctpolicy:ctpolicy:$version from $repo (a file-based Maven repository), JDK $major, no cargo: $out"
