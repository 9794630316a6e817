"""Every function of include/ctpolicy.h is declared, with the right types,
in the raw layer; and its status constants are the raw layer's."""

from __future__ import annotations

import ctypes
import re
from typing import Any

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
    "struct ctp_buf *": ctypes.POINTER(_native.CtpBuf),
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
