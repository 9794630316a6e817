"""Builds a platform wheel that carries the native library.

The package itself is pure Python (ctypes), but the wheel ships
libctpolicy.so, so it is tagged ``py3-none-<platform>``: any Python 3, no
Python ABI, this platform only.

The library copied into the wheel is, in this order: ``$CTPOLICY_LIB``, the
repository's ``../../target/release/libctpolicy.so`` (run ``make build``
first), or a copy already placed in ``ctpolicy/``. Build straight from this
folder (``pip wheel .``, ``pip install .`` or ``python -m build --wheel``);
an sdist does not carry the library.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent


def library_name() -> str:
    if sys.platform == "darwin":
        return "libctpolicy.dylib"
    if sys.platform == "win32":
        return "ctpolicy.dll"
    return "libctpolicy.so"


def find_library() -> Path:
    name = library_name()
    places = []
    env = os.environ.get("CTPOLICY_LIB")
    if env:
        places.append(Path(env) / name if Path(env).is_dir() else Path(env))
    places.append(HERE.parent.parent / "target" / "release" / name)
    places.append(HERE / "ctpolicy" / name)
    for place in places:
        if place.is_file():
            return place
    raise SystemExit(
        "ctpolicy: no native library to put in the wheel; looked at:\n  "
        + "\n  ".join(str(p) for p in places)
        + "\nRun `cargo build --release` in the repository or set CTPOLICY_LIB."
    )


class BuildPyWithLibrary(build_py):
    """build_py that also copies the native library into the package."""

    def run(self) -> None:
        super().run()
        if self.dry_run:
            return
        target = Path(self.build_lib) / "ctpolicy" / library_name()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(find_library(), target)
        os.chmod(target, 0o755)


class BinaryDistribution(Distribution):
    """Says the package is not pure, so everything installs into platlib."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """A wheel for this platform, for any Python 3: py3-none-<platform>."""

    def finalize_options(self) -> None:
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel},
)
