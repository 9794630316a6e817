"""8 threads sharing one Engine give exactly the single-threaded answers."""

from __future__ import annotations

import threading
from typing import Any

import ctpolicy
from support import input_of, load_vectors

THREADS = 8
ROUNDS = 5


def _answer(engine: ctpolicy.Engine, request: Any) -> Any:
    try:
        return ("decision", engine.check(request).raw)
    except ctpolicy.Error as err:
        return ("error", err.raw)


def test_eight_threads_share_one_engine() -> None:
    data = load_vectors("check")
    policy = data.get("policies", {}).get("strict", {})
    requests = [input_of(case, "request") for case in data["cases"]]
    with ctpolicy.Engine(policy) as engine:
        expected = [_answer(engine, r) for r in requests]
        assert any(kind == "decision" for kind, _ in expected)
        assert any(kind == "error" for kind, _ in expected)

        barrier = threading.Barrier(THREADS)
        results: dict[int, list[Any]] = {}
        failures: list[BaseException] = []

        def run(index: int) -> None:
            try:
                barrier.wait()
                mine: list[Any] = []
                for round_ in range(ROUNDS):
                    # each thread walks the requests from a different start
                    order = list(range(len(requests)))
                    shift = (index * 37 + round_ * 11) % len(requests)
                    order = order[shift:] + order[:shift]
                    answers = {i: _answer(engine, requests[i]) for i in order}
                    mine.append([answers[i] for i in range(len(requests))])
                results[index] = mine
            except BaseException as exc:  # pragma: no cover - reported below
                failures.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failures, failures
        assert sorted(results) == list(range(THREADS))
        for index, rounds in results.items():
            for answers in rounds:
                assert answers == expected, f"thread {index} disagrees with the single-threaded run"


def test_threads_share_free_functions() -> None:
    token = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    expected = ctpolicy.parse_token(token)
    out: list[bool] = []

    def run() -> None:
        out.append(all(ctpolicy.parse_token(token) == expected for _ in range(500)))

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert out == [True] * THREADS
