"""The README's example runs as written, and bench.py runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from support import PACKAGE_ROOT, REPO_ROOT


def _readme_example(what: str, *needles: str) -> str:
    """The first python block of README.md holding every one of ``needles``."""
    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    found = [b for b in blocks if all(n in b for n in needles)]
    assert found, f"README.md has no {what}"
    return str(found[0])


def _run_script(script: Path) -> subprocess.CompletedProcess[str]:
    """Runs ``script`` with the package importable from this checkout; it must succeed."""
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_readme_example_runs(tmp_path: Path) -> None:
    script = tmp_path / "renewal.py"
    script.write_text(_readme_example("python example"), encoding="utf-8")
    proc = _run_script(script)
    assert "pre-flight ALLOW token=sha256:" in proc.stderr
    assert "Transition(record={'customer_token': '<redacted sha256:" in proc.stdout


def test_bench_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(PACKAGE_ROOT / "bench.py"), "--calls", "50", "--batches", "3", "--batch-size", "100", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"Engine.check(dict)"' in proc.stdout and '"parse_token(str)"' in proc.stdout
    assert '"Engine.check_charge"' in proc.stdout and '"Engine.check_many(dicts), per request"' in proc.stdout


def test_bench_uses_the_shared_fixtures() -> None:
    import bench

    fixtures = (REPO_ROOT / "benches" / "fixtures.rs").read_text(encoding="utf-8")
    found = dict(re.findall(r'pub const (\w+): &str = r#"(.*?)"#;', fixtures, re.DOTALL))
    assert found["RENEWAL"] == bench.RENEWAL_TEXT
    assert found["STRICT_POLICY"] == bench.STRICT_POLICY_TEXT


def test_readme_fast_path_example_runs(tmp_path: Path) -> None:
    script = tmp_path / "fast.py"
    script.write_text(_readme_example("check_charge/check_many example", "check_charge(", "check_many("), encoding="utf-8")
    proc = _run_script(script)
    assert "Verdict(allowed=True, violations=(), warnings=(), fingerprint='sha256:" in proc.stdout
    assert "DENY ('CURRENCY_INVALID',)\n" in proc.stdout
    assert "1 0 1\n" in proc.stdout and "not decided: MISSING_FIELD" in proc.stdout


def test_readme_redaction_example_runs(tmp_path: Path) -> None:
    script = tmp_path / "redaction.py"
    script.write_text(_readme_example("RedactingFilter example", "RedactingFilter()", "logging.exception"), encoding="utf-8")
    proc = _run_script(script)
    assert proc.stdout == "GET /tokens/[customer-token sha256:fbd243d6cfff6992680e9826007c1ce0dae0840836658d8a80849b2a17d9807d]\nTrue\n"
    assert "INFO renewing [customer-token sha256:fbd243d6" in proc.stderr
    assert "LookupError: no record for [customer-token sha256:" in proc.stderr
    assert "a1b2c3d4-e5f6" not in proc.stdout + proc.stderr


def test_readme_audit_example_runs(tmp_path: Path) -> None:
    example = _readme_example("audit example", "AuditLog(", "verify_audit_log(")
    log = tmp_path / "audit.log"
    script = tmp_path / "audit.py"
    script.write_text(example.replace("/tmp/ctpolicy-audit.log", str(log)), encoding="utf-8")
    for run in (1, 2):  # the second run continues the log
        proc = _run_script(script)
        assert re.fullmatch(rf"ALLOW {run} sha256:[0-9a-f]{{64}}\n", proc.stdout), proc.stdout
