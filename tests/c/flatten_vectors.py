#!/usr/bin/env python3
"""Flattens tests/vectors/*.json into one tab-separated file the C tests read.

C has no JSON reader in its standard library, so the vectors are turned into
lines of hex fields. Each line carries the exact input bytes and the exact
output the `ctpolicy` command line prints for them, so the C programs prove
that the ABI answers byte for byte what the CLI answers; the expected codes
from the vector file are carried too, so they also prove the contract.

    kind  name  policy_hex  input_hex  input2_hex  cli_output_hex  status  codes

kind is check, token, apply or response; input2 is the event for apply
(input is the record, empty for none); for response, input is the record,
input2 is the request's hex, a colon and the answer's hex, and policy_hex
holds `at`; status is the expected status name or OK; codes are the
expected violation codes, comma-separated.
"""
import base64
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "ctpolicy"


def exact_input(case, field):
    if f"{field}_text" in case:
        return case[f"{field}_text"].encode()
    if f"{field}_base64" in case:
        return base64.b64decode(case[f"{field}_base64"])
    if field in case and case[field] is not None:
        return json.dumps(case[field], separators=(",", ":"), ensure_ascii=False).encode()
    return b""


def expected_status_and_codes(expect):
    if "error" in expect:
        return expect["error"]["status"], ""
    if "violations" in expect:
        return "OK", ",".join(v["code"] for v in expect["violations"])
    return "OK", ""


def run_cli(args, stdin=None):
    done = subprocess.run([str(CLI), *args], input=stdin, capture_output=True, check=False)
    if done.returncode not in (0, 1, 2):
        sys.exit(f"ctpolicy {' '.join(args)} crashed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def main(out_path):
    rows = []
    check = json.loads((ROOT / "tests/vectors/check.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for case in check["cases"]:
            policy_name = case.get("policy", "default")
            policy = json.dumps(check["policies"][policy_name], separators=(",", ":")).encode()
            request = exact_input(case, "request")
            (tmp / "policy.json").write_bytes(policy)
            if b"\n" in request or not request.strip() or request.lstrip().startswith(b"["):
                # JSON Lines cannot carry it (the CLI reads input opening with
                # `[` as an array of requests); the C test checks status and codes only
                output = None
            else:
                (tmp / "request.jsonl").write_bytes(request + b"\n")
                cli = ["check", "--format", "jsonl", "--policy", str(tmp / "policy.json"), str(tmp / "request.jsonl")]
                output = run_cli(cli).rstrip(b"\n")
            status, codes = expected_status_and_codes(case["expect"])
            rows.append(("check", case["name"], policy, request, b"", output, status, codes))
        tokens = json.loads((ROOT / "tests/vectors/tokens.json").read_text())
        for case in tokens["cases"]:
            token = case["token"].encode()
            if b"\n" in token:
                output = None  # the CLI reads one token a line; the C test checks the status only
            else:
                output = run_cli(["token"], stdin=token + b"\n").rstrip(b"\n")
            status = case["expect"]["error"]["status"] if "error" in case["expect"] else "OK"
            rows.append(("token", case["name"], b"", token, b"", output, status, ""))
        lifecycle = json.loads((ROOT / "tests/vectors/lifecycle.json").read_text())
        for case in lifecycle["cases"]:
            record = exact_input(case, "record")
            if record == b"null":
                record = b""
            event = exact_input(case, "event")
            args = ["apply", "--event", str(tmp / "event.json")]
            (tmp / "event.json").write_bytes(event)
            if record:
                (tmp / "record.json").write_bytes(record)
                args += ["--record", str(tmp / "record.json")]
            output = run_cli(args).rstrip(b"\n")
            status = case["expect"]["error"]["status"] if "error" in case["expect"] else "OK"
            rows.append(("apply", case["name"], b"", record, event, output, status, ""))
        responses = json.loads((ROOT / "tests/vectors/responses.json").read_text())
        for case in responses["cases"]:
            record = exact_input(case, "record")
            if record == b"null":
                record = b""
            request, answer = exact_input(case, "request"), exact_input(case, "response")
            (tmp / "request.json").write_bytes(request)
            (tmp / "response.json").write_bytes(answer)
            args = ["apply", "--request", str(tmp / "request.json"), "--response", str(tmp / "response.json"),
                    "--at", case["at"]]
            if record:
                (tmp / "record.json").write_bytes(record)
                args += ["--record", str(tmp / "record.json")]
            output = run_cli(args).rstrip(b"\n")
            status = case["expect"]["error"]["status"] if "error" in case["expect"] else "OK"
            rows.append(("response", case["name"], case["at"].encode(), record, (request, answer), output, status, ""))
    with open(out_path, "w") as out:
        for kind, name, policy, first, second, output, status, codes in rows:
            second_hex = second[0].hex() + ":" + second[1].hex() if isinstance(second, tuple) else second.hex()
            fields = [kind, name, policy.hex(), first.hex(), second_hex, "-" if output is None else output.hex(), status, codes or "-"]
            out.write("\t".join(fields) + "\n")
    print(f"flattened {len(rows)} vectors into {out_path}")


if __name__ == "__main__":
    main(sys.argv[1])
