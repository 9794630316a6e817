"""A stand-in for Klarna's ``authorizePayment``, on the loopback interface.

For the examples and the tests only: a threaded ``http.server`` that
records every request it receives (method, raw path, headers, body bytes)
and answers from a script, or, when the script is empty, like Klarna would
for a well-formed request (a tokenization gets a new token, a payment is
APPROVED). Never point it at real tokens: it keeps what it receives.

    with StandIn() as klarna:
        url = klarna.url + "/v2/accounts/acc_1/payment/authorize"
        klarna.script.append(Answer.json({"payment_transaction_response": {"result": "DECLINED"}}))
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional


@dataclass
class Answer:
    """One scripted answer: a status, headers and body bytes, or ``drop``
    (close the connection after reading the request, answering nothing)."""

    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False
    cut: bool = False
    """Send the headers and half the body, then close the connection."""

    @classmethod
    def json(cls, obj: Any, status: int = 200, *, gzipped: bool = False) -> Answer:
        body = json.dumps(obj).encode("utf-8")
        headers = [("Content-Type", "application/json")]
        if gzipped:
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        return cls(status, body, headers)

    @classmethod
    def text(cls, text: str, status: int = 200) -> Answer:
        return cls(status, text.encode("utf-8"), [("Content-Type", "text/plain")])

    @classmethod
    def dropped(cls) -> Answer:
        return cls(drop=True)


@dataclass(frozen=True)
class Received:
    """A request as the stand-in received it."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    noted: Any = None

    def header(self, name: str) -> Optional[str]:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def klarna_like(received: Received) -> Answer:
    """What Klarna answers to a well-formed request: a tokenization gets a
    new token with the scopes asked for, a payment is APPROVED."""
    try:
        body = json.loads(received.body)
    except ValueError:
        return Answer.json({"error_code": "BAD_VALUE"}, 400)
    out: dict[str, Any] = {}
    asked = body.get("request_customer_token")
    if isinstance(asked, dict):
        token: dict[str, Any] = {
            "customer_token": f"krn:customer-token:eu1:{uuid.uuid4()}",
            "scopes": asked.get("scopes", []),
        }
        if "customer_token_reference" in asked:
            token["customer_token_reference"] = asked["customer_token_reference"]
        out["customer_token_response"] = {"result": "APPROVED", "customer_token": token}
    payment = body.get("request_payment_transaction")
    if isinstance(payment, dict):
        out["payment_transaction_response"] = {
            "result": "APPROVED",
            "payment_transaction": {
                "payment_transaction_id": f"krn:payment:eu1:transaction:{uuid.uuid4()}",
                "amount": payment.get("amount"),
                "currency": body.get("currency"),
            },
        }
    return Answer.json(out)


class StandIn:
    """The server: ``url`` (``http://127.0.0.1:PORT``), ``received`` (every
    request, in order), ``script`` (answers used first, in order).
    ``on_request`` runs for each request before it is answered; what it
    returns is kept as ``Received.noted``."""

    def __init__(
        self,
        respond: Callable[[Received], Answer] = klarna_like,
        on_request: Optional[Callable[[Received], Any]] = None,
    ) -> None:
        self.respond = respond
        self.on_request = on_request
        self.script: deque[Answer] = deque()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in two writes: without this, Nagle's
                # algorithm and the client's delayed ACK add ~40 ms to each answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Received(self.command, self.path, list(self.headers.items()), body)
                noted = stand_in.on_request(seen) if stand_in.on_request is not None else None
                seen = Received(seen.method, seen.path, seen.headers, seen.body, noted)
                with stand_in._lock:
                    stand_in.received.append(seen)
                    answer = stand_in.script.popleft() if stand_in.script else None
                if answer is None:
                    answer = stand_in.respond(seen)
                if answer.drop:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                self.send_response(answer.status)
                for key, value in answer.headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if answer.cut:
                    self.wfile.write(answer.body[: len(answer.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                self.wfile.write(answer.body)

            do_POST = _handle
            do_GET = _handle
            do_PUT = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="klarna-stand-in", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
