#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from tests/vectors/*.json.

    python3 fuzz/seed_corpora.py            # into fuzz/corpus/<target>/

Standard library only. The corpora are generated (fuzz/corpus/ is
gitignored); re-running is safe: a file is named by the SHA-1 of its bytes,
as libFuzzer names the inputs it adds, so nothing is written twice.

  token_parse  every token of tokens.json, every Klarna-Customer-Token and
               record customer_token of check.json
  check_json   every request of check.json (exact text or bytes when the
               case gives them), and the lines of examples/requests.jsonl
  apply_response  record, request, answer and at of responses.json, joined
               by 0xFF
  apply_event  record + 0xFF + event for lifecycle.json cases with a record,
               the event alone for those without
  policy_load  every policy of policies.json and check.json, and
               examples/policies/*.json
  ffi          the above behind the selector byte of fuzz_targets/ffi.rs,
               a few batches, and typed ctp_charge inputs
"""

import base64
import hashlib
import json
import os
import struct
import sys

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
VECTORS = os.path.join(ROOT, "tests", "vectors")
TARGETS = ["token_parse", "check_json", "apply_event", "apply_response", "policy_load", "ffi", "redact"]


def load(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


def dump(value):
    # Key order kept (rule 703 reads the first of two header names).
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def case_bytes(case, key):
    """The exact bytes of a case input: KEY_base64, KEY_text or KEY as JSON."""
    if key + "_base64" in case:
        return base64.b64decode(case[key + "_base64"])
    if key + "_text" in case:
        return case[key + "_text"].encode("utf-8")
    if key in case:
        return dump(case[key])
    return None


def charge(flags, state, scopes, currency, amount, now, last, a24, a30, token, record_token, key):
    """A typed ctp_charge input, laid out as check_typed in fuzz_targets/ffi.rs reads it."""
    out = struct.pack("<IBB", flags, state, scopes) + currency
    out += struct.pack("<qqqqq", amount, now, last, a24, a30)
    out += bytes([len(token)]) + token
    if record_token is None:
        out += b"\x00"
    else:
        out += b"\x01" + bytes([len(record_token)]) + record_token
    return out + key


def main():
    tokens_doc = load("tokens.json")
    check_doc = load("check.json")
    lifecycle_doc = load("lifecycle.json")
    policies_doc = load("policies.json")
    seeds = {target: [] for target in TARGETS}

    for case in tokens_doc["cases"]:
        seeds["token_parse"].append(case["token"].encode("utf-8"))

    requests = []
    for case in check_doc["cases"]:
        request = case_bytes(case, "request")
        if request is None:
            continue
        requests.append(request)
        value = case.get("request")
        if isinstance(value, dict):
            headers = value.get("headers")
            if isinstance(headers, dict):
                for name, token in headers.items():
                    if name.lower() == "klarna-customer-token" and isinstance(token, str):
                        seeds["token_parse"].append(token.encode("utf-8"))
            record = value.get("token_record")
            if isinstance(record, dict) and isinstance(record.get("customer_token"), str):
                seeds["token_parse"].append(record["customer_token"].encode("utf-8"))
    examples = os.path.join(ROOT, "examples", "requests.jsonl")
    if os.path.exists(examples):
        with open(examples, "rb") as f:
            requests += [line.rstrip(b"\n") for line in f if line.strip()]
    seeds["check_json"] += requests

    transitions = []
    for case in lifecycle_doc["cases"]:
        event = case_bytes(case, "event")
        record = case_bytes(case, "record")
        if record is None or record == b"null":
            transitions.append(event)
        else:
            transitions.append(record + b"\xff" + event)
    seeds["apply_event"] += transitions

    with open(os.path.join(VECTORS, "responses.json"), "rb") as f:
        responses_doc = json.load(f)
    for case in responses_doc["cases"]:
        record = case_bytes(case, "record")
        record = b"" if record is None or record == b"null" else record
        seeds["apply_response"].append(b"\xff".join(
            [record, case_bytes(case, "request"), case_bytes(case, "response"), case["at"].encode("utf-8")]))

    policies = []
    for case in policies_doc["cases"]:
        policy = case_bytes(case, "policy")
        if policy is not None:
            policies.append(policy)
    policies += [dump(p) for p in check_doc.get("policies", {}).values()]
    policy_dir = os.path.join(ROOT, "examples", "policies")
    if os.path.isdir(policy_dir):
        for name in sorted(os.listdir(policy_dir)):
            if name.endswith(".json"):
                with open(os.path.join(policy_dir, name), "rb") as f:
                    policies.append(f.read())
    seeds["policy_load"] += policies

    # ffi: selector byte % 6 picks the call; 0x40 the strict engine; 0x80 a NULL out-parameter.
    ffi = seeds["ffi"]
    ffi += [b"\x00" + p for p in policies]
    for r in requests:
        ffi += [b"\x01" + r, b"\x41" + r]
    for i in range(0, len(requests), 7):
        ffi.append(b"\x02" + b"\n".join(requests[i:i + 7]) + b"\n")
        ffi.append(b"\x42" + b"\n\n".join(requests[i:i + 3]))
    ffi += [b"\x03" + t for t in transitions]
    ffi += [b"\x04" + t for t in seeds["token_parse"]]
    token = b"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    identity = b"krn:partner:us1:live:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a"
    now = 1_790_000_000_000
    typed = [
        # renewal: token, key, fingerprint; ACTIVE record with customer_not_present
        charge(2 | 4 | 256, 1, 2, b"EUR", 1299, 0, 0, 0, 0, token, None, b"renewal-42"),
        # on-session with step-up and every optional field
        charge(1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 | 256, 1, 1, b"SEK", 99_900, now, now - 3_600_000, 2, 9,
               identity, None, b"k-1"),
        # revoked record, other record token
        charge(2 | 4, 2, 3, b"eur", 50_001, now, now, 10, 35, token, identity, b"k-2"),
        # no token, no record
        charge(4, 0, 0, b"USD", 0, 0, 0, 0, 0, b"", None, b"k-3"),
        # network session token in the header
        charge(2 | 256, 1, 8, b"EUR", -1, 0, 0, -1, 0, b"krn:payment:eu1:klarna-network-session-token:abc", None, b""),
    ]
    ffi += [b"\x05" + c for c in typed] + [b"\x45" + c for c in typed]

    # redact: a cut/limit selector byte, then each small text of redact.json.
    with open(os.path.join(ROOT, "tests", "vectors", "redact.json")) as f:
        redact_cases = json.load(f)["cases"]
    for i, case in enumerate(redact_cases):
        text = case["text"]
        if isinstance(text, str):
            seeds["redact"].append(bytes([i * 37 % 256]) + text.encode())
        elif "base64" in text:
            seeds["redact"].append(bytes([i * 37 % 256]) + base64.b64decode(text["base64"]))

    total = 0
    for target, items in seeds.items():
        directory = os.path.join(FUZZ, "corpus", target)
        os.makedirs(directory, exist_ok=True)
        unique = {hashlib.sha1(item).hexdigest(): item for item in items}
        for name, item in unique.items():
            path = os.path.join(directory, name)
            if not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(item)
        total += len(unique)
        print(f"{target}: {len(unique)} seeds in {os.path.relpath(directory, ROOT)}")
    print(f"{total} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
