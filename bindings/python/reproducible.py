#!/usr/bin/env python3
"""Rewrites an sdist (.tar.gz) or a wheel (.whl) so that two builds of one
commit are byte-identical (make dist's SHA256SUMS): every entry dated at
SOURCE_DATE_EPOCH (package.sh sets it to the last commit's time), owners
and the gzip header cleared, tar entries in name order. The contents, and
so a wheel's RECORD hashes, stay as they are.

    python3 bindings/python/reproducible.py ARCHIVE...
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import tarfile
import time
import zipfile
from pathlib import Path


def epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value.isdigit():
        raise SystemExit("reproducible.py: SOURCE_DATE_EPOCH must be set to a Unix time")
    return int(value)


def sdist(path: Path, when: int) -> None:
    with tarfile.open(path, "r:gz") as source:
        members = sorted(source.getmembers(), key=lambda m: m.name)
        entries = [(m, source.extractfile(m).read() if m.isfile() else None) for m in members]  # type: ignore[union-attr]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as target:
        for member, data in entries:
            member.mtime, member.uid, member.gid, member.uname, member.gname = when, 0, 0, "", ""
            member.pax_headers = {}
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    with open(path, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=when) as packed:
        packed.write(raw.getvalue())


def wheel(path: Path, when: int) -> None:
    stamp = time.gmtime(max(when, 315532800))[:6]  # zip dates start in 1980
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)  # type: ignore[arg-type]
            fixed.external_attr, fixed.compress_type, fixed.create_system = info.external_attr, zipfile.ZIP_DEFLATED, 3
            target.writestr(fixed, data)


def main() -> None:
    when = epoch()
    for name in sys.argv[1:]:
        path = Path(name)
        if name.endswith(".tar.gz"):
            sdist(path, when)
        elif name.endswith(".whl"):
            wheel(path, when)
        else:
            raise SystemExit(f"reproducible.py: {name} is neither an sdist nor a wheel")


if __name__ == "__main__":
    main()
