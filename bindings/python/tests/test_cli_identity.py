"""The binding answers exactly what the CLI answers, for every check vector.

For each policy of check.json, every case's request goes on one line of a
JSON Lines file, and ``ctpolicy check --format jsonl --policy P FILE`` prints
one line per input line, in order. Each line, parsed, must equal the
binding's raw decision object, or the raw error object it raised.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import ctpolicy
from support import CLI, Case, input_bytes, input_of, load_vectors


def _one_line(data: bytes) -> bool:
    """Whether ``data`` can stand as one JSON Lines line the CLI will read:
    no line break inside, and not blank (the CLI skips blank lines)."""
    return b"\n" not in data and data.strip(b" \t\r") != b""


def _binding_answer(engine: ctpolicy.Engine, data: bytes) -> tuple[dict[str, Any], str]:
    try:
        return engine.check_raw(data), "decision"
    except ctpolicy.Error as err:
        assert err.raw is not None, f"no raw error object for {err!r}"
        return err.raw, "error"


def test_cli_identity(tmp_path: Path) -> None:
    assert CLI.is_file(), f"the CLI {CLI} is missing: run `make build` first"
    data = load_vectors("check")
    policies: dict[str, Any] = data.get("policies", {})
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in data["cases"]:
        groups[case.get("policy", "default")].append(case)

    compared = 0
    left_out: list[str] = []
    for policy_name, group in sorted(groups.items()):
        policy = policies.get(policy_name, {})
        policy_file = tmp_path / f"{policy_name}.policy.json"
        policy_file.write_text(json.dumps(policy), encoding="utf-8")

        lines: list[bytes] = []
        names: list[str] = []
        for case in group:
            request = input_of(case, "request")
            assert request is not None
            raw = input_bytes(request)
            if not _one_line(raw):
                left_out.append(case["name"])
                continue
            lines.append(raw)
            names.append(case["name"])
        if not lines:
            continue
        requests_file = tmp_path / f"{policy_name}.jsonl"
        requests_file.write_bytes(b"\n".join(lines) + b"\n")

        proc = subprocess.run(
            [str(CLI), "check", "--format", "jsonl", "--policy", str(policy_file), str(requests_file)],
            capture_output=True,
            timeout=120,
        )
        out = proc.stdout.decode("utf-8").splitlines()
        assert len(out) == len(lines), (
            f"policy {policy_name}: {len(lines)} requests but {len(out)} output lines "
            f"(exit {proc.returncode}, stderr {proc.stderr[-2000:]!r})"
        )

        kinds: set[str] = set()
        denied = False
        with ctpolicy.Engine(policy) as engine:
            for name, line, printed in zip(names, lines, out):
                cli_answer = json.loads(printed)
                ours, kind = _binding_answer(engine, line)
                kinds.add(kind)
                denied = denied or (kind == "decision" and ours["decision"] == "DENY")
                assert ours == cli_answer, f"{policy_name}/{name}: binding {ours} != CLI {cli_answer}"
                compared += 1

        expected_exit = 2 if "error" in kinds else 1 if denied else 0
        assert proc.returncode == expected_exit, (
            f"policy {policy_name}: CLI exit {proc.returncode}, expected {expected_exit} "
            f"(stderr {proc.stderr[-2000:]!r})"
        )

    # Only requests that cannot be one line (a line break inside, or blank) are
    # left out; the vectors test covers them through the binding.
    assert compared >= len(data["cases"]) - len(left_out)
    assert len(left_out) <= len(data["cases"]) // 10, f"too many cases left out: {left_out}"
