"""The raw layer: ctypes declarations of ``include/ctpolicy.h`` and nothing more.

Every function of the header is declared in :data:`SIGNATURES` with its
``argtypes`` and ``restype`` (``tests/test_header.py`` parses the header and
checks that none is missing or mistyped), and every ``CTP_*`` constant is
here. The typed API above (``_engine.py``, ``_audit.py``, ``_redact.py``,
``_vault.py``) calls only the helpers at the bottom of this file, which take
and return plain Python values.

Ownership rules kept here, so nobody above this layer has to think about them:

* Inputs are ``(pointer, length)`` pairs. They are declared ``c_char_p`` so a
  Python ``bytes`` object is passed by address without a copy; the library
  only reads it during the call. ``None`` is ``NULL``.
* Every buffer the library fills is a :class:`CtpBuf` out-parameter, copied
  into Python ``bytes`` and then released with ``ctp_buf_free`` in a
  ``finally`` block, whatever happens (all in :func:`_call_with_buf`).
  Every fallible call ends in the error parameter (``ctp_buf *error``);
  where the call also has an ``out`` buffer the same buffer is passed as
  both, which the ABI allows (exactly one is written): it holds the answer
  on ``OK`` and the error object otherwise.
  ``c_char_p`` is never used for a buffer the library hands over; it is
  used only for the static strings of ``ctp_version``, ``ctp_status_name``
  and ``ctp_reason_code``.
* Handles (engines, audit logs, vault lints) are plain addresses (``int``);
  ``_handle.NativeHandle`` owns them.
* Structures the library reads (``ctp_typed_charge``, the ``ctp_input``
  arrays of ``ctp_check_many``) are built here from plain Python values and
  live until the call returns; structures it fills (``ctp_verdict``,
  ``ctp_result``) are turned into plain values (tuples, ``bytes``) here,
  and ``ctp_results_free`` releases the results' buffers in a ``finally``.
  Nothing above this layer touches ctypes.

The library is found, in this order, through the ``CTPOLICY_LIB`` environment
variable, the copy inside the installed package, and, only when the package
is run from ``bindings/python`` of a checkout, the repository's build output
(``target/release``). Its ``ctp_abi_version()`` is checked at import.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Optional

#: The ABI this binding is written against (``CTP_ABI_VERSION`` of the header).
ABI_VERSION = 2

#: Environment variable naming the library file to load.
LIBRARY_ENV = "CTPOLICY_LIB"

# Status values of the header (CTP_*), generated from the engine into
# _tables.py. Stable: a retired number is never reused.
from . import _fallback, _tables  # noqa: E402

OK = _tables.STATUS_OK
INVALID_ARGUMENT = _tables.STATUS_INVALID_ARGUMENT
INVALID_UTF8 = _tables.STATUS_INVALID_UTF8
PANIC = _tables.STATUS_PANIC
INVALID_REQUEST = _tables.STATUS_INVALID_REQUEST
INVALID_POLICY = _tables.STATUS_INVALID_POLICY
TOKEN_INVALID = _tables.STATUS_TOKEN_INVALID
TRANSITION_REJECTED = _tables.STATUS_TRANSITION_REJECTED
IO_ERROR = _tables.STATUS_IO_ERROR
# Only `ctp_check_json_into` returns it (Engine.check then grows its buffer).
BUFFER_TOO_SMALL = _tables.STATUS_BUFFER_TOO_SMALL
AUDIT_LOG_INVALID = _tables.STATUS_AUDIT_LOG_INVALID
AUDIT_HEAD_MISMATCH = _tables.STATUS_AUDIT_HEAD_MISMATCH

# ``ctp_audit_open`` flags (CTP_AUDIT_*).
AUDIT_FSYNC = 1


# ``ctp_typed_charge.flags`` bits (CTP_CHARGE_*).
CHARGE_CUSTOMER_PRESENT = 1
CHARGE_HAS_TOKEN = 2
CHARGE_HAS_IDEMPOTENCY_KEY = 4
CHARGE_STEP_UP = 8
CHARGE_HAS_NOW = 16
CHARGE_HAS_LAST_USED_AT = 32
CHARGE_HAS_ATTEMPTS_24H = 64
CHARGE_HAS_ATTEMPTS_30D = 128
CHARGE_WANT_FINGERPRINT = 256
CHARGE_HAS_CALLER = 512
CHARGE_HAS_ATTEMPTS = 1024

# ``ctp_typed_charge.record_state`` values (CTP_RECORD_*).
RECORD_NONE = 0
RECORD_ACTIVE = 1
RECORD_REVOKED = 2

# The scope bits of the generated scope tables (the header's CTP_SCOPE_*
# #defines; tests/test_header.py checks these values against the header).
SCOPE_CUSTOMER_PRESENT = 1
SCOPE_CUSTOMER_NOT_PRESENT = 2
SCOPE_CUSTOMER_LOGIN = 4
SCOPE_UNKNOWN = 8

#: Room for rule ids in a ``ctp_verdict`` list (CTP_MAX_RULES).
MAX_RULES = 64

_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1


class LibraryLoadError(ImportError):
    """The native library could not be found, loaded, or has the wrong ABI.

    Its message goes through the redaction (docs/HYGIENE.md H4) like every text
    of this package: a library path that ``CTPOLICY_LIB`` names may hold a
    token. The library cannot redact before it is loaded, so a pure-Python
    reading of the same rule does it (``_fallback``). It keeps no cause or
    context: the ``OSError`` of a failed load quotes the path verbatim.
    """

    def __init__(self, message: str) -> None:
        super().__init__(_fallback.redact(message))


class CtpBuf(ctypes.Structure):
    """``struct ctp_buf``: bytes owned by the library until ``ctp_buf_free``."""

    _fields_ = [
        ("ptr", ctypes.POINTER(ctypes.c_uint8)),
        ("len", ctypes.c_size_t),
    ]


class CtpVerdict(ctypes.Structure):
    """``struct ctp_verdict``: the answer of ``ctp_check_charge`` and
    ``ctp_check_json_verdict``."""

    _fields_ = [
        ("allowed", ctypes.c_uint32),
        ("violation_count", ctypes.c_uint32),
        ("warning_count", ctypes.c_uint32),
        ("has_fingerprint", ctypes.c_uint32),
        ("violations", ctypes.c_uint16 * MAX_RULES),
        ("warnings", ctypes.c_uint16 * MAX_RULES),
        ("fingerprint", ctypes.c_uint8 * 32),
    ]


class CtpBatchCounts(ctypes.Structure):
    """``struct ctp_batch_counts``: the counts of a ``ctp_check_many`` call."""

    _fields_ = [
        ("allowed", ctypes.c_size_t),
        ("denied", ctypes.c_size_t),
        ("invalid", ctypes.c_size_t),
    ]


class CtpInput(ctypes.Structure):
    """``struct ctp_input``: one borrowed request of ``ctp_check_many``."""

    _fields_ = [
        ("ptr", ctypes.c_char_p),
        ("len", ctypes.c_size_t),
    ]


class CtpTypedCharge(ctypes.Structure):
    """``struct ctp_typed_charge``: a typed charge for ``ctp_check_charge``.

    The one place this binding spells the struct's layout: a new field of
    the header's struct is one line here (tests/test_header.py compares the
    two), and :func:`check_typed` fills the fields by name.

    The currency is pointer + length and the record's scopes are strings,
    so the library (not the binding) judges them. The pointer fields are
    ``c_char_p``: assigning a ``bytes`` object stores its address (no copy)
    and keeps a reference to it in the structure, so it lives as long as the
    structure does.
    """

    _fields_ = [
        ("token", ctypes.c_char_p),
        ("token_len", ctypes.c_size_t),
        ("record_token", ctypes.c_char_p),
        ("record_token_len", ctypes.c_size_t),
        ("idempotency_key", ctypes.c_char_p),
        ("idempotency_key_len", ctypes.c_size_t),
        ("currency", ctypes.c_char_p),
        ("currency_len", ctypes.c_size_t),
        ("record_scopes", ctypes.POINTER(CtpInput)),
        ("record_scope_count", ctypes.c_size_t),
        ("flags", ctypes.c_uint32),
        ("record_state", ctypes.c_uint32),
        ("amount", ctypes.c_int64),
        ("now_ms", ctypes.c_int64),
        ("last_used_at_ms", ctypes.c_int64),
        ("attempts_24h", ctypes.c_int64),
        ("attempts_30d", ctypes.c_int64),
        ("caller", ctypes.c_char_p),
        ("caller_len", ctypes.c_size_t),
        ("record_attempts_ms", ctypes.POINTER(ctypes.c_int64)),
        ("record_attempt_count", ctypes.c_size_t),
    ]


class CtpResult(ctypes.Structure):
    """``struct ctp_result``: one answer of ``ctp_check_many``; its ``json``
    is released by ``ctp_results_free``."""

    _fields_ = [
        ("status", ctypes.c_uint32),
        ("allowed", ctypes.c_uint32),
        ("json", CtpBuf),
    ]


class CtpPlacedResult(ctypes.Structure):
    """``struct ctp_placed_result``: where one answer of
    ``ctp_check_many_into`` lies in the caller's buffer (declared for the
    header's sake; the binding keeps ``ctp_check_many``)."""

    _fields_ = [
        ("status", ctypes.c_uint32),
        ("allowed", ctypes.c_uint32),
        ("offset", ctypes.c_size_t),
        ("len", ctypes.c_size_t),
    ]


# The C types of the header, as ctypes sees them.
_u32 = ctypes.c_uint32
_size = ctypes.c_size_t
_bytes_in = ctypes.c_char_p  # const uint8_t *: borrowed, read-only input
_engine = ctypes.c_void_p  # (const) struct ctp_engine *
_engine_out = ctypes.POINTER(ctypes.c_void_p)  # struct ctp_engine **
_buf_out = ctypes.POINTER(CtpBuf)  # struct ctp_buf *
_u64 = ctypes.c_uint64
_audit_log = ctypes.c_void_p  # (const) struct ctp_audit_log *
_audit_log_out = ctypes.POINTER(ctypes.c_void_p)  # struct ctp_audit_log **
_static_str = ctypes.c_char_p  # const char *, static: never freed

#: name -> (restype, argtypes) for every function of include/ctpolicy.h.
SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "ctp_engine_new": (_u32, [_bytes_in, _size, _engine_out, _buf_out]),
    "ctp_engine_free": (None, [_engine]),
    "ctp_check_json": (_u32, [_engine, _bytes_in, _size, _buf_out, _buf_out]),
    "ctp_apply_event_json": (_u32, [_bytes_in, _size, _bytes_in, _size, _buf_out, _buf_out]),
    "ctp_apply_response_json": (
        _u32,
        [_bytes_in, _size, _bytes_in, _size, _bytes_in, _size, _bytes_in, _size, _buf_out, _buf_out],
    ),
    "ctp_token_parse": (_u32, [_bytes_in, _size, _buf_out, _buf_out]),
    "ctp_buf_free": (None, [_buf_out]),
    "ctp_version": (_static_str, []),
    "ctp_abi_version": (_u32, []),
    "ctp_status_name": (_static_str, [_u32]),
    "ctp_reason_code": (_static_str, [_u32]),
    "ctp_check_charge": (
        _u32,
        [_engine, ctypes.POINTER(CtpTypedCharge), ctypes.POINTER(CtpVerdict), _buf_out],
    ),
    "ctp_check_json_into": (
        _u32,
        [_engine, _bytes_in, _size, ctypes.POINTER(ctypes.c_uint8), _size, ctypes.POINTER(ctypes.c_size_t), _buf_out],
    ),
    "ctp_check_json_verdict": (
        _u32,
        [_engine, _bytes_in, _size, ctypes.POINTER(CtpVerdict), _buf_out, _buf_out],
    ),
    "ctp_check_many": (
        _u32,
        [
            _engine,
            ctypes.POINTER(CtpInput),
            _size,
            ctypes.POINTER(CtpResult),
            ctypes.POINTER(CtpBatchCounts),
            _buf_out,
        ],
    ),
    "ctp_check_many_into": (
        _u32,
        [
            _engine,
            ctypes.POINTER(CtpInput),
            _size,
            ctypes.POINTER(CtpPlacedResult),
            ctypes.POINTER(ctypes.c_uint8),
            _size,
            ctypes.POINTER(ctypes.c_size_t),
            ctypes.POINTER(CtpBatchCounts),
            _buf_out,
        ],
    ),
    "ctp_results_free": (None, [ctypes.POINTER(CtpResult), _size]),
    # Token hygiene (docs/HYGIENE.md H1, H2): ctpolicy.redact, ctpolicy.scan.
    "ctp_redact": (_u32, [_bytes_in, _size, _buf_out, ctypes.POINTER(ctypes.c_size_t), _buf_out]),
    "ctp_redactor_new": (_u32, [ctypes.POINTER(ctypes.c_void_p), _buf_out]),
    "ctp_redactor_write": (_u32, [ctypes.c_void_p, _bytes_in, _size, _buf_out, _buf_out]),
    "ctp_redactor_finish": (_u32, [ctypes.c_void_p, _buf_out, _buf_out]),
    "ctp_redactor_count": (_u32, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), _buf_out]),
    "ctp_redactor_free": (None, [ctypes.c_void_p]),
    "ctp_scan": (_u32, [_bytes_in, _size, _buf_out, ctypes.POINTER(ctypes.c_size_t), _buf_out]),
    # The audit trail (docs/HYGIENE.md H3).
    "ctp_audit_open": (_u32, [_bytes_in, _size, _u32, _audit_log_out, _buf_out]),
    "ctp_audit_check_json": (_u32, [_engine, _audit_log, _bytes_in, _size, _buf_out, _buf_out]),
    "ctp_audit_verify": (_u32, [_bytes_in, _size, _bytes_in, _size, _buf_out, _buf_out]),
    "ctp_audit_entry_json": (
        _u32,
        [_engine, _bytes_in, _size, _u64, _bytes_in, _size, _bytes_in, _size, _buf_out, _buf_out],
    ),
    "ctp_audit_repair": (_u32, [_bytes_in, _size, _buf_out, _buf_out]),
    "ctp_audit_close": (_u32, [_audit_log, _buf_out]),
    "ctp_audit_free": (None, [_audit_log]),
    "ctp_vault_new": (
        _u32,
        [_bytes_in, _size, _bytes_in, _size, ctypes.c_int64, _engine_out, _buf_out],
    ),
    "ctp_vault_feed": (_u32, [_engine, _bytes_in, _size, _buf_out, ctypes.POINTER(_size), _buf_out]),
    "ctp_vault_set_shard": (_u32, [_engine, _size, _size, _buf_out]),
    "ctp_vault_free": (None, [_engine]),
}


def library_filename() -> str:
    """The platform's file name of the shared library."""
    if sys.platform == "darwin":
        return "libctpolicy.dylib"
    if sys.platform == "win32":
        return "ctpolicy.dll"
    return "libctpolicy.so"


def candidate_paths() -> list[tuple[str, Optional[Path]]]:
    """The places searched, in order, as (description, path or None)."""
    name = library_filename()
    here = Path(__file__).resolve().parent
    env = os.environ.get(LIBRARY_ENV)
    env_path: Optional[Path] = None
    if env:
        env_path = Path(env)
        if env_path.is_dir():
            env_path = env_path / name
    places: list[tuple[str, Optional[Path]]] = [
        (f"${LIBRARY_ENV}", env_path),
        ("the installed package", here / name),
    ]
    checkout = repository_root(here)
    if checkout is not None:
        places.append(("the repository build output", checkout / "target" / "release" / name))
    return places


def repository_root(package_dir: Path) -> Optional[Path]:
    """The checkout's root when the package is run from ``bindings/python``
    of a ctpolicy checkout (its build output is a place to look), else None:
    an installed package has no repository around it."""
    root = package_dir.parents[2] if len(package_dir.parents) > 2 else None
    if root is None or package_dir.parent.name != "python" or package_dir.parents[1].name != "bindings":
        return None
    return root if (root / "Cargo.toml").is_file() else None


def find_library() -> Path:
    """The library to load, or :class:`LibraryLoadError` naming every place tried."""
    candidates = candidate_paths()
    tried = "\n".join(
        f"  {i}. {what}: {path if path is not None else '(not set)'}"
        for i, (what, path) in enumerate(candidates, 1)
    )
    env_path = candidates[0][1]
    if env_path is not None:
        # An explicit override that points nowhere is a configuration error;
        # silently loading some other copy would hide it.
        if env_path.is_file():
            return env_path
        raise LibraryLoadError(
            f"{LIBRARY_ENV} is set but {env_path} is not a file. Places searched:\n{tried}"
        )
    for _, path in candidates[1:]:
        if path is not None and path.is_file():
            return path
    raise LibraryLoadError(
        f"ctpolicy: native library {library_filename()} not found. Places searched:\n"
        f"{tried}\n"
        + (
            f"Set {LIBRARY_ENV} to the library's path, or run `make build` in the repository."
            if len(candidates) > 2
            else f"The installed package has lost its library: reinstall it from the wheel or "
            f"folder you installed it from (pip install --force-reinstall --no-index --find-links "
            f"DIR ctpolicy: ctpolicy is not on the public index), or set {LIBRARY_ENV} to the "
            f"library's path."
        )
    )


def declare(lib: ctypes.CDLL) -> None:
    """Sets argtypes and restype of every header function on ``lib``."""
    for name, (restype, argtypes) in SIGNATURES.items():
        # Not raised inside an except block: the AttributeError quotes the
        # library's path, and must not stay behind as the error's context.
        fn = getattr(lib, name, None)
        if fn is None:
            raise LibraryLoadError(f"ctpolicy: the native library does not export {name}")
        fn.restype = restype
        fn.argtypes = argtypes


def check_abi(found: int, path: object) -> None:
    """Raises :class:`LibraryLoadError` unless ``found`` is :data:`ABI_VERSION`."""
    if found != ABI_VERSION:
        raise LibraryLoadError(
            f"ctpolicy: {path} implements C ABI version {found}, but this Python "
            f"binding needs version {ABI_VERSION}. Install a matching ctpolicy "
            f"package or point {LIBRARY_ENV} at a matching library."
        )


def load(path: Path) -> ctypes.CDLL:
    """Loads, declares and ABI-checks the library at ``path``."""
    failure = None
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as exc:
        # The OSError quotes the path: its text is redacted into the message
        # (LibraryLoadError), and the error is raised outside the handler so
        # that it keeps neither the OSError as its cause nor as its context.
        failure = f"ctpolicy: cannot load {path}: {exc}"
    if failure is not None:
        raise LibraryLoadError(failure)
    declare(lib)
    check_abi(int(lib.ctp_abi_version()), path)
    return lib


LIBRARY_PATH: Path = find_library()
lib: ctypes.CDLL = load(LIBRARY_PATH)

_ctp_engine_new = lib.ctp_engine_new
_ctp_engine_free = lib.ctp_engine_free
_ctp_check_json = lib.ctp_check_json
_ctp_apply_event_json = lib.ctp_apply_event_json
_ctp_apply_response_json = lib.ctp_apply_response_json
_ctp_token_parse = lib.ctp_token_parse
_ctp_buf_free = lib.ctp_buf_free
_ctp_check_charge = lib.ctp_check_charge
_ctp_check_json_verdict = lib.ctp_check_json_verdict
_ctp_check_many = lib.ctp_check_many
_ctp_results_free = lib.ctp_results_free
_ctp_redact = lib.ctp_redact
_ctp_scan = lib.ctp_scan
_ctp_vault_new = lib.ctp_vault_new
_ctp_vault_feed = lib.ctp_vault_feed
_ctp_vault_free = lib.ctp_vault_free
_ctp_vault_set_shard = lib.ctp_vault_set_shard
_string_at = ctypes.string_at
_byref = ctypes.byref


def _call_with_buf(fn: Callable[..., int], *args: object, after: tuple[object, ...] = ()) -> tuple[int, bytes]:
    """Calls ``fn(*args, &buf, *after, &buf)``, one buffer as both ``out`` and
    ``error``, and returns (status, a copy of buf: the answer on :data:`OK`,
    else the error object); buf is released with ``ctp_buf_free`` whatever
    happens."""
    buf = CtpBuf()
    try:
        ref = _byref(buf)
        status = fn(*args, ref, *after, ref)
        data = _string_at(buf.ptr, buf.len) if buf.ptr else b""
    finally:
        _ctp_buf_free(_byref(buf))
    return status, data


def _call_with_error(fn: Callable[..., int], *args: object) -> tuple[int, bytes]:
    """Calls ``fn(*args, &error)`` (a call whose answer is not a buffer) and
    returns (status, a copy of the error object or b""), released as above."""
    error = CtpBuf()
    try:
        status = fn(*args, _byref(error))
        data = _string_at(error.ptr, error.len) if error.ptr else b""
    finally:
        _ctp_buf_free(_byref(error))
    return status, data


def _call_new(fn: Callable[..., int], *args: object) -> tuple[int, int, bytes]:
    """Calls a constructor ``fn(*args, &handle, &error)``: (status, the
    handle's address on :data:`OK` else 0, a copy of the error object)."""
    handle = ctypes.c_void_p()
    status, err = _call_with_error(fn, *args, _byref(handle))
    return status, (int(handle.value or 0) if status == OK else 0), err


def _len(data: Optional[bytes]) -> int:
    """The length that goes with an optional input (0 for ``NULL``)."""
    return len(data) if data is not None else 0


def engine_new(policy: Optional[bytes]) -> tuple[int, int, bytes]:
    """``ctp_engine_new``: (status, engine address or 0, error JSON or b"")."""
    return _call_new(_ctp_engine_new, policy, _len(policy))


def engine_free(engine: int) -> None:
    """``ctp_engine_free``; 0 is a no-op."""
    _ctp_engine_free(engine)


def check_json(engine: int, request: bytes) -> tuple[int, bytes]:
    """``ctp_check_json``: (status, decision JSON or error JSON)."""
    return _call_with_buf(_ctp_check_json, engine, request, len(request))


# The hot path of Engine.check (which makes the call itself: a function call
# more is ~0.1 us of its ~8), declared here beside check_json so that a
# change of the call's shape is made in this file. Per call, check_json
# pays for ctypes' argument conversions, a new ctp_buf and ctypes.string_at
# (about 1.2 us of its 3.2 us); this path passes values ctypes hands over as
# they are (argtypes None: a c_void_p, bytes, c_size_t objects, byrefs),
# reuses one buffer per thread and copies the decision out once. Lengths go
# as c_size_t objects: a plain int would be a C int, which not every calling
# convention widens to size_t.
# ctp_buf_free only zeroes and frees one buffer: through a PyDLL handle to
# the same library (dlopen gives the loaded one back), which keeps the GIL
# for the call instead of releasing and taking it again (~35 ns less).
_ctp_buf_free_unconverted = ctypes.PyDLL(str(LIBRARY_PATH))["ctp_buf_free"]
_ctp_buf_free_unconverted.restype = None
# ctp_check_json_into writes the decision into this thread's reused buffer
# (_DecisionBuf), so an answered check makes no ctp_buf and calls no
# ctp_buf_free; the error, when there is one, still comes as a ctp_buf.
# lib["name"] makes a second handle, with no argtypes (`lib`'s stays declared).
_ctp_check_json_into_unconverted = lib["ctp_check_json_into"]
_ctp_check_json_into_unconverted.restype = ctypes.c_uint32
_ctp_apply_response_json_unconverted = lib["ctp_apply_response_json"]
_ctp_apply_response_json_unconverted.restype = ctypes.c_uint32
# PyBytes_FromStringAndSize (CPython's public C API) through ctypes'
# documented pythonapi: the copy out of a ctp_buf, with the GIL held.
_bytes_from_buf = ctypes.pythonapi["PyBytes_FromStringAndSize"]
_bytes_from_buf.restype = ctypes.py_object


class _ThreadBuf(threading.local):
    """One ``ctp_buf`` per thread (calls release the GIL, so threads need
    their own), with a ``byref`` to it, views of its ``ptr`` and ``len``, and
    a ``c_size_t`` for the request's length (setting its value costs less
    than making one per call). ``apply_parts`` is the same ``ctp_buf`` with
    the four lengths ``ctp_apply_response_json`` takes, for the guard's
    call once per charge."""

    def __init__(self) -> None:
        buf = CtpBuf()
        ref = _byref(buf)
        ptr = ctypes.c_void_p.from_buffer(buf, CtpBuf.ptr.offset)
        length = ctypes.c_size_t.from_buffer(buf, CtpBuf.len.offset)
        self.parts = (ref, ptr, length, ctypes.c_size_t(), buf)
        # The same ptr field as a char pointer: slicing it copies the bytes
        # out with no foreign call (~0.1 µs against PyBytes_FromStringAndSize's ~0.2).
        chars = ctypes.POINTER(ctypes.c_char).from_buffer(buf, CtpBuf.ptr.offset)
        self.apply_parts = (
            ref, chars, length, ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_size_t()
        )


_thread_buf = _ThreadBuf()


class _DecisionBuf(threading.local):
    """This thread's buffer for ``ctp_check_json_into``: the decision
    (``out``, ``capacity`` bytes), and ``written``, where the library puts
    its length, or the size needed when ``out`` is too small (a
    ``byref`` to it in ``written_ref``). 4 KiB holds any decision of the
    default policy; a larger one grows the buffer once for the thread.

    ``parts`` holds everything ``Engine.check`` passes or reads, with this
    thread's ``ctp_buf`` for the error (:class:`_ThreadBuf`): one lookup of
    a thread-local attribute per check instead of five (~50 ns each)."""

    def __init__(self) -> None:
        self.written = ctypes.c_size_t()
        self.written_ref = _byref(self.written)
        self.grow(4096)

    def grow(self, capacity: int) -> None:
        """A new, empty buffer of ``capacity`` bytes (at least 1)."""
        self.out = ctypes.create_string_buffer(max(capacity, 1))
        self.capacity = ctypes.c_size_t(len(self.out))
        error, error_ptr, error_len, size, _ = _thread_buf.parts
        self.parts: tuple[Any, ...] = (
            self.out, self.capacity, self.written_ref, self.written, size, error, error_ptr, error_len
        )


_decision_buf = _DecisionBuf()


def engine_arg(engine: int) -> ctypes.c_void_p:
    """The engine's address as the unconverted calls take it."""
    return ctypes.c_void_p(engine)


#: A verdict as plain values: (allowed, violation ids, warning ids, raw
#: SHA-256 of the token or None).
VerdictTuple = tuple[bool, tuple[int, ...], tuple[int, ...], Optional[bytes]]


def _verdict_tuple(verdict: CtpVerdict) -> VerdictTuple:
    return (
        bool(verdict.allowed),
        tuple(verdict.violations[: verdict.violation_count]),
        tuple(verdict.warnings[: verdict.warning_count]),
        bytes(verdict.fingerprint) if verdict.has_fingerprint else None,
    )


def check_typed(
    engine: int,
    *,
    flags: int,
    token: Optional[bytes],
    idempotency_key: Optional[bytes],
    currency: bytes,
    amount: int,
    record_state: int,
    record_token: Optional[bytes],
    record_scopes: Optional[tuple[bytes, ...]],
    now_ms: int,
    last_used_at_ms: int,
    attempts_24h: int,
    attempts_30d: int,
    caller: Optional[bytes] = None,
    record_attempts_ms: Optional[tuple[int, ...]] = None,
) -> tuple[int, Optional[VerdictTuple], bytes]:
    """``ctp_check_charge``: (status, the verdict on :data:`OK` else None,
    the error JSON on any other status else b"").

    Integers are passed as ``int64_t``: a value outside that range raises
    ``OverflowError``. The ``bytes`` fields are borrowed for the call only.
    """
    if not (
        _I64_MIN <= amount <= _I64_MAX
        and _I64_MIN <= now_ms <= _I64_MAX
        and _I64_MIN <= last_used_at_ms <= _I64_MAX
        and _I64_MIN <= attempts_24h <= _I64_MAX
        and _I64_MIN <= attempts_30d <= _I64_MAX
    ):  # ctypes would wrap such a value silently
        raise OverflowError(_too_wide(amount, now_ms, last_used_at_ms, attempts_24h, attempts_30d))
    scopes = _scope_array(tuple(record_scopes)) if record_scopes else None
    attempts: Any = None
    attempt_count = 0
    if record_attempts_ms:
        attempt_count = len(record_attempts_ms)
        if not all(_I64_MIN <= ms <= _I64_MAX for ms in record_attempts_ms):
            raise OverflowError("record_attempts_ms does not fit in 64 bits")
        attempts = (ctypes.c_int64 * attempt_count)(*record_attempts_ms)
    # All fields in one constructor call (ctypes sets them in C: a third of
    # the cost of setting them one by one), by name: the field order is
    # spelled once, in CtpTypedCharge._fields_.
    charge = CtpTypedCharge(
        token=token,
        token_len=len(token) if token is not None else 0,
        record_token=record_token,
        record_token_len=len(record_token) if record_token is not None else 0,
        idempotency_key=idempotency_key,
        idempotency_key_len=len(idempotency_key) if idempotency_key is not None else 0,
        currency=currency,
        currency_len=len(currency),
        record_scopes=scopes,
        record_scope_count=len(record_scopes) if record_scopes else 0,
        flags=flags,
        record_state=record_state,
        amount=amount,
        now_ms=now_ms,
        last_used_at_ms=last_used_at_ms,
        attempts_24h=attempts_24h,
        attempts_30d=attempts_30d,
        caller=caller,
        caller_len=len(caller) if caller is not None else 0,
        record_attempts_ms=attempts,
        record_attempt_count=attempt_count,
    )
    verdict = CtpVerdict()
    # The error goes to this thread's reused ctp_buf, which the library
    # writes only on failure: on OK there is nothing to copy or free.
    ref, ptr, length, _, _ = _thread_buf.parts
    status: int = _ctp_check_charge(engine, _byref(charge), _byref(verdict), ref)
    if status == OK and not ptr.value:
        return status, _verdict_tuple(verdict), b""
    try:
        data: bytes = _bytes_from_buf(ptr, length) if ptr.value else b""
    finally:
        _ctp_buf_free_unconverted(ref)
    return status, (_verdict_tuple(verdict) if status == OK else None), data


@functools.lru_cache(maxsize=64)
def _scope_array(scopes: tuple[bytes, ...]) -> Any:
    """The ``ctp_input`` array of a record's scope list. Records share a few
    lists, and building the array is a third of a typed check's Python cost,
    so it is kept (read-only for the library, safe to share between threads;
    scope names are not secret)."""
    return (CtpInput * len(scopes))(*[(s, len(s)) for s in scopes])  # type: ignore[misc]


def _too_wide(amount: int, now_ms: int, last_used_at_ms: int, attempts_24h: int, attempts_30d: int) -> str:
    names = ("amount", "now_ms", "last_used_at_ms", "attempts_24h", "attempts_30d")
    values = (amount, now_ms, last_used_at_ms, attempts_24h, attempts_30d)
    wide = next(n for n, v in zip(names, values) if not _I64_MIN <= v <= _I64_MAX)
    return f"{wide} does not fit in 64 bits"


def check_json_verdict(engine: int, request: bytes) -> tuple[int, Optional[VerdictTuple], bytes]:
    """``ctp_check_json_verdict``: (status, the verdict on :data:`OK` else
    None, the decision JSON on :data:`OK` else the error JSON)."""
    verdict = CtpVerdict()
    # One buffer as both ``decision`` and ``error`` (exactly one is written).
    status, data = _call_with_buf(_ctp_check_json_verdict, engine, request, len(request), _byref(verdict))
    return status, (_verdict_tuple(verdict) if status == OK else None), data


def check_many(engine: int, requests: list[bytes]) -> tuple[int, list[tuple[int, bytes]], tuple[int, int, int]]:
    """``ctp_check_many``: (status, one (status, decision or error JSON) per
    request in order, the (allowed, denied, not decided) counts)."""
    count = len(requests)
    inputs = (CtpInput * count)(*[(r, len(r)) for r in requests])  # type: ignore[misc]
    results = (CtpResult * count)()
    counts = CtpBatchCounts()
    answers: list[tuple[int, bytes]] = []
    try:
        # No error object: the only call faults (NULL arrays) cannot happen here.
        status = _ctp_check_many(engine, inputs, count, results, _byref(counts), None)
        if status == OK:
            answers = [
                (r.status, _string_at(r.json.ptr, r.json.len) if r.json.ptr else b"") for r in results
            ]
    finally:
        _ctp_results_free(results, count)
    return status, answers, (int(counts.allowed), int(counts.denied), int(counts.invalid))


def apply_event_json(record: Optional[bytes], event: bytes) -> tuple[int, bytes]:
    """``ctp_apply_event_json``: (status, transition JSON or error JSON)."""
    return _call_with_buf(_ctp_apply_event_json, record, _len(record), event, len(event))


def apply_response_json(record: Optional[bytes], request: bytes, response: bytes, at: bytes) -> tuple[int, bytes]:
    """``ctp_apply_response_json``: (status, transition JSON or error JSON)."""
    if not (type(request) is bytes and type(response) is bytes and type(at) is bytes) or (
        record is not None and type(record) is not bytes
    ):
        return _call_with_buf(
            _ctp_apply_response_json, record, _len(record), request, len(request), response, len(response), at, len(at)
        )
    # Once per guarded charge: the unconverted path Engine.check takes.
    ref, chars, length, record_len, request_len, response_len, at_len = _thread_buf.apply_parts
    record_len.value = _len(record)
    request_len.value = len(request)
    response_len.value = len(response)
    at_len.value = len(at)
    try:
        status: int = _ctp_apply_response_json_unconverted(
            record, record_len, request, request_len, response, response_len, at, at_len, ref, ref
        )
        # A c_char pointer's slice is bytes (typeshed says list).
        data: bytes = chars[: length.value]  # type: ignore[assignment]
    finally:
        _ctp_buf_free_unconverted(ref)
    return status, data


def token_parse(token: bytes) -> tuple[int, bytes]:
    """``ctp_token_parse``: (status, TokenInfo JSON or error JSON)."""
    return _call_with_buf(_ctp_token_parse, token, len(token))


def version() -> str:
    """``ctp_version``."""
    raw: Optional[bytes] = lib.ctp_version()
    return raw.decode("utf-8") if raw else ""


def abi_version() -> int:
    """``ctp_abi_version``."""
    return int(lib.ctp_abi_version())


def status_name(status: int) -> str:
    """``ctp_status_name`` ("UNKNOWN" for a number the library does not define)."""
    raw: Optional[bytes] = lib.ctp_status_name(status & 0xFFFFFFFF)
    return raw.decode("utf-8") if raw else "UNKNOWN"


def reason_code(rule_id: int) -> Optional[str]:
    """``ctp_reason_code``: the code of a rule id, or None."""
    if not 0 <= rule_id <= 0xFFFFFFFF:
        return None
    raw: Optional[bytes] = lib.ctp_reason_code(rule_id)
    return raw.decode("utf-8") if raw else None


def vault_new(policy: Optional[bytes], now: Optional[bytes], stale_days: int) -> tuple[int, int, bytes]:
    """``ctp_vault_new``: (status, lint address or 0, error JSON or b"")."""
    return _call_new(_ctp_vault_new, policy, _len(policy), now, _len(now), stale_days)


def vault_free(vault: int) -> None:
    """``ctp_vault_free``; 0 is a no-op."""
    _ctp_vault_free(vault)


def vault_set_shard(vault: int, index: int, count: int) -> tuple[int, bytes]:
    """``ctp_vault_set_shard``: (status, error JSON or b"")."""
    return _call_with_error(_ctp_vault_set_shard, vault, index, count)


def vault_feed(vault: int, record: bytes) -> tuple[int, bytes]:
    """``ctp_vault_feed``: (status, findings as JSON Lines or error JSON)."""
    count = ctypes.c_size_t()
    return _call_with_buf(_ctp_vault_feed, vault, record, len(record), after=(_byref(count),))


def redact(text: bytes) -> tuple[int, bytes, int]:
    """``ctp_redact``: (status, redacted bytes, occurrences replaced)."""
    count = ctypes.c_size_t()
    status, data = _call_with_buf(_ctp_redact, text, len(text), after=(_byref(count),))
    return status, data, int(count.value)


def scan(text: bytes) -> tuple[int, bytes]:
    """``ctp_scan``: (status, one JSON report a line)."""
    return _call_with_buf(_ctp_scan, text, len(text), after=(None,))


_ctp_audit_open = lib.ctp_audit_open
_ctp_audit_check_json = lib.ctp_audit_check_json
_ctp_audit_verify = lib.ctp_audit_verify
_ctp_audit_entry_json = lib.ctp_audit_entry_json
_ctp_audit_close = lib.ctp_audit_close
_ctp_audit_repair = lib.ctp_audit_repair


def audit_open(path: bytes, flags: int) -> tuple[int, int, bytes]:
    """``ctp_audit_open``: (status, log address or 0, error JSON or b"")."""
    return _call_new(_ctp_audit_open, path, len(path), flags)


def audit_check_json(engine: int, log: int, request: bytes) -> tuple[int, bytes]:
    """``ctp_audit_check_json``: (status, decision JSON or error JSON)."""
    return _call_with_buf(_ctp_audit_check_json, engine, log, request, len(request))


def audit_verify(path: bytes, expect_head: Optional[bytes]) -> tuple[int, bytes]:
    """``ctp_audit_verify``: (status, summary JSON or error JSON)."""
    return _call_with_buf(_ctp_audit_verify, path, len(path), expect_head, _len(expect_head))


def audit_entry_json(engine: int, request: bytes, seq: int, prev: bytes, at: Optional[bytes]) -> tuple[int, bytes]:
    """``ctp_audit_entry_json``: (status, entry line or error JSON)."""
    return _call_with_buf(_ctp_audit_entry_json, engine, request, len(request), seq, prev, len(prev), at, _len(at))


def audit_repair(path: bytes) -> tuple[int, bytes]:
    """``ctp_audit_repair``: (status, report JSON or error JSON)."""
    return _call_with_buf(_ctp_audit_repair, path, len(path))


def audit_close(log: int) -> tuple[int, bytes]:
    """``ctp_audit_close`` (sync, then free; the handle is gone whatever the
    status): (status, error JSON or b"")."""
    return _call_with_error(_ctp_audit_close, log)
