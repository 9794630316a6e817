"""The audit trail (docs/HYGIENE.md H3): AuditLog, log.check(engine, request),
verify_audit_log; byte identity with tests/vectors/audit.json and with the
CLI's log, tampering found and named, threads sharing one log."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

import ctpolicy
from ctpolicy._engine import audit_entry
from support import CLI, load_vectors

VECTORS = load_vectors("audit")
ZERO = "sha256:" + "0" * 64
TOKEN_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def fingerprint(line: bytes) -> str:
    return "sha256:" + hashlib.sha256(line).hexdigest()


def deterministic(case: dict[str, Any]) -> bool:
    """Entries whose `at` is the request's `now`, not the writer's clock."""
    return VECTORS["clock"] not in case["entry"]


@pytest.fixture(scope="module")
def engine() -> ctpolicy.Engine:
    return ctpolicy.Engine(VECTORS["policy"])


def test_entries_are_the_vectors_byte_for_byte(engine: ctpolicy.Engine) -> None:
    prev = ZERO
    for seq, case in enumerate(VECTORS["cases"], 1):
        # prev is recomputed here from the expected lines (independently of the writer).
        assert json.loads(case["entry"])["prev"] == prev, case["name"]
        line = audit_entry(engine, case["request"], seq=seq, prev=prev, at=VECTORS["clock"])
        assert line == case["entry"], case["name"]
        prev = fingerprint(line.encode())
    assert prev == VECTORS["head"]
    assert any(not deterministic(c) for c in VECTORS["cases"]) and sum(map(deterministic, VECTORS["cases"])) >= 5


def test_no_entry_holds_a_token(engine: ctpolicy.Engine) -> None:
    for case in VECTORS["cases"]:
        assert "customer-token:" not in case["entry"], case["name"]


def write_log(engine: ctpolicy.Engine, path: Path, requests: list[str], **kw: Any) -> list[Any]:
    answers: list[Any] = []
    with ctpolicy.AuditLog(path, **kw) as log:
        for request in requests:
            try:
                answers.append(log.check(engine, request))
            except ctpolicy.InvalidRequestError as err:
                answers.append(err)
    return answers


def test_the_log_is_the_clis_for_the_same_requests(engine: ctpolicy.Engine, tmp_path: Path) -> None:
    requests = [c["request"] for c in VECTORS["cases"] if deterministic(c)]
    answers = write_log(engine, tmp_path / "py.log", requests)
    # The decision out is check()'s.
    for request, answer in zip(requests, answers):
        assert isinstance(answer, ctpolicy.Decision) and answer == engine.check(request)
    (tmp_path / "policy.json").write_text(VECTORS["policy"], encoding="utf-8")
    (tmp_path / "requests.jsonl").write_text("".join(r + "\n" for r in requests), encoding="utf-8")
    proc = subprocess.run(
        [str(CLI), "check", "--policy", str(tmp_path / "policy.json"), "--audit-log", str(tmp_path / "cli.log"),
         "--format", "jsonl", str(tmp_path / "requests.jsonl")],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr
    py_log = (tmp_path / "py.log").read_bytes()
    assert py_log == (tmp_path / "cli.log").read_bytes()
    summary = ctpolicy.verify_audit_log(tmp_path / "py.log")
    assert summary.entries == len(requests) == summary.allowed + summary.denied + summary.errors
    assert summary.head == fingerprint(py_log.splitlines()[-1])
    assert ctpolicy.verify_audit_log(str(tmp_path / "py.log"), expect_head=summary.head) == summary


def test_an_envelope_fault_raises_after_its_error_entry(engine: ctpolicy.Engine, tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    with ctpolicy.AuditLog(path) as log:
        with pytest.raises(ctpolicy.InvalidRequestError) as info:
            log.check(engine, '{"customer_present": true')
        assert info.value.code == "JSON_SYNTAX"
        decision = log.check(engine, {"customer_present": True, "body": {}})
        assert not decision.allowed
    lines = path.read_text(encoding="utf-8").splitlines()
    first, second = json.loads(lines[0]), json.loads(lines[1])
    assert (first["seq"], first["decision"], first["status"]) == (1, "ERROR", {"status": "INVALID_REQUEST", "code": "JSON_SYNTAX"})
    assert (second["seq"], second["decision"], second["prev"]) == (2, "DENY", fingerprint(lines[0].encode()))
    summary = ctpolicy.verify_audit_log(path)
    assert (summary.entries, summary.allowed, summary.denied, summary.errors) == (2, 0, 1, 1)
    assert summary.first_at == first["at"] and summary.last_at == second["at"]


def test_a_log_is_continued(engine: ctpolicy.Engine, tmp_path: Path) -> None:
    path = tmp_path / "c.log"
    requests = [c["request"] for c in VECTORS["cases"] if deterministic(c)]
    write_log(engine, path, requests[:2])
    write_log(engine, path, requests[2:4], fsync=True)
    lines = path.read_bytes().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4]
    assert json.loads(lines[2])["prev"] == fingerprint(lines[1])
    assert ctpolicy.verify_audit_log(path).entries == 4


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    (tmp_path / "e.log").write_bytes(b"")
    summary = ctpolicy.verify_audit_log(tmp_path / "e.log")
    assert summary == ctpolicy.AuditSummary(0, None, None, 0, 0, 0, ZERO)


@pytest.fixture
def good_log(engine: ctpolicy.Engine, tmp_path: Path) -> list[bytes]:
    requests = [c["request"] for c in VECTORS["cases"] if deterministic(c)]
    path = tmp_path / "good.log"
    write_log(engine, path, requests)
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) >= 5
    return lines


def tampered(tmp_path: Path, lines: list[bytes]) -> ctpolicy.AuditLogError:
    path = tmp_path / "t.log"
    path.write_bytes(b"".join(lines))
    with pytest.raises(ctpolicy.AuditLogError) as info:
        ctpolicy.verify_audit_log(path)
    err = info.value
    assert err.status == "AUDIT_LOG_INVALID" and err.status_number == 104
    return err


def test_tampering_is_found_and_named(good_log: list[bytes], tmp_path: Path) -> None:
    edited = list(good_log)
    entry = json.loads(edited[2])
    edited[2] = edited[2].replace(f'"at":"{entry["at"]}"'.encode(), b'"at":"2020-01-01T00:00:00Z"')
    assert edited[2] != good_log[2]
    err = tampered(tmp_path, edited)
    assert (err.line, err.seq) == (4, 4), repr(err)  # the next line's prev no longer matches
    assert err.code == "PREV_MISMATCH" and "line 4" in str(err) and "line=4, seq=4" in repr(err)

    deleted = good_log[:1] + good_log[2:]
    err = tampered(tmp_path, deleted)
    assert err.line == 2 and err.code in ("SEQ_MISMATCH", "PREV_MISMATCH")

    duplicated = good_log[:2] + good_log[1:]
    assert tampered(tmp_path, duplicated).line == 3

    swapped = [good_log[0], good_log[2], good_log[1], *good_log[3:]]
    assert tampered(tmp_path, swapped).line == 2

    inserted = good_log[:3] + [good_log[0]] + good_log[3:]
    assert tampered(tmp_path, inserted).line == 4

    torn = good_log[:-1] + [good_log[-1][:-10]]
    err = tampered(tmp_path, torn)
    assert err.code == "TORN_LINE" and err.line == len(good_log)

    unterminated = good_log[:-1] + [good_log[-1].rstrip(b"\n")]
    assert tampered(tmp_path, unterminated).code == "TORN_LINE"


def test_a_torn_log_is_not_appended_to(good_log: list[bytes], tmp_path: Path) -> None:
    path = tmp_path / "torn.log"
    path.write_bytes(b"".join(good_log)[:-7])
    with pytest.raises(ctpolicy.AuditLogError) as info:
        ctpolicy.AuditLog(path)
    assert info.value.code == "TORN_LINE" and not isinstance(info.value, OSError)


def test_expect_head_finds_a_cut_log(good_log: list[bytes], tmp_path: Path) -> None:
    path = tmp_path / "cut.log"
    path.write_bytes(b"".join(good_log))
    head = ctpolicy.verify_audit_log(path).head
    path.write_bytes(b"".join(good_log[:-1]))
    assert ctpolicy.verify_audit_log(path).entries == len(good_log) - 1  # still a chain
    with pytest.raises(ctpolicy.AuditLogError) as info:
        ctpolicy.verify_audit_log(path, expect_head=head)
    assert (info.value.status, info.value.code) == ("AUDIT_HEAD_MISMATCH", "HEAD_MISMATCH")
    with pytest.raises(ValueError, match="expect_head"):
        ctpolicy.verify_audit_log(path, expect_head="sha256:zz")


def test_io_errors_are_oserrors(tmp_path: Path, engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.AuditIOError) as info:
        ctpolicy.verify_audit_log(tmp_path / "missing" / "x.log")
    assert isinstance(info.value, OSError) and isinstance(info.value, ctpolicy.AuditLogError)
    assert info.value.status == "IO_ERROR"
    with pytest.raises(OSError):
        ctpolicy.AuditLog(tmp_path / "missing" / "x.log")


def test_binding_faults(tmp_path: Path, engine: ctpolicy.Engine) -> None:
    with pytest.raises(TypeError):
        ctpolicy.AuditLog(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path is empty"):
        ctpolicy.AuditLog("")
    with pytest.raises(TypeError):
        ctpolicy.AuditLog(tmp_path / "f.log", fsync=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.check("{}", audit="log")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="engine must be a ctpolicy.Engine"):
        ctpolicy.AuditLog(tmp_path / "g.log").check("engine", "{}")  # type: ignore[arg-type]
    log = ctpolicy.AuditLog(tmp_path / "f.log")
    assert repr(log) == "<ctpolicy.AuditLog open>"
    log.close()
    log.close()
    assert repr(log) == "<ctpolicy.AuditLog closed>"
    with pytest.raises(ctpolicy.EngineClosedError):
        log.check(engine, "{}")
    assert not (tmp_path / "f.log").read_bytes()


def test_eight_threads_keep_one_chain(engine: ctpolicy.Engine, tmp_path: Path) -> None:
    requests = [c["request"] for c in VECTORS["cases"]]
    path = tmp_path / "threads.log"
    per_thread = 150
    failures: list[BaseException] = []

    with ctpolicy.AuditLog(path) as log:

        def work() -> None:
            for i in range(per_thread):
                try:
                    log.check(engine, requests[i % len(requests)])
                except ctpolicy.InvalidRequestError:
                    pass
                except BaseException as exc:  # noqa: BLE001 - collected, asserted below
                    failures.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not failures
    summary = ctpolicy.verify_audit_log(path)
    assert summary.entries == 8 * per_thread
    lines = path.read_bytes().splitlines()
    for seq, (before, line) in enumerate(zip([None, *lines], lines), 1):
        entry = json.loads(line)
        assert entry["seq"] == seq and entry["prev"] == (ZERO if before is None else fingerprint(before))
    assert TOKEN_ID.encode() not in path.read_bytes()


def test_close_while_a_check_runs_waits_for_it(engine: ctpolicy.Engine, tmp_path: Path) -> None:
    path = tmp_path / "race.log"
    log = ctpolicy.AuditLog(path)
    request = VECTORS["cases"][0]["request"]
    started = threading.Semaphore(0)
    closed_seen: list[bool] = []

    def work() -> None:
        log.check(engine, request)
        started.release()
        while True:
            try:
                log.check(engine, request)
            except ctpolicy.EngineClosedError:
                closed_seen.append(True)
                return

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in threads:
        started.acquire()
    log.close()  # with checks in flight: the last one frees the handle
    for t in threads:
        t.join()
    assert closed_seen == [True] * 4
    assert ctpolicy.verify_audit_log(path).entries >= 4


def test_four_processes_and_threads_keep_one_chain(tmp_path: Path) -> None:
    import os
    import sys

    from support import PACKAGE_ROOT

    path = tmp_path / "procs.log"
    (tmp_path / "policy.json").write_text(VECTORS["policy"], encoding="utf-8")
    (tmp_path / "requests.json").write_text(json.dumps([c["request"] for c in VECTORS["cases"]]), encoding="utf-8")
    script = tmp_path / "writer.py"
    script.write_text(
        "import json, sys, threading, ctpolicy\n"
        "folder = sys.argv[1]\n"
        "requests = json.load(open(folder + '/requests.json'))\n"
        "engine = ctpolicy.Engine(open(folder + '/policy.json').read())\n"
        "with ctpolicy.AuditLog(folder + '/procs.log') as log:\n"
        "    def work():\n"
        "        for i in range(40):\n"
        "            try:\n"
        "                log.check(engine, requests[i % len(requests)])\n"
        "            except ctpolicy.InvalidRequestError:\n"
        "                pass\n"
        "    threads = [threading.Thread(target=work) for _ in range(2)]\n"
        "    [t.start() for t in threads]\n"
        "    [t.join() for t in threads]\n",
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=env) for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert ctpolicy.verify_audit_log(path).entries == 4 * 2 * 40


# ---------------------------------------------------------------- faults

RENEWAL = (
    '{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:' + TOKEN_ID + '",'
    '"Klarna-Idempotency-Key":"k-%d"},"token_record":{"customer_token":"krn:customer-token:eu1:' + TOKEN_ID + '",'
    '"scopes":["payment:customer_not_present"],"state":"ACTIVE"},"body":{"currency":"EUR",'
    '"request_payment_transaction":{"amount":1299,"payment_transaction_reference":"r-%d"}},'
    '"now":"2026-11-25T10:00:00Z","decision_id":"d-%d"}'
)


def renewal(i: int) -> str:
    return RENEWAL % (i, i, i)


def _truncate(path: Path) -> None:
    path.write_bytes(b"")


def _delete(path: Path) -> None:
    path.unlink()


def _rename_over(path: Path) -> None:
    path.rename(path.with_name(path.name + ".1"))
    path.write_bytes(b"")


@pytest.mark.parametrize(
    ("change", "code"),
    [(_truncate, "LOG_TRUNCATED"), (_delete, "LOG_REPLACED"), (_rename_over, "LOG_REPLACED")],
)
def test_a_log_changed_under_a_running_writer_fails_the_check(
    engine: ctpolicy.Engine, tmp_path: Path, change: Any, code: str
) -> None:
    path = tmp_path / "audit.jsonl"
    given = []
    with ctpolicy.AuditLog(path) as log:
        for i in range(5):
            given.append(log.check(engine, renewal(i)).decision_id)
        change(path)
        with pytest.raises(ctpolicy.AuditLogError) as caught:
            log.check(engine, renewal(5))
        assert caught.value.code == code and "audit.jsonl" in str(caught.value)
        # No decision later either.
        with pytest.raises(ctpolicy.AuditLogError):
            log.check(engine, renewal(6))
    if change is _rename_over:
        rotated = tmp_path / "audit.jsonl.1"
        assert [json.loads(line)["decision_id"] for line in rotated.read_text().splitlines()] == given
        assert ctpolicy.verify_audit_log(rotated).entries == 5


def test_rotation_by_rename_with_a_reopen_loses_nothing(engine: ctpolicy.Engine, tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = ctpolicy.AuditLog(path)
    given = []
    for i in range(50):
        if i == 20:
            _rename_over(path)
        while True:
            try:
                given.append(log.check(engine, renewal(i)).decision_id)
                break
            except ctpolicy.AuditLogError as error:
                assert error.code == "LOG_REPLACED"
                log.close()
                log = ctpolicy.AuditLog(path)
    log.close()
    logged = [
        json.loads(line)["decision_id"]
        for name in ("audit.jsonl.1", "audit.jsonl")
        for line in (tmp_path / name).read_text().splitlines()
    ]
    assert logged == given and len(given) == 50


def test_paths_that_are_not_regular_files_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    import os

    os.mkfifo(fifo)
    for path in ("/dev/null", fifo, tmp_path):
        with pytest.raises(ctpolicy.AuditLogError) as caught:
            ctpolicy.AuditLog(path)  # a FIFO must not hang
        assert caught.value.code == "NOT_A_REGULAR_FILE"


def test_a_torn_tail_names_its_line_and_is_repaired(engine: ctpolicy.Engine, tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with ctpolicy.AuditLog(path) as log:
        for i in range(4):
            log.check(engine, renewal(i))
    whole = path.read_bytes()
    path.write_bytes(whole[:-30])
    with pytest.raises(ctpolicy.AuditLogError) as caught:
        ctpolicy.AuditLog(path)
    assert caught.value.code == "TORN_LINE"
    assert (caught.value.line, caught.value.seq) == (4, 4)
    assert "ctpolicy audit repair" in str(caught.value)
    with pytest.raises(ctpolicy.AuditLogError) as verified:
        ctpolicy.verify_audit_log(path)
    assert verified.value.line == caught.value.line
    report = ctpolicy.repair_audit_log(path)
    kept = whole[: whole.rindex(b"\n", 0, len(whole) - 1) + 1]
    assert report.repaired and report.entries == 3 and report.kept_bytes == len(kept)
    assert report.cut_bytes == len(whole) - 30 - len(kept)
    assert path.read_bytes() == kept
    again = ctpolicy.repair_audit_log(path)
    assert not again.repaired and again.cut_bytes == 0
    # A tampered log is not repaired, and not touched.
    tampered = kept.replace(b'"seq":2', b'"seq":9') + b'{"torn'
    path.write_bytes(tampered)
    with pytest.raises(ctpolicy.AuditLogError):
        ctpolicy.repair_audit_log(path)
    assert path.read_bytes() == tampered
    with pytest.raises(ctpolicy.AuditIOError):
        ctpolicy.repair_audit_log(tmp_path / "missing")
