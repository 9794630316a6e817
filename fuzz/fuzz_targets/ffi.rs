//! The C ABI, called as C would call it. The first input byte picks the
//! entry point (and, for some, the engine or a NULL/0 variant); the rest is
//! its input.
//!
//! | byte % 6 | call |
//! | 0 | `ctp_engine_new` on the bytes, then `ctp_check_json` of a fixed request and `ctp_engine_free` |
//! | 1 | `ctp_check_json` (default or strict engine) |
//! | 2 | `ctp_check_many` over the lines of the bytes |
//! | 3 | `ctp_apply_event_json` (record up to the first 0xFF, event after; no 0xFF: NULL/0 record) |
//! | 4 | `ctp_token_parse` |
//! | 5 | `ctp_check_charge` with a `ctp_typed_charge` sliced out of the bytes |
//!
//! Asserts: no call returns `CTP_PANIC` (3) (libfuzzer-sys also aborts on
//! any panic, even one the ABI's guard would catch); each status is one the
//! header documents for that call; every output buffer holds valid JSON
//! and is released with `ctp_buf_free`, which leaves it NULL/0
//! (LeakSanitizer reports a buffer never freed); exactly one of `out` and
//! `error` is written; `ctp_check_json` and `ctp_token_parse` write exactly
//! what the Rust API writes; each `ctp_check_many` result equals
//! `ctp_check_json` of its request, and the counts match the results; a
//! `ctp_check_charge` verdict is consistent (allowed iff no violations, ids
//! ascending and known, a fingerprint only when asked for, equal to SHA-256
//! of the token).
//!
//! Leak doors (docs/HYGIENE.md H4): for selectors 0 and 1, when the input is a
//! JSON object, a canary token is also put through each of common.rs's
//! `POLICY_DOORS` (into `ctp_engine_new`) or `REQUEST_DOORS` (into
//! `ctp_check_json`, `ctp_check_json_verdict` and one `ctp_check_many`
//! over all of them); no buffer written holds an 8-byte piece of its id.
//! The doors run on 1 input in 16 (`DOOR_SAMPLING`; with the selector
//! split, 1 in 48 of all inputs), picked by a hash of the input bytes
//! (common.rs `door_sampled`), so the same input always gets the same
//! checks and a finding replays. Why: a request's doors make 30 ABI calls
//! on 10 rewritten copies of the input, a policy's 6 engine loads, where
//! the rest makes 2; on every such input they kept the target near 1,000
//! exec/s, too slow for a 10,000,000-execution run. Everything else runs
//! on every input. The doors also have their own deterministic tests
//! (tests/leak_doors.rs).
#![no_main]

use std::ptr;
use std::sync::OnceLock;

use ctpolicy::ffi::*;
use ctpolicy::token::parse_token_json;
use ctpolicy::Engine;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use common::*;

const STRICT_POLICY: &[u8] = include_bytes!("../../examples/policies/strict-partner.json");
const SAMPLE_REQUEST: &[u8] = br#"{"customer_present": false, "headers": {"Klarna-Customer-Token": "krn:customer-token:eu1:a1b2", "Klarna-Idempotency-Key": "k-1"}, "token_record": {"customer_token": "krn:customer-token:eu1:a1b2", "scopes": ["payment:customer_not_present"], "state": "ACTIVE"}, "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1299, "payment_transaction_reference": "r-1"}}}"#;

struct Engines {
    c: [*mut ctp_engine; 2],
    rust: [Engine; 2],
}
// The engines are immutable and thread-safe (docs/ABI.md); the fuzzer runs one thread anyway.
unsafe impl Send for Engines {}
unsafe impl Sync for Engines {}

fn engines() -> &'static Engines {
    static ENGINES: OnceLock<Engines> = OnceLock::new();
    ENGINES.get_or_init(|| unsafe {
        let mut default = ptr::null_mut();
        assert_eq!(ctp_engine_new(ptr::null(), 0, &mut default, ptr::null_mut()), CTP_OK);
        let mut strict = ptr::null_mut();
        assert_eq!(ctp_engine_new(STRICT_POLICY.as_ptr(), STRICT_POLICY.len(), &mut strict, ptr::null_mut()), CTP_OK);
        Engines { c: [default, strict], rust: [Engine::default(), Engine::from_policy_json(STRICT_POLICY).unwrap()] }
    })
}

/// `(ptr, len)` of an input, NULL/0 for the empty one (as C callers may pass).
fn raw(bytes: &[u8]) -> (*const u8, usize) {
    if bytes.is_empty() {
        (ptr::null(), 0)
    } else {
        (bytes.as_ptr(), bytes.len())
    }
}

fn empty_buf() -> ctp_buf {
    ctp_buf { ptr: ptr::null_mut(), len: 0 }
}

/// Copies a buffer's text out and frees it; the buffer must be NULL/0 after.
unsafe fn take(buf: &mut ctp_buf) -> String {
    let bytes = if buf.ptr.is_null() {
        assert_eq!(buf.len, 0, "NULL buffer with a length");
        Vec::new()
    } else {
        std::slice::from_raw_parts(buf.ptr, buf.len).to_vec()
    };
    ctp_buf_free(buf);
    assert!(buf.ptr.is_null() && buf.len == 0, "ctp_buf_free left the buffer set");
    String::from_utf8(bytes).expect("the ABI wrote a buffer that is not UTF-8")
}

fn no_panic(call: &str, status: u32) {
    assert_ne!(status, CTP_PANIC, "{call} returned CTP_PANIC");
}

/// A little reader over the fuzz bytes; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        let got = self.take(4);
        b[..got.len()].copy_from_slice(got);
        u32::from_le_bytes(b)
    }
    fn i64(&mut self) -> i64 {
        let mut b = [0u8; 8];
        let got = self.take(8);
        b[..got.len()].copy_from_slice(got);
        i64::from_le_bytes(b)
    }
    /// A length-prefixed byte string (length byte, then that many bytes).
    fn string(&mut self) -> &'a [u8] {
        let n = self.u8() as usize;
        self.take(n)
    }
}

unsafe fn engine_new(policy: &[u8], selector: u8) {
    let (p, n) = raw(policy);
    let mut engine: *mut ctp_engine = ptr::null_mut();
    let mut error = empty_buf();
    let error_out: *mut ctp_buf = if selector & 0x80 != 0 { ptr::null_mut() } else { &mut error };
    let status = ctp_engine_new(p, n, &mut engine, error_out);
    no_panic("ctp_engine_new", status);
    let text = take(&mut error);
    match status {
        CTP_OK => {
            assert!(!engine.is_null());
            assert!(text.is_empty(), "error JSON on success");
            let rust = Engine::from_policy_json(policy).expect("ABI loaded a policy Rust rejects");
            let status = check_json_one_buf(engine, SAMPLE_REQUEST.as_ptr(), SAMPLE_REQUEST.len());
            no_panic("ctp_check_json", status.0);
            let (status, answer) = status;
            let mut expected = String::new();
            // A policy may need `now`, which the sample lacks: then both fail alike.
            let expected = match rust.check_json_into(SAMPLE_REQUEST, &mut expected) {
                Ok(_) => (CTP_OK, expected),
                Err(error) => (error.status as u32, error.to_json()),
            };
            assert_eq!((status, answer), expected, "the new engine differs from Engine::from_policy_json");
            ctp_engine_free(engine);
        }
        CTP_INVALID_UTF8 | CTP_INVALID_POLICY => {
            assert!(engine.is_null(), "engine written on failure");
            if error_out.is_null() {
                assert!(text.is_empty());
            } else {
                check_error_json("ctp_engine_new", &text);
            }
        }
        other => panic!("ctp_engine_new returned {other}"),
    }
}

/// `ctp_check_json` with separate `out` and `error` buffers: checks that
/// exactly one is written and gives (status, the one that was).
unsafe fn check_json_one_buf(engine: *const ctp_engine, p: *const u8, n: usize) -> (u32, String) {
    let (mut out, mut error) = (empty_buf(), empty_buf());
    let status = ctp_check_json(engine, p, n, &mut out, &mut error);
    let (out, error) = (take(&mut out), take(&mut error));
    if status == CTP_OK {
        assert!(error.is_empty(), "ctp_check_json wrote error on CTP_OK");
        (status, out)
    } else {
        assert!(out.is_empty(), "ctp_check_json wrote out on {status}");
        (status, error)
    }
}

/// The long-key doors (half-MiB keys that escaping doubles, a key near the
/// input limit) run on 1 sampled input in this many more: each call reads
/// a MiB.
const LONG_KEY_SAMPLING: u64 = 1024;

/// The canary through every policy door into `ctp_engine_new`, and now and
/// then a long key ending in it through one key door.
unsafe fn policy_doors(policy: &[u8], long_keys: bool) {
    let Some(input) = DoorInput::new(policy) else { return };
    let mut tries: Vec<(Door, String)> =
        POLICY_DOORS.iter().enumerate().map(|(i, door)| (*door, canary_token(policy.len() + i))).collect();
    if long_keys {
        let doors: Vec<_> = POLICY_DOORS.iter().filter(|d| long_key_fits(**d)).collect();
        let door = *doors[policy.len() % doors.len()];
        tries.push((door, long_key_token(policy.len() / doors.len(), policy.len() + 64)));
    }
    for (door, token) in &tries {
        let Some(injected) = input.inject(*door, token) else { continue };
        let mut engine: *mut ctp_engine = ptr::null_mut();
        let mut error = empty_buf();
        let status = ctp_engine_new(injected.as_ptr(), injected.len(), &mut engine, &mut error);
        no_panic("ctp_engine_new", status);
        assert_no_canary(&format!("ctp_engine_new {door:?}"), &take(&mut error));
        ctp_engine_free(engine);
    }
}

/// The canary through every request door into the JSON calls of the ABI,
/// and now and then a long key ending in it through one key door.
unsafe fn request_doors(request: &[u8], which: usize, long_keys: bool) {
    let engine = engines().c[which];
    let Some(input) = DoorInput::new(request) else { return };
    let mut injected = Vec::new();
    let mut tries: Vec<(Door, String)> =
        REQUEST_DOORS.iter().enumerate().map(|(i, door)| (*door, canary_token(request.len() + i))).collect();
    if long_keys {
        let doors: Vec<_> = REQUEST_DOORS.iter().filter(|d| long_key_fits(**d)).collect();
        let door = *doors[request.len() % doors.len()];
        tries.push((door, long_key_token(request.len() / doors.len(), request.len() + 64)));
    }
    for (door, token) in &tries {
        let Some(text) = input.inject(*door, token) else { continue };
        let what = format!("{door:?}");
        let (status, answer) = check_json_one_buf(engine, text.as_ptr(), text.len());
        no_panic("ctp_check_json", status);
        assert_no_canary(&what, &answer);
        let mut verdict: ctp_verdict = std::mem::zeroed();
        let (mut decision, mut error) = (empty_buf(), empty_buf());
        let status = ctp_check_json_verdict(engine, text.as_ptr(), text.len(), &mut verdict, &mut decision, &mut error);
        no_panic("ctp_check_json_verdict", status);
        assert_no_canary(&what, &take(&mut decision));
        assert_no_canary(&what, &take(&mut error));
        injected.push(text);
    }
    let inputs: Vec<ctp_input> = injected.iter().map(|t| ctp_input { ptr: t.as_ptr(), len: t.len() }).collect();
    let mut results: Vec<ctp_result> = (0..inputs.len()).map(|_| std::mem::zeroed()).collect();
    let status =
        ctp_check_many(engine, inputs.as_ptr(), inputs.len(), results.as_mut_ptr(), ptr::null_mut(), ptr::null_mut());
    assert_eq!(status, CTP_OK, "ctp_check_many");
    for result in &mut results {
        assert_no_canary("ctp_check_many", &take(&mut result.json));
    }
}

unsafe fn check_json(request: &[u8], selector: u8) {
    let which = usize::from(selector & 0x40 != 0);
    let (p, n) = raw(request);
    let (status, text) = check_json_one_buf(engines().c[which], p, n);
    no_panic("ctp_check_json", status);
    let expected = {
        let mut s = String::new();
        match engines().rust[which].check_json_into(request, &mut s) {
            Ok(_) => (CTP_OK, s),
            Err(error) => (error.status as u32, error.to_json()),
        }
    };
    assert_eq!((status, &text), (expected.0, &expected.1), "ctp_check_json differs from Engine::check_json_into");
    match status {
        CTP_OK => {
            must_parse("ctp_check_json", &text);
        }
        CTP_INVALID_UTF8 | CTP_INVALID_REQUEST => {
            check_error_json("ctp_check_json", &text);
        }
        other => panic!("ctp_check_json returned {other}"),
    }
}

unsafe fn check_many(requests: &[u8], selector: u8) {
    let which = usize::from(selector & 0x40 != 0);
    let lines: Vec<&[u8]> = requests.split(|&b| b == b'\n').collect();
    // Now and then an input that is NULL with a length: its own result.
    let null_at = (selector & 0x80 != 0).then(|| usize::from(selector & 0x3f) % lines.len());
    let inputs: Vec<ctp_input> = lines
        .iter()
        .enumerate()
        .map(|(index, line)| match null_at == Some(index) && !line.is_empty() {
            true => ctp_input { ptr: ptr::null(), len: line.len() },
            false => ctp_input { ptr: raw(line).0, len: line.len() },
        })
        .collect();
    let mut results: Vec<ctp_result> = (0..inputs.len()).map(|_| std::mem::zeroed()).collect();
    let mut counts = ctp_batch_counts { allowed: 7, denied: 7, invalid: 7 };
    let status = ctp_check_many(
        engines().c[which],
        inputs.as_ptr(),
        inputs.len(),
        results.as_mut_ptr(),
        &mut counts,
        ptr::null_mut(),
    );
    no_panic("ctp_check_many", status);
    assert_eq!(status, CTP_OK, "ctp_check_many returned {status}");
    let (mut allowed, mut denied, mut invalid) = (0usize, 0usize, 0usize);
    for (index, (input, result)) in inputs.iter().zip(&mut results).enumerate() {
        let text = take(&mut result.json);
        if input.ptr.is_null() && input.len > 0 {
            assert_eq!(result.status, CTP_INVALID_ARGUMENT, "a NULL input with a length");
            check_error_json("ctp_check_many NULL item", &text);
            invalid += 1;
            continue;
        }
        let (status, single) = check_json_one_buf(engines().c[which], input.ptr, input.len);
        assert_eq!((result.status, &text), (status, &single), "item {index} differs from ctp_check_json");
        match (status, result.allowed) {
            (CTP_OK, 1) => allowed += 1,
            (CTP_OK, 0) => denied += 1,
            (CTP_OK, other) => panic!("allowed is {other}"),
            (_, 0) => invalid += 1,
            (_, other) => panic!("allowed is {other} on status {status}"),
        }
    }
    assert_eq!((counts.allowed, counts.denied, counts.invalid), (allowed, denied, invalid), "counts");
}

unsafe fn apply_event(data: &[u8]) {
    let (record, event) = match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&data[..0], data),
    };
    let (rp, rn) = raw(record);
    let (ep, en) = raw(event);
    let mut out = empty_buf();
    let both: *mut ctp_buf = &mut out;
    let status = ctp_apply_event_json(rp, rn, ep, en, both, both);
    no_panic("ctp_apply_event_json", status);
    let text = take(&mut out);
    let expected = match ctpolicy::apply_event((!record.is_empty()).then_some(record), event) {
        Ok(transition) => (CTP_OK, transition.json().to_owned()),
        Err(error) => (error.status as u32, error.to_json()),
    };
    assert_eq!((status, &text), (expected.0, &expected.1), "ctp_apply_event_json differs from apply_event");
    match status {
        CTP_OK => {
            must_parse("ctp_apply_event_json", &text);
        }
        CTP_INVALID_UTF8 | CTP_INVALID_REQUEST | CTP_TRANSITION_REJECTED => {
            check_error_json("ctp_apply_event_json", &text);
        }
        other => panic!("ctp_apply_event_json returned {other}"),
    }
}

unsafe fn token_parse(token: &[u8]) {
    let (p, n) = raw(token);
    let mut out = empty_buf();
    let both: *mut ctp_buf = &mut out;
    let status = ctp_token_parse(p, n, both, both);
    no_panic("ctp_token_parse", status);
    let text = take(&mut out);
    let expected = match parse_token_json(token) {
        Ok(json) => (CTP_OK, json),
        Err(error) => (error.status as u32, error.to_json()),
    };
    assert_eq!((status, &text), (expected.0, &expected.1), "ctp_token_parse differs from parse_token_json");
    match status {
        CTP_OK => {
            must_parse("ctp_token_parse", &text);
        }
        CTP_INVALID_UTF8 | CTP_TOKEN_INVALID => {
            check_error_json("ctp_token_parse", &text);
        }
        other => panic!("ctp_token_parse returned {other}"),
    }
}

unsafe fn check_typed(data: &[u8], selector: u8) {
    let which = usize::from(selector & 0x40 != 0);
    let mut bytes = Bytes(data);
    let flags_raw = bytes.u32();
    // Mostly known flags; an unknown bit now and then.
    let flags = if flags_raw & 0x8000_0000 != 0 { flags_raw } else { flags_raw & 2047 };
    let record_state = u32::from(bytes.u8() % 4);
    let scope_raw = bytes.u8();
    // The scopes: a few of the known ones and one of the input's own bytes.
    let known = ["payment:customer_present", "payment:customer_not_present", "customer:login"];
    let mut scope_names: Vec<&[u8]> =
        known.iter().enumerate().filter(|(i, _)| scope_raw & (1 << i) != 0).map(|(_, s)| s.as_bytes()).collect();
    let currency_len = usize::from(bytes.u8() % 5);
    let currency = bytes.take(currency_len);
    let own_scope = bytes.string();
    if scope_raw & 8 != 0 {
        scope_names.push(own_scope);
    }
    let scopes: Vec<ctp_input> = scope_names.iter().map(|s| ctp_input { ptr: raw(s).0, len: s.len() }).collect();
    let amount = bytes.i64();
    let now_ms = bytes.i64();
    let last_used_at_ms = bytes.i64();
    let attempts_24h = bytes.i64();
    let attempts_30d = bytes.i64();
    let token = bytes.string();
    // Record token: the same as the header, or its own bytes.
    let same_token = bytes.u8() & 1 == 0;
    let record_token = if same_token { token } else { bytes.string() };
    let caller = bytes.string();
    let attempts: Vec<i64> = (0..bytes.u8() % 4).map(|_| bytes.i64()).collect();
    let key = bytes.take(data.len());
    let (token_ptr, token_len) = raw(token);
    let (record_ptr, record_len) = raw(record_token);
    let (key_ptr, key_len) = raw(key);
    let (currency_ptr, currency_len) = raw(currency);
    let (caller_ptr, caller_len) = raw(caller);
    let charge = ctp_typed_charge {
        token: token_ptr,
        token_len,
        record_token: record_ptr,
        record_token_len: record_len,
        idempotency_key: key_ptr,
        idempotency_key_len: key_len,
        currency: currency_ptr,
        currency_len,
        record_scopes: if scopes.is_empty() { ptr::null() } else { scopes.as_ptr() },
        record_scope_count: scopes.len(),
        flags,
        record_state,
        amount,
        now_ms,
        last_used_at_ms,
        attempts_24h,
        attempts_30d,
        caller: caller_ptr,
        caller_len,
        record_attempts_ms: if attempts.is_empty() { ptr::null() } else { attempts.as_ptr() },
        record_attempt_count: attempts.len(),
    };
    let mut verdict = std::mem::MaybeUninit::<ctp_verdict>::zeroed();
    let mut error = empty_buf();
    let status = ctp_check_charge(engines().c[which], &charge, verdict.as_mut_ptr(), &mut error);
    no_panic("ctp_check_charge", status);
    let error = take(&mut error);
    if flags & !2047 != 0 || record_state > 2 {
        assert_eq!(status, CTP_INVALID_ARGUMENT, "ctp_check_charge accepted an unknown flag or state");
    }
    if status == CTP_OK {
        assert!(error.is_empty(), "ctp_check_charge wrote error on CTP_OK");
    } else {
        check_error_json("ctp_check_charge", &error);
    }
    match status {
        CTP_OK => {
            let verdict = verdict.assume_init();
            let violations = &verdict.violations[..verdict.violation_count as usize];
            let warnings = &verdict.warnings[..verdict.warning_count as usize];
            assert_eq!(verdict.allowed, u32::from(violations.is_empty()), "allowed but violations (or not)");
            for list in [violations, warnings] {
                assert!(list.windows(2).all(|w| w[0] < w[1]), "ids not ascending: {list:?}");
                for &id in list {
                    assert!(!ctp_reason_code(u32::from(id)).is_null(), "unknown rule id {id}");
                }
            }
            if verdict.has_fingerprint != 0 {
                assert!(flags & CTP_CHARGE_WANT_FINGERPRINT != 0, "a fingerprint nobody asked for");
                assert!(flags & CTP_CHARGE_HAS_TOKEN != 0, "a fingerprint without a token");
                let hex: String = verdict.fingerprint.iter().map(|b| format!("{b:02x}")).collect();
                let label = format!("sha256:{hex}");
                assert_eq!(label, sha256_label(token), "fingerprint is not SHA-256 of the token");
            } else {
                assert_eq!(verdict.has_fingerprint, 0);
            }
        }
        CTP_INVALID_ARGUMENT | CTP_INVALID_UTF8 | CTP_INVALID_REQUEST => {}
        other => panic!("ctp_check_charge returned {other}"),
    }
}

/// The leak-door oracle runs on 1 input in this many, picked by a hash of
/// its bytes (see the module doc).
const DOOR_SAMPLING: u64 = 16;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    unsafe {
        match selector % 6 {
            0 => {
                engine_new(rest, selector);
                if door_sampled(data, DOOR_SAMPLING) {
                    policy_doors(rest, door_sampled(rest, LONG_KEY_SAMPLING));
                }
            }
            1 => {
                check_json(rest, selector);
                if door_sampled(data, DOOR_SAMPLING) {
                    request_doors(rest, usize::from(selector & 0x40 != 0), door_sampled(rest, LONG_KEY_SAMPLING));
                }
            }
            2 => check_many(rest, selector),
            3 => apply_event(rest),
            4 => token_parse(rest),
            _ => check_typed(rest, selector),
        }
    }
});
