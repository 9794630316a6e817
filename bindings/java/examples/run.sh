#!/usr/bin/env bash
# Runs examples/RenewalExample.java against the jar `mvn package` built, on
# the JDK in JAVA_HOME (else `java` on PATH). The binding needs Java 22 or
# newer (the Foreign Function & Memory API); an older java is named here,
# instead of javac's "class file has wrong version 66.0".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
line="$("$java" -version 2>&1 | head -n 1)" || { echo "examples/run.sh: no java found (set JAVA_HOME to a JDK 22 or newer)" >&2; exit 2; }
version="${line#*\"}"; version="${version%%\"*}"; version="${version#1.}"; major="${version%%[.+-]*}"
if ! [[ "$major" =~ ^[0-9]+$ ]] || [ "$major" -lt 22 ]; then
    echo "examples/run.sh: the ctpolicy examples need a JDK 22 or newer; $java is Java $version. Set JAVA_HOME to a JDK 22+ (e.g. JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64)." >&2
    exit 2
fi
version_of_pom="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$here/pom.xml" | head -1)"
jar="$here/target/ctpolicy-$version_of_pom.jar"
[ -f "$jar" ] || { echo "examples/run.sh: $jar is missing: run 'mvn -q package -DskipTests' in $here first" >&2; exit 2; }
# target/lib holds the runtime dependencies `mvn package` copied (jackson-core).
ls "$here"/target/lib/jackson-core-*.jar >/dev/null 2>&1 \
    || { echo "examples/run.sh: $here/target/lib has no jackson-core: run 'mvn -q package -DskipTests' in $here first" >&2; exit 2; }
exec "$java" --enable-native-access=ALL-UNNAMED -cp "$jar:$here/target/lib/*" "$here/examples/RenewalExample.java" "$@"
