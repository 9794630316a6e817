"""Every function of include/ctpolicy.h is declared, with the right types,
in the raw layer; and its status constants are the raw layer's."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ctpolicy import _native
from support import REPO_ROOT

HEADER = REPO_ROOT / "include" / "ctpolicy.h"

# C type (whitespace normalised) -> the ctypes type the raw layer must use.
C_TO_CTYPES: dict[str, Any] = {
    "void": None,
    "uint32_t": ctypes.c_uint32,
    "size_t": ctypes.c_size_t,
    "const uint8_t *": ctypes.c_char_p,  # borrowed input: bytes by address
    "const char *": ctypes.c_char_p,  # static strings only
    "struct ctp_engine *": ctypes.c_void_p,
    "const struct ctp_engine *": ctypes.c_void_p,
    "struct ctp_engine **": ctypes.POINTER(ctypes.c_void_p),
    "uint64_t": ctypes.c_uint64,
    "struct ctp_audit_log *": ctypes.c_void_p,
    "const struct ctp_audit_log *": ctypes.c_void_p,
    "struct ctp_audit_log **": ctypes.POINTER(ctypes.c_void_p),
    "struct ctp_buf *": ctypes.POINTER(_native.CtpBuf),
    "struct ctp_verdict *": ctypes.POINTER(_native.CtpVerdict),
    "struct ctp_batch_counts *": ctypes.POINTER(_native.CtpBatchCounts),
    "const struct ctp_typed_charge *": ctypes.POINTER(_native.CtpTypedCharge),
    "const struct ctp_input *": ctypes.POINTER(_native.CtpInput),
    "struct ctp_result *": ctypes.POINTER(_native.CtpResult),
    "struct ctp_placed_result *": ctypes.POINTER(_native.CtpPlacedResult),
    "size_t *": ctypes.POINTER(ctypes.c_size_t),
    "uint8_t *": ctypes.POINTER(ctypes.c_uint8),  # a caller's buffer the library writes
    "struct ctp_redactor *": ctypes.c_void_p,
    "const struct ctp_redactor *": ctypes.c_void_p,
    "struct ctp_redactor **": ctypes.POINTER(ctypes.c_void_p),
    "int64_t": ctypes.c_int64,
    "struct ctp_vault *": ctypes.c_void_p,
    "struct ctp_vault **": ctypes.POINTER(ctypes.c_void_p),
}

# C field type -> the ctypes type a structure field must have.
FIELD_CTYPES: dict[str, Any] = {
    "uint8_t *": ctypes.POINTER(ctypes.c_uint8),
    "const uint8_t *": ctypes.c_char_p,  # borrowed input, as for parameters
    "size_t": ctypes.c_size_t,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "uint8_t": ctypes.c_uint8,
    "uint16_t": ctypes.c_uint16,
    "struct ctp_buf": _native.CtpBuf,
    "const struct ctp_input *": ctypes.POINTER(_native.CtpInput),
    "const int64_t *": ctypes.POINTER(ctypes.c_int64),
}

#: The header's structures and the raw layer's classes for them.
STRUCTS: dict[str, type[ctypes.Structure]] = {
    "ctp_buf": _native.CtpBuf,
    "ctp_verdict": _native.CtpVerdict,
    "ctp_batch_counts": _native.CtpBatchCounts,
    "ctp_typed_charge": _native.CtpTypedCharge,
    "ctp_input": _native.CtpInput,
    "ctp_result": _native.CtpResult,
    "ctp_placed_result": _native.CtpPlacedResult,
}

DECLARATION = re.compile(
    r"^(?P<ret>[A-Za-z_][\w \t]*?[\s\*]+)(?P<name>ctp_\w+)\s*\((?P<params>[^)]*)\)\s*;",
    re.MULTILINE,
)


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    return re.sub(r"//[^\n]*", " ", text)


def _norm(c_type: str) -> str:
    c_type = re.sub(r"\s+", " ", c_type.strip())
    c_type = re.sub(r"\s*\*", " *", c_type)
    return c_type.replace("* *", "**")


def _param_type(param: str) -> str:
    # "const uint8_t *policy_json" -> "const uint8_t *"
    param = param.strip()
    match = re.match(r"^(.*?[\s\*])(\w+)$", param)
    assert match, f"cannot read parameter {param!r}"
    return _norm(match.group(1))


def header_functions() -> dict[str, tuple[str, list[str]]]:
    text = _strip_comments(HEADER.read_text(encoding="utf-8"))
    found: dict[str, tuple[str, list[str]]] = {}
    for m in DECLARATION.finditer(text):
        params = m.group("params").strip()
        types = [] if params in ("", "void") else [_param_type(p) for p in params.split(",")]
        found[m.group("name")] = (_norm(m.group("ret")), types)
    return found


def test_header_parses() -> None:
    functions = header_functions()
    assert "ctp_check_json" in functions and "ctp_buf_free" in functions
    # every "ctp_xxx(" at the start of a declaration was read
    text = _strip_comments(HEADER.read_text(encoding="utf-8"))
    names = set(re.findall(r"\b(ctp_\w+)\s*\(", text))
    assert names == set(functions), f"unread declarations: {names - set(functions)}"


def test_every_function_is_declared_with_its_types() -> None:
    functions = header_functions()
    assert set(_native.SIGNATURES) == set(functions), (
        f"missing in _native: {set(functions) - set(_native.SIGNATURES)}; "
        f"not in the header: {set(_native.SIGNATURES) - set(functions)}"
    )
    for name, (ret, params) in functions.items():
        assert ret in C_TO_CTYPES, f"{name}: unmapped return type {ret!r}"
        fn = getattr(_native.lib, name)
        assert fn.restype is C_TO_CTYPES[ret], f"{name}: restype {fn.restype} for {ret!r}"
        assert fn.argtypes is not None, f"{name}: argtypes not set"
        assert len(fn.argtypes) == len(params), f"{name}: {len(fn.argtypes)} argtypes for {params}"
        for i, (got, c_type) in enumerate(zip(fn.argtypes, params)):
            assert c_type in C_TO_CTYPES, f"{name}: unmapped parameter type {c_type!r}"
            assert got is C_TO_CTYPES[c_type], f"{name} argument {i}: {got} for {c_type!r}"


def test_owned_buffers_never_returned_as_c_char_p() -> None:
    # The only c_char_p results are the static strings of the header.
    for name, (restype, _) in _native.SIGNATURES.items():
        if restype is ctypes.c_char_p:
            assert name in ("ctp_version", "ctp_status_name", "ctp_reason_code"), name


def test_status_constants_match_header() -> None:
    text = HEADER.read_text(encoding="utf-8")
    defined = {m.group(1): int(m.group(2)) for m in re.finditer(r"#define CTP_(\w+) (\d+)\s*$", text, re.MULTILINE)}
    for name in (
        "OK",
        "INVALID_ARGUMENT",
        "INVALID_UTF8",
        "PANIC",
        "INVALID_REQUEST",
        "INVALID_POLICY",
        "TOKEN_INVALID",
        "TRANSITION_REJECTED",
    ):
        assert getattr(_native, name) == defined[name], name
    assert _native.ABI_VERSION == defined["ABI_VERSION"]
    statuses = {k: v for k, v in defined.items() if not k.startswith(("VERSION_", "ABI_"))}
    for name, number in statuses.items():
        assert getattr(_native, name) == number, f"CTP_{name} not in _native"


def header_structs() -> dict[str, list[tuple[str, str, int | None]]]:
    """struct name -> [(field, C type, array length or None)], in order."""
    text = _strip_comments(HEADER.read_text(encoding="utf-8"))
    found: dict[str, list[tuple[str, str, int | None]]] = {}
    for m in re.finditer(r"typedef struct (\w+) \{(.*?)\} \1;", text, re.DOTALL):
        fields = []
        for decl in m.group(2).split(";"):
            decl = decl.strip()
            if not decl:
                continue
            fm = re.match(r"^(.*?[\s\*])(\w+)(?:\[(\w+)\])?$", decl, re.DOTALL)
            assert fm, f"cannot read field {decl!r} of {m.group(1)}"
            length = fm.group(3)
            fields.append((fm.group(2), _norm(fm.group(1)), int(length) if length is not None else None))
        found[m.group(1)] = fields
    return found


def test_every_struct_has_the_header_layout() -> None:
    structs = header_structs()
    assert set(structs) == set(STRUCTS), f"header structs {set(structs)} != raw layer {set(STRUCTS)}"
    for name, fields in structs.items():
        cls = STRUCTS[name]
        ours = cls._fields_
        assert [f[0] for f in ours] == [f[0] for f in fields], f"{name}: field names/order"
        for (field, c_type, length), declared in zip(fields, ours):
            got: Any = declared[1]
            want = FIELD_CTYPES[c_type]
            if length is not None:
                assert issubclass(got, ctypes.Array), f"{name}.{field} is not an array"
                assert got._length_ == length, f"{name}.{field}: length {got._length_} != {length}"
                assert got._type_ is want, f"{name}.{field}: element {got._type_} for {c_type!r}"
            else:
                assert got is want, f"{name}.{field}: {got} for {c_type!r}"


def test_struct_offsets_match_the_c_compiler(tmp_path: Path) -> None:
    """sizeof and every offsetof, as a C compiler lays the header out."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler")
    lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "ctpolicy.h"', "int main(void) {"]
    for name, fields in header_structs().items():
        lines.append(f'printf("{name} %zu\\n", sizeof(struct {name}));')
        for field, _, _ in fields:
            lines.append(f'printf("{name}.{field} %zu\\n", offsetof(struct {name}, {field}));')
    lines += ["return 0;", "}"]
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines), encoding="utf-8")
    exe = tmp_path / "layout"
    subprocess.run([cc, "-I", str(HEADER.parent), "-o", str(exe), str(source)], check=True, timeout=60)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=30).stdout
    measured = dict(line.rsplit(" ", 1) for line in out.splitlines())
    for name, cls in STRUCTS.items():
        assert int(measured[name]) == ctypes.sizeof(cls), f"sizeof(struct {name})"
        for declared in cls._fields_:
            field = declared[0]
            offset = getattr(cls, field).offset
            assert int(measured[f"{name}.{field}"]) == offset, f"offsetof({name}, {field})"


def test_scope_bits_match_the_library() -> None:
    """CTP_SCOPE_* (the generated scope tables' bits; ``ctp_check_charge`` takes scope strings)."""
    text = HEADER.read_text(encoding="utf-8")
    defined = {m.group(1): int(m.group(2)) for m in re.finditer(r"#define CTP_SCOPE_(\w+) (\d+)", text)}
    assert defined == {
        "CUSTOMER_PRESENT": _native.SCOPE_CUSTOMER_PRESENT,
        "CUSTOMER_NOT_PRESENT": _native.SCOPE_CUSTOMER_NOT_PRESENT,
        "CUSTOMER_LOGIN": _native.SCOPE_CUSTOMER_LOGIN,
        "UNKNOWN": _native.SCOPE_UNKNOWN,
    }
