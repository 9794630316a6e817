"""An independent reading of rules.md + DECISIONS.md, used only to
cross-check the hand-written expectations in the generators.

Every case's expected codes are written by hand in the generator; this model
computes them a second time and the generator refuses to write a vector when
the two disagree. It never runs (or reads) the Rust engine.
"""
import datetime
import hashlib
import json
import re
from fractions import Fraction

CP = "payment:customer_present"
CNP = "payment:customer_not_present"
LOGIN = "customer:login"
KNOWN_SCOPES = (CP, CNP, LOGIN)
PAYMENT_SCOPES = (CP, CNP)

RULES = [
    (101, "TOKEN_MALFORMED", "deny"),
    (102, "TOKEN_WRONG_TYPE", "deny"),
    (103, "TOKEN_REGION_NOT_ALLOWED", "deny"),
    (104, "TOKEN_HEADER_MISSING", "deny"),
    (105, "TOKEN_REQUIRED", "deny"),
    (201, "RECORD_MISSING", "deny"),
    (202, "RECORD_TOKEN_MISMATCH", "deny"),
    (203, "TOKEN_REVOKED", "deny"),
    (204, "RECORD_INVALID", "deny"),
    (205, "UNKNOWN_SCOPE", "warn"),
    (301, "SCOPE_MISMATCH", "deny"),
    (401, "STEP_UP_NOT_ALLOWED", "deny"),
    (402, "STEP_UP_RECOMMENDED", "warn"),
    (403, "STEP_UP_CONFIG_INVALID", "deny"),
    (501, "TOKENIZATION_CUSTOMER_NOT_PRESENT", "deny"),
    (502, "TOKENIZATION_STEP_UP_MISSING", "deny"),
    (503, "TOKENIZATION_SCOPES_INVALID", "deny"),
    (504, "TOKENIZATION_WITH_TOKEN", "deny"),
    (505, "SUBSCRIPTIONS_REQUIRED", "deny"),
    (506, "ONDEMAND_SERVICE_REQUIRED", "deny"),
    (507, "TOKEN_REFERENCE_INVALID", "deny"),
    (508, "TOKEN_REFERENCE_MISSING", "deny"),
    (601, "CURRENCY_INVALID", "deny"),
    (602, "AMOUNT_INVALID", "deny"),
    (603, "TRANSACTION_REFERENCE_INVALID", "deny"),
    (604, "PAYMENT_TRANSACTION_MISSING", "deny"),
    (605, "NOTHING_REQUESTED", "deny"),
    (701, "IDEMPOTENCY_KEY_MISSING", "warn"),
    (702, "IDEMPOTENCY_KEY_INVALID", "deny"),
    (703, "HEADER_DUPLICATE", "deny"),
    (801, "CURRENCY_NOT_ALLOWED", "deny"),
    (802, "AMOUNT_LIMIT_EXCEEDED", "deny"),
    (803, "CHARGE_TOO_SOON", "deny"),
    (804, "ATTEMPT_LIMIT_EXCEEDED", "deny"),
    (901, "CALLER_NOT_ALLOWED", "deny"),
    (902, "CALLER_SCOPE_NOT_ALLOWED", "deny"),
    (903, "CALLER_TOKENIZATION_NOT_ALLOWED", "deny"),
]
CODE = {i: c for i, c, _ in RULES}
ID = {c: i for i, c, _ in RULES}
DEFAULT_SEVERITY = {i: s for i, _, s in RULES}
ADJUSTABLE = {205, 402, 701, 801, 802, 803, 804}

HDR = "Klarna-Customer-Token"
IDEM = "Klarna-Idempotency-Key"


def fingerprint(value):
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63


class NotInteger:
    """A JSON number literal that rules.md says is not an integer."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return "NotInteger(%s)" % self.text


def _dup_check(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError("duplicate key %r" % k)
        out[k] = v
    return out


def _parse_int(s):
    if s == "-0":
        return NotInteger(s)
    v = int(s)
    if not -(2**63) <= v < 2**63:
        return NotInteger(s)
    return v


def loads_exact(text):
    """JSON with integers kept apart from every other number literal."""
    return json.loads(text, object_pairs_hook=_dup_check,
                      parse_float=NotInteger, parse_int=_parse_int)


# ---------------------------------------------------------------- timestamps
TS_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def parse_ts(s):
    """The instant as an exact Fraction of seconds, or None when not RFC 3339."""
    if not isinstance(s, str):
        return None
    m = TS_RE.fullmatch(s)
    if not m:
        return None
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    if y < 1 or h > 23 or mi > 59 or se > 59:
        return None
    try:
        day = datetime.date(y, mo, d)
    except ValueError:
        return None
    frac = Fraction(0)
    if m.group(7):
        digits = m.group(7)[1:]
        frac = Fraction(int(digits), 10 ** len(digits))
    off = 0
    z = m.group(8)
    if z not in ("Z", "z"):
        oh, om = int(z[1:3]), int(z[4:6])
        if oh > 23 or om > 59:
            return None
        off = (oh * 60 + om) * 60 * (1 if z[0] == "+" else -1)
    secs = day.toordinal() * 86400 + h * 3600 + mi * 60 + se - off
    return Fraction(secs) + frac


# ---------------------------------------------------------------- tokens
REGION_RE = re.compile(r"[a-z]{2}[0-9]{1,3}")
ID_RE = re.compile(r"[A-Za-z0-9._~-]{1,255}")


def parse_token(v):
    """('ok', info) | ('malformed', detail) | ('wrong_type', None)."""
    b = v.encode("utf-8")
    if len(b) == 0:
        return ("malformed", "EMPTY")
    if len(b) > 1024:
        return ("malformed", "TOO_LONG")
    if any(c < 0x21 or c > 0x7E for c in b):
        return ("malformed", "INVALID_CHARACTER")
    if not v.startswith("krn:"):
        return ("malformed", "NOT_A_KRN")
    segs = v.split(":")
    if "customer-token" not in segs:
        return ("wrong_type", None)
    if len(segs) == 4 and segs[1] == "customer-token":
        form, region, env, tid = "network", segs[2], None, segs[3]
    elif (len(segs) == 7 and segs[1] == "partner" and segs[3] in ("live", "test")
          and segs[4] == "identity" and segs[5] == "customer-token"):
        form, region, env, tid = "identity", segs[2], segs[3], segs[6]
    else:
        return ("malformed", "BAD_STRUCTURE")
    if not REGION_RE.fullmatch(region):
        return ("malformed", "BAD_REGION")
    if not ID_RE.fullmatch(tid):
        return ("malformed", "BAD_ID")
    return ("ok", {"form": form, "region": region, "environment": env,
                   "fingerprint": fingerprint(v)})


# ---------------------------------------------------------------- records
def _absent(d, k):
    return d.get(k) is None


def scopes_rule_ok(scopes):
    """The SCOPES rule of section 3 (scopes already an array of strings)."""
    if len(scopes) == 0 or len(set(scopes)) != len(scopes):
        return False
    return sum(1 for s in scopes if s in PAYMENT_SCOPES) == 1


def record_fault(rec):
    """(detail, path) of the record's first fault, or None when valid."""
    base = "/token_record/"
    field = []
    if not isinstance(rec.get("customer_token"), str):
        field.append("customer_token")
    sc = rec.get("scopes")
    if not isinstance(sc, list) or not all(isinstance(s, str) for s in sc):
        field.append("scopes")
    if not isinstance(rec.get("state"), str):
        field.append("state")
    ref = rec.get("customer_token_reference")
    if ref is not None and (not isinstance(ref, str) or len(ref) > 255):
        field.append("customer_token_reference")
    for k in ("created_at", "last_used_at", "revoked_at"):
        if rec.get(k) is not None and not isinstance(rec.get(k), str):
            field.append(k)
    rb = rec.get("revoked_by")
    if rb is not None and rb not in ("CUSTOMER", "PARTNER", "KLARNA"):
        field.append("revoked_by")
    for k in ("customer_id", "subscription_id"):
        if rec.get(k) is not None and not isinstance(rec.get(k), str):
            field.append(k)
    att = rec.get("attempts")
    if att is not None and (not isinstance(att, list) or not all(isinstance(a, str) for a in att)):
        field.append("attempts")
    if field:
        return ("FIELD", base + field[0])
    if rec["state"] not in ("ACTIVE", "REVOKED"):
        return ("STATE", base + "state")
    if not scopes_rule_ok(sc):
        return ("SCOPES", base + "scopes")
    for k in ("created_at", "last_used_at", "revoked_at"):
        if rec.get(k) is not None and parse_ts(rec[k]) is None:
            return ("TIMESTAMP", base + k)
    if att is not None and any(parse_ts(a) is None for a in att):
        return ("TIMESTAMP", base + "attempts")
    return None


def caller_name(v):
    """A caller name: 1 to 255 characters, no control character (Cc)."""
    return isinstance(v, str) and 1 <= len(v) <= 255 and \
        not any(ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F for c in v)


# ---------------------------------------------------------------- envelope
TOP = ("customer_present", "headers", "body", "token_record", "now",
       "counters", "decision_id", "caller")


class Fault(Exception):
    def __init__(self, code, path):
        super().__init__(code, path)
        self.code, self.path = code, path


def envelope(req):
    if not isinstance(req, dict):
        raise Fault("WRONG_TYPE", "")
    for k in req:
        if k not in TOP:
            raise Fault("UNKNOWN_FIELD", "/" + k)
    if req.get("customer_present") is None:
        raise Fault("MISSING_FIELD", "/customer_present")
    if not isinstance(req["customer_present"], bool):
        raise Fault("WRONG_TYPE", "/customer_present")
    if req.get("body") is None:
        raise Fault("MISSING_FIELD", "/body")
    if not isinstance(req["body"], dict):
        raise Fault("WRONG_TYPE", "/body")
    h = req.get("headers")
    if h is not None:
        if not isinstance(h, dict):
            raise Fault("WRONG_TYPE", "/headers")
        for k, v in h.items():
            if v is not None and not isinstance(v, str):
                raise Fault("WRONG_TYPE", "/headers/" + k)
    if req.get("token_record") is not None and not isinstance(req["token_record"], dict):
        raise Fault("WRONG_TYPE", "/token_record")
    if req.get("now") is not None:
        if not isinstance(req["now"], str):
            raise Fault("WRONG_TYPE", "/now")
        if parse_ts(req["now"]) is None:
            raise Fault("INVALID_VALUE", "/now")
    c = req.get("counters")
    if c is not None:
        if not isinstance(c, dict):
            raise Fault("WRONG_TYPE", "/counters")
        for k, v in c.items():
            if k not in ("attempts_24h", "attempts_30d"):
                raise Fault("UNKNOWN_FIELD", "/counters/" + k)
            if v is None:
                continue
            if not is_int(v):
                raise Fault("WRONG_TYPE", "/counters/" + k)
            if v < 0:
                raise Fault("INVALID_VALUE", "/counters/" + k)
    d = req.get("decision_id")
    if d is not None:
        if not isinstance(d, str):
            raise Fault("WRONG_TYPE", "/decision_id")
        if len(d) > 255:
            raise Fault("INVALID_VALUE", "/decision_id")
    cl = req.get("caller")
    if cl is not None:
        if not isinstance(cl, str):
            raise Fault("WRONG_TYPE", "/caller")
        if not caller_name(cl):
            raise Fault("INVALID_VALUE", "/caller")


# ---------------------------------------------------------------- rules
def alower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def good_text(v, lo=1, hi=255):
    if not isinstance(v, str) or not lo <= len(v) <= hi:
        return False
    return not any(ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F for c in v)


def evaluate(req, policy):
    """Returns {"error": (code, path)} or the decision parts."""
    try:
        envelope(req)
    except Fault as f:
        return {"error": (f.code, f.path)}
    sev = dict(DEFAULT_SEVERITY)
    for code, s in policy.get("severity", {}).items():
        sev[ID[code]] = s
    cp = req["customer_present"]
    req_scope = CP if cp else CNP
    headers = [(k, v) for k, v in (req.get("headers") or {}).items() if v is not None]

    def find(name):
        for k, v in headers:
            if alower(k) == alower(name):
                return (k, v)
        return None

    ct = find(HDR)
    idem = find(IDEM)
    body = req["body"]
    rec = req.get("token_record")
    hits = []

    def hit(i, path, detail=None):
        hits.append((i, path, detail))

    token = None
    if ct:
        kind, info = parse_token(ct[1])
        if kind == "malformed":
            hit(101, "/headers/" + ct[0], info)
        elif kind == "wrong_type":
            hit(102, "/headers/" + ct[0])
        else:
            token = info
            if "allowed_regions" in policy and info["region"] not in policy["allowed_regions"]:
                hit(103, "/headers/" + ct[0])
    if rec is not None and ct is None:
        hit(104, "/headers/" + HDR)
    if not cp and ct is None:
        hit(105, "/headers/" + HDR)
    if ct and rec is None:
        hit(201, "/token_record")
    if ct and rec is not None and isinstance(rec.get("customer_token"), str) \
            and rec["customer_token"] != ct[1]:
        hit(202, "/token_record/customer_token")
    fault = record_fault(rec) if rec is not None else None
    rec_valid = rec is not None and fault is None
    if rec_valid and rec["state"] == "REVOKED":
        hit(203, "/token_record/state")
    if rec is not None and fault:
        hit(204, fault[1], fault[0])
    if rec is not None and isinstance(rec.get("scopes"), list):
        for i, s in enumerate(rec["scopes"]):
            if isinstance(s, str) and s not in KNOWN_SCOPES:
                hit(205, "/token_record/scopes/%d" % i)
                break
    if ct and rec_valid and req_scope not in rec["scopes"]:
        hit(301, "/token_record/scopes")
    suc = body.get("step_up_config")
    if not cp and suc is not None:
        hit(401, "/body/step_up_config")
    if cp and ct and suc is None:
        hit(402, "/body/step_up_config")
    if suc is not None:
        p = "/body/step_up_config"
        if not isinstance(suc, dict):
            hit(403, p)
        else:
            cic = suc.get("customer_interaction_config")
            if cic is not None and not isinstance(cic, dict):
                hit(403, p + "/customer_interaction_config")
            elif cic is not None:
                ru = cic.get("return_url")
                if ru is not None and not (isinstance(ru, str) and ru.startswith("https://")):
                    hit(403, p + "/customer_interaction_config/return_url")
    rct = body.get("request_customer_token")
    P = "/body/request_customer_token"
    if rct is not None and not cp:
        hit(501, P)
    if rct is not None and suc is None:
        hit(502, "/body/step_up_config")
    pay_scope = None
    if rct is not None:
        if not isinstance(rct, dict):
            hit(503, P)
        else:
            sc = rct.get("scopes")
            ok = (isinstance(sc, list) and all(isinstance(s, str) for s in sc)
                  and all(s in KNOWN_SCOPES for s in sc) and scopes_rule_ok(sc))
            if not ok:
                hit(503, P + "/scopes")
            else:
                pay_scope = [s for s in sc if s in PAYMENT_SCOPES][0]
    if rct is not None and ct:
        hit(504, P)
    spd = body.get("supplementary_purchase_data")
    spd = spd if isinstance(spd, dict) else {}
    if pay_scope == CNP:
        subs = spd.get("subscriptions")
        if not (isinstance(subs, list) and len(subs) > 0):
            hit(505, "/body/supplementary_purchase_data/subscriptions")
    if pay_scope == CP:
        if not isinstance(spd.get("ondemand_service"), dict):
            hit(506, "/body/supplementary_purchase_data/ondemand_service")
    if isinstance(rct, dict):
        ref = rct.get("customer_token_reference")
        if ref is not None and not good_text(ref):
            hit(507, P + "/customer_token_reference")
    if policy.get("require_token_reference") is True and rct is not None:
        if not isinstance(rct, dict):
            hit(508, P)
        elif rct.get("customer_token_reference") is None:
            hit(508, P + "/customer_token_reference")
    cur = body.get("currency")
    cur_ok = isinstance(cur, str) and re.fullmatch(r"[A-Za-z]{3}", cur) is not None
    if not cur_ok:
        hit(601, "/body/currency")
    rpt = body.get("request_payment_transaction")
    R = "/body/request_payment_transaction"
    amount_ok = False
    if isinstance(rpt, dict):
        a = rpt.get("amount")
        amount_ok = is_int(a) and 1 <= a <= 2147483647
        if not amount_ok:
            hit(602, R + "/amount")
    if rpt is not None:
        if not isinstance(rpt, dict):
            hit(603, R)
        else:
            ref = rpt.get("payment_transaction_reference")
            if ref is not None and not good_text(ref):
                hit(603, R + "/payment_transaction_reference")
    if ct and rpt is None:
        hit(604, R)
    if not ct and rpt is None and rct is None:
        hit(605, "/body")
    if idem is None:
        hit(701, "/headers/" + IDEM)
    else:
        b = idem[1].encode("utf-8")
        if len(b) == 0 or len(b) > 255 or any(c < 0x21 or c > 0x7E for c in b):
            hit(702, "/headers/" + idem[0])
    seen = {}
    dup = None
    for k, _ in headers:
        if alower(k) in seen and dup is None:
            dup = k
        seen.setdefault(alower(k), k)
    if dup is not None:
        hit(703, "/headers/" + dup)
    if cur_ok and "allowed_currencies" in policy and cur.upper() not in policy["allowed_currencies"]:
        hit(801, "/body/currency")
    if amount_ok and cur_ok:
        lim = policy.get("max_amount", {}).get(req_scope, {}).get(cur.upper())
        if lim is not None and rpt["amount"] > lim:
            hit(802, R + "/amount")
    if sev[803] != "off" and not cp and "min_charge_interval_seconds" in policy \
            and rec_valid and rec.get("last_used_at") is not None:
        if req.get("now") is None:
            return {"error": ("NEEDED_BY_RULE", "/now")}
        diff = parse_ts(req["now"]) - parse_ts(rec["last_used_at"])
        if diff < policy["min_charge_interval_seconds"]:
            hit(803, "/token_record/last_used_at")
    if sev[804] != "off" and not cp and "max_attempts" in policy:
        ma = policy["max_attempts"]
        c = req.get("counters")
        counts = None
        if c is not None:
            for per, key in (("per_24h", "attempts_24h"), ("per_30d", "attempts_30d")):
                if per in ma and c.get(key) is None:
                    return {"error": ("NEEDED_BY_RULE", "/counters/" + key)}
            counts = {"per_24h": (c.get("attempts_24h"), "/counters/attempts_24h"),
                      "per_30d": (c.get("attempts_30d"), "/counters/attempts_30d")}
        elif rec_valid:
            if req.get("now") is None:
                return {"error": ("NEEDED_BY_RULE", "/now")}
            now = parse_ts(req["now"])
            instants = [parse_ts(a) for a in (rec.get("attempts") or [])]
            counts = {"per_24h": (sum(1 for a in instants if a > now - 86400), "/token_record/attempts"),
                      "per_30d": (sum(1 for a in instants if a > now - 2592000), "/token_record/attempts")}
        if counts is not None:
            for per in ("per_24h", "per_30d"):
                n, path = counts[per]
                if per in ma and n >= ma[per]:
                    hit(804, path)
                    break
    access = policy.get("access")
    if access is not None:
        caller = req.get("caller")
        entry = access.get(caller) if isinstance(caller, str) else None
        if entry is None:
            hit(901, "/caller")
        else:
            if ct and req_scope not in entry["scopes"]:
                hit(902, "/caller")
            if rct is not None:
                asked = None
                sc = rct.get("scopes") if isinstance(rct, dict) else None
                if isinstance(sc, list):
                    pay = [x for x in sc if isinstance(x, str) and x in PAYMENT_SCOPES]
                    if len(pay) == 1:
                        asked = pay[0]
                if entry.get("tokenize") is not True or (asked is not None and asked not in entry["scopes"]):
                    hit(903, "/body/request_customer_token")
    viol, warn = [], []
    done = set()
    for i, path, detail in sorted(hits, key=lambda h: h[0]):
        assert i not in done, i
        done.add(i)
        s = sev[i]
        if s == "off":
            continue
        (viol if s == "deny" else warn).append((i, path, detail, s))
    return {"violations": viol, "warnings": warn, "token": token,
            "required_scope": req_scope}


# ---------------------------------------------------------------- lifecycle
class Rejected(Exception):
    def __init__(self, code, detail=None):
        super().__init__(code, detail)
        self.code, self.detail = code, detail


def apply_event(record, event):
    if record is not None:
        if not isinstance(record, dict):
            raise Rejected("RECORD_INVALID", "FIELD")
        f = record_fault(record)
        if f:
            raise Rejected("RECORD_INVALID", f[0])
    if not isinstance(event, dict) or event.get("type") not in ("TOKENIZED", "CHARGED", "DECLINED", "REVOKED") \
            or parse_ts(event.get("at")) is None \
            or (event["type"] == "REVOKED" and event.get("by") not in ("CUSTOMER", "PARTNER", "KLARNA")):
        raise Rejected("INVALID_EVENT")
    t, at = event["type"], event["at"]
    if t == "TOKENIZED":
        if record is not None:
            raise Rejected("INVALID_TRANSITION")
        resp = event.get("response")
        if not isinstance(resp, dict):
            raise Rejected("RESPONSE_INVALID")
        if resp.get("result") != "APPROVED":
            raise Rejected("NOT_APPROVED")
        ctok = resp.get("customer_token")
        if not isinstance(ctok, dict) or not isinstance(ctok.get("customer_token"), str):
            raise Rejected("RESPONSE_INVALID")
        sc = ctok.get("scopes")
        if not isinstance(sc, list) or not all(isinstance(s, str) for s in sc) or not scopes_rule_ok(sc):
            raise Rejected("RESPONSE_INVALID")
        ref = ctok.get("customer_token_reference")
        if ref is not None and (not isinstance(ref, str) or len(ref) > 255):
            raise Rejected("RESPONSE_INVALID")
        kind, info = parse_token(ctok["customer_token"])
        if kind == "malformed":
            raise Rejected("TOKEN_MALFORMED", info)
        if kind == "wrong_type":
            raise Rejected("TOKEN_WRONG_TYPE")
        req = event.get("requested")
        if isinstance(req, dict):
            rs = req.get("scopes")
            granted = [s for s in sc if s in PAYMENT_SCOPES][0]
            if isinstance(rs, list) and any(s in PAYMENT_SCOPES and s != granted for s in rs):
                raise Rejected("SCOPE_GRANT_MISMATCH")
            rref = req.get("customer_token_reference")
            if rref is not None and rref != ref:
                raise Rejected("REFERENCE_MISMATCH")
        out = {"customer_token": ctok["customer_token"], "scopes": sc, "state": "ACTIVE",
               "created_at": at}
        if ref is not None:
            out["customer_token_reference"] = ref
        for k in ("customer_id", "subscription_id"):
            if isinstance(event.get(k), str):
                out[k] = event[k]
        return out, True
    if record is None:
        raise Rejected("RECORD_REQUIRED")
    out = dict(record)
    if t in ("CHARGED", "DECLINED"):
        if record["state"] == "REVOKED":
            raise Rejected("TOKEN_REVOKED")
        if t == "CHARGED":
            old = record.get("last_used_at")
            if old is None or parse_ts(at) > parse_ts(old):
                out["last_used_at"] = at
        kept = list(record.get("attempts") or [])
        if not any(parse_ts(a) == parse_ts(at) for a in kept):
            kept.append(at)
        kept = sorted(kept, key=parse_ts)[-100:]  # sorted() is stable
        out["attempts"] = kept
        return out, _json_value(out) != _json_value(record)
    # REVOKED
    if record["state"] == "REVOKED":
        return out, False
    out["state"] = "REVOKED"
    out["revoked_at"] = at
    out["revoked_by"] = event["by"]
    return out, True


def _json_value(v):
    """A JSON value with null members dropped (absent and null are one)."""
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_json_value(x) for x in v]
    return v


class EnvelopeFault(Exception):
    pass


def apply_response(record, request, response, at):
    """rules.md 7.1: (record or None, changed, [(type, at)]), or raises
    Rejected, or EnvelopeFault for a request that fails section 1."""
    try:
        envelope(request)
    except Fault as f:
        raise EnvelopeFault(f.code, f.path)
    if record is not None:
        if not isinstance(record, dict):
            raise Rejected("RECORD_INVALID", "FIELD")
        f = record_fault(record)
        if f:
            raise Rejected("RECORD_INVALID", f[0])
    if not isinstance(response, dict):
        raise Rejected("RESPONSE_INVALID")
    if parse_ts(at) is None:
        raise Rejected("INVALID_EVENT")
    headers = [k for k, v in (request.get("headers") or {}).items() if v is not None]
    header = any(alower(k) == alower(HDR) for k in headers)
    rct = request["body"].get("request_customer_token")
    ctr = response.get("customer_token_response")
    current, events, made = record, [], False
    if not header and rct is not None and isinstance(ctr, dict) and ctr.get("result") == "APPROVED":
        ev = {"type": "TOKENIZED", "at": at, "response": ctr}
        if isinstance(rct, dict):
            ev["requested"] = rct
        current, _ = apply_event(record, ev)
        events.append(("TOKENIZED", at))
        made = True
    ptr = response.get("payment_transaction_response")
    if ptr is not None and (header or made):
        result = ptr.get("result") if isinstance(ptr, dict) else None
        if result != "STEP_UP_REQUIRED":
            kind = "CHARGED" if result == "APPROVED" else "DECLINED"
            current, _ = apply_event(current, {"type": kind, "at": at})
            events.append((kind, at))
    changed = made or (record is not None and _json_value(current) != _json_value(record))
    return current, changed, events
