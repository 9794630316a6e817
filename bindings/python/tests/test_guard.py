"""The charge guard (ctpolicy.guard) against a real HTTP server on the
loopback interface standing in for Klarna, through httpx (sync and async)
and requests: what is sent, what is held back, what the caller reads, and
what the token record becomes."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

import httpx
import pytest
import requests
from urllib3.util.retry import Retry

import ctpolicy
from ctpolicy.guard import ChargeGuard, GuardError, OutgoingRequest, PreflightDenied
from support import PACKAGE_ROOT

sys.path.insert(0, str(PACKAGE_ROOT / "examples"))
from klarna_stand_in import Answer, StandIn  # noqa: E402

UTC = timezone.utc
SECRET = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
TOKEN = f"krn:customer-token:eu1:{SECRET}"
OTHER = "krn:customer-token:eu1:0f8fad5b-d9cb-469f-a165-70867728950e"
CNP = "payment:customer_not_present"
CP = "payment:customer_present"
START = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
PATH = "/v2/accounts/acc_42/payment/authorize"
APPROVED: dict[str, Any] = {
    "payment_transaction_response": {
        "result": "APPROVED",
        "payment_transaction": {"payment_transaction_id": "krn:payment:eu1:transaction:6dfc8bd9", "amount": 1299},
    }
}
DECLINED: dict[str, Any] = {"payment_transaction_response": {"result": "DECLINED"}}
STEP_UP: dict[str, Any] = {"payment_transaction_response": {"result": "STEP_UP_REQUIRED"}}
CLIENTS = ["httpx", "httpx-async", "requests"]


class Clock:
    """A clock that moves 1 ms at every reading (so every attempt has its
    own instant) and jumps when told."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self._now += timedelta(milliseconds=1)
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


class Store:
    """A token store in a dict, counting puts; faults on demand."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.puts = 0
        self.fail_get = False
        self.fail_put = False
        self.after_answer: Optional[dict[str, Any]] = None
        self.gets = 0
        self._lock = threading.Lock()

    def get(self, token: str) -> Optional[dict[str, Any]]:
        if self.fail_get:
            raise KeyError(token)  # a store that names the token in its error
        with self._lock:
            self.gets += 1
            if self.after_answer is not None and self.gets % 2 == 0:
                return self.after_answer
            found = self.data.get(token)
            return None if found is None else json.loads(json.dumps(found))

    def put(self, token: str, record: dict[str, Any]) -> None:
        if self.fail_put:
            raise RuntimeError(f"store down for {token}")
        with self._lock:
            self.puts += 1
            self.data[token] = record


def stored(token: str = TOKEN, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"customer_token": token, "scopes": [CNP], "state": "ACTIVE"}
    record.update(extra)
    return record


def renewal_body(amount: int = 1299, reference: str = "renewal-2026-11") -> bytes:
    # Written by hand: the exact bytes, spacing included, must arrive.
    return (
        '{"currency": "EUR",  "request_payment_transaction": '
        f'{{"amount": {amount}, "payment_transaction_reference": "{reference}"}}}}'
    ).encode()


def renewal_headers(token: str = TOKEN, key: str = "renewal-1") -> list[tuple[str, str]]:
    return [("Klarna-Customer-Token", token), ("Klarna-Idempotency-Key", key), ("Content-Type", "application/json")]


@dataclass
class Got:
    status: int
    content: bytes
    headers: dict[str, str]


def send(
    kind: str, guard: ChargeGuard, url: str, body: bytes, headers: list[tuple[str, str]], method: str = "POST"
) -> Got:
    """One request through the guarded client of ``kind``."""
    if kind == "httpx":
        with httpx.Client(transport=guard.httpx_transport()) as client:
            r = client.request(method, url, content=body, headers=headers)
            return Got(r.status_code, r.content, {k.lower(): v for k, v in r.headers.items()})
    if kind == "httpx-async":

        async def go() -> Got:
            async with httpx.AsyncClient(transport=guard.async_httpx_transport()) as client:
                r = await client.request(method, url, content=body, headers=headers)
                return Got(r.status_code, r.content, {k.lower(): v for k, v in r.headers.items()})

        return asyncio.run(go())
    with requests.Session() as session:
        session.mount("http://", guard.requests_adapter())
        answer = session.request(method, url, data=body, headers=dict(headers))
        return Got(answer.status_code, answer.content, {k.lower(): v for k, v in answer.headers.items()})


@pytest.fixture
def klarna() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture
def policy_engine() -> Iterator[ctpolicy.Engine]:
    with ctpolicy.Engine({"max_attempts": {"per_24h": 3, "per_30d": 35}}) as engine:
        yield engine


def make_guard(engine: ctpolicy.Engine, store: Store, clock: Clock, **kw: Any) -> ChargeGuard:
    return ChargeGuard(engine, store, False, clock=clock, **kw)


@pytest.mark.parametrize("kind", CLIENTS)
def test_approved_charge_arrives_byte_for_byte_and_is_recorded(
    kind: str, klarna: StandIn, policy_engine: ctpolicy.Engine, tmp_path: Path
) -> None:
    audit_path = tmp_path / "audit.log"
    audit = ctpolicy.AuditLog(audit_path)
    klarna.on_request = lambda seen: audit_path.read_text(encoding="utf-8").count("\n")
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    answer = Answer.json(APPROVED)
    klarna.script.append(answer)
    guard = make_guard(policy_engine, store, clock, audit=audit)
    body = renewal_body()
    got = send(kind, guard, klarna.url + PATH, body, renewal_headers())
    assert klarna.count() == 1
    seen = klarna.received[0]
    assert seen.body == body and seen.path == PATH and seen.method == "POST"
    assert seen.header("Klarna-Customer-Token") == TOKEN
    assert seen.noted == 1, "the audit entry was written before the request arrived"
    assert got.status == 200 and got.content == answer.body
    record = store.data[TOKEN]
    assert store.puts == 1
    assert record["last_used_at"] == record["attempts"][0]
    assert len(record["attempts"]) == 1
    audit.close()
    summary = ctpolicy.verify_audit_log(audit_path)
    assert summary.entries == 1


@pytest.mark.parametrize("kind", CLIENTS)
def test_denied_request_never_reaches_the_server(kind: str, klarna: StandIn, engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored(state="REVOKED", revoked_at="2026-11-01T00:00:00Z", revoked_by="CUSTOMER")
    guard = make_guard(engine, store, clock)
    with pytest.raises(PreflightDenied) as info:
        send(kind, guard, klarna.url + PATH, renewal_body(), renewal_headers())
    assert "TOKEN_REVOKED" in info.value.decision.codes
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value) and SECRET not in repr(info.value.decision)
    # a body with a duplicate key: the strict reader sees what is sent
    store.data[TOKEN] = stored()
    duplicate = b'{"currency": "EUR", "request_payment_transaction": {"amount": 1, "amount": 1299}}'
    with pytest.raises(ctpolicy.InvalidRequestError) as err:
        send(kind, guard, klarna.url + PATH, duplicate, renewal_headers())
    assert err.value.path is not None and err.value.path.startswith("/body")
    # not JSON at all, an empty body, and two values
    for bad in (b"currency=EUR", b"", b'{"currency": "EUR"} {"x": 1}', b'{"currency":"EUR"},"counters":{}'):
        with pytest.raises(ctpolicy.InvalidRequestError):
            send(kind, guard, klarna.url + PATH, bad, renewal_headers())
    # a token of another record
    with pytest.raises(PreflightDenied):
        send(kind, guard, klarna.url + PATH, renewal_body(), renewal_headers(token=OTHER))
    assert klarna.count() == 0
    assert store.puts == 0


@pytest.mark.parametrize("kind", CLIENTS)
def test_declines_5xx_and_lost_connections_count_and_the_cap_holds(
    kind: str, klarna: StandIn, policy_engine: ctpolicy.Engine
) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    errors: list[GuardError] = []
    guard = make_guard(policy_engine, store, clock, on_error=errors.append)
    url = klarna.url + PATH
    klarna.script.extend([Answer.json(DECLINED), Answer.json({"error_code": "INTERNAL"}, 500), Answer.dropped()])
    got = send(kind, guard, url, renewal_body(), renewal_headers(key="k1"))
    assert got.status == 200 and json.loads(got.content) == DECLINED
    assert len(store.data[TOKEN]["attempts"]) == 1 and "last_used_at" not in store.data[TOKEN]
    got = send(kind, guard, url, renewal_body(), renewal_headers(key="k2"))
    assert got.status == 500 and json.loads(got.content) == {"error_code": "INTERNAL"}
    assert len(store.data[TOKEN]["attempts"]) == 2
    with pytest.raises((httpx.RemoteProtocolError, requests.ConnectionError)):
        send(kind, guard, url, renewal_body(), renewal_headers(key="k3"))
    assert len(store.data[TOKEN]["attempts"]) == 3
    assert klarna.count() == 3
    # the retry cap holds the fourth attempt back before it is sent
    with pytest.raises(PreflightDenied) as info:
        send(kind, guard, url, renewal_body(), renewal_headers(key="k4"))
    assert info.value.decision.codes == ("ATTEMPT_LIMIT_EXCEEDED",)
    assert klarna.count() == 3
    # and lets it go a day later
    clock.advance(timedelta(days=1))
    got = send(kind, guard, url, renewal_body(), renewal_headers(key="k5"))
    assert got.status == 200 and klarna.count() == 4
    record = store.data[TOKEN]
    assert len(record["attempts"]) == 4 and record["last_used_at"] == record["attempts"][-1]
    assert errors == []


@pytest.mark.parametrize("kind", CLIENTS)
def test_step_up_gzip_and_non_json_answers(kind: str, klarna: StandIn, engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    guard = make_guard(engine, store, clock)
    url = klarna.url + PATH
    # STEP_UP_REQUIRED: no authorization yet, nothing counted, nothing stored
    klarna.script.append(Answer.json(STEP_UP))
    got = send(kind, guard, url, renewal_body(), renewal_headers())
    assert json.loads(got.content) == STEP_UP and store.puts == 0 and "attempts" not in store.data[TOKEN]
    # a gzip-encoded answer: the caller reads it decoded as usual; the guard read it too
    gz = Answer.json(APPROVED, gzipped=True)
    klarna.script.append(gz)
    got = send(kind, guard, url, renewal_body(), renewal_headers())
    assert got.content == gzip.decompress(gz.body) and got.headers.get("content-encoding") == "gzip"
    assert "last_used_at" in store.data[TOKEN] and len(store.data[TOKEN]["attempts"]) == 1
    # a 2xx body that is not JSON: an attempt of unknown outcome, counted
    klarna.script.append(Answer.text("<html>OK</html>"))
    got = send(kind, guard, url, renewal_body(), renewal_headers())
    assert got.content == b"<html>OK</html>"
    assert len(store.data[TOKEN]["attempts"]) == 2


@pytest.mark.parametrize("kind", CLIENTS)
def test_tokenization_puts_the_new_record(kind: str, klarna: StandIn, engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    guard = ChargeGuard(engine, store, True, clock=clock)
    body = json.dumps(
        {
            "currency": "EUR",
            "request_customer_token": {"scopes": [CP], "customer_token_reference": "cust_1"},
            "step_up_config": {
                "payment_request_reference": "pr_1",
                "customer_interaction_config": {"method": "HANDOVER", "return_url": "https://shop.example/back"},
            },
            "supplementary_purchase_data": {"ondemand_service": {"average_amount": 1000}},
        }
    ).encode()
    created = {"customer_token": TOKEN, "scopes": [CP], "customer_token_reference": "cust_1"}
    klarna.script.append(Answer.json({"customer_token_response": {"result": "APPROVED", "customer_token": created}}))
    send(kind, guard, klarna.url + PATH, body, [("Klarna-Idempotency-Key", "tok-1")])
    record = store.data[TOKEN]
    assert record["state"] == "ACTIVE" and record["scopes"] == [CP] and "attempts" not in record
    # tokenization with the first payment
    first = json.loads(body)
    first["request_customer_token"]["customer_token_reference"] = "cust_2"
    first["request_payment_transaction"] = {"amount": 500, "payment_transaction_reference": "first"}
    created2 = {"customer_token": OTHER, "scopes": [CP], "customer_token_reference": "cust_2"}
    klarna.script.append(
        Answer.json({"customer_token_response": {"result": "APPROVED", "customer_token": created2}, **APPROVED})
    )
    send(kind, guard, klarna.url + "/v2/payment/authorize/", json.dumps(first).encode(), [("Klarna-Idempotency-Key", "t2")])
    record = store.data[OTHER]
    assert record["customer_token_reference"] == "cust_2" and len(record["attempts"]) == 1
    assert record["last_used_at"] == record["attempts"][0]
    assert klarna.count() == 2 and store.puts == 2


@pytest.mark.parametrize("kind", CLIENTS)
def test_faults_after_sending_never_reach_the_caller(
    kind: str, klarna: StandIn, engine: ctpolicy.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    errors: list[GuardError] = []
    guard = make_guard(engine, store, clock, on_error=errors.append)
    klarna.script.append(Answer.json(APPROVED))
    store.fail_put = True
    got = send(kind, guard, klarna.url + PATH, renewal_body(), renewal_headers())
    assert got.status == 200 and json.loads(got.content) == APPROVED
    assert len(errors) == 1 and errors[0].stage == "put"
    assert errors[0].record is not None and errors[0].record["customer_token"] == TOKEN
    assert len(errors[0].record["attempts"]) == 1
    assert SECRET not in str(errors[0]) and SECRET not in repr(errors[0]) and SECRET not in repr(errors[0].args)
    # a record that became invalid in the store while the charge was out: apply fails, on_error hears
    store.fail_put = False
    store.after_answer = {"customer_token": TOKEN, "scopes": [], "state": "ACTIVE"}
    store.gets = 0
    klarna.script.append(Answer.json(APPROVED))
    got = send(kind, guard, klarna.url + PATH, renewal_body(), renewal_headers())
    assert got.status == 200
    assert len(errors) == 2 and errors[1].stage == "apply" and errors[1].code == "RECORD_INVALID"
    # the default on_error: one error-level record through logging, redacted
    store.after_answer = None
    store.fail_put = True
    quiet = make_guard(engine, store, clock)
    klarna.script.append(Answer.json(APPROVED))
    with caplog.at_level(logging.ERROR, logger="ctpolicy.guard"):
        got = send(kind, quiet, klarna.url + PATH, renewal_body(), renewal_headers())
    assert got.status == 200
    records = [r for r in caplog.records if r.name == "ctpolicy.guard"]
    assert len(records) == 1 and records[0].levelno == logging.ERROR
    assert SECRET not in caplog.text and "records.put raised" in caplog.text


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_store_that_fails_before_sending_holds_the_request_back(
    kind: str, klarna: StandIn, engine: ctpolicy.Engine
) -> None:
    store, clock = Store(), Clock()
    store.fail_get = True
    guard = make_guard(engine, store, clock)
    with pytest.raises(GuardError) as info:
        send(kind, guard, klarna.url + PATH, renewal_body(), renewal_headers())
    assert info.value.stage == "get" and SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert klarna.count() == 0


@pytest.mark.parametrize("kind", CLIENTS)
def test_other_requests_pass_untouched(kind: str, klarna: StandIn, engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    guard = make_guard(engine, store, clock)
    not_json = b"not json at all"
    for method, path in [
        ("GET", PATH),
        ("POST", "/v2/accounts/acc_42/payment/authorize/extra"),
        ("POST", "/v2/accounts//payment/authorize"),
        ("POST", "/v2/identity/sdk-tokens"),
        ("PUT", "/v2/payment/authorize"),
    ]:
        klarna.script.append(Answer.text("fine"))
        got = send(kind, guard, klarna.url + path, not_json, renewal_headers(), method=method)
        assert got.content == b"fine"
    assert klarna.count() == 5 and store.gets == 0
    assert all(r.body == not_json for r in klarna.received if r.method != "GET")


def test_a_repeated_klarna_header_fails_the_check(klarna: StandIn, engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    guard = make_guard(engine, store, clock)
    headers = [*renewal_headers(), ("Klarna-Idempotency-Key", "another")]
    with pytest.raises(PreflightDenied) as info:
        send("httpx", guard, klarna.url + PATH, renewal_body(), headers)
    assert "HEADER_DUPLICATE" in info.value.decision.codes
    with pytest.raises(PreflightDenied) as info:
        send("httpx", guard, klarna.url + PATH, renewal_body(), [*renewal_headers(), ("Klarna-Customer-Token", OTHER)])
    assert "HEADER_DUPLICATE" in info.value.decision.codes
    assert klarna.count() == 0


def test_customer_present_caller_and_match_are_configurable(klarna: StandIn) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    seen: list[OutgoingRequest] = []

    def present(out: OutgoingRequest) -> bool:
        seen.append(out)
        return out.raw_path.startswith("/checkout")

    with ctpolicy.Engine({"access": {"billing-renewals": {"scopes": [CNP]}}}) as engine:
        guard = ChargeGuard(engine, store, present, caller="billing-renewals", clock=clock,
                            match=lambda method, path: method == "POST" and path.endswith("/authorize-proxy"))
        klarna.script.append(Answer.json(APPROVED))
        send("httpx", guard, klarna.url + "/renewals/authorize-proxy", renewal_body(), renewal_headers())
        assert klarna.count() == 1 and len(store.data[TOKEN]["attempts"]) == 1
        assert seen[0].body == renewal_body() and TOKEN not in repr(seen[0])
        # the default paths are not guarded by this guard: passes untouched
        klarna.script.append(Answer.text("x"))
        send("httpx", guard, klarna.url + PATH, b"nope", renewal_headers())
        # another caller is denied by the policy's access
        other = ChargeGuard(engine, store, False, caller="support-console", clock=clock)
        with pytest.raises(PreflightDenied) as info:
            send("requests", other, klarna.url + PATH, renewal_body(), renewal_headers())
        assert info.value.decision.codes == ("CALLER_NOT_ALLOWED",)
    assert klarna.count() == 2


@pytest.mark.parametrize("kind", ["httpx", "requests"])
def test_threads_share_one_guard_and_same_token_charges_are_serialised(
    kind: str, klarna: StandIn, engine: ctpolicy.Engine
) -> None:
    store, clock = Store(), Clock()
    tokens = [f"krn:customer-token:eu1:0000000{i}-aaaa-bbbb-cccc-dddddddddddd" for i in range(8)]
    for token in tokens:
        store.data[token] = stored(token)
    store.data[TOKEN] = stored()
    guard = make_guard(engine, store, clock)
    failures: list[BaseException] = []
    start = threading.Barrier(16)

    def charge(token: str, n: int) -> None:
        try:
            start.wait()
            for i in range(3):
                got = send(kind, guard, klarna.url + PATH, renewal_body(), renewal_headers(token, key=f"{n}-{i}"))
                assert got.status == 200
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=charge, args=(TOKEN, n)) for n in range(8)]
    threads += [threading.Thread(target=charge, args=(token, 100 + n)) for n, token in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[0]
    assert len(store.data[TOKEN]["attempts"]) == 24, "every attempt on the shared token counted, none lost"
    assert all(len(store.data[t]["attempts"]) == 3 for t in tokens)
    assert klarna.count() == 48
    assert guard._locks._entries == {}


def test_async_charges_of_one_token_are_serialised(klarna: StandIn, engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    guard = make_guard(engine, store, clock)

    async def main() -> None:
        async with httpx.AsyncClient(transport=guard.async_httpx_transport()) as client:
            answers = await asyncio.gather(
                *[client.post(klarna.url + PATH, content=renewal_body(), headers=renewal_headers(key=f"a{i}")) for i in range(8)]
            )
        assert all(a.status_code == 200 for a in answers)

    asyncio.run(main())
    assert len(store.data[TOKEN]["attempts"]) == 8 and klarna.count() == 8


def test_requests_adapter_refuses_retries_that_resend_a_post() -> None:
    guard = ChargeGuard(ctpolicy.Engine(), Store(), False)
    for retry in (
        Retry(total=3, allowed_methods=None),
        Retry(total=2, allowed_methods=["GET", "POST"]),
        Retry(total=None, read=None, allowed_methods=frozenset({"post"})),
        Retry(total=5, read=0, other=0, status_forcelist=[502], allowed_methods=None),
    ):
        with pytest.raises(ValueError, match="send a POST again"):
            guard.requests_adapter(max_retries=retry)
    for fine in (
        3,
        Retry(total=3),  # POST is not among urllib3's default methods
        Retry(connect=3, read=0, other=0, status=0, allowed_methods=None),
        Retry(total=False, allowed_methods=None),
        Retry(total=4, read=0, other=0, allowed_methods=None, respect_retry_after_header=False),
    ):
        guard.requests_adapter(max_retries=fine)


def test_a_connection_refused_is_not_counted(engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    guard = make_guard(engine, store, clock)
    with StandIn() as gone:
        url = gone.url + PATH
    for kind in CLIENTS:
        with pytest.raises((httpx.ConnectError, requests.ConnectionError)):
            send(kind, guard, url, renewal_body(), renewal_headers())
    assert "attempts" not in store.data[TOKEN] and store.puts == 0
    assert guard._locks._entries == {}


def test_no_token_in_reprs_or_logs(klarna: StandIn, engine: ctpolicy.Engine, caplog: pytest.LogCaptureFixture) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    guard = make_guard(engine, store, clock)
    texts = [repr(guard), repr(guard.httpx_transport()), repr(guard.async_httpx_transport()), repr(guard.requests_adapter())]
    with caplog.at_level(logging.DEBUG):
        klarna.script.append(Answer.json(DECLINED))
        send("httpx", guard, klarna.url + PATH, renewal_body(), renewal_headers())
        with pytest.raises(ctpolicy.InvalidRequestError) as info:
            send("httpx", guard, klarna.url + PATH, f'{{"{TOKEN}": 1, "{TOKEN}": 2}}'.encode(), renewal_headers())
    texts += [str(info.value), repr(info.value), caplog.text]
    assert not [t for t in texts if SECRET in t]


def test_core_package_imports_neither_client() -> None:
    code = "import ctpolicy, ctpolicy.guard, sys; print('httpx' in sys.modules, 'requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE_ROOT)
    assert out.stdout.split() == ["False", "False"]


def test_guard_arguments_are_checked(engine: ctpolicy.Engine) -> None:
    with pytest.raises(TypeError, match="engine"):
        ChargeGuard(object(), Store(), False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="records"):
        ChargeGuard(engine, {}, False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="customer_present"):
        ChargeGuard(engine, Store(), "yes")  # type: ignore[arg-type]
    assert ctpolicy.PreflightDenied is PreflightDenied and ctpolicy.GuardError is GuardError



@pytest.mark.parametrize("kind", CLIENTS)
def test_the_caller_reads_the_bytes_as_received(kind: str, klarna: StandIn, engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    guard = make_guard(engine, store, clock)
    gz = Answer.json(APPROVED, gzipped=True)
    klarna.script.append(gz)
    url = klarna.url + PATH
    if kind == "httpx":
        with httpx.Client(transport=guard.httpx_transport()) as client:
            with client.stream("POST", url, content=renewal_body(), headers=renewal_headers()) as r:
                raw = b"".join(r.iter_raw())
    elif kind == "httpx-async":

        async def go() -> bytes:
            async with httpx.AsyncClient(transport=guard.async_httpx_transport()) as client:
                async with client.stream("POST", url, content=renewal_body(), headers=renewal_headers()) as r:
                    return b"".join([chunk async for chunk in r.aiter_raw()])

        raw = asyncio.run(go())
    else:
        with requests.Session() as session:
            session.mount("http://", guard.requests_adapter())
            answer = session.post(url, data=renewal_body(), headers=dict(renewal_headers()), stream=True)
            raw = answer.raw.read(decode_content=False)
            assert answer.raw.status == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert raw == gz.body
    assert len(store.data[TOKEN]["attempts"]) == 1


@pytest.mark.parametrize("kind", ["httpx", "requests"])
def test_a_generator_body_is_buffered_once_and_sent(kind: str, klarna: StandIn, engine: ctpolicy.Engine) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    guard = make_guard(engine, store, clock)
    body = renewal_body()
    pulls: list[int] = []

    def pieces() -> Iterator[bytes]:
        pulls.append(1)
        yield body[:10]
        yield body[10:]

    url = klarna.url + PATH
    if kind == "httpx":
        with httpx.Client(transport=guard.httpx_transport()) as client:
            client.post(url, content=pieces(), headers=renewal_headers())
    else:
        with requests.Session() as session:
            session.mount("http://", guard.requests_adapter())
            session.post(url, data=pieces(), headers=dict(renewal_headers()))
    assert pulls == [1]
    seen = klarna.received[0]
    if kind == "requests":  # sent with its Content-Length
        assert seen.body == body and seen.header("Content-Length") == str(len(body))
    else:  # httpx keeps the chunked framing of a generator body (the stand-in reads Content-Length only)
        assert seen.header("Transfer-Encoding") == "chunked"
    assert len(store.data[TOKEN]["attempts"]) == 1


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_body_cut_short_gives_the_caller_its_own_error_and_counts(
    kind: str, klarna: StandIn, engine: ctpolicy.Engine
) -> None:
    store, clock = Store(), Clock()
    store.data[TOKEN] = stored()
    errors: list[GuardError] = []
    guard = make_guard(engine, store, clock, on_error=errors.append)
    cut = Answer.json(APPROVED)
    cut.cut = True
    klarna.script.append(cut)
    with pytest.raises((httpx.RemoteProtocolError, requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        send(kind, guard, klarna.url + PATH, renewal_body(), renewal_headers())
    record = store.data[TOKEN]
    assert len(record["attempts"]) == 1 and "last_used_at" not in record, "an attempt of unknown outcome"
    assert errors == [] and guard._locks._entries == {}


# ---- The guard's own fast paths, against the general code they replace ----


def test_the_system_clock_text_is_what_utc_text_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    # The default clock writes "now" without a datetime, keeping the text of
    # the current second: the same text as _utc_text of that instant, at
    # every millisecond edge, across seconds, days, a leap day and a year.
    import time

    from ctpolicy import guard as guard_module

    instants = [
        datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 12, 0, 0, 999000, tzinfo=UTC),
        datetime(2026, 11, 30, 12, 0, 1, 1000, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC),
        datetime(2028, 2, 29, 8, 5, 9, 42000, tzinfo=UTC),
        datetime(2026, 11, 30, 12, 0, 0, 500000, tzinfo=UTC),  # an earlier second again
    ]
    clock_text = guard_module._SystemClockText()
    for at in instants:
        nanos = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000 + 999
        monkeypatch.setattr(time, "time_ns", lambda nanos=nanos: nanos)
        assert clock_text() == guard_module._utc_text(at)
    monkeypatch.undo()
    before = guard_module._utc_text(datetime.now(UTC) - timedelta(milliseconds=1))
    now = guard_module._system_now_text()
    after = guard_module._utc_text(datetime.now(UTC))
    assert before <= now <= after


def test_a_guard_on_the_system_clock_writes_the_instants_it_read() -> None:
    store = Store()
    store.data[TOKEN] = stored()
    engine = ctpolicy.Engine()
    guard = ChargeGuard(engine, store, False)
    seen: list[bytes] = []
    body = renewal_body()

    def klarna(request: httpx.Request) -> httpx.Response:
        seen.append(request.read())
        return httpx.Response(200, json=APPROVED)

    before = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with httpx.Client(transport=guard.httpx_transport(httpx.MockTransport(klarna))) as client:
        answer = client.post("https://api.klarna.example" + PATH, content=body, headers=renewal_headers())
    after = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert answer.status_code == 200 and seen == [body]
    record = store.data[TOKEN]
    assert before <= record["last_used_at"] <= after and record["attempts"] == [record["last_used_at"]]
    engine.close()


def test_a_transition_is_read_as_decoding_it_whole_would() -> None:
    # The guard decodes a transition's record alone when the library wrote
    # it first; on every answered vector of apply_response and apply_event
    # that gives what the whole decode gives, and other layouts are decoded
    # whole.
    from ctpolicy import _native
    from ctpolicy.guard import _transition_record
    from support import cases, input_bytes, input_of

    def optional(value: Any) -> Optional[bytes]:
        return None if value is None else input_bytes(value)

    outcomes = []
    for case in cases("responses"):
        record, request, response = (optional(input_of(case, f)) for f in ("record", "request", "response"))
        status, out = _native.apply_response_json(
            record, request or b"null", response or b"null", str(case["at"]).encode("utf-8")
        )
        if status == _native.OK:
            outcomes.append(out)
    for case in cases("lifecycle"):
        event = optional(input_of(case, "event"))
        status, out = _native.apply_event_json(optional(input_of(case, "record")), event or b"null")
        if status == _native.OK:
            outcomes.append(out)
    assert len(outcomes) > 60
    assert {_transition_record(out)[1] for out in outcomes} == {True, False}
    for out in outcomes:
        whole = json.loads(out)
        assert _transition_record(out) == (whole["record"], whole["changed"])
    for other in (b'{"changed":true,"record":{"a":1}}', b'{"record":{"a":1},"events":[],"changed":true}',
                  b'{"record":{"a":1},"changed":true }', b'{"record":null,"changed":false}'):
        whole = json.loads(other)
        assert _transition_record(other) == (whole["record"], whole["changed"])
