"""The typed path, Engine.check_charge (ctp_check_charge): it decides exactly
as Engine.check decides the equivalent JSON request (docs/ABI.md,
"ctp_check_charge"), with the same error, on hand-picked and on randomly
generated charges (a seeded property test); binding faults are TypeError /
ValueError naming the argument."""

from __future__ import annotations

import ctypes
import json
import random
import traceback
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Union

import pytest

import ctpolicy
from ctpolicy import StoredRecord, _native
from support import load_vectors

UTC = timezone.utc
TOKEN = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890"
OTHER = "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567891"
US = "krn:customer-token:us1:0f8fad5b-d9cb-469f-a165-70867728950e"
IDENTITY = "krn:partner:eu1:test:identity:customer-token:Zq3Lk8sPd0Xw2mN7aB4cE9fG1hJ6"
WRONG_TYPE = "krn:payment:eu1:transaction:6dfc8bd9-6f0e-4a3b-b2c1-0c9f2a7d1e55"
MALFORMED = [
    "",
    " ",
    TOKEN + " ",
    TOKEN + "\n",
    "krn:customer-token:EU1:a1b2c3d4",
    "krn:customer-token:eu1:åäö",
    "Bearer " + TOKEN,
    "krn:customer-token:eu1:" + "a" * 1100,
]
TOKENS: list[Optional[str]] = [TOKEN, OTHER, US, IDENTITY, WRONG_TYPE, None, *MALFORMED]
CP = "payment:customer_present"
CNP = "payment:customer_not_present"
LOGIN = "customer:login"
SCOPE_POOL = [CP, CNP, LOGIN, "payment:later", ""]
BASE = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
BASE_MS = int(BASE.timestamp()) * 1000

POLICIES: dict[str, Any] = load_vectors("check")["policies"]

Kw = dict[str, Any]


# The equivalent JSON request, from docs/ABI.md's mapping (test code only:
# the binding itself builds no JSON for the typed path).
def _stamp(value: Union[datetime, int]) -> str:
    if isinstance(value, int):
        if not -62_135_596_800_000 <= value <= 253_402_300_799_999:
            # No RFC 3339 form: the JSON path's answer is that of any
            # timestamp it cannot read in that field.
            return "10000-01-01T00:00:00.000Z"
        value = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
    value = value.astimezone(UTC)
    value = value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def equivalent_json(kw: Kw) -> dict[str, Any]:
    request: dict[str, Any] = {"customer_present": kw["customer_present"]}
    headers = {}
    if kw.get("token") is not None:
        headers["Klarna-Customer-Token"] = kw["token"]
    if kw.get("idempotency_key") is not None:
        headers["Klarna-Idempotency-Key"] = kw["idempotency_key"]
    if headers:
        request["headers"] = headers
    request["body"] = {"currency": kw["currency"], "request_payment_transaction": {"amount": kw["amount"]}}
    if kw.get("step_up"):
        request["body"]["step_up_config"] = {}
    record: Optional[StoredRecord] = kw.get("record")
    if record is not None:
        stored: dict[str, Any] = {
            "customer_token": record.customer_token,
            "scopes": list(record.scopes),
            "state": record.state,
        }
        if record.last_used_at is not None:
            stored["last_used_at"] = _stamp(record.last_used_at)
        if record.attempts is not None:
            stored["attempts"] = [_stamp(at) for at in record.attempts]
        request["token_record"] = stored
    if kw.get("now") is not None:
        request["now"] = _stamp(kw["now"])
    counters = {k: kw[k] for k in ("attempts_24h", "attempts_30d") if kw.get(k) is not None}
    if counters:
        request["counters"] = counters
    if kw.get("caller") is not None:
        request["caller"] = kw["caller"]
    return request


def agree(engine: ctpolicy.Engine, kw: Kw, label: str) -> Optional[ctpolicy.Verdict]:
    """check_charge(**kw) and check(equivalent JSON): same ids and codes, or the same error."""
    # As JSON text, so a lone surrogate reaches the engine as the bytes it
    # stands for (INVALID_UTF8), as the typed path sends it.
    request = json.dumps(equivalent_json(kw), ensure_ascii=False)
    expected: Optional[ctpolicy.InvalidRequestError] = None
    try:
        decision = engine.check(request)
    except ctpolicy.InvalidRequestError as err:
        expected = err
    if expected is not None:  # outside the except block: no context of the test's own
        with pytest.raises(ctpolicy.InvalidRequestError) as info:
            engine.check_charge(**kw)
        got = info.value
        assert (got.status, got.status_number, got.code, got.path, got.detail) == (
            expected.status,
            expected.status_number,
            expected.code,
            expected.path,
            expected.detail,
        ), f"{label}: {got!r} != {expected!r}"
        if got.status != "INVALID_UTF8":  # there the typed path names the field, not a byte offset
            assert got.raw == expected.raw and got.message == expected.message, label
        assert got.__context__ is None and got.__cause__ is None, label
        return None
    verdict = engine.check_charge(**kw, fingerprint=True)
    assert verdict.violations == tuple(v.id for v in decision.violations), (
        f"{label}: violations {verdict.violations} != {[v.id for v in decision.violations]}\n{request}"
    )
    assert verdict.warnings == tuple(w.id for w in decision.warnings), (
        f"{label}: warnings {verdict.warnings} != {[w.id for w in decision.warnings]}\n{request}"
    )
    assert verdict.allowed == decision.allowed and verdict.decision == decision.decision, label
    assert verdict.codes == decision.codes and verdict.warning_codes == decision.warning_codes, label
    expected_fp = decision.token.fingerprint if decision.token else None
    assert verdict.fingerprint == expected_fp, label
    assert engine.check_charge(**kw).fingerprint is None
    return verdict


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, ctpolicy.Engine]]:
    built = {name: ctpolicy.Engine(policy) for name, policy in POLICIES.items()}
    yield built
    for e in built.values():
        e.close()


def renewal(**changes: Any) -> Kw:
    kw: Kw = {
        "customer_present": False,
        "token": TOKEN,
        "idempotency_key": "renewal-2026-11-sub-000042",
        "amount": 1299,
        "currency": "EUR",
        "record": StoredRecord(TOKEN, "ACTIVE", [CNP], BASE - timedelta(days=31)),
        "now": BASE,
        "attempts_24h": 0,
        "attempts_30d": 1,
    }
    kw.update(changes)
    return kw


HAND_PICKED: list[tuple[str, Kw]] = [
    ("renewal", renewal()),
    ("no record", renewal(record=None)),
    ("no token", renewal(token=None)),
    ("present with token", renewal(customer_present=True)),
    ("present, cp record", renewal(customer_present=True, record=StoredRecord(TOKEN, "ACTIVE", [CP]))),
    ("present, step-up", renewal(customer_present=True, step_up=True)),
    ("absent, step-up", renewal(step_up=True)),
    ("revoked", renewal(record=StoredRecord(TOKEN, "REVOKED", [CNP]))),
    ("mismatched record", renewal(record=StoredRecord(OTHER, "ACTIVE", [CNP]))),
    ("both scopes", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CP, CNP]))),
    ("no scopes", renewal(record=StoredRecord(TOKEN, "ACTIVE", []))),
    ("login only", renewal(record=StoredRecord(TOKEN, "ACTIVE", [LOGIN]))),
    ("unknown scope", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP, "payment:later"]))),
    ("empty scope", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP, ""]))),
    ("one scope as a tuple", renewal(record=StoredRecord(TOKEN, "ACTIVE", (CNP,)))),
    ("repeated scope", renewal(record=StoredRecord(TOKEN, "ACTIVE", (CNP, CNP)))),
    ("unknown scopes, login first", renewal(record=StoredRecord(TOKEN, "ACTIVE", [LOGIN, "a", CNP, "b"]))),
    ("wrong type token", renewal(token=WRONG_TYPE)),
    ("us token", renewal(token=US, record=StoredRecord(US, "ACTIVE", [CNP]))),
    ("identity token", renewal(token=IDENTITY, record=StoredRecord(IDENTITY, "ACTIVE", [CNP]))),
    ("amount 0", renewal(amount=0)),
    ("amount -1", renewal(amount=-1)),
    ("amount max", renewal(amount=2147483647)),
    ("amount max+1", renewal(amount=2147483648)),
    ("amount i64 max", renewal(amount=2**63 - 1)),
    ("amount i64 min", renewal(amount=-(2**63))),
    ("eur", renewal(currency="eur")),
    ("EU", renewal(currency="EU")),
    ("EU1", renewal(currency="EU1")),
    ("a token as currency", renewal(currency=TOKEN)),
    ("EURO", renewal(currency="EURO")),
    ("empty currency", renewal(currency="")),
    ("euro sign", renewal(currency="€")),
    ("ÅÄÖ", renewal(currency="ÅÄÖ")),
    ("SEK", renewal(currency="SEK")),
    ("USD", renewal(currency="USD")),
    ("no idempotency key", renewal(idempotency_key=None)),
    ("empty idempotency key", renewal(idempotency_key="")),
    ("idempotency key with space", renewal(idempotency_key="renewal 42")),
    ("idempotency key non-ascii", renewal(idempotency_key="ключ")),
    ("idempotency key 255", renewal(idempotency_key="k" * 255)),
    ("idempotency key 256", renewal(idempotency_key="k" * 256)),
    ("no now", renewal(now=None)),
    ("no counters", renewal(attempts_24h=None, attempts_30d=None)),
    ("no last use", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP]))),
    ("too soon", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP], BASE - timedelta(hours=1)))),
    ("exactly a day", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP], BASE - timedelta(days=1)))),
    (
        "a day less 1 ms",
        renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP], BASE_MS - 86_400_000 + 1)),
    ),
    ("ms timestamps", renewal(now=BASE_MS + 7, record=StoredRecord(TOKEN, "ACTIVE", [CNP], BASE_MS - 86_400_000 + 8))),
    ("µs truncated", renewal(now=BASE + timedelta(microseconds=999))),
    ("offset tz", renewal(now=BASE.astimezone(timezone(timedelta(hours=-5))))),
    ("last use in the future", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP], BASE + timedelta(days=3)))),
    ("year 1", renewal(now=datetime(1, 1, 1, tzinfo=UTC))),
    ("year 9999", renewal(now=datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC))),
    ("before 1970", renewal(now=-1, record=StoredRecord(TOKEN, "ACTIVE", [CNP], -86_400_001))),
    ("attempts at limit", renewal(attempts_24h=10, attempts_30d=35)),
    ("attempts over", renewal(attempts_24h=11, attempts_30d=36)),
    ("attempts huge", renewal(attempts_24h=2**63 - 1, attempts_30d=2**63 - 1)),
    ("negative 24h", renewal(attempts_24h=-1)),
    ("negative 30d", renewal(attempts_30d=-5)),
    ("negative counter and now out of range", renewal(attempts_24h=-1, now=2**62)),
    ("now out of range", renewal(now=2**62)),
    ("now one ms before year 1", renewal(now=-62_135_596_800_001)),
    ("now one ms after year 9999", renewal(now=253_402_300_800_000)),
    ("last use after year 9999", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP], 253_402_300_800_000))),
    ("last use out of range and bad scopes", renewal(record=StoredRecord(TOKEN, "ACTIVE", [], 2**62))),
    ("lone surrogate in the token", renewal(token=TOKEN + "\ud800")),
    ("lone surrogate in the key", renewal(idempotency_key="\udfff")),
    ("lone surrogate in the currency", renewal(currency="E\ud800")),
    ("lone surrogate in the record token", renewal(record=StoredRecord("\udc00" + TOKEN, "ACTIVE", [CNP]))),
    ("lone surrogate in a scope", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP, "\ud801"]))),
    ("only 24h", renewal(attempts_30d=None)),
    ("only 30d", renewal(attempts_24h=None)),
    ("nothing", {"customer_present": True, "token": None, "amount": 0, "currency": ""}),
    ("caller billing", renewal(caller="billing-renewals")),
    ("caller checkout", renewal(caller="checkout-web")),
    ("caller support", renewal(caller="support-console")),
    ("caller unknown", renewal(caller="someone-else")),
    ("caller present checkout", renewal(customer_present=True, caller="checkout-web",
                                        record=StoredRecord(TOKEN, "ACTIVE", [CP]))),
    ("caller empty", renewal(caller="")),
    ("caller 255", renewal(caller="c" * 255)),
    ("caller 256", renewal(caller="c" * 256)),
    ("caller control", renewal(caller="billing\nrenewals")),
    ("caller non-ascii", renewal(caller="fakturering-förnyelse")),
    ("caller lone surrogate", renewal(caller="b\ud800")),
    ("caller is a token", renewal(caller=TOKEN)),
    ("caller, no token", renewal(token=None, caller="billing-renewals")),
    ("attempts counted", renewal(attempts_24h=None, attempts_30d=None,
                                 record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE - timedelta(hours=h) for h in (1, 2, 3)]))),
    ("attempts 10 in a day", renewal(attempts_24h=None, attempts_30d=None,
                                     record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE - timedelta(hours=h) for h in range(10)]))),
    ("attempts exactly 24h", renewal(attempts_24h=None, attempts_30d=None,
                                     record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE - timedelta(days=1)] * 3))),
    ("attempts exactly 30d", renewal(attempts_24h=None, attempts_30d=None,
                                     record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE - timedelta(days=30)] * 40))),
    ("attempts 35 in 30 days", renewal(attempts_24h=None, attempts_30d=None,
                                       record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE_MS - i * 3_600_000 * 20 for i in range(1, 36)]))),
    ("attempts in the future", renewal(attempts_24h=None, attempts_30d=None,
                                       record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE + timedelta(days=2)] * 11))),
    ("attempts empty", renewal(attempts_24h=None, attempts_30d=None, record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, []))),
    ("attempts with counters", renewal(record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE] * 50))),
    ("attempts without now", renewal(now=None, attempts_24h=None, attempts_30d=None,
                                     record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE]))),
    ("attempts out of range", renewal(attempts_24h=None, attempts_30d=None,
                                      record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [2**62]))),
    ("attempts out of range, bad scopes", renewal(attempts_24h=None, attempts_30d=None,
                                                  record=StoredRecord(TOKEN, "ACTIVE", [], None, [2**62]))),
    ("attempts before year 1", renewal(attempts_24h=None, attempts_30d=None,
                                       record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [-62_135_596_800_001]))),
    ("attempts ms and datetimes", renewal(attempts_24h=None, attempts_30d=None,
                                          record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, (BASE_MS - 1, BASE - timedelta(seconds=1))))),
    ("attempts and caller", renewal(attempts_24h=None, attempts_30d=None, caller="billing-renewals",
                                    record=StoredRecord(TOKEN, "ACTIVE", [CNP], None, [BASE] * 3))),
]


@pytest.mark.parametrize("policy", sorted(POLICIES))
@pytest.mark.parametrize("label,kw", HAND_PICKED, ids=[c[0] for c in HAND_PICKED])
def test_hand_picked_charges_agree_with_check(
    engines: dict[str, ctpolicy.Engine], policy: str, label: str, kw: Kw
) -> None:
    agree(engines[policy], kw, f"{label} / {policy}")


def random_charge(rng: random.Random) -> Kw:
    """A charge whose every field is, with probability ``good``, the value of
    a clean charge (so ALLOW happens), else drawn from a pool of edge cases."""
    good = rng.choice([0.95, 0.8, 0.5, 0.0])

    def pick(clean: Any, pool: list[Any]) -> Any:
        return clean if rng.random() < good else rng.choice(pool)

    def stamp(at: datetime) -> Union[datetime, int]:
        if rng.random() < 0.5:
            return at
        return int((at - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))

    present = rng.random() < 0.5
    token = pick(rng.choice([TOKEN, TOKEN, US, IDENTITY]), TOKENS)
    now = BASE + timedelta(milliseconds=rng.randrange(-10**6, 10**6))
    record = None
    if rng.random() < 0.85:
        same = token if token is not None else TOKEN
        record_token = pick(same, [same, OTHER, WRONG_TYPE, "", TOKEN + " ", US])
        scopes = pick([CP if present else CNP], [rng.sample(SCOPE_POOL, rng.randrange(0, 4)) for _ in range(3)])
        if rng.random() < 0.2:
            scopes = [*scopes, rng.choice(SCOPE_POOL)]
        gap = pick(10**7, [0, 1, 3599, 3600, 3601, 86399, 86400, 86401, 10**6, -60])
        last_used = now - timedelta(seconds=gap, milliseconds=rng.choice([0, 0, 1, -1, 500]))
        attempts = None
        if rng.random() < 0.5:
            attempts = [
                stamp(now - timedelta(seconds=rng.choice([-3600, 0, 1, 3600, 86399, 86400, 86401, 10**6, 2591999, 2592000, 2592001])))
                for _ in range(rng.choice([0, 1, 2, 3, 9, 10, 11, 15, 35, 36]))
            ]
        record = StoredRecord(
            record_token,
            pick("ACTIVE", ["REVOKED"]),
            scopes,
            stamp(last_used) if rng.random() < 0.7 else None,
            attempts,
        )
    return {
        "customer_present": present,
        "token": token,
        "idempotency_key": pick("renewal-1", [None, "", "k 1", "x" * 255, "x" * 256, "ключ", "a"]),
        "step_up": pick(present, [True, False]),
        "amount": pick(
            rng.choice([1, 1299, 50000]),
            [0, -1, 50001, 100000, 100001, 2147483647, 2147483648, 2**40, 2**63 - 1, -(2**63)],
        ),
        "currency": pick(rng.choice(["EUR", "SEK"]), ["eur", "sek", "USD", "EU", "EU1", "EURO", "", "€", "E", "E\ud800"]),
        "record": record,
        "now": pick(stamp(now), [None, None, 2**62, -62_135_596_800_001]),
        "attempts_24h": pick(rng.choice([0, 2, None]), [None, 3, 4, 10, 11, -1]),
        "attempts_30d": pick(rng.choice([0, 14, None]), [None, 15, 16, 35, 36, -1]),
        "caller": pick(
            rng.choice([None, "billing-renewals", "checkout-web"]),
            [None, "support-console", "signup-service", "other", "", "c" * 256, "a\tb", TOKEN],
        ),
    }


RANDOM_CASES = 1000


def test_random_charges_agree_with_check(engines: dict[str, ctpolicy.Engine]) -> None:
    rng = random.Random(20261125)
    names = sorted(POLICIES)
    outcomes: dict[str, int] = {"allow": 0, "deny": 0, "error": 0}
    seen_ids: set[int] = set()
    for i in range(RANDOM_CASES):
        kw = random_charge(rng)
        for policy in rng.sample(names, 3):
            verdict = agree(engines[policy], kw, f"random case {i} / {policy}")
            if verdict is None:
                outcomes["error"] += 1
            else:
                outcomes["allow" if verdict.allowed else "deny"] += 1
                seen_ids.update(verdict.violations + verdict.warnings)
    # the generator reaches every kind of answer, and most typed-path rules
    assert all(n > 50 for n in outcomes.values()), outcomes
    typed_rules = {
        101, 102, 103, 104, 105, 201, 202, 203, 204, 205, 301, 401, 402, 601, 602, 701, 702, 801, 802, 803, 804, 901, 902,
    }
    assert seen_ids == typed_rules, f"never hit: {sorted(typed_rules - seen_ids)}; off the typed path: {sorted(seen_ids - typed_rules)}"


def test_verdict_shape(engine: ctpolicy.Engine) -> None:
    v = engine.check_charge(**renewal(), fingerprint=True)
    assert v == ctpolicy.Verdict(True, (), (), ctpolicy.parse_token(TOKEN).fingerprint)
    assert v.decision == "ALLOW" and v.codes == ()
    with pytest.raises(AttributeError):
        v.allowed = False  # type: ignore[misc]
    d = engine.check_charge(**renewal(idempotency_key=None, record=StoredRecord(TOKEN, "REVOKED", [CP])))
    assert d.violations == (203, 301) and d.warnings == (701,)
    assert d.violation_codes == ("TOKEN_REVOKED", "SCOPE_MISMATCH")
    assert d.codes == ("TOKEN_REVOKED", "SCOPE_MISMATCH")  # violations only, as Decision.codes
    assert d.warning_codes == ("IDEMPOTENCY_KEY_MISSING",)
    eu = engine.check_charge(**renewal(currency="EU"))
    assert not eu.allowed and eu.codes == ("CURRENCY_INVALID",)
    assert not d.allowed and d.decision == "DENY" and d.fingerprint is None
    # a malformed token has no fingerprint even when asked
    assert engine.check_charge(**renewal(token="nope"), fingerprint=True).fingerprint is None
    assert hash(v) == hash(ctpolicy.Verdict(True, (), (), v.fingerprint))


def test_scopes_may_be_any_iterable(engine: ctpolicy.Engine) -> None:
    for scopes in ([CNP], (CNP,), frozenset([CNP]), {CNP: 1}.keys()):
        assert engine.check_charge(**renewal(record=StoredRecord(TOKEN, "ACTIVE", scopes))).allowed


def _error(engine: ctpolicy.Engine, **changes: Any) -> ctpolicy.Error:
    with pytest.raises(ctpolicy.Error) as info:
        engine.check_charge(**renewal(**changes))
    return info.value


def test_needed_by_rule() -> None:
    with ctpolicy.Engine({"min_charge_interval_seconds": 60, "max_attempts": {"per_30d": 5}}) as engine:
        err = _error(engine, now=None)
        assert isinstance(err, ctpolicy.InvalidRequestError)
        assert (err.status, err.status_number, err.code, err.path) == (
            "INVALID_REQUEST",
            _native.INVALID_REQUEST,
            "NEEDED_BY_RULE",
            "/now",
        )
        assert "CHARGE_TOO_SOON" in err.message
        err = _error(engine, attempts_30d=None)
        assert (err.code, err.path) == ("NEEDED_BY_RULE", "/counters/attempts_30d")
        err = _error(engine, attempts_24h=-1)
        assert (err.status, err.code, err.path) == ("INVALID_REQUEST", "INVALID_VALUE", "/counters/attempts_24h")
        # rules that are off need nothing
    with ctpolicy.Engine({"min_charge_interval_seconds": 60, "severity": {"CHARGE_TOO_SOON": "off"}}) as engine:
        assert engine.check_charge(**renewal(now=None)).allowed


@pytest.mark.parametrize(
    "changes,match",
    [
        ({"now": 2**63}, "now_ms does not fit in 64 bits"),
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], -(2**63) - 1)}, "last_used_at_ms does not fit"),
        ({"amount": 2**70}, "amount does not fit in 64 bits"),
        ({"attempts_24h": 2**63}, "attempts_24h does not fit"),
        ({"attempts_30d": -(2**63) - 1}, "attempts_30d does not fit"),
        ({"now": datetime(2026, 1, 1)}, "now is a naive datetime"),
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], datetime(2026, 1, 1))}, "record.last_used_at is a naive"),
        ({"record": StoredRecord(TOKEN, "PAUSED", [CNP])}, "record.state must be 'ACTIVE' or 'REVOKED'"),  # type: ignore[arg-type]
        ({"record": StoredRecord(TOKEN, "active", [CNP])}, "record.state must be"),  # type: ignore[arg-type]
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], None, [datetime(2026, 1, 1)])}, "each of record.attempts is a naive"),
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], None, [2**63])}, "record_attempts_ms does not fit"),
    ],
)
def test_values_the_typed_path_cannot_carry(engine: ctpolicy.Engine, changes: Kw, match: str) -> None:
    # Misuse of the binding: a plain ValueError naming the argument.
    with pytest.raises(ValueError, match=match) as info:
        engine.check_charge(**renewal(**changes))
    assert not isinstance(info.value, ctpolicy.Error)
    assert info.value.__context__ is None or not isinstance(info.value.__context__, UnicodeError)


def test_range_edges_are_accepted(engine: ctpolicy.Engine) -> None:
    for ms in (-62_135_596_800_000, 253_402_300_799_999):
        agree(engine, renewal(now=ms, record=StoredRecord(TOKEN, "ACTIVE", [CNP], ms)), f"edge {ms}")


@pytest.mark.parametrize(
    "changes,name",
    [
        ({"token": b"krn:customer-token:eu1:a"}, "token"),
        ({"token": 42}, "token"),
        ({"idempotency_key": 1}, "idempotency_key"),
        ({"amount": 12.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": "1299"}, "amount"),
        ({"currency": b"EUR"}, "currency"),
        ({"currency": None}, "currency"),
        ({"record": {"customer_token": TOKEN}}, "record"),
        ({"record": StoredRecord(None, "ACTIVE", [CNP])}, "record.customer_token"),  # type: ignore[arg-type]
        ({"record": StoredRecord(TOKEN, "ACTIVE", CNP)}, "record.scopes"),
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP, 7])}, "each of record.scopes"),  # type: ignore[list-item]
        ({"record": StoredRecord(TOKEN, "ACTIVE", None)}, "record.scopes"),  # type: ignore[arg-type]
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], "2026-01-01T00:00:00Z")}, "record.last_used_at"),  # type: ignore[arg-type]
        ({"now": 1.5}, "now"),
        ({"now": "2026-11-25T10:00:00Z"}, "now"),
        ({"attempts_24h": 1.0}, "attempts_24h"),
        ({"attempts_30d": False}, "attempts_30d"),
        ({"caller": b"billing"}, "caller"),
        ({"caller": 7}, "caller"),
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], None, "2026-01-01T00:00:00Z")}, "record.attempts"),  # type: ignore[arg-type]
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], None, 5)}, "record.attempts"),  # type: ignore[arg-type]
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], None, ["2026-01-01T00:00:00Z"])}, "each of record.attempts"),  # type: ignore[list-item]
        ({"record": StoredRecord(TOKEN, "ACTIVE", [CNP], None, [1.5])}, "each of record.attempts"),  # type: ignore[list-item]
    ],
)
def test_wrong_types(engine: ctpolicy.Engine, changes: Kw, name: str) -> None:
    with pytest.raises(TypeError) as info:
        engine.check_charge(**renewal(**changes))
    assert str(info.value).startswith(f"{name} must be"), str(info.value)
    assert not isinstance(info.value, ctpolicy.Error)


def test_lone_surrogate_is_the_librarys_invalid_utf8(engine: ctpolicy.Engine) -> None:
    with pytest.raises(ctpolicy.InvalidRequestError) as info:
        engine.check_charge(**renewal(currency="E\ud800"))
    err = info.value
    assert (err.status, err.status_number, err.path) == ("INVALID_UTF8", _native.INVALID_UTF8, "")
    assert "body.currency" in err.message and err.raw is not None
    assert err.__context__ is None and err.__suppress_context__ is False


def test_closed_engine() -> None:
    engine = ctpolicy.Engine()
    engine.close()
    with pytest.raises(ctpolicy.EngineClosedError):
        engine.check_charge(**renewal())


def test_raw_ctp_check_charge_refuses_what_the_header_says() -> None:
    """CTP_INVALID_ARGUMENT from the library itself (the binding never sends these)."""
    with ctpolicy.Engine() as engine:
        pointer = engine._borrow()
        try:

            def status(**changes: Any) -> tuple[int, bytes]:
                fields: dict[str, Any] = dict(
                    flags=0, token=None, idempotency_key=None, currency=b"EUR", amount=1, record_state=0,
                    record_token=None, record_scopes=None, now_ms=0, last_used_at_ms=0, attempts_24h=0, attempts_30d=0,
                )
                fields.update(changes)
                result, verdict, err = _native.check_typed(pointer, **fields)
                assert (verdict is not None) == (result == _native.OK) and (err == b"") == (result == _native.OK)
                return result, err

            assert status()[0] == _native.OK
            result, err = status(flags=2048)
            assert result == _native.INVALID_ARGUMENT and b'"status":"INVALID_ARGUMENT"' in err
            assert status(record_state=3, record_token=TOKEN.encode())[0] == _native.INVALID_ARGUMENT
            with pytest.raises(OverflowError):
                status(amount=2**63)
            verdict = _native.CtpVerdict()
            charge = _native.CtpTypedCharge()
            assert _native.lib.ctp_check_charge(pointer, None, ctypes.byref(verdict), None) == _native.INVALID_ARGUMENT
            assert _native.lib.ctp_check_charge(pointer, ctypes.byref(charge), None, None) == _native.INVALID_ARGUMENT
            assert _native.lib.ctp_check_charge(None, ctypes.byref(charge), ctypes.byref(verdict), None) == (
                _native.INVALID_ARGUMENT
            )
            charge.token_len = 5
            charge.flags = _native.CHARGE_HAS_TOKEN
            assert _native.lib.ctp_check_charge(pointer, ctypes.byref(charge), ctypes.byref(verdict), None) == (
                _native.INVALID_ARGUMENT
            )
        finally:
            engine._unborrow()


def test_threads_share_one_engine() -> None:
    errors: list[BaseException] = []
    with ctpolicy.Engine(POLICIES["strict"]) as engine:
        expected = engine.check_charge(**renewal(), fingerprint=True)

        def work() -> None:
            try:
                for _ in range(2000):
                    assert engine.check_charge(**renewal(), fingerprint=True) == expected
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors[0]


def test_no_token_in_any_text() -> None:
    secret = "SeCrEt" + "0f8fad5bd9cb469fa16570867728950e"
    token = f"krn:customer-token:eu1:{secret}"
    seen: list[str] = []
    with ctpolicy.Engine({"min_charge_interval_seconds": 60}) as engine:
        record = StoredRecord(token, "ACTIVE", [CNP, "x"], BASE_MS)
        seen += [repr(record), str(record)]
        for kw in (
            renewal(token=token, record=record),
            renewal(token=token + " ", record=StoredRecord(token + "!", "REVOKED", [CP], BASE)),
            renewal(token=token, record=record, now=None),
            renewal(token=token, record=record, now=2**62),
            renewal(token=token + "\ud800", record=record),
            renewal(token=token, record=StoredRecord(token, "GONE", [CNP])),  # type: ignore[arg-type]
            renewal(token=token, record=StoredRecord(token, "ACTIVE", [CNP], datetime(2026, 1, 1))),
            renewal(token=[token], record=record),
            renewal(currency=token),
            renewal(record=StoredRecord("ACTIVE", token, [CNP])),  # type: ignore[arg-type]
            renewal(record=StoredRecord(token, "ACTIVE", [token, token])),
        ):
            try:
                result: object = engine.check_charge(**kw, fingerprint=True)
            except Exception as err:  # noqa: BLE001 - every failure's text is searched
                result = err
                seen += [str(err), *map(str, err.args), "".join(traceback.format_exception(err))]
                if isinstance(err, ctpolicy.Error):
                    seen += [err.message, repr(err.raw)]
            seen += [repr(result), str(result)]
        batch = engine.check_many(
            [equivalent_json(renewal(token=token, record=record)), equivalent_json(renewal(token=token, now=None)), "{"]
        )
        seen += [repr(batch), str(batch)]
    assert any("sha256:" in text for text in seen)  # fingerprints are shown instead
    leaks = [text for text in seen if secret in text]
    assert not leaks, leaks[0][:300]


def test_check_typed_names_every_field_of_the_typed_charge(monkeypatch: pytest.MonkeyPatch) -> None:
    # The struct's field order is spelled once (CtpTypedCharge._fields_) and
    # check_typed fills it by name: a field added there and not given a
    # value here is caught now, not sent as zero.
    given: list[set[str]] = []

    class Recording(_native.CtpTypedCharge):
        def __init__(self, **fields: Any) -> None:
            given.append(set(fields))
            super().__init__(**fields)

    monkeypatch.setattr(_native, "CtpTypedCharge", Recording)
    with ctpolicy.Engine() as engine:
        assert engine.check_charge(**renewal()).allowed in (True, False)
    assert given == [{field[0] for field in _native.CtpTypedCharge._fields_}]
