"""Per-call benchmark of the Python binding.

    python bench.py                 # default: 21 batches of 20,000 calls each
    python bench.py --calls 2000 --batches 5

Each measurement runs ``--batches`` batches of ``--calls`` calls, timing each
whole batch with ``time.perf_counter_ns``; a batch's ns/call is its time
divided by its calls, and the figure reported is the median over batches
(with the fastest and slowest batch beside it). Batching keeps the timer's
own cost (tens of ns) out of the numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ctpolicy  # noqa: E402
from ctpolicy import _native  # noqa: E402

TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"

# The shared benchmark fixtures of the Rust benches (benches/fixtures.rs),
# byte for byte, so the languages' numbers compare: a 600-byte subscription
# renewal (the partner charges a stored token, customer absent) and the strict
# policy. tests/test_readme.py checks they still match.
RENEWAL_TEXT = (
    '{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:'
    'a1b2c3d4-e5f6-7890-abcd-ef1234567890","Klarna-Idempotency-Key":"renewal-2026-11-sub-000042"},'
    '"token_record":{"customer_token":"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",'
    '"scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-15T09:30:00Z",'
    '"last_used_at":"2026-10-25T10:00:00Z"},"now":"2026-11-25T10:00:00Z",'
    '"counters":{"attempts_24h":0,"attempts_30d":1},"body":{"currency":"EUR",'
    '"request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub-42-2026-11"}}}'
)
STRICT_POLICY_TEXT = (
    '{"version":1,"allowed_regions":["eu1"],"allowed_currencies":["EUR","SEK"],'
    '"max_amount":{"payment:customer_not_present":{"EUR":50000}},"min_charge_interval_seconds":86400,'
    '"max_attempts":{"per_24h":10,"per_30d":35},"require_token_reference":true}'
)
RENEWAL: dict[str, Any] = json.loads(RENEWAL_TEXT)
POLICY: dict[str, Any] = json.loads(STRICT_POLICY_TEXT)

# The same renewal as typed fields, for Engine.check_charge (the typed path
# has no transaction reference or created_at: it does not read them).
RENEWAL_CHARGE: dict[str, Any] = {
    "customer_present": False,
    "token": TOKEN,
    "idempotency_key": "renewal-2026-11-sub-000042",
    "amount": 1299,
    "currency": "EUR",
    "record": ctpolicy.StoredRecord(
        TOKEN, "ACTIVE", ["payment:customer_not_present"], datetime(2026, 10, 25, 10, tzinfo=timezone.utc)
    ),
    "now": datetime(2026, 11, 25, 10, tzinfo=timezone.utc),
    "attempts_24h": 0,
    "attempts_30d": 1,
}
#: Renewals per check_many call.
BATCH_SIZE = 10_000


#: The clock: wall time, or the thread's CPU time with --cpu (steadier on a
#: machine shared with other work: time spent waiting for a core is left out).
CLOCK: Callable[[], int] = time.perf_counter_ns


def measure_batch(fn: Callable[[], object], size: int, batches: int) -> dict[str, float]:
    """Like :func:`measure` for one call deciding ``size`` requests: ns per request."""
    fn()  # warm up
    per_request: list[float] = []
    for _ in range(batches):
        start = CLOCK()
        fn()
        per_request.append((CLOCK() - start) / size)
    return {
        "median_ns": statistics.median(per_request),
        "min_ns": min(per_request),
        "max_ns": max(per_request),
    }


def measure(fn: Callable[[], object], calls: int, batches: int) -> dict[str, float]:
    """Median, min and max ns/call over ``batches`` batches of ``calls`` calls."""
    for _ in range(min(calls, 1000)):  # warm up
        fn()
    per_call: list[float] = []
    loop = range(calls)
    for _ in range(batches):
        start = CLOCK()
        for _ in loop:
            fn()
        per_call.append((CLOCK() - start) / calls)
    return {
        "median_ns": statistics.median(per_call),
        "min_ns": min(per_call),
        "max_ns": max(per_call),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000, help="calls per batch")
    parser.add_argument("--batches", type=int, default=21, help="batches per measurement")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="renewals per check_many call")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--cpu", action="store_true", help="the thread's CPU time instead of wall time")
    args = parser.parse_args(argv)
    global CLOCK
    if args.cpu:
        CLOCK = time.thread_time_ns

    request_bytes = RENEWAL_TEXT.encode()
    assert json.dumps(RENEWAL, separators=(",", ":")).encode() == request_bytes
    token_bytes = TOKEN.encode()
    with ctpolicy.Engine(POLICY) as engine:
        decision = engine.check(RENEWAL)
        assert decision.allowed, decision  # the benchmark measures the ALLOW path
        verdict = engine.check_charge(**RENEWAL_CHARGE, fingerprint=True)
        assert verdict.allowed and verdict.fingerprint == decision.token.fingerprint, verdict  # type: ignore[union-attr]
        dicts = [RENEWAL] * args.batch_size
        lines = [request_bytes] * args.batch_size
        assert engine.check_many(dicts[:10]).allowed == 10
        pointer = engine._borrow()
        try:
            cases: list[tuple[str, Callable[[], object]]] = [
                ("Engine.check(dict)", lambda: engine.check(RENEWAL)),
                ("Engine.check(bytes)", lambda: engine.check(request_bytes)),
                ("Engine.check_raw(bytes)", lambda: engine.check_raw(request_bytes)),
                ("raw ctp_check_json (no parsing)", lambda: _native.check_json(pointer, request_bytes)),
                (
                    "raw ctp_check_json_verdict (no parsing)",
                    lambda: _native.check_json_verdict(pointer, request_bytes),
                ),
                ("Engine.check_charge", lambda: engine.check_charge(**RENEWAL_CHARGE)),
                (
                    "Engine.check_charge(fingerprint)",
                    lambda: engine.check_charge(**RENEWAL_CHARGE, fingerprint=True),
                ),
                ("parse_token(str)", lambda: ctpolicy.parse_token(TOKEN)),
                ("raw ctp_token_parse", lambda: _native.token_parse(token_bytes)),
            ]
            results = {name: measure(fn, args.calls, args.batches) for name, fn in cases}
            per_request: list[tuple[str, Callable[[], object]]] = [
                ("Engine.check_many(dicts)", lambda: engine.check_many(dicts)),
                ("Engine.check_many(bytes)", lambda: engine.check_many(lines)),
                ("raw ctp_check_many (no parsing)", lambda: _native.check_many(pointer, lines)),
            ]
            batch_results = {
                f"{name}, per request": measure_batch(fn, args.batch_size, args.batches)
                for name, fn in per_request
            }
        finally:
            engine._unborrow()

    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "library": ctpolicy.library_version(),
        "request_bytes": len(request_bytes),
        "calls_per_batch": args.calls,
        "batches": args.batches,
        "check_many_batch_size": args.batch_size,
        "clock": "thread CPU time" if args.cpu else "wall time",
    }
    results.update(batch_results)
    if args.json:
        print(json.dumps({"meta": meta, "results": results}, indent=1))
        return 0
    print(
        f"Python {meta['python']} on {meta['machine']}, libctpolicy {meta['library']}, "
        f"request {meta['request_bytes']} bytes, {args.batches} batches x {args.calls} calls, {meta['clock']}"
    )
    print(f"check_many: {args.batches} calls of {args.batch_size} renewals each, ns per request")
    print(f"{'call':48} {'median ns':>10} {'min ns':>10} {'max ns':>10}")
    for name, r in results.items():
        print(f"{name:48} {r['median_ns']:10.0f} {r['min_ns']:10.0f} {r['max_ns']:10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
