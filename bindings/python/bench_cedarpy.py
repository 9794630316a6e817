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
        # Interleaved, so both sides see the same machine load.
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(args.batches):
            ours.append(bench.measure(lambda: engine.check(bench.RENEWAL), args.calls, 1)["median_ns"])
            theirs.append(
                bench.measure(lambda: cedarpy.is_authorized(request, policies, entities), args.calls // 10, 1)[
                    "median_ns"
                ]
            )
            # (A tenth of the calls for Cedar: each costs ~10-20x more.)
    ours.sort()
    theirs.sort()
    mid = args.batches // 2
    print(f"Python {platform.python_version()}, cedarpy {importlib.metadata.version('cedarpy')}, "
          f"{args.batches} interleaved batches")
    print(f"ctpolicy Engine.check(dict): median {ours[mid]:,.0f} ns (min {ours[0]:,.0f}, max {ours[-1]:,.0f})")
    print(f"cedarpy.is_authorized:       median {theirs[mid]:,.0f} ns (min {theirs[0]:,.0f}, max {theirs[-1]:,.0f})")
    print(f"ratio (cedarpy / ctpolicy, medians): {theirs[mid] / ours[mid]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
