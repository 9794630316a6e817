"""Writes the newcomer examples under examples/ (requests, policies, a record,
lifecycle events, tokens). Prints the decision model.py expects for each
request line so the mix of ALLOW and DENY stays visible."""
import json
import os

import model
from common import *  # noqa: F401,F403
from gen_policies import STRICT

B = "body/"
RPT = "body/request_payment_transaction"
TOK2 = "krn:customer-token:eu1:9b2e4c71-3d8a-4f5e-b6c0-1a2b3c4d5e6f"

REQUESTS = [
    # good ones
    ("renewal", renewal()),
    ("renewal, identity-form token, USD", mod(renewal(TOK_ID), {B + "currency": "USD", "decision_id": "dec-us-0001",
                                                                "headers/" + IDEM: "renewal-sub_1201-2024-06"})),
    ("renewal, another subscriber", mod(renewal(TOK2), {"token_record/customer_id": "cust_1020",
                                                         "token_record/subscription_id": "sub_1020",
                                                         "headers/" + IDEM: "renewal-sub_1020-2024-06",
                                                         RPT + "/amount": 4900,
                                                         RPT + "/payment_transaction_reference": "sub_1020-2024-06"})),
    ("renewal with time and counters (fits the strict policy too)",
     mod(renewal(), {"now": "2024-06-15T09:30:00Z", "counters": {"attempts_24h": 0, "attempts_30d": 1},
                     "decision_id": "dec-2024-06-15-sub_8842"})),
    ("one-click purchase", oneclick()),
    ("one-click purchase in EUR", mod(oneclick(), {B + "currency": "EUR", RPT + "/amount": 1850,
                                                   "headers/" + IDEM: "order-30377-attempt-1",
                                                   RPT + "/payment_transaction_reference": "order-30377"})),
    ("subscription sign-up that tokenizes", signup()),
    ("on-demand wallet sign-up", signup_ondemand()),
    ("sign-up that only tokenizes, no first payment", mod(signup(), {RPT: DEL, "headers/" + IDEM: "signup-cust_9920-1",
                                                                     B + "request_customer_token/customer_token_reference": "cust_9920-streaming"})),
    ("guest checkout, no token at all", guest()),
    ("large renewal (over the strict policy's EUR limit)", mod(renewal(), {RPT + "/amount": 79900})),
    # classic mistakes
    ("step-up on a renewal", mod(renewal(), {B + "step_up_config": STEP_UP})),
    ("charging a revoked token", mod(renewal(), {"token_record/state": "REVOKED", "token_record/revoked_by": "CUSTOMER",
                                                 "token_record/revoked_at": "2024-06-01T18:22:09+02:00"})),
    ("on-session token used for a renewal", mod(renewal(), {"token_record/scopes": [CP]})),
    ("network session token in the customer-token header", mod(renewal(), {"headers/" + HDR: SESSION})),
    ("amount as a float", mod(renewal(), {RPT + "/amount": 49.99})),
    ("amount as a string in major units", mod(oneclick(), {RPT + "/amount": "499.00"})),
    ("missing idempotency key", mod(renewal(), {"headers/" + IDEM: DEL})),
    ("token copied with a trailing newline", mod(renewal(), {"headers/" + HDR: TOK + "\n"})),
    ("token sent but record not looked up", mod(renewal(), {"token_record": DEL})),
    ("stored token does not match the header", mod(renewal(), {"token_record/customer_token": TOK2})),
    ("renewal without the token header", mod(renewal(), {"headers/" + HDR: DEL})),
    ("tokenizing on a renewal", mod(renewal(), {B + "request_customer_token": {"scopes": [CNP]}})),
    ("tokenizing without step-up", mod(signup(), {B + "step_up_config": DEL})),
    ("subscription token without subscriptions", mod(signup(), {B + "supplementary_purchase_data": DEL})),
    ("one-click without step_up_config", mod(oneclick(), {B + "step_up_config": DEL})),
    ("plain-http return URL", mod(oneclick(), {B + "step_up_config/customer_interaction_config/return_url":
                                               "http://shop.example.com/klarna/return"})),
    ("currency missing", mod(guest(), {B + "currency": DEL})),
    ("the same header twice in different case", mod(renewal(), {"headers/klarna-idempotency-key": "retry-2"})),
    ("one-click without the payment", mod(oneclick(), {RPT: DEL})),
]

TOKENS = [
    TOK, TOK_CP, TOK_US, TOK_ID, TOK_ID_TEST,
    "krn:customer-token:ap123:Zx9_y8.w7~v6-u5",
    "krn:customer-token:EU1:a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "krn:customer-token:eu1:",
    SESSION,
    TXN,
    "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "krn:partner:us1:prod:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a",
    "krn:customer-token:eu1:a1b2c3d4 e5f6",
]


def main():
    os.makedirs(os.path.join(EXAMPLES, "policies"), exist_ok=True)
    os.makedirs(os.path.join(EXAMPLES, "records"), exist_ok=True)
    os.makedirs(os.path.join(EXAMPLES, "events"), exist_ok=True)
    counts = {"ALLOW": 0, "DENY": 0}
    with open(os.path.join(EXAMPLES, "requests.jsonl"), "w", encoding="utf-8") as f:
        for label, req in REQUESTS:
            f.write(json.dumps(req, ensure_ascii=False, separators=(",", ":")) + "\n")
            got = model.evaluate(req, {})
            dec = "DENY" if got["violations"] else "ALLOW"
            counts[dec] += 1
            print("%-5s %-55s deny=%s warn=%s" % (dec, label, [v[0] for v in got["violations"]],
                                                   [w[0] for w in got["warnings"]]))
    print(counts)
    write_json(os.path.join(EXAMPLES, "policies", "default.json"), {})
    write_json(os.path.join(EXAMPLES, "policies", "strict-partner.json"), STRICT)
    write_json(os.path.join(EXAMPLES, "records", "active-renewal.json"), renewal_record())
    write_json(os.path.join(EXAMPLES, "events", "tokenized.json"), {
        "type": "TOKENIZED",
        "at": "2024-01-15T09:30:00Z",
        "response": {
            "result": "APPROVED",
            "customer_token": {"customer_token": TOK, "scopes": [CNP],
                               "customer_token_reference": "cust_8842-streaming"},
            "payment_transaction": {"payment_transaction_id": TXN, "amount": 999, "currency": "EUR"},
        },
        "requested": {"scopes": [CNP], "customer_token_reference": "cust_8842-streaming"},
        "customer_id": "cust_8842",
        "subscription_id": "sub_8842",
    })
    write_json(os.path.join(EXAMPLES, "events", "charged.json"),
               {"type": "CHARGED", "at": "2024-06-15T09:30:04.127+02:00"})
    write_json(os.path.join(EXAMPLES, "events", "revoked.json"),
               {"type": "REVOKED", "at": "2024-06-20T14:02:11Z", "by": "CUSTOMER"})
    write_json(os.path.join(EXAMPLES, "events", "declined.json"),
               {"type": "DECLINED", "at": "2024-06-16T09:30:00.000Z"})
    # apply_response: a renewal as sent, and Klarna's answers to it
    os.makedirs(os.path.join(EXAMPLES, "responses"), exist_ok=True)
    sent = renewal()
    del sent["token_record"]
    sent["caller"] = "billing-renewals"
    write_json(os.path.join(EXAMPLES, "responses", "renewal-request.json"), sent)
    write_json(os.path.join(EXAMPLES, "responses", "approved.json"), {"payment_transaction_response": {
        "result": "APPROVED",
        "payment_transaction": {"payment_transaction_id": TXN, "amount": 1299, "currency": "EUR"}}})
    write_json(os.path.join(EXAMPLES, "responses", "declined.json"),
               {"payment_transaction_response": {"result": "DECLINED"}})
    write_json(os.path.join(EXAMPLES, "policies", "access.json"), {
        "max_attempts": {"per_24h": 10, "per_30d": 35},
        "access": {"billing-renewals": {"scopes": [CNP]},
                   "checkout-web": {"scopes": [CP], "tokenize": True},
                   "support-console": {"scopes": []}}})
    with open(os.path.join(EXAMPLES, "tokens.txt"), "w", encoding="utf-8") as f:
        for t in TOKENS:
            f.write(t + "\n")
    # the examples must themselves be usable: event chain from the record
    rec = renewal_record()
    for ev in ("charged", "declined", "revoked"):
        with open(os.path.join(EXAMPLES, "events", ev + ".json")) as f:
            rec, changed = model.apply_event(rec, json.load(f))
            assert changed
    with open(os.path.join(EXAMPLES, "events", "tokenized.json")) as f:
        model.apply_event(None, json.load(f))
    print("examples written")


if __name__ == "__main__":
    main()
