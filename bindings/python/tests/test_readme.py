"""The README's example runs as written, and bench.py runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from support import PACKAGE_ROOT, REPO_ROOT


def test_readme_example_runs(tmp_path: Path) -> None:
    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert blocks, "README.md has no python example"
    script = tmp_path / "renewal.py"
    script.write_text(blocks[0], encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
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
    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    fast = [b for b in blocks if "check_charge(" in b and "check_many(" in b]
    assert fast, "README.md has no check_charge/check_many example"
    script = tmp_path / "fast.py"
    script.write_text(fast[0], encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Verdict(allowed=True, violations=(), warnings=(), fingerprint='sha256:" in proc.stdout
    assert "DENY ('CURRENCY_INVALID',)\n" in proc.stdout
    assert "1 0 1\n" in proc.stdout and "not decided: MISSING_FIELD" in proc.stdout


def test_readme_redaction_example_runs(tmp_path: Path) -> None:
    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    found = [b for b in blocks if "RedactingFilter()" in b and "logging.exception" in b]
    assert found, "README.md has no RedactingFilter example"
    script = tmp_path / "redaction.py"
    script.write_text(found[0], encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "GET /tokens/[customer-token sha256:fbd243d6cfff6992680e9826007c1ce0dae0840836658d8a80849b2a17d9807d]\nTrue\n"
    assert "INFO renewing [customer-token sha256:fbd243d6" in proc.stderr
    assert "LookupError: no record for [customer-token sha256:" in proc.stderr
    assert "a1b2c3d4-e5f6" not in proc.stdout + proc.stderr


def test_readme_audit_example_runs(tmp_path: Path) -> None:
    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    found = [b for b in blocks if "AuditLog(" in b and "verify_audit_log(" in b]
    assert found, "README.md has no audit example"
    log = tmp_path / "audit.log"
    script = tmp_path / "audit.py"
    script.write_text(found[0].replace("/tmp/ctpolicy-audit.log", str(log)), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    for run in (1, 2):  # the second run continues the log
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert re.fullmatch(rf"ALLOW {run} sha256:[0-9a-f]{{64}}\n", proc.stdout), proc.stdout
