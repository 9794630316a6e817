"""A subscription renewal worker with the charge guard in its HTTP client.

Run it: ``python examples/renewal_worker.py`` (from bindings/python, with
ctpolicy and ``pip install requests``). It starts a local stand-in for Klarna
(examples/klarna_stand_in.py), so no network and no real token is used.

What it shows:

* one line (``session.mount(...)``) puts the guard in a ``requests.Session``;
* every renewal is checked before it leaves: a revoked token never reaches
  Klarna (``PreflightDenied``);
* Klarna's answer becomes the record's next state, stored through the
  worker's own token store: approvals and declines are counted in the
  record's ``attempts``, and the policy's ``max_attempts`` then holds a
  renewal back before it is sent.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any, Optional

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the stand-in beside this file
try:
    import ctpolicy
except ImportError:  # run from a checkout without installing: the package is one folder up
    sys.path.insert(0, str(HERE.parent))
    import ctpolicy
from ctpolicy.guard import ChargeGuard  # noqa: E402
from klarna_stand_in import Answer, Received, StandIn, klarna_like  # noqa: E402

POLICY = {
    "allowed_currencies": ["EUR"],
    "max_attempts": {"per_24h": 2, "per_30d": 35},
    "access": {"billing-renewals": {"scopes": ["payment:customer_not_present"]}},
}


class TokenStore:
    """The worker's token store: here a dict; in production your database.
    Keyed by the token itself, as Klarna tells partners to store it."""

    def __init__(self) -> None:
        self._records: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Optional[dict[str, Any]]:
        with self._lock:
            record = self._records.get(token)
            return None if record is None else dict(record)

    def put(self, token: str, record: dict[str, Any]) -> None:
        with self._lock:
            self._records[token] = record


def subscriptions() -> list[dict[str, Any]]:
    return [
        {"id": "sub_1", "token": "krn:customer-token:eu1:11111111-1111-4111-8111-111111111111", "amount": 999},
        {"id": "sub_2", "token": "krn:customer-token:eu1:22222222-2222-4222-8222-222222222222", "amount": 1299},
        {"id": "sub_3", "token": "krn:customer-token:eu1:33333333-3333-4333-8333-333333333333", "amount": 499},
    ]


def renew(session: requests.Session, base_url: str, sub: dict[str, Any], attempt: int) -> str:
    """One renewal: the authorizePayment call, exactly as the worker sends it."""
    body = {
        "currency": "EUR",
        "request_payment_transaction": {"amount": sub["amount"], "payment_transaction_reference": f"{sub['id']}-{attempt}"},
        "supplementary_purchase_data": {"subscriptions": [{"subscription_reference": sub["id"], "name": "Premium"}]},
    }
    headers = {
        "Klarna-Customer-Token": sub["token"],
        "Klarna-Idempotency-Key": f"renewal-{sub['id']}-{attempt}",
        "Content-Type": "application/json",
    }
    try:
        response = session.post(f"{base_url}/v2/accounts/acc_1/payment/authorize", data=json.dumps(body), headers=headers)
    except ctpolicy.PreflightDenied as denied:
        return "held back: " + ", ".join(denied.decision.codes)
    result = response.json().get("payment_transaction_response", {}).get("result", f"HTTP {response.status_code}")
    return str(result)


def klarna_declines_sub_2(received: Received) -> Answer:
    """The stand-in's answers: sub_2's card is declined, the rest as Klarna would."""
    if b'"sub_2-' in received.body:
        return Answer.json({"payment_transaction_response": {"result": "DECLINED"}})
    return klarna_like(received)


def main() -> dict[str, Any]:
    store = TokenStore()
    for sub in subscriptions():
        store.put(sub["token"], {"customer_token": sub["token"], "scopes": ["payment:customer_not_present"],
                                 "state": "ACTIVE", "subscription_id": sub["id"]})
    # sub_3's customer revoked the token in their Klarna app; the webhook said so
    revoked = subscriptions()[2]["token"]
    event = {"type": "REVOKED", "at": "2026-11-01T08:00:00Z", "by": "CUSTOMER"}
    store.put(revoked, ctpolicy.apply_event(store.get(revoked), event).record or {})

    outcomes: dict[str, list[str]] = {}
    with StandIn(klarna_declines_sub_2) as klarna, ctpolicy.Engine(POLICY) as engine:
        guard = ChargeGuard(engine, store, customer_present=False, caller="billing-renewals")
        with requests.Session() as session:
            session.mount("http://", guard.requests_adapter())  # the one line ("https://" in production)
            for attempt in (1, 2, 3):  # the nightly run, then two retries of what failed
                for sub in subscriptions():
                    if attempt == 1 or outcomes[sub["id"]][-1] == "DECLINED":
                        outcomes.setdefault(sub["id"], []).append(renew(session, klarna.url, sub, attempt))
        sent = klarna.count()

    for sub_id, results in outcomes.items():
        print(f"{sub_id}: {' -> '.join(results)}")
    sub2 = store.get(subscriptions()[1]["token"]) or {}
    attempts = len(sub2.get("attempts", []))
    print(f"requests that reached Klarna: {sent}; declined attempts kept in sub_2's record: {attempts}")
    return {"outcomes": outcomes, "sent": sent, "sub_2_attempts": attempts}


if __name__ == "__main__":
    main()
