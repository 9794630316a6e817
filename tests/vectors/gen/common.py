"""Shared building blocks of the vector generators."""
import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.dirname(HERE)
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(VECTORS)), "examples")

CP = "payment:customer_present"
CNP = "payment:customer_not_present"
LOGIN = "customer:login"
HDR = "Klarna-Customer-Token"
IDEM = "Klarna-Idempotency-Key"

# Tokens shaped like the ones in Klarna's public docs.
TOK = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
TOK_CP = "krn:customer-token:eu1:7c9e6679-7425-40de-944b-e07fc1f90ae7"
TOK_US = "krn:customer-token:us1:0f8fad5b-d9cb-469f-a165-70867728950e"
TOK_ID = "krn:partner:us1:live:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a"
TOK_ID_TEST = "krn:partner:eu1:test:identity:customer-token:Zq3Lk8sPd0Xw2mN7aB4cE9fG1hJ6"
SESSION = "krn:payment:eu1:klarna-network-session-token:3f2a1b4c-5d6e-7f80-9a1b-2c3d4e5f6a7b"
TXN = "krn:payment:eu1:transaction:6dfc8bd9-6f0e-4a3b-b2c1-0c9f2a7d1e55"

DEL = object()


def mod(base, changes):
    """A deep copy of base with changes {"a/b/c": value or DEL} applied."""
    out = copy.deepcopy(base)
    for path, value in changes.items():
        parts = path.split("/")
        cur = out
        for p in parts[:-1]:
            cur = cur[p]
        if value is DEL:
            cur.pop(parts[-1], None)
        else:
            cur[parts[-1]] = copy.deepcopy(value)
    return out


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


SUBSCRIPTIONS = [{
    "subscription_reference": "sub_8842",
    "name": "Streaming Premium",
    "interval": "MONTH",
    "interval_count": 1,
    "free_trial": "INACTIVE",
}]
ONDEMAND = {
    "average_amount": 2500,
    "minimum_amount": 500,
    "maximum_amount": 10000,
    "purchase_interval": "WEEK",
    "purchase_interval_frequency": 1,
}
STEP_UP = {
    "payment_request_reference": "pr-30291",
    "customer_interaction_config": {
        "method": "HANDOVER",
        "return_url": "https://shop.example.com/klarna/return?order=30291",
        "app_return_url": "shopapp://klarna/return",
    },
}


def renewal_record(token=TOK):
    return {
        "customer_token": token,
        "scopes": [CNP],
        "state": "ACTIVE",
        "customer_token_reference": "cust_8842-streaming",
        "created_at": "2024-01-15T09:30:00Z",
        "last_used_at": "2024-05-15T09:30:12.481Z",
        "customer_id": "cust_8842",
        "subscription_id": "sub_8842",
    }


def renewal(token=TOK):
    """A monthly subscription renewal, partner-initiated, clean."""
    return {
        "customer_present": False,
        "headers": {
            HDR: token,
            IDEM: "renewal-sub_8842-2024-06",
            "Content-Type": "application/json",
        },
        "body": {
            "currency": "EUR",
            "request_payment_transaction": {
                "amount": 1299,
                "payment_transaction_reference": "sub_8842-2024-06",
            },
            "supplementary_purchase_data": {"subscriptions": copy.deepcopy(SUBSCRIPTIONS)},
        },
        "token_record": renewal_record(token),
    }


def oneclick_record(token=TOK_CP):
    return {
        "customer_token": token,
        "scopes": [CP, LOGIN],
        "state": "ACTIVE",
        "customer_token_reference": "cust_5521-wallet",
        "created_at": "2023-11-02T18:04:55+01:00",
        "last_used_at": "2024-05-28T12:00:01Z",
        "customer_id": "cust_5521",
    }


def oneclick(token=TOK_CP):
    """A one-click purchase by a returning customer, clean."""
    return {
        "customer_present": True,
        "headers": {HDR: token, IDEM: "order-30291-attempt-1"},
        "body": {
            "currency": "SEK",
            "request_payment_transaction": {
                "amount": 49900,
                "payment_transaction_reference": "order-30291",
            },
            "step_up_config": copy.deepcopy(STEP_UP),
        },
        "token_record": oneclick_record(token),
    }


def signup():
    """A subscription sign-up that tokenizes (payment:customer_not_present)."""
    return {
        "customer_present": True,
        "headers": {IDEM: "signup-cust_9917-1"},
        "body": {
            "currency": "EUR",
            "request_payment_transaction": {
                "amount": 999,
                "payment_transaction_reference": "signup-cust_9917",
            },
            "request_customer_token": {
                "scopes": [CNP],
                "customer_token_reference": "cust_9917-streaming",
            },
            "step_up_config": copy.deepcopy(STEP_UP),
            "supplementary_purchase_data": {"subscriptions": copy.deepcopy(SUBSCRIPTIONS)},
        },
    }


def signup_ondemand():
    """An on-demand wallet sign-up (payment:customer_present token)."""
    return {
        "customer_present": True,
        "headers": {IDEM: "wallet-cust_7310-1"},
        "body": {
            "currency": "EUR",
            "request_payment_transaction": {
                "amount": 2500,
                "payment_transaction_reference": "ride-7310-0001",
            },
            "request_customer_token": {
                "scopes": [CP, LOGIN],
                "customer_token_reference": "cust_7310-rides",
            },
            "step_up_config": copy.deepcopy(STEP_UP),
            "supplementary_purchase_data": {"ondemand_service": copy.deepcopy(ONDEMAND)},
        },
    }


def guest():
    """A plain purchase without any token: nothing to do with tokens."""
    return {
        "customer_present": True,
        "headers": {IDEM: "order-40112-attempt-1"},
        "body": {
            "currency": "EUR",
            "request_payment_transaction": {
                "amount": 4590,
                "payment_transaction_reference": "order-40112",
            },
        },
    }
