"""The vault lint through the binding: every case of tests/vectors/vault.json,
the handle's life cycle, option errors, and the same findings as the CLI."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import ctpolicy
from support import CLI, REPO_ROOT, Case, case_ids, cases

VAULT_CASES = cases("vault")
GOOD: dict[str, Any] = {
    "customer_token": "krn:customer-token:eu1:abcdef12",
    "customer_token_reference": "r1",
    "scopes": ["payment:customer_not_present"],
    "state": "ACTIVE",
    "created_at": "2026-01-01T00:00:00Z",
    "customer_id": "c1",
}


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """Non-blank lines with their 1-based numbers (LF ends a line)."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [(n, line) for n, line in enumerate(lines, 1) if line.strip(b" \t\r") != b""]


def _file_bytes(f: dict[str, Any]) -> bytes:
    return f["text"].encode("utf-8") if "text" in f else base64.b64decode(f["base64"])


def _lint_for(case: Case) -> ctpolicy.VaultLint:
    options = case["options"]
    return ctpolicy.VaultLint(
        options.get("policy"), now=options.get("now"), stale_days=options.get("stale_days")
    )


def test_vault_vectors_present() -> None:
    assert len(VAULT_CASES) >= 30


@pytest.mark.parametrize("case", VAULT_CASES, ids=case_ids(VAULT_CASES))
def test_vault_vector(case: Case) -> None:
    fed: list[tuple[str, int]] = []
    got: list[dict[str, Any]] = []
    with _lint_for(case) as lint:
        for f in case["files"]:
            for number, record in _records(_file_bytes(f)):
                fed.append((f["name"], number))
                for finding in lint.feed(record):
                    assert finding.line == len(fed)
                    related = None if finding.related_line is None else fed[finding.related_line - 1]
                    got.append({
                        "file": f["name"],
                        "line": number,
                        "code": finding.code,
                        "severity": finding.severity,
                        "detail": finding.detail,
                        "fingerprint": finding.fingerprint,
                        "related_line": None if related is None else related[1],
                        "related_file": None if related is None else related[0],
                    })
        assert lint.records_fed == len(fed)
    assert got == case["findings"]


def test_feed_takes_a_dict_text_or_bytes() -> None:
    with ctpolicy.VaultLint() as lint:
        assert lint.feed(GOOD) == []
        [dup] = lint.feed(json.dumps(GOOD))
        assert (dup.line, dup.code, dup.severity, dup.related_line) == (2, "DUPLICATE_TOKEN", "error", 1)
        assert dup.is_error
        [unreadable] = lint.feed(b"\xff")
        assert (unreadable.line, unreadable.code, unreadable.detail) == (3, "RECORD_UNREADABLE", "INVALID_UTF8")
        assert unreadable.fingerprint is None


def test_lint_yields_every_finding_in_order() -> None:
    broken = dict(GOOD, customer_token="krn:customer-token:eu1:abcdef12\n", customer_token_reference="r2")
    with ctpolicy.VaultLint(now=datetime(2026, 11, 30, tzinfo=timezone.utc), stale_days=30) as lint:
        findings = list(lint.lint([GOOD, broken, "[]"]))
    assert [(f.line, f.code, f.detail) for f in findings] == [
        (1, "STALE", None),
        (2, "TOKEN_MALFORMED", "INVALID_CHARACTER"),
        (2, "STALE", None),
        (3, "RECORD_UNREADABLE", "NOT_AN_OBJECT"),
    ]
    for finding in findings:
        assert "abcdef12" not in repr(finding)


def test_a_closed_lint_refuses_to_feed() -> None:
    lint = ctpolicy.VaultLint()
    lint.close()
    lint.close()
    assert lint.closed
    with pytest.raises(ctpolicy.EngineClosedError):
        lint.feed(GOOD)
    assert "closed" in repr(lint)


def test_bad_options_raise_and_never_echo_the_value() -> None:
    with pytest.raises(ctpolicy.PolicyError) as policy:
        ctpolicy.VaultLint({"allowed_region": ["eu1"]})
    assert policy.value.code == "UNKNOWN_FIELD"
    with pytest.raises(ctpolicy.EngineError) as now:
        ctpolicy.VaultLint(now="krn:customer-token:eu1:secret77")
    assert now.value.code == "INVALID_NOW"
    assert "secret77" not in str(now.value)
    with pytest.raises(ctpolicy.EngineError) as stale:
        ctpolicy.VaultLint(stale_days=3)
    assert stale.value.code == "STALE_DAYS_NEED_NOW"
    with pytest.raises(ValueError):
        ctpolicy.VaultLint(now="2026-11-30T00:00:00Z", stale_days=-1)
    with pytest.raises(TypeError):
        ctpolicy.VaultLint(now="2026-11-30T00:00:00Z", stale_days=True)
    with pytest.raises(ValueError):
        ctpolicy.VaultLint(now=datetime(2026, 11, 30))
    with pytest.raises(TypeError):
        ctpolicy.VaultLint(now=20261130)  # type: ignore[arg-type]


def test_same_findings_as_the_cli_on_the_readme_example() -> None:
    """The README's example export: the CLI's JSON Lines and the binding's
    findings are the same, once file names are put aside."""
    example = REPO_ROOT / "examples" / "vault" / "tokens.jsonl"
    policy = REPO_ROOT / "examples" / "vault" / "policy.json"
    now = "2026-11-30T00:00:00Z"
    done = subprocess.run(
        [str(CLI), "vault", "lint", "--format", "jsonl", "--policy", str(policy), "--now", now,
         "--stale-days", "180", str(example)],
        capture_output=True, check=False,
    )
    assert done.returncode == 1, done.stderr
    cli = [json.loads(line) for line in done.stdout.decode().splitlines()]
    records = _records(example.read_bytes())
    numbers = [n for n, _ in records]
    with ctpolicy.VaultLint(json.loads(policy.read_text()), now=now, stale_days=180) as lint:
        ours = [f for _, record in records for f in lint.feed(record)]
    assert len(ours) == len(cli) > 5
    for mine, theirs in zip(ours, cli):
        assert theirs["line"] == numbers[mine.line - 1]
        assert (mine.code, mine.severity, mine.detail, mine.fingerprint) == (
            theirs["code"], theirs["severity"], theirs["detail"], theirs["fingerprint"]
        )
        related = None if mine.related_line is None else numbers[mine.related_line - 1]
        assert related == theirs["related_line"]


def test_readme_documents_the_vault_lint() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "VaultLint" in readme


def test_readme_vault_example_runs(tmp_path: Path) -> None:
    import os
    import re
    import sys

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = text.split("## Vault lint", 1)[1]
    block = re.findall(r"```python\n(.*?)```", section, re.DOTALL)[0]
    script = tmp_path / "vault_example.py"
    script.write_text(block, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          cwd=REPO_ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "error DUPLICATE_TOKEN None record 4 (first seen as record 1)" in proc.stdout
    assert proc.stdout.rstrip().endswith("records checked")


# ---------------------------------------------------------------- shards


def _shard_of(text: str, count: int) -> int:
    import hashlib

    return 1 + int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % count


def _shard_records() -> list[str]:
    base = (
        '{"customer_token":"krn:customer-token:eu1:t%d","customer_token_reference":"r%d",'
        '"scopes":["payment:customer_present"],"state":"ACTIVE","created_at":"2026-01-01T00:00:00Z"%s}'
    )
    out = []
    for i in range(400):
        if i % 7 == 0:
            out.append(base % (i // 2, i, ""))  # duplicate tokens
        elif i % 11 == 0:
            out.append(base % (i, i // 3, ',"customer_id":"c"'))  # duplicate references
        elif i % 13 == 0:
            out.append('{"customer_token":5}')
        elif i % 17 == 0:
            out.append("{oops")
        else:
            out.append(base % (i, i, ',"customer_id":"c"'))
    return out


def test_shards_report_together_what_one_lint_reports() -> None:
    records = _shard_records()
    with ctpolicy.VaultLint() as plain:
        expected = [(f.line, f.code, f.detail, f.related_line) for f in plain.lint(records)]
    assert any(code == "DUPLICATE_REFERENCE" for _, code, _, _ in expected)
    assert any(code == "DUPLICATE_TOKEN" for _, code, _, _ in expected)
    union = []
    for index in range(1, 4):
        with ctpolicy.VaultLint(shard=(index, 3)) as lint:
            assert lint.shard == (index, 3)
            for f in lint.lint(records):
                record = json.loads(records[f.line - 1]) if not records[f.line - 1].startswith("{oops") else {}
                if f.code == "DUPLICATE_REFERENCE":
                    assert _shard_of(record["customer_token_reference"], 3) == index
                elif isinstance(record.get("customer_token"), str):
                    assert _shard_of(record["customer_token"], 3) == index
                else:
                    assert index == 1
                union.append((f.line, f.code, f.detail, f.related_line))
    # The V1 order of one record's findings: DUPLICATE_REFERENCE is last.
    union.sort(key=lambda x: (x[0], x[1] == "DUPLICATE_REFERENCE"))
    assert union == expected


def test_a_bad_shard_is_refused() -> None:
    for bad in [(0, 3), (4, 3), (1, 0)]:
        with pytest.raises(ValueError):
            ctpolicy.VaultLint(shard=bad)
    with pytest.raises(TypeError):
        ctpolicy.VaultLint(shard=[1, 2])  # type: ignore[arg-type]
