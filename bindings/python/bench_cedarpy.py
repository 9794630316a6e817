"""Engine.check(dict) beside cedarpy (Cedar's Python binding) on the same renewal.

    pip install cedarpy          # in a venv of its own
    python bench_cedarpy.py [--calls N] [--batches N]

Both sides get the same 604-byte subscription renewal (bench.py's RENEWAL)
and the strict policy's checks. Cedar has no customer-token semantics, so
the facts ctpolicy derives itself (the token's region, the seconds since the
record was last used, whether the header token is the stored one) are
handed to Cedar precomputed in ``context``, and Cedar's policy set and
entities are parsed once (``PolicySet``/``Entities`` handles): the Cedar side
is measured at its most favourable, the call alone. Not type-checked by
test.sh (cedarpy is not one of its tools).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import sys
import time
from typing import Callable

import bench

import cedarpy  # type: ignore[import-not-found]

import ctpolicy

# The strict policy (bench.STRICT_POLICY_TEXT) as Cedar: region, currency,
# amount limit for the scope, attempt limits, minimum interval, a transaction
# reference, an idempotency key, an active record with the scope, the same token.
CEDAR_POLICY = """
permit(principal == Partner::"p1", action == Action::"charge", resource)
when {
  context.customer_present == false &&
  context.has_idempotency_key &&
  context.token == context.record_token &&
  context.record_state == "ACTIVE" &&
  context.record_scopes.contains("payment:customer_not_present") &&
  ["eu1"].contains(context.token_region) &&
  ["EUR", "SEK"].contains(context.currency) &&
  context.amount > 0 && context.amount <= 50000 &&
  context.attempts_24h < 10 && context.attempts_30d < 35 &&
  context.seconds_since_last_use >= 86400 &&
  context.has_transaction_reference
};
"""


def cedar_request(renewal: dict[str, object]) -> dict[str, object]:
    r = renewal
    headers = r["headers"]
    record = r["token_record"]
    body = r["body"]
    counters = r["counters"]
    assert isinstance(headers, dict) and isinstance(record, dict) and isinstance(body, dict)
    assert isinstance(counters, dict)
    token = headers["Klarna-Customer-Token"]
    return {
        "principal": 'Partner::"p1"',
        "action": 'Action::"charge"',
        "resource": 'Token::"t"',
        "context": {
            "customer_present": r["customer_present"],
            "has_idempotency_key": "Klarna-Idempotency-Key" in headers,
            "token": token,
            "record_token": record["customer_token"],
            "record_state": record["state"],
            "record_scopes": record["scopes"],
            "token_region": token.split(":")[2],
            "currency": body["currency"],
            "amount": body["request_payment_transaction"]["amount"],
            "attempts_24h": counters["attempts_24h"],
            "attempts_30d": counters["attempts_30d"],
            "seconds_since_last_use": 2_678_400,  # 2026-10-25T10:00Z .. 2026-11-25T10:00Z
            "has_transaction_reference": "payment_transaction_reference" in body["request_payment_transaction"],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=5_000)
    parser.add_argument("--batches", type=int, default=11)
    parser.add_argument("--wall", action="store_true", help="wall-clock time instead of the thread's CPU time")
    args = parser.parse_args(argv)

    policies = cedarpy.PolicySet.from_str(CEDAR_POLICY) if hasattr(cedarpy, "PolicySet") else CEDAR_POLICY
    entities = cedarpy.Entities.from_json_str("[]") if hasattr(cedarpy, "Entities") else "[]"
    request = cedar_request(bench.RENEWAL)
    result = cedarpy.is_authorized(request, policies, entities)
    assert result.allowed, result
    denied = cedar_request(bench.RENEWAL)
    denied["context"]["record_state"] = "REVOKED"  # type: ignore[index]
    assert not cedarpy.is_authorized(denied, policies, entities).allowed

    with ctpolicy.Engine(bench.POLICY) as engine:
        assert engine.check(bench.RENEWAL).allowed
        # Interleaved, so both sides see the same machine load; the thread's
        # CPU time (or wall time with --wall) per call.
        clock = time.perf_counter_ns if args.wall else time.thread_time_ns
        ours: list[float] = []
        theirs: list[float] = []
        string_policy: list[float] = []
        for _ in range(args.batches):
            ours.append(per_call(lambda: engine.check(bench.RENEWAL), args.calls, clock))
            # (A tenth of the calls for Cedar: each costs ~10-20x more.)
            theirs.append(per_call(lambda: cedarpy.is_authorized(request, policies, entities), args.calls // 10, clock))
            string_policy.append(
                per_call(lambda: cedarpy.is_authorized(request, CEDAR_POLICY, "[]"), args.calls // 10, clock)
            )
    mid = args.batches // 2
    print(
        f"Python {platform.python_version()}, cedarpy {importlib.metadata.version('cedarpy')}, "
        f"{args.batches} interleaved batches, {'wall' if args.wall else 'thread CPU'} time per call"
    )
    for name, values in (
        ("ctpolicy Engine.check(dict)", ours),
        ("cedarpy.is_authorized (parsed PolicySet, Entities)", theirs),
        ("cedarpy.is_authorized (policy text, entities text)", string_policy),
    ):
        values.sort()
        print(f"{name:52} median {values[mid]:9,.0f} ns  (min {values[0]:,.0f}, max {values[-1]:,.0f})")
        if values is not ours:
            print(f"{'':52} = {values[mid] / ours[mid]:.1f}x ctpolicy's median")
    return 0


def per_call(fn: Callable[[], object], calls: int, clock: Callable[[], int]) -> float:
    for _ in range(min(calls, 200)):  # warm up
        fn()
    start = clock()
    for _ in range(calls):
        fn()
    return (clock() - start) / calls


if __name__ == "__main__":
    sys.exit(main())
