"""The charge guard as httpx transports (imported only when one is built)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Optional

import httpx

from ._outgoing import GuardSide, OutgoingRequest

# Errors raised before any byte of the request was sent: nothing to count.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol, httpx.ProxyError)


class _Replay(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The body as received: the bytes read, then the error reading stopped at."""

    def __init__(self, data: bytes, error: Optional[BaseException]) -> None:
        self._data = data
        self._error = error

    def __iter__(self) -> Iterator[bytes]:
        if self._data:
            yield self._data
        if self._error is not None:
            raise self._error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._data:
            yield self._data
        if self._error is not None:
            raise self._error


def _raw_path(request: httpx.Request) -> str:
    return request.url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")


def _outgoing(request: httpx.Request, raw_path: str, body: bytes) -> OutgoingRequest:
    return OutgoingRequest(
        method=request.method,
        url=str(request.url),
        raw_path=raw_path,
        headers=tuple((k.decode("latin-1"), _text(v)) for k, v in request.headers.raw),
        body=body,
        native=request,
    )


def _klarna_headers(request: httpx.Request) -> list[tuple[str, str]]:
    """The ``Klarna-*`` headers as they will be sent, in order (names are
    told apart as bytes, so only these are decoded)."""
    return [
        (k.decode("latin-1"), v.decode("ascii") if v.isascii() else _text(v))
        for k, v in request.headers.raw
        if k[:7].lower() == b"klarna-"
    ]


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _decoded(status: int, headers: httpx.Headers, raw: bytes) -> bytes:
    """The body as the client will decode it (Content-Encoding)."""
    if "content-encoding" not in headers:
        return raw
    return httpx.Response(status, headers=headers, content=raw).content


def _body_for_guard(response: httpx.Response, data: bytes, error: Optional[BaseException]) -> Optional[bytes]:
    if error is not None:
        return None
    try:
        return _decoded(response.status_code, response.headers, data)
    except Exception:  # noqa: BLE001 - an undecodable body is not a JSON object
        return b""


class GuardTransport(httpx.BaseTransport):
    """``ChargeGuard.httpx_transport()``."""

    def __init__(self, guard: GuardSide, inner: Optional[httpx.BaseTransport]) -> None:
        self._guard = guard
        self._inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        guard = self._guard
        raw_path = _raw_path(request)
        if not guard.match(request.method, raw_path):
            return self._inner.handle_request(request)
        body = request.read()  # buffered once; the request now sends these bytes
        charge = guard._begin(_klarna_headers(request), body, lambda: _outgoing(request, raw_path, body))
        try:
            response = self._inner.handle_request(request)
        except BaseException as exc:
            guard._finish(charge, None, None, sent=not isinstance(exc, _NOT_SENT))
            raise
        stream = response.stream
        chunks: list[bytes] = []
        error: Optional[BaseException] = None
        try:
            for chunk in stream:  # type: ignore[union-attr]
                chunks.append(chunk)
        except Exception as exc:  # noqa: BLE001 - handed to the caller after the accounting
            error = exc
        try:
            stream.close()  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001
            pass
        data = b"".join(chunks)
        guard._finish(charge, response.status_code if error is None else None, _body_for_guard(response, data, error))
        # The same response, its body served from the bytes as received.
        response.stream = _Replay(data, error)
        return response

    def close(self) -> None:
        self._inner.close()

    def __repr__(self) -> str:
        return f"<ctpolicy guard httpx transport over {type(self._inner).__name__}>"


class AsyncGuardTransport(httpx.AsyncBaseTransport):
    """``ChargeGuard.async_httpx_transport()``."""

    def __init__(self, guard: GuardSide, inner: Optional[httpx.AsyncBaseTransport]) -> None:
        self._guard = guard
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        guard = self._guard
        raw_path = _raw_path(request)
        if not guard.match(request.method, raw_path):
            return await self._inner.handle_async_request(request)
        body = await request.aread()
        charge = await guard._begin_async(
            _klarna_headers(request), body, lambda: _outgoing(request, raw_path, body)
        )
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException as exc:
            guard._finish(charge, None, None, sent=not isinstance(exc, _NOT_SENT))
            raise
        stream = response.stream
        chunks: list[bytes] = []
        error: Optional[BaseException] = None
        try:
            async for chunk in stream:  # type: ignore[union-attr]
                chunks.append(chunk)
        except Exception as exc:  # noqa: BLE001 - handed to the caller after the accounting
            error = exc
        try:
            await stream.aclose()  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001
            pass
        data = b"".join(chunks)
        guard._finish(charge, response.status_code if error is None else None, _body_for_guard(response, data, error))
        response.stream = _Replay(data, error)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __repr__(self) -> str:
        return f"<ctpolicy guard async httpx transport over {type(self._inner).__name__}>"
