#!/usr/bin/env bash
# The Java install path as a new user meets it, from a clean copy of the
# repository (git's files: no target/, no built library):
#
#   1. Without cargo, `mvn package` fails saying cargo is needed (no jar).
#   2. `mvn install` in the copy's bindings/java builds libctpolicy with
#      cargo and installs dev.ctpolicy:ctpolicy:<version> (jar, sources,
#      javadoc) into the local repository (build/m2 as test.sh sets it,
#      else ~/.m2, unless -Dmaven.repo.local
#      is in MAVEN_ARGS); the jar holds the stripped library and LICENSE.
#   3. A Maven project in a temp folder outside the repository depends on
#      the installed artifact, compiles every java block of the docs
#      (snippets.py: the README's example under "## Example" and every
#      fragment), and runs the example: with the
#      --enable-native-access flag, and as `java -jar` with the
#      application's own Enable-Native-Access manifest entry. Its output
#      must be the README's output block, and no native-access warning.
#
# Called by test.sh with JAVA_HOME set to a JDK >= 22 and mvn on PATH. The
# cargo dependencies are reused from $ROOT/target/clean-copy (kept between
# runs) unless CTPOLICY_FRESH_BUILD=1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

fail() { echo "bindings/java/test_install.sh: FAILED: $*" >&2; exit 1; }

[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] || fail "JAVA_HOME must name a JDK >= 22 (test.sh sets it)"
command -v mvn >/dev/null || fail "mvn is not on PATH"
version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$here/pom.xml" | head -1)"
[ -n "$version" ] || fail "no project version in pom.xml"
# shellcheck disable=SC2206
mvn_args=(-B -q ${MAVEN_ARGS_EXTRA:-})
strip_colours() { sed -u $'s/\x1b\\[[0-9;]*m//g'; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
clone="$work/clone"
echo "== a clean copy of the repository (git's files, no target/) in $clone"
mkdir -p "$clone"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
    | tar --null -T - -cf -) | tar -xf - -C "$clone"
[ ! -e "$clone/target" ] && [ ! -e "$clone/bindings/java/target" ] || fail "the copy has build output"
if [ "${CTPOLICY_FRESH_BUILD:-0}" = 1 ]; then
    unset CARGO_TARGET_DIR
else
    export CARGO_TARGET_DIR="$root/target/clean-copy"
fi

echo "== 1. without cargo, mvn package fails and says so"
set +e
(cd "$clone/bindings/java" && env -u CARGO PATH="$JAVA_HOME/bin:/usr/bin:/bin" \
    mvn "${mvn_args[@]}" package -DskipTests) > "$work/nocargo.log" 2>&1
rc=$?
set -e
if PATH="/usr/bin:/bin" command -v cargo >/dev/null 2>&1; then
    fail "cargo is in /usr/bin or /bin, so the missing-cargo case cannot be staged"
fi
[ $rc -ne 0 ] || fail "mvn package succeeded without cargo"
grep -q "(Rust's cargo) was not found on PATH" "$work/nocargo.log" \
    || { strip_colours < "$work/nocargo.log" | tail -20 >&2; fail "the failure without cargo does not say cargo is missing"; }
! ls "$clone"/bindings/java/target/*.jar >/dev/null 2>&1 || fail "a jar was built without the native library"
echo "   refused, no jar: $(grep -o "\`cargo\` (Rust's cargo) was not found on PATH" "$work/nocargo.log" | head -1)"
rm -rf "$clone/bindings/java/target"

echo "== 2. mvn install in the copy (cargo builds the library)"
start=$SECONDS
(cd "$clone/bindings/java" && mvn "${mvn_args[@]}" install -DskipTests 2>&1 | strip_colours) \
    || fail "mvn install failed in a clean copy"
echo "   installed in $((SECONDS - start)) s"
repo_dir="$(cd "$clone/bindings/java" && mvn -B -q help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null | strip_colours | tail -1)"
[ -d "$repo_dir" ] || fail "could not find the local Maven repository (got '$repo_dir')"
installed="$repo_dir/dev/ctpolicy/ctpolicy/$version"
for f in "ctpolicy-$version.jar" "ctpolicy-$version-sources.jar" "ctpolicy-$version-javadoc.jar" "ctpolicy-$version.pom"; do
    [ -f "$installed/$f" ] || fail "$installed/$f was not installed"
done
cmp -s "$installed/ctpolicy-$version.jar" "$clone/bindings/java/target/ctpolicy-$version.jar" \
    || fail "the installed jar is not the one just built"
# zip_list JAR: the entry names; zip_cat JAR ENTRY: one entry's bytes (python3, no unzip needed).
zip_list() { python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }
zip_cat() { python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2"; }
jar_listing="$(zip_list "$installed/ctpolicy-$version.jar")"
grep -qx 'native/linux-x86_64/libctpolicy.so' <<<"$jar_listing" || fail "the jar has no native library"
grep -qx 'META-INF/LICENSE' <<<"$jar_listing" || fail "the jar has no META-INF/LICENSE"
zip_cat "$installed/ctpolicy-$version.jar" META-INF/LICENSE | cmp -s - "$root/LICENSE" || fail "the jar's LICENSE is not the repository's"
zip_cat "$installed/ctpolicy-$version.jar" native/linux-x86_64/libctpolicy.so > "$work/lib.so"
sections="$(readelf -S --wide "$work/lib.so")"
dyn_syms="$(readelf --dyn-syms --wide "$work/lib.so")"
if grep -qE '\.debug_|\.symtab' <<<"$sections"; then fail "the jar's library is not stripped"; fi
grep -q ' ctp_check_json$' <<<"$dyn_syms" || fail "the jar's stripped library lost its exports"
# (Listings go through variables: with pipefail, grep -q closing a pipe early would fail it.)
sources_listing="$(zip_list "$installed/ctpolicy-$version-sources.jar")"
javadoc_listing="$(zip_list "$installed/ctpolicy-$version-javadoc.jar")"
grep -qx 'dev/ctpolicy/Engine.java' <<<"$sources_listing" || fail "the sources jar lacks Engine.java"
grep -qx 'META-INF/LICENSE' <<<"$sources_listing" || fail "the sources jar lacks META-INF/LICENSE"
grep -qE '(^|/)dev/ctpolicy/Decision.html$' <<<"$javadoc_listing" || fail "the javadoc jar lacks Decision.html"
echo "   $installed: jar (stripped library $(stat -c %s "$work/lib.so") bytes, LICENSE), sources, javadoc"

echo "== 3. a project outside the repository uses the installed artifact"
app="$work/app"
mkdir -p "$app/src/main/java"
# Every java block of the docs (snippets.py): the README's example
# (RenewalExample.java) and each fragment as a method of a class of its own,
# all compiled by this project's `mvn package`.
python3 "$here/snippets.py" "$app/src/main/java" || fail "could not write the docs' java blocks"
[ -f "$app/src/main/java/RenewalExample.java" ] || fail "the docs have no RenewalExample class (README.md, ## Example)"
# The output the README shows under ## Example.
python3 - "$root/bindings/java/README.md" "$work/expected.txt" <<'EOF'
import re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
section = readme.split("\n## Example\n", 1)[1].split("\n## ", 1)[0]
output = re.findall(r"```text\n(.*?)```", section, re.S)
assert len(output) == 1, f"expected one text (output) block under ## Example, found {len(output)}"
open(sys.argv[2], "w", encoding="utf-8").write(output[0])
EOF
# The README's complete pom.xml, as it stands (its ctpolicy version must be this one).
python3 - "$root/bindings/java/README.md" "$app/pom.xml" "$version" <<'EOF'
import re, sys
readme = open(sys.argv[1], encoding="utf-8").read()
section = readme.split("\n## Example\n", 1)[1].split("\n## ", 1)[0]
poms = [b for b in re.findall(r"```xml\n(.*?)```", section, re.S) if b.startswith("<?xml")]
assert len(poms) == 1, f"expected one complete pom.xml under ## Example, found {len(poms)}"
want = f"<artifactId>ctpolicy</artifactId>\n      <version>{sys.argv[3]}</version>"
assert want in poms[0], f"the README's pom does not depend on ctpolicy {sys.argv[3]}"
open(sys.argv[2], "w", encoding="utf-8").write(poms[0])
EOF
(cd "$app" && mvn "${mvn_args[@]}" package 2>&1 | strip_colours) || fail "the consuming project did not build"
[ -f "$app/target/lib/ctpolicy-$version.jar" ] || fail "the consuming project did not resolve ctpolicy $version"
# ctpolicy's one runtime dependency comes along through the installed pom.
ls "$app"/target/lib/jackson-core-*.jar >/dev/null 2>&1 || fail "the consuming project did not get jackson-core through ctpolicy's pom"
[ "$(ls "$app/target/lib" | wc -l)" -eq 2 ] || fail "unexpected runtime dependencies: $(ls "$app/target/lib")"

check_run() {
    local how="$1"; shift
    (cd "$work" && "$@") > "$work/out.txt" 2> "$work/err.txt" || { cat "$work/err.txt" >&2; fail "$how: the example failed"; }
    if grep -qi "restricted method\|native access" "$work/err.txt"; then
        cat "$work/err.txt" >&2; fail "$how: the JVM warned about native access"
    fi
    # The README shortens the fingerprint with "…": any hex digits there.
    python3 - "$work/expected.txt" "$work/out.txt" <<'EOF' || fail "$how: the output is not the README's"
import re, sys
expected = open(sys.argv[1], encoding="utf-8").read()
actual = open(sys.argv[2], encoding="utf-8").read()
pattern = "".join("[0-9a-f]+" if part == "…" else re.escape(part) for part in re.split("(…)", expected))
if not re.fullmatch(pattern, actual):
    sys.exit(f"expected (README):\n{expected}\nactual:\n{actual}")
EOF
    echo "   $how: $(head -1 "$work/out.txt")"
}
check_run "java --enable-native-access=ALL-UNNAMED -cp ..." \
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
    -cp "$app/target/classes:$app/target/lib/*" RenewalExample
check_run "java -jar (the application's manifest entry)" \
    "$JAVA_HOME/bin/java" -jar "$app/target/renewals-1.0.jar"
echo "bindings/java/test_install.sh: OK"
