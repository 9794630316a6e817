"""The wheel: built from this folder with a given library ($CTPOLICY_LIB), carrying
it stripped and LICENSE, tagged py3-none-<platform>, installed into a fresh venv
without the network. (test_install.sh builds it from a clean copy with cargo.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import ctpolicy
from ctpolicy import _native
from support import PACKAGE_ROOT, RELEASE

SCRIPT = r"""
import os, sys
import ctpolicy, ctpolicy._native as native
here = os.path.dirname(ctpolicy.__file__)
assert here.startswith(sys.prefix), (here, sys.prefix)
assert str(native.LIBRARY_PATH) == os.path.join(here, native.library_filename()), native.LIBRARY_PATH
assert os.path.isfile(os.path.join(here, "py.typed"))
with ctpolicy.Engine({"allowed_regions": ["eu1"]}) as engine:
    d = engine.check({
        "customer_present": False,
        "headers": {"Klarna-Customer-Token": "krn:customer-token:us1:abc", "Klarna-Idempotency-Key": "k-1"},
        "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1000}},
        "token_record": {"customer_token": "krn:customer-token:us1:abc",
                         "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
    })
assert d.decision == "DENY", d
assert [v.code for v in d.violations] == ["TOKEN_REGION_NOT_ALLOWED"], d.violations
assert d.token is not None and d.token.region == "us1"
print("OK", ctpolicy.__version__, ctpolicy.library_version())
"""


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc  # type: ignore[no-any-return]


def test_wheel_installs_into_fresh_venv(tmp_path: Path) -> None:
    # Build from a clean copy of the sources, so the build leaves nothing here.
    src = tmp_path / "src"
    shutil.copytree(
        PACKAGE_ROOT,
        src,
        ignore=shutil.ignore_patterns(".venv", "build", "dist", "*.egg-info", "__pycache__", "*.so", ".*cache"),
    )
    env = dict(os.environ)
    env[_native.LIBRARY_ENV] = str(RELEASE / _native.library_filename())
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist), str(src)],
        env=env,
    )
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    wheel = wheels[0]
    platform = re.sub(r"[-.]", "_", sysconfig.get_platform())
    assert wheel.name == f"ctpolicy-{ctpolicy.__version__}-py3-none-{platform}.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        library = tmp_path / _native.library_filename()
        library.write_bytes(zf.read(f"ctpolicy/{_native.library_filename()}"))
        license_text = zf.read(f"ctpolicy-{ctpolicy.__version__}.dist-info/licenses/LICENSE").decode()
        wheel_meta = zf.read(f"ctpolicy-{ctpolicy.__version__}.dist-info/WHEEL").decode()
    assert "ctpolicy/py.typed" in names and "ctpolicy/_native.py" in names
    assert "Root-Is-Purelib: false" in wheel_meta
    assert f"Tag: py3-none-{platform}" in wheel_meta
    assert not any(n.startswith("tests/") for n in names)
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    # The packaged copy is CTPOLICY_LIB's, stripped: no debug info, no static
    # symbol table, the exports still there.
    sections = _run(["readelf", "-S", "--wide", str(library)]).stdout
    assert ".debug_info" not in sections and ".symtab" not in sections, sections
    assert " ctp_check_json\n" in _run(["readelf", "--dyn-syms", "--wide", str(library)]).stdout + "\n"
    assert library.stat().st_size < (RELEASE / _native.library_filename()).stat().st_size

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    clean_env = {k: v for k, v in os.environ.items() if k not in (_native.LIBRARY_ENV, "PYTHONPATH")}
    clean_env.pop("PIP_FIND_LINKS", None)
    _run([str(py), "-m", "pip", "install", "--no-index", "--no-deps", str(wheel)], env=clean_env)
    work = tmp_path / "elsewhere"
    work.mkdir()
    proc = _run([str(py), "-c", SCRIPT], env=clean_env, cwd=work)
    assert proc.stdout.strip() == f"OK {ctpolicy.__version__} {ctpolicy.library_version()}"
