"""The charge guard as a requests adapter (imported only when one is built)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Optional, Union
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.exceptions
import urllib3
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.retry import Retry

from ._outgoing import GuardSide, OutgoingRequest


def _can_retry(retry: Retry, count: Union[int, bool, None]) -> bool:
    """Whether ``count`` (read, status or other) allows one more retry."""
    if count is None:
        count = retry.total
    if count is None:
        return True  # no limit at all
    if count is False:
        return False
    return int(count) > 0


def resends_post(retries: Any) -> bool:
    """True when ``retries`` (an ``HTTPAdapter.max_retries``) could send a
    ``POST`` again after it was sent: POST among its allowed methods, and a
    read, status or "other" retry left."""
    if not isinstance(retries, Retry):
        return False
    if retries.total is False:
        return False
    methods: Any = retries.allowed_methods
    if methods is not None and methods is not False and "POST" not in {str(m).upper() for m in methods}:
        return False
    status_possible = _can_retry(retries, retries.status) and bool(
        retries.status_forcelist or retries.respect_retry_after_header
    )
    return _can_retry(retries, retries.read) or _can_retry(retries, retries.other) or status_possible


def _not_sent(exc: BaseException) -> bool:
    """An error raised before any byte of the request left (nothing to count)."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.InvalidURL,
                        requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidHeader, requests.exceptions.ProxyError)):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason: Any = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)
        return isinstance(reason, (NewConnectionError, ConnectTimeoutError))
    return False


def _buffered(body: Any) -> bytes:
    """The prepared body as bytes, read once (a generator or file included)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    read = getattr(body, "read", None)
    if callable(read):
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    parts = [p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in body]
    return b"".join(parts)


class _Replay(io.BytesIO):
    """The body as received: the bytes read, then the error reading stopped at."""

    def __init__(self, data: bytes, error: Optional[BaseException]) -> None:
        super().__init__(data)
        self._error = error

    def read(self, size: Optional[int] = -1) -> bytes:
        data = super().read(size)
        if not data and self._error is not None and size != 0:
            error, self._error = self._error, None
            raise error
        return data

    def read1(self, size: Optional[int] = -1) -> bytes:
        return self.read(size)


def _decoded(raw: urllib3.BaseHTTPResponse, data: bytes) -> bytes:
    if "content-encoding" not in raw.headers:
        return data
    copy = urllib3.HTTPResponse(body=io.BytesIO(data), headers=raw.headers, status=raw.status, preload_content=False)
    return copy.read(decode_content=True)


class GuardAdapter(requests.adapters.HTTPAdapter):
    """``ChargeGuard.requests_adapter(**kwargs)``."""

    def __init__(self, guard: GuardSide, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if resends_post(self.max_retries):
            raise ValueError(
                "max_retries would send a POST again after it was sent (an unchecked copy of a charge); "
                "leave POST out of allowed_methods, or set read=0, other=0 and no status retries"
            )
        self._guard = guard

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Union[None, float, tuple[float, float], tuple[float, None]] = None,
        verify: Union[bool, str] = True,
        cert: Union[None, bytes, str, tuple[Union[bytes, str], Union[bytes, str]]] = None,
        proxies: Optional[Mapping[str, str]] = None,
    ) -> requests.Response:
        guard = self._guard
        method = request.method or ""
        raw_path = urlsplit(request.url or "").path
        if not guard.match(method, raw_path):
            return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        request = request.copy()
        body = _buffered(request.body)  # read once; these bytes are checked and sent
        request.body = body
        request.headers.pop("Transfer-Encoding", None)
        request.headers["Content-Length"] = str(len(body))
        sent = request

        def outgoing() -> OutgoingRequest:
            return OutgoingRequest(
                method=method,
                url=sent.url or "",
                raw_path=raw_path,
                headers=tuple((str(k), str(v)) for k, v in sent.headers.items()),
                body=body,
                native=sent,
            )

        klarna = [(str(k), str(v)) for k, v in request.headers.items() if str(k)[:7].lower() == "klarna-"]
        charge = guard._begin(klarna, body, outgoing)
        try:
            response = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        except BaseException as exc:
            guard._finish(charge, None, None, sent=not _not_sent(exc))
            raise
        raw = response.raw
        chunks: list[bytes] = []
        error: Optional[BaseException] = None
        try:
            for chunk in raw.stream(65536, decode_content=False):
                chunks.append(chunk)
        except Exception as exc:  # noqa: BLE001 - handed to the caller after the accounting
            error = exc
        try:
            raw.release_conn()
        except Exception:  # noqa: BLE001
            pass
        data = b"".join(chunks)
        decoded: Optional[bytes] = None
        if error is None:
            try:
                decoded = _decoded(raw, data)
            except Exception:  # noqa: BLE001 - an undecodable body is not a JSON object
                decoded = b""
        guard._finish(charge, raw.status if error is None else None, decoded)
        response.raw = urllib3.HTTPResponse(
            body=_Replay(data, error),
            headers=raw.headers,
            status=raw.status,
            version=raw.version,
            reason=raw.reason,
            preload_content=False,
            decode_content=True,
            request_method=method,
            request_url=request.url,
        )
        return response

    def __repr__(self) -> str:
        return "<ctpolicy guard requests adapter>"
