"""A checkout handler with the charge guard in its (async) HTTP client.

Run it: ``python examples/checkout_handler.py`` (from bindings/python, with
ctpolicy and ``pip install httpx``). It starts a local stand-in for Klarna
(examples/klarna_stand_in.py), so no network and no real token is used.

What it shows:

* one argument (``transport=guard.async_httpx_transport()``) puts the guard
  in an ``httpx.AsyncClient``;
* the customer signs up for an on-demand service: the first payment asks
  Klarna for a customer token, and the guard stores the new token's record
  from Klarna's answer, without the handler parsing it;
* the next on-session purchase charges that token, and the record keeps the
  attempt;
* a request the handler got wrong (``step_up_config`` without ``https://``)
  never leaves the process.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from typing import Any, Optional

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the stand-in beside this file
try:
    import ctpolicy
except ImportError:  # run from a checkout without installing: the package is one folder up
    sys.path.insert(0, str(HERE.parent))
    import ctpolicy
from ctpolicy.guard import ChargeGuard  # noqa: E402
from klarna_stand_in import StandIn  # noqa: E402

POLICY = {"access": {"checkout-web": {"scopes": ["payment:customer_present"], "tokenize": True}}}
CP = "payment:customer_present"


class TokenStore:
    """The shop's token store (a dict here; your database in production)."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Optional[dict[str, Any]]:
        with self._lock:
            return self.records.get(token)

    def put(self, token: str, record: dict[str, Any]) -> None:
        with self._lock:
            self.records[token] = record


def sign_up_body(customer: str, amount: int, return_url: str) -> dict[str, Any]:
    return {
        "currency": "EUR",
        "request_payment_transaction": {"amount": amount, "payment_transaction_reference": f"order-{customer}-1"},
        "request_customer_token": {"scopes": [CP], "customer_token_reference": customer},
        "step_up_config": {
            "payment_request_reference": f"pr-{customer}",
            "customer_interaction_config": {"method": "HANDOVER", "return_url": return_url},
        },
        "supplementary_purchase_data": {"ondemand_service": {"average_amount": amount}},
    }


async def checkout(client: httpx.AsyncClient, url: str, body: dict[str, Any], token: Optional[str], key: str) -> str:
    headers = {"Klarna-Idempotency-Key": key}
    if token is not None:
        headers["Klarna-Customer-Token"] = token
    try:
        response = await client.post(url, json=body, headers=headers)
    except ctpolicy.PreflightDenied as denied:
        return "not sent: " + ", ".join(denied.decision.codes)
    return str(response.json().get("payment_transaction_response", {}).get("result"))


async def run(base_url: str, guard: ChargeGuard, store: TokenStore) -> dict[str, Any]:
    url = f"{base_url}/v2/accounts/acc_1/payment/authorize"
    async with httpx.AsyncClient(transport=guard.async_httpx_transport()) as client:  # the one argument
        first = await checkout(client, url, sign_up_body("cust_7", 1500, "https://shop.example/back"), None, "o-1")
        (token, record), = store.records.items()
        again = {
            "currency": "EUR",
            "request_payment_transaction": {"amount": 700, "payment_transaction_reference": "order-cust_7-2"},
        }
        second = await checkout(client, url, again, token, "o-2")
        wrong = await checkout(client, url, sign_up_body("cust_8", 900, "http://shop.example/back"), None, "o-3")
    record = store.records[token]
    return {"first": first, "second": second, "wrong": wrong, "record": record}


def main() -> dict[str, Any]:
    store = TokenStore()
    with StandIn() as klarna, ctpolicy.Engine(POLICY) as engine:
        guard = ChargeGuard(engine, store, customer_present=True, caller="checkout-web")
        result = asyncio.run(run(klarna.url, guard, store))
        result["sent"] = klarna.count()
    record = result["record"]
    print(f"sign-up with first payment: {result['first']}; token stored for {record['customer_token_reference']}")
    print(f"second purchase with the token: {result['second']}; attempts recorded: {len(record['attempts'])}")
    print(f"a request with an http:// return_url: {result['wrong']}")
    print(f"requests that reached Klarna: {result['sent']}")
    return result


if __name__ == "__main__":
    main()
