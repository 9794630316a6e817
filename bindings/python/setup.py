"""Builds a platform wheel that carries the native library, building it first.

The package itself is pure Python (ctypes), but the wheel ships
libctpolicy.so, so it is tagged ``py3-none-<platform>``: any Python 3, no
Python ABI, this platform only (``make dist-python`` then repairs it with
auditwheel to its manylinux tag).

The library put into the wheel is built here with
``cargo build --release --locked --lib`` from the Rust crate, which is found
at (in this order):

* ``rust/`` beside this file: the copy of the crate an sdist carries;
* ``../..``: the repository root, when building from a checkout.

``$CTPOLICY_LIB`` (a library file, or a folder holding one) skips the cargo
build and packages that library instead: for packagers with their own build
of the library. ``$CARGO`` names the cargo to run, ``$CARGO_TARGET_DIR``
(cargo's own variable) where it builds. The copy in the wheel is stripped of
debug information and symbols the dynamic linker does not need.

``python -m build`` makes an sdist with the crate's sources in ``rust/`` and
builds the wheel from it the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent

#: What of the crate a library build needs, relative to the crate root. The
#: bench targets are declared in Cargo.toml, so cargo wants their files to
#: exist: every ``benches/*.rs`` goes along (whatever benches are added).
CRATE_FILES = ["Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml", "LICENSE"]
CRATE_DIRS = ["src", "include"]
CRATE_BENCH_GLOB = "benches/*.rs"
#: Where an sdist carries the crate, relative to this folder.
SDIST_CRATE = "rust"


def library_name() -> str:
    if sys.platform == "darwin":
        return "libctpolicy.dylib"
    if sys.platform == "win32":
        return "ctpolicy.dll"
    return "libctpolicy.so"


def is_ctpolicy_crate(folder: Path) -> bool:
    manifest = folder / "Cargo.toml"
    return manifest.is_file() and 'name = "ctpolicy"' in manifest.read_text(encoding="utf-8")


def find_crate() -> Path:
    """The Rust crate to build: the sdist's copy, else the checkout's root."""
    places = [HERE / SDIST_CRATE, HERE.parent.parent]
    for place in places:
        if is_ctpolicy_crate(place):
            return place
    raise SystemExit(
        "ctpolicy: cannot build the native library: the Rust crate is not at "
        + " or ".join(str(p) for p in places)
        + ". Build from a checkout of the repository or from the ctpolicy sdist, "
        "or set CTPOLICY_LIB to a built libctpolicy."
    )


def prebuilt_library() -> Path | None:
    """``$CTPOLICY_LIB`` as a library file, None when unset; an error when it points nowhere."""
    env = os.environ.get("CTPOLICY_LIB")
    if not env:
        return None
    path = Path(env) / library_name() if Path(env).is_dir() else Path(env)
    if not path.is_file():
        raise SystemExit(f"ctpolicy: CTPOLICY_LIB is set but {path} is not a file")
    return path


def cargo_build(crate: Path) -> Path:
    """Runs ``cargo build --release --locked --lib`` in ``crate``; the built library."""
    cargo = os.environ.get("CARGO", "cargo")
    if shutil.which(cargo) is None:
        raise SystemExit(
            f"ctpolicy: `{cargo}` (Rust's cargo) was not found on PATH; it is needed to build "
            "the native library libctpolicy. Install Rust (https://rustup.rs, or your "
            "distribution's cargo package, Rust 1.80 or later) and retry, or set CTPOLICY_LIB "
            "to an already built library."
        )
    target = Path(os.environ.get("CARGO_TARGET_DIR") or crate / "target")
    command = [cargo, "build", "--release", "--locked", "--lib"]
    print(f"ctpolicy: building the native library: {' '.join(command)} (in {crate})", flush=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    result = subprocess.run(command, cwd=crate, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(
            f"ctpolicy: `{' '.join(command)}` in {crate} failed (exit status {result.returncode}); "
            "its output is above"
        )
    built = target / "release" / library_name()
    if not built.is_file():
        raise SystemExit(f"ctpolicy: cargo succeeded but {built} does not exist")
    return built


def strip(library: Path) -> None:
    """Strips ``library`` in place (debug info and local symbols; exports stay)."""
    if sys.platform != "linux":
        return
    tool = shutil.which(os.environ.get("STRIP", "strip"))
    if tool is None:
        raise SystemExit(
            "ctpolicy: `strip` (binutils) was not found; it removes the library's 5 MB of "
            "debug information from the wheel. Install binutils, or set STRIP to a strip program."
        )
    subprocess.run([tool, "--strip-unneeded", str(library)], check=True)


class BuildPyWithLibrary(build_py):
    """build_py that also builds (or takes) the native library and puts it in the package."""

    def run(self) -> None:
        super().run()
        if self.dry_run:
            return
        source = prebuilt_library() or cargo_build(find_crate())
        target = Path(self.build_lib) / "ctpolicy" / library_name()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        os.chmod(target, 0o755)
        strip(target)


class SdistWithCrate(sdist):
    """sdist that also carries the Rust crate's sources in ``rust/``."""

    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        crate = find_crate()
        dest = Path(base_dir) / SDIST_CRATE
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        benches = sorted(str(p.relative_to(crate)) for p in crate.glob(CRATE_BENCH_GLOB))
        for name in CRATE_FILES + benches:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(crate / name, dest / name)
        for name in CRATE_DIRS:
            shutil.copytree(crate / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))


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
    cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel, "sdist": SdistWithCrate},
)
