#!/usr/bin/env python3
"""The snippet catalog: every fenced block of every tracked Markdown file is
exercised by `make test`, or says why not; run by `make test-snippets`.

It fails when a block has no language tag, a tag no runner handles, or a
not-run marker without a reason (tests/snippets/blocks.py says how blocks
are tagged). The runner of each tag (RUNNERS) reads its blocks through
blocks.py at test time, so a block added tomorrow is run by its language's
suite without anyone listing it. This file is itself the runner of the
tags that need no toolchain:

- json: parsed (a block may hold several values, JSON Lines style); a
  request (it has "customer_present") is decided by `ctpolicy check`, a
  policy (it has "allowed_regions", "access", "max_amount", ...) decides
  RENEWAL below through `ctpolicy check --policy`; neither may be an error.
- sh: every command line is checked without side effects outside a temp
  folder: `make` targets exist in the Makefile; `ctpolicy` command lines run
  for real, in order, in a temp folder holding a copy of examples/, and
  clap must accept every subcommand, flag and value; a script or file
  named exists in the repository; every --flag given to a repository script
  is in that script; every ctpolicy version named is the project's. Programs
  from elsewhere (cargo, go, mvn, pip, ...) must be in TOOLS, placeholders
  (my-service) in PLACEHOLDERS.
- console: the `$ ` lines run in the repository root on a pseudo-terminal
  (as a reader's shell runs them); what follows each is what it must print,
  stdout and stderr as the terminal shows them (`echo $?` prints the
  previous command's exit status).
- usage: a command's synopsis (`ctpolicy vault lint [--policy FILE] ...`):
  every --flag in it is in that command's --help.
- xml: well-formed; a pom fragment (a <dependency> on ctpolicy) names the
  project's version.

    python3 tests/snippets/catalog.py [--cli target/release/ctpolicy]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from blocks import ROOT, Block, all_blocks  # noqa: E402

# Which suite runs the blocks of each tag (all of them, through blocks.py).
RUNNERS = {
    "c": "tests/c/snippets.py",  # make -C tests/c snippets: programs run, fragments in a harness, prototypes against the header
    "python": "bindings/python/tests/test_snippets.py",  # run, fragments in a harness namespace
    "go": "bindings/go/snippets_test.go",  # compiled against the binding, complete ones run; declarations compared
    "gomod": "bindings/go/test.sh",  # the replace consumer's go.mod lines
    "java": "bindings/java/snippets.py",  # compiled in the Maven project of test_install.sh
    "json": "tests/snippets/catalog.py",
    "sh": "tests/snippets/catalog.py",
    "console": "tests/snippets/catalog.py",
    "xml": "tests/snippets/catalog.py",
    "usage": "tests/snippets/catalog.py",
}
NOT_CODE = {"text"}

# Programs the docs tell people to run that come from elsewhere.
TOOLS = {"cargo", "go", "mvn", "java", "pip", "python", "python3", "cc", "pkg-config", "tar", "export", "wait",
         "bash", "sh", "echo"}
# Stand-ins for the reader's own programs.
PLACEHOLDERS = {"my-service"}
# Paths a reader fills in or a build writes: not looked for in the repository.
FREE_PATHS = re.compile(r"^(/path/to/|/opt/|/var/|/tmp/|target/|\$|rec\.json|audit\.jsonl|decisions\.jsonl|"
                        r"shard|findings\.jsonl|export\.jsonl|app\.c|TARGET|fuzz/artifacts/)")
# Clap's words for a command line it refuses.
CLAP_REFUSALS = ("unexpected argument", "unrecognized subcommand", "invalid value", "required arguments were not provided",
                 "requires a value", "cannot be used with", "error: the argument")

failures: list[str] = []


def fail(block: Block, what: str) -> None:
    failures.append(f"{block.where} [{block.lang}]: {what}")


def project_version() -> str:
    return re.search(r'^version = "(.*)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)  # type: ignore[union-attr]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, re.M))


# ---------------------------------------------------------------- json

POLICY_KEYS = {"version", "allowed_regions", "allowed_currencies", "max_amount", "access", "severity", "max_attempts",
               "min_charge_interval_seconds", "require_token_reference"}


# A renewal that carries every fact a policy's rules may need (now, counters).
RENEWAL = {
    "customer_present": False, "now": "2026-11-25T10:00:00Z", "counters": {"attempts_24h": 0, "attempts_30d": 1},
    "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                "Klarna-Idempotency-Key": "renewal-2026-11-sub-42"},
    "token_record": {"customer_token": "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",
                     "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
    "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "sub-42"}},
}


def json_values(text: str) -> list[object]:
    decoder = json.JSONDecoder()
    values, at = [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return values
        value, at = decoder.raw_decode(text, at)
        values.append(value)


def check_json(block: Block, cli: Path, work: Path) -> None:
    try:
        values = json_values(block.text)
    except json.JSONDecodeError as err:
        fail(block, f"not JSON: {err} (a schema with placeholders takes <!-- snippet: not-run: WHY -->)")
        return
    for value in values:
        if not isinstance(value, dict):
            continue
        if "customer_present" in value:
            run = subprocess.run([str(cli), "check", "-q"], input=json.dumps(value), capture_output=True, text=True, timeout=30)
            if run.returncode not in (0, 1):
                fail(block, f"ctpolicy check could not decide this request (exit {run.returncode}): {run.stdout}{run.stderr}")
        elif set(value) & POLICY_KEYS and set(value) <= POLICY_KEYS:
            policy = work / "policy.json"
            policy.write_text(json.dumps(value))
            run = subprocess.run([str(cli), "check", "-q", "--policy", str(policy)], input=json.dumps(RENEWAL),
                                 capture_output=True, text=True, timeout=30)
            if run.returncode not in (0, 1):
                fail(block, f"ctpolicy does not load this policy (exit {run.returncode}): {run.stderr}")


# ---------------------------------------------------------------- sh

def substitutions(line: str) -> tuple[str, list[str]]:
    """The line without its $(...) parts, and those parts' commands."""
    inner: list[str] = []
    while True:
        m = re.search(r"\$\(([^()]*)\)", line)
        if not m:
            return line, inner
        inner.append(m.group(1))
        line = line[:m.start()] + "SUBSTITUTED" + line[m.end():]


def simple_commands(line: str) -> list[list[str]]:
    """Words of each simple command of one shell line, redirections and control words removed."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands: list[list[str]] = [[]]
    tokens = list(lexer)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in {"|", "||", "&&", ";", "&"}:
            commands.append([])
        elif re.fullmatch(r"[<>&]+", token) or re.fullmatch(r"\d+", token) and i + 1 < len(tokens) and re.fullmatch(r"[<>]+&?", tokens[i + 1]):
            i += 1 if re.fullmatch(r"\d+", token) else 0
            i += 1  # the redirection's target
        elif token in {"do", "done", "then", "fi", "wait"} and not commands[-1]:
            pass
        else:
            commands[-1].append(token)
        i += 1
    result = []
    for words in commands:
        if words and words[0] == "for":  # for VAR in WORDS
            continue
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            words = words[1:]
        if words:
            result.append(words)
    return result


def find_path(name: str, dirs: list[Path]) -> Path | None:
    for base in dirs:
        if (base / name).exists():
            return base / name
    return None


def check_sh(block: Block, cli: Path, targets: set[str], version: str, work: Path) -> None:
    doc_dir = (ROOT / block.file).parent
    cwd = ROOT
    sandbox = work / f"sh-{block.ident}"
    sandbox.mkdir()
    shutil.copytree(ROOT / "examples", sandbox / "examples")
    for named in re.findall(r"ctpolicy[-:](\d+\.\d+\.\d+)|ctpolicy/bindings/go@v(\d+\.\d+\.\d+)", block.text):
        found = next(v for v in named if v)
        if found != version:
            fail(block, f"names ctpolicy {found}, the project is {version}")
    text = re.sub(r"\\\n", " ", block.text)
    for raw in text.splitlines():
        line, inner = substitutions(raw)
        try:
            commands = simple_commands(line) + [c for part in inner for c in simple_commands(part)]
        except ValueError as err:
            fail(block, f"not a shell line ({err}): {raw}")
            continue
        for words in commands:
            program, args = words[0], words[1:]
            dirs = [cwd, doc_dir, ROOT]
            if program == "cd":
                target = find_path(args[0], dirs) if args else None
                if target is None or not target.is_dir():
                    fail(block, f"cd {args}: no such folder")
                else:
                    cwd = target
            elif program == "make":
                for arg in args:
                    if not arg.startswith("-") and "=" not in arg and arg not in targets:
                        fail(block, f"make {arg}: the Makefile has no such target")
            elif program == "ctpolicy":
                run = subprocess.run([str(cli), *args], cwd=sandbox, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
                refused = [w for w in CLAP_REFUSALS if w in run.stderr]
                if refused or run.returncode not in (0, 1, 2):
                    fail(block, f"ctpolicy {' '.join(args)}: refused (exit {run.returncode}): {run.stderr.strip()}")
            elif program in TOOLS or program in PLACEHOLDERS or program.endswith(".venv/bin/python"):
                for arg in args:
                    arg = arg.removesuffix("/...")
                    if arg.startswith(("./", "bindings/", "benches/", "examples/", "fuzz/")) and not FREE_PATHS.match(arg):
                        if find_path(arg.split("@")[0], dirs) is None:
                            fail(block, f"{program} {arg}: no such path")
                if program.split("/")[-1] in {"python", "python3"} and args and args[0].endswith(".py"):
                    check_script(block, args[0], args[1:], dirs)
                if program == "pkg-config":
                    for arg in args:
                        if not arg.startswith("-") and not (ROOT / f"{arg}.pc.in").is_file():
                            fail(block, f"pkg-config {arg}: no {arg}.pc.in is installed by make install")
            elif "/" in program or program.endswith((".sh", ".py")):
                check_script(block, program, args, dirs)
            else:
                fail(block, f"{program}: not a Makefile target, ctpolicy, a repository script, or a tool in TOOLS")


def check_script(block: Block, name: str, args: list[str], dirs: list[Path]) -> None:
    if FREE_PATHS.match(name):
        return
    script = find_path(name, dirs)
    if script is None or not script.is_file():
        fail(block, f"{name}: no such script")
        return
    source = script.read_text(errors="replace")
    for arg in args:
        flag = arg.split("=")[0]
        if flag.startswith("--") and flag not in source:
            fail(block, f"{name} {flag}: the script takes no such option")


# ---------------------------------------------------------------- console

def check_console(block: Block) -> None:
    text = re.sub(r"\\\n\s*", " ", block.text)
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
        else:
            fail(block, "a console block starts with a `$ ` command")
            return
    env = dict(os.environ, PATH=f"{ROOT / 'target/release'}:{os.environ['PATH']}", COLUMNS="80", TERM="dumb")
    status = 0
    for command, shown in steps:
        if command.strip() == "echo $?":
            actual = f"{status}\n"
        else:
            status, actual = on_terminal(command, env)
        expected = "".join(s + "\n" for s in shown)
        if actual != expected:
            fail(block, f"`{command}` prints:\n{actual}\nthe block shows:\n{expected}")


def on_terminal(command: str, env: dict[str, str]) -> tuple[int, str]:
    """Runs ``command`` with stdout and stderr on one pseudo-terminal: its exit status and what the screen shows."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal)
    os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the program closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(controller)
    return proc.wait(timeout=60), screen.decode("utf-8", "replace").replace("\r\n", "\n")


# ---------------------------------------------------------------- usage

def check_usage(block: Block, cli: Path) -> None:
    for line in re.sub(r"\\\n", " ", block.text).splitlines():
        words = line.split()
        if not words:
            continue
        command = [w for w in words[1:] if re.fullmatch(r"[a-z]+", w)]
        if words[0] != "ctpolicy":
            fail(block, f"a usage line that is not ctpolicy's: {line}")
            continue
        run = subprocess.run([str(cli), *command, "--help"], capture_output=True, text=True, timeout=30)
        if run.returncode != 0:
            fail(block, f"ctpolicy {' '.join(command)} --help failed: {run.stderr}")
        for flag in re.findall(r"--[a-z][a-z-]*", line):
            if flag not in run.stdout:
                fail(block, f"ctpolicy {' '.join(command)} has no {flag} (its --help)")
        for values in re.findall(r"--[a-z-]+ ([a-z]+(?:\|[a-z]+)+)", line):
            for value in values.split("|"):
                if value not in run.stdout:
                    fail(block, f"ctpolicy {' '.join(command)}: {value} is not among the values its --help lists")


# ---------------------------------------------------------------- xml

def check_xml(block: Block, version: str) -> None:
    text = re.sub(r"^<\?xml[^>]*\?>\s*", "", block.text)
    try:
        tree = ET.fromstring(f"<snippet>{text}</snippet>")
    except ET.ParseError as err:
        fail(block, f"not well-formed XML: {err}")
        return
    for dep in tree.iter():
        if dep.tag.endswith("dependency"):
            fields = {child.tag.split("}")[-1]: (child.text or "").strip() for child in dep}
            if fields.get("artifactId") == "ctpolicy" and fields.get("version") != version:
                fail(block, f"depends on ctpolicy {fields.get('version')}, the project is {version}")


def check(block: Block, cli: Path, targets: set[str], version: str, work: Path) -> None:
    if not block.lang:
        fail(block, "a fence without a language tag: tag it (text for output and listings; see tests/snippets/blocks.py)")
    elif block.lang in NOT_CODE or block.not_run is not None:
        pass
    elif block.lang not in RUNNERS:
        fail(block, f"no runner exercises `{block.lang}` blocks (RUNNERS in tests/snippets/catalog.py)")
    elif block.lang == "json":
        check_json(block, cli, work)
    elif block.lang == "sh":
        check_sh(block, cli, targets, version, work)
    elif block.lang == "console":
        check_console(block)
    elif block.lang == "xml":
        check_xml(block, version)
    elif block.lang == "usage":
        check_usage(block, cli)


# Blocks each check must refuse: the catalog can fail.
MUST_FAIL = [
    ("", "x = 1\n"),
    ("ruby", "puts 1\n"),
    ("json", '{"a": 1,}\n'),
    ("json", '{"customer_present": "yes"}\n'),
    ("json", '{"allowed_regions": "eu1"}\n'),
    ("sh", "make no-such-target\n"),
    ("sh", "ctpolicy check --no-such-flag examples/requests.jsonl\n"),
    ("sh", "ctpolicy apply --event examples/events/no-such.json --no-such-flag\n"),
    ("sh", "bindings/python/no_such_script.py\n"),
    ("sh", "python3 bindings/python/bench.py --no-such-option\n"),
    ("sh", "no-such-program --help\n"),
    ("sh", "go get ctpolicy.dev/ctpolicy/bindings/go@v0.0.1\n"),
    ("console", "$ ctpolicy rules | head -1\nno such output\n"),
    ("usage", "ctpolicy vault lint [--no-such-flag]\n"),
    ("xml", "<dependency><artifactId>ctpolicy</artifactId><version>0.0.1</version></dependency>\n"),
    ("xml", "<dependency>\n"),
]


def self_test(cli: Path, targets: set[str], version: str, work: Path) -> None:
    for i, (lang, text) in enumerate(MUST_FAIL):
        block = Block("self-test.md", i + 1, lang, text, None)
        before = len(failures)
        check(block, cli, targets, version, work)
        if len(failures) == before:
            failures.append(f"self-test: the catalog accepted a bad {lang or 'untagged'} block: {text!r}")
        else:
            del failures[before:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", default=str(ROOT / "target/release/ctpolicy"))
    cli = Path(parser.parse_args().cli).resolve()
    if not cli.is_file():
        raise SystemExit(f"{cli} is missing: run `make build` first")
    blocks = all_blocks()
    version, targets = project_version(), make_targets()
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="ctpolicy-snippets.") as tmp:
        work = Path(tmp)
        for block in blocks:
            kind = f"{block.lang or '(none)'}{' not-run' if block.not_run else ''}"
            counts[kind] = counts.get(kind, 0) + 1
            check(block, cli, targets, version, work)
        self_test(cli, targets, version, work)
    for lang, runner in sorted(RUNNERS.items()):
        source = ROOT / runner
        if not source.is_file() or "blocks.py" not in source.read_text():
            failures.append(f"the runner of `{lang}` blocks, {runner}, does not read them through tests/snippets/blocks.py")
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    if failures:
        print("\n".join(failures), file=sys.stderr)
        print(f"snippets: {len(failures)} failed; blocks: {summary}", file=sys.stderr)
        raise SystemExit(1)
    print(f"snippets: {len(blocks)} blocks in {len({b.file for b in blocks})} files, every one exercised or marked: {summary}")


if __name__ == "__main__":
    main()
