"""The charge guard's runnable examples (examples/*.py) run as a new user
would run them, each against its own local stand-in for Klarna."""

from __future__ import annotations

import subprocess
import sys

import pytest

from support import PACKAGE_ROOT

EXAMPLES = PACKAGE_ROOT / "examples"


def run(name: str) -> str:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120, cwd=PACKAGE_ROOT.parent
    )
    assert out.returncode == 0, out.stderr
    assert "krn:customer-token" not in out.stdout + out.stderr
    return out.stdout


def test_renewal_worker() -> None:
    out = run("renewal_worker.py")
    assert "sub_1: APPROVED" in out
    assert "sub_2: DECLINED -> DECLINED -> held back: ATTEMPT_LIMIT_EXCEEDED" in out
    assert "sub_3: held back: TOKEN_REVOKED" in out
    assert "requests that reached Klarna: 3; declined attempts kept in sub_2's record: 2" in out


def test_checkout_handler() -> None:
    out = run("checkout_handler.py")
    assert "sign-up with first payment: APPROVED; token stored for cust_7" in out
    assert "second purchase with the token: APPROVED; attempts recorded: 2" in out
    assert "not sent: STEP_UP_CONFIG_INVALID" in out
    assert "requests that reached Klarna: 2" in out


@pytest.mark.parametrize("name", ["renewal_worker", "checkout_handler"])
def test_examples_return_what_they_print(name: str) -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        module = __import__(name)
        result = module.main()
    finally:
        sys.path.remove(str(EXAMPLES))
    assert result["sent"] in (2, 3)


def test_readme_guard_block_is_python() -> None:
    import re

    text = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.DOTALL) if "ChargeGuard(" in b]
    assert blocks, "README.md has no charge guard example"
    compile(blocks[0], "README.md", "exec")
    assert "## Put the guard in your HTTP client" in text


def test_bench_guard_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(PACKAGE_ROOT / "bench_guard.py"), "--requests", "20", "--rounds", "1"],
        capture_output=True, text=True, timeout=300, cwd=PACKAGE_ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "httpx.Client, loopback" in out.stdout and "requests.Session, loopback" in out.stdout


def test_bench_guard_measures_in_process_alone_in_paired_blocks() -> None:
    out = subprocess.run(
        [sys.executable, str(PACKAGE_ROOT / "bench_guard.py"), "--in-process-only",
         "--requests", "20", "--rounds", "3"],
        capture_output=True, text=True, timeout=300, cwd=PACKAGE_ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "httpx.Client, in process" in out.stdout and "median of 3 paired blocks of 20" in out.stdout
    assert "loopback" not in out.stdout
