"""What the charge guard adds per guarded request, measured in one run.

    python bench_guard.py [--requests N] [--rounds R] [--in-process-only]

Two measurements, each the same client with and without the guard, in
alternating rounds (so load from other processes hits both alike):

1. **loopback**: httpx.Client and requests.Session against the local
   stand-in for Klarna (examples/klarna_stand_in.py, HTTP/1.1 keep-alive on
   127.0.0.1) answering APPROVED. The guard's cost is the difference of the
   two medians; the stand-in (pure Python) dominates the total, so this
   difference is noisy.
2. **in process**: the same httpx.Client over ``httpx.MockTransport`` (no
   socket), where the guard's work is most of what is measured.

``--in-process-only`` measures the second alone, in paired blocks (a
plain block then a guarded one, ``--rounds`` times, ``--requests`` each):
the steadier figure on a shared machine.

The guarded request is a renewal (token header, idempotency key, a ~300-byte
body); the store returns the same record (with 3 attempts) every time and
counts puts, so every request takes the full path: buffer, build the
pre-flight text, check, send, read the answer, apply_response, put.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

import httpx
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "examples"))

import ctpolicy  # noqa: E402
from ctpolicy.guard import ChargeGuard  # noqa: E402
from klarna_stand_in import Answer, Received, StandIn  # noqa: E402

TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
RECORD: dict[str, Any] = {
    "customer_token": TOKEN,
    "scopes": ["payment:customer_not_present"],
    "state": "ACTIVE",
    "customer_token_reference": "cust_8842",
    "created_at": "2026-01-15T09:30:00Z",
    "last_used_at": "2026-10-30T09:30:00.000Z",
    "attempts": ["2026-08-30T09:30:00.000Z", "2026-09-30T09:30:00.000Z", "2026-10-30T09:30:00.000Z"],
}
BODY = (
    b'{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub_8842-2026-11"},'
    b'"supplementary_purchase_data":{"subscriptions":[{"subscription_reference":"sub_8842","name":"Streaming Premium",'
    b'"interval":"MONTH","interval_count":1,"free_trial":"INACTIVE"}]}}'
)
HEADERS = {"Klarna-Customer-Token": TOKEN, "Klarna-Idempotency-Key": "renewal-sub_8842-2026-11",
           "Content-Type": "application/json"}
ANSWER = Answer.json({"payment_transaction_response": {"result": "APPROVED",
                      "payment_transaction": {"payment_transaction_id": "krn:payment:eu1:transaction:6dfc8bd9",
                                              "amount": 1299, "currency": "EUR"}}})
PATH = "/v2/accounts/acc_1/payment/authorize"


class SameRecord:
    """A store that always holds the same record (puts are counted, not kept)."""

    def __init__(self) -> None:
        self.puts = 0

    def get(self, token: str) -> Optional[dict[str, Any]]:
        return RECORD

    def put(self, token: str, record: dict[str, Any]) -> None:
        self.puts += 1


def per_request_us(send: Callable[[], Any], n: int) -> tuple[float, float]:
    """(wall-clock, CPU time of this process) per request, in microseconds."""
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        send()
    return (time.perf_counter() - start) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def compare(name: str, plain: Callable[[], Any], guarded: Callable[[], Any], n: int, rounds: int) -> dict[str, float]:
    for _ in range(max(n // 10, 20)):  # warm up both (connections, caches)
        plain()
        guarded()
    a: list[tuple[float, float]] = []
    b: list[tuple[float, float]] = []
    for _ in range(rounds):
        a.append(per_request_us(plain, n))
        b.append(per_request_us(guarded, n))
    result: dict[str, float] = {}
    for i, what in ((0, "wall"), (1, "cpu")):
        pa, pb = [x[i] for x in a], [x[i] for x in b]
        result[f"{what}_plain"] = statistics.median(pa)
        result[f"{what}_guarded"] = statistics.median(pb)
        result[f"{what}_added"] = statistics.median(pb) - statistics.median(pa)
        result[f"{what}_added_best"] = min(pb) - min(pa)
    print(
        f"{name:<28} wall: plain {result['wall_plain']:7.1f}  guarded {result['wall_guarded']:7.1f}  "
        f"added {result['wall_added']:6.1f} (best rounds {result['wall_added_best']:6.1f}) | "
        f"CPU: plain {result['cpu_plain']:7.1f}  guarded {result['cpu_guarded']:7.1f}  "
        f"added {result['cpu_added']:6.1f} (best rounds {result['cpu_added_best']:6.1f})  "
        f"[us per request, median of {rounds} rounds of {n}]"
    )
    return result


def paired(name: str, plain: Callable[[], Any], guarded: Callable[[], Any], n: int, rounds: int) -> None:
    """Blocks of ``n`` requests, plain then guarded, ``rounds`` times in one
    thread; the guard's cost is the median of the paired differences of the
    thread's CPU time (a block pair shares the machine's state, so load
    from other processes cancels better than between two medians)."""

    def block(send: Callable[[], Any]) -> float:
        start = time.thread_time_ns()
        for _ in range(n):
            send()
        return (time.thread_time_ns() - start) / n / 1000

    block(plain)
    block(guarded)
    pairs = [(block(plain), block(guarded)) for _ in range(rounds)]
    added = sorted(b - a for a, b in pairs)
    print(
        f"{name:<28} CPU: plain {statistics.median(a for a, _ in pairs):7.1f}  "
        f"guarded {statistics.median(b for _, b in pairs):7.1f}  added {statistics.median(added):6.1f} "
        f"(quartiles {added[len(added) // 4]:.1f} .. {added[3 * len(added) // 4]:.1f})  "
        f"[us per request, thread CPU, median of {rounds} paired blocks of {n}]"
    )


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per round (default 500)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per client (default 7)")
    parser.add_argument("--in-process-only", action="store_true",
                        help="only the in-process client, in paired blocks (see paired())")
    args = parser.parse_args(argv)
    n, rounds = args.requests, args.rounds
    store = SameRecord()
    engine = ctpolicy.Engine({"max_attempts": {"per_24h": 10, "per_30d": 35}})
    guard = ChargeGuard(engine, store, False, caller=None)

    def answer(_: Received) -> Answer:
        return ANSWER

    print(f"ctpolicy {ctpolicy.__version__}, Python {sys.version.split()[0]}, httpx {httpx.__version__}, "
          f"requests {requests.__version__}")
    if args.in_process_only:
        in_process(guard, n, rounds, paired)
        assert store.puts > 0
        engine.close()
        return
    with StandIn(answer) as klarna:
        url = klarna.url + PATH
        with httpx.Client() as plain_client, httpx.Client(transport=guard.httpx_transport()) as guarded_client:
            compare("httpx.Client, loopback",
                    lambda: plain_client.post(url, content=BODY, headers=HEADERS).content,
                    lambda: guarded_client.post(url, content=BODY, headers=HEADERS).content, n, rounds)
        with requests.Session() as plain_session, requests.Session() as guarded_session:
            guarded_session.mount("http://", guard.requests_adapter())
            compare("requests.Session, loopback",
                    lambda: plain_session.post(url, data=BODY, headers=HEADERS).content,
                    lambda: guarded_session.post(url, data=BODY, headers=HEADERS).content, n, rounds)

    in_process(guard, n * 4, rounds, compare)
    assert store.puts > 0
    engine.close()


def in_process(guard: ChargeGuard, n: int, rounds: int, measure: Callable[..., Any]) -> None:
    """The same httpx.Client with and without the guard over httpx.MockTransport (no socket)."""

    def mock(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(200, headers=ANSWER.headers, content=ANSWER.body)

    url = "https://api.klarna.example" + PATH
    with httpx.Client(transport=httpx.MockTransport(mock)) as plain_client, \
            httpx.Client(transport=guard.httpx_transport(httpx.MockTransport(mock))) as guarded_client:
        measure("httpx.Client, in process",
                lambda: plain_client.post(url, content=BODY, headers=HEADERS).content,
                lambda: guarded_client.post(url, content=BODY, headers=HEADERS).content, n, rounds)


if __name__ == "__main__":
    main()
