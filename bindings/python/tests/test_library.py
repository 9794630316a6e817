"""Finding and checking the native library."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ctpolicy
from ctpolicy import _native
from support import PACKAGE_ROOT, RELEASE


def _import_in_subprocess(env_lib: str | None, pythonpath: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != _native.LIBRARY_ENV}
    if env_lib is not None:
        env[_native.LIBRARY_ENV] = env_lib
    env["PYTHONPATH"] = str(pythonpath)
    code = "import ctpolicy, ctpolicy._native as n; print(n.LIBRARY_PATH); print(ctpolicy.library_version())"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def _bare_copy(tmp_path: Path) -> Path:
    """The package's Python files alone, where no library is anywhere near."""
    root = tmp_path / "a" / "b" / "c"
    shutil.copytree(PACKAGE_ROOT / "ctpolicy", root / "ctpolicy", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    return root


def test_loaded_from_repository_or_env() -> None:
    assert _native.LIBRARY_PATH.is_file()


def test_env_var_wins(tmp_path: Path) -> None:
    lib = tmp_path / "elsewhere" / _native.library_filename()
    lib.parent.mkdir()
    shutil.copyfile(RELEASE / _native.library_filename(), lib)
    proc = _import_in_subprocess(str(lib), PACKAGE_ROOT, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [str(lib), ctpolicy.library_version()]
    # a folder holding the library works too
    proc = _import_in_subprocess(str(lib.parent), PACKAGE_ROOT, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == str(lib)


def test_env_var_pointing_nowhere_is_an_error(tmp_path: Path) -> None:
    proc = _import_in_subprocess(str(tmp_path / "missing.so"), PACKAGE_ROOT, tmp_path)
    assert proc.returncode != 0
    assert "LibraryLoadError" in proc.stderr
    assert "CTPOLICY_LIB is set but" in proc.stderr


def test_package_copy_is_found(tmp_path: Path) -> None:
    root = _bare_copy(tmp_path)
    packaged = root / "ctpolicy" / _native.library_filename()
    shutil.copyfile(RELEASE / _native.library_filename(), packaged)
    proc = _import_in_subprocess(None, root, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == str(packaged)


def _checkout_copy(tmp_path: Path) -> Path:
    """The package's Python files at bindings/python of a (bare) checkout."""
    repo = tmp_path / "repo"
    root = repo / "bindings" / "python"
    shutil.copytree(PACKAGE_ROOT / "ctpolicy", root / "ctpolicy", ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    (repo / "Cargo.toml").write_text('[package]\nname = "ctpolicy"\n')
    return root


def test_repository_build_output_is_found(tmp_path: Path) -> None:
    root = _checkout_copy(tmp_path)
    repo_lib = tmp_path / "repo" / "target" / "release" / _native.library_filename()
    repo_lib.parent.mkdir(parents=True)
    shutil.copyfile(RELEASE / _native.library_filename(), repo_lib)
    proc = _import_in_subprocess(None, root, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.splitlines()[0]) == repo_lib.resolve()


def test_not_found_in_a_checkout_names_three_places(tmp_path: Path) -> None:
    root = _checkout_copy(tmp_path)
    proc = _import_in_subprocess(None, root, tmp_path)
    assert proc.returncode != 0
    err = proc.stderr
    assert "LibraryLoadError" in err and "not found" in err
    assert "$CTPOLICY_LIB: (not set)" in err
    assert f"the installed package: {root / 'ctpolicy' / _native.library_filename()}" in err
    assert "the repository build output: " + str(tmp_path / "repo" / "target" / "release") in err
    assert "run `make build` in the repository" in err


def test_not_found_when_installed_names_no_repository(tmp_path: Path) -> None:
    # An installed package (site-packages/ctpolicy) has no checkout around it:
    # the error names the two places that exist for it and says to reinstall.
    root = _bare_copy(tmp_path)
    proc = _import_in_subprocess(None, root, tmp_path)
    assert proc.returncode != 0
    err = proc.stderr
    assert "LibraryLoadError" in err and "not found" in err
    assert "$CTPOLICY_LIB: (not set)" in err
    assert f"the installed package: {root / 'ctpolicy' / _native.library_filename()}" in err
    assert "repository" not in err and "target" not in err
    assert "reinstall it from the wheel or folder you installed it from" in err
    # Never a bare `pip install ctpolicy`: that name on the public index is not ours.
    assert "--no-index --find-links" in err
    assert "pip install --force-reinstall ctpolicy" not in err


def test_abi_mismatch_is_a_clear_error() -> None:
    _native.check_abi(_native.ABI_VERSION, "lib")
    with pytest.raises(_native.LibraryLoadError) as info:
        _native.check_abi(_native.ABI_VERSION + 1, "/x/libctpolicy.so")
    message = str(info.value)
    assert "/x/libctpolicy.so implements C ABI version 3" in message
    assert "needs version 2" in message
    assert isinstance(info.value, ImportError)


def test_not_a_library(tmp_path: Path) -> None:
    fake = tmp_path / "libctpolicy.so"
    fake.write_bytes(b"not an ELF file")
    proc = _import_in_subprocess(str(fake), PACKAGE_ROOT, tmp_path)
    assert proc.returncode != 0
    assert "cannot load" in proc.stderr
