//! The typed fast path (`ctp_check`) and the batch path (`ctp_check_batch`).

use std::cell::RefCell;

use super::{ctp_buf, ctp_engine, deliver, guard, input, invalid_argument, null_with_length};
use super::{CTP_INVALID_ARGUMENT, CTP_INVALID_REQUEST, CTP_OK, CTP_PANIC};
use crate::charge::{Charge, ChargeError, ScopeSet, StoredRecord, MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS};
use crate::decision::Verdict;
use crate::error::Error;
use crate::record::TokenState;

/// `ctp_charge.flags`: the customer is present (on-session).
pub const CTP_CHARGE_CUSTOMER_PRESENT: u32 = 1;
/// `ctp_charge.flags`: the Klarna-Customer-Token header is sent (`token`).
pub const CTP_CHARGE_HAS_TOKEN: u32 = 2;
/// `ctp_charge.flags`: the Klarna-Idempotency-Key header is sent (`idempotency_key`).
pub const CTP_CHARGE_HAS_IDEMPOTENCY_KEY: u32 = 4;
/// `ctp_charge.flags`: a well-formed `step_up_config` is sent.
pub const CTP_CHARGE_STEP_UP: u32 = 8;
/// `ctp_charge.flags`: `now_ms` is set.
pub const CTP_CHARGE_HAS_NOW: u32 = 16;
/// `ctp_charge.flags`: the record has `last_used_at_ms`.
pub const CTP_CHARGE_HAS_LAST_USED_AT: u32 = 32;
/// `ctp_charge.flags`: `attempts_24h` is set.
pub const CTP_CHARGE_HAS_ATTEMPTS_24H: u32 = 64;
/// `ctp_charge.flags`: `attempts_30d` is set.
pub const CTP_CHARGE_HAS_ATTEMPTS_30D: u32 = 128;
/// `ctp_charge.flags`: fill `ctp_verdict.fingerprint` for a well-formed token.
pub const CTP_CHARGE_WANT_FINGERPRINT: u32 = 256;
pub(crate) const KNOWN_FLAGS: u32 = 511;
/// `ctp_typed_charge.flags`: `caller` is set (the request's `caller`).
/// Only `ctp_check_charge` knows this bit.
pub const CTP_CHARGE_HAS_CALLER: u32 = 512;
/// `ctp_typed_charge.flags`: the record has `attempts` (`record_attempts_ms`).
/// Only `ctp_check_charge` knows this bit.
pub const CTP_CHARGE_HAS_ATTEMPTS: u32 = 1024;
/// Every bit `ctp_check_charge` knows. The two bits past `KNOWN_FLAGS`
/// guard fields appended to `ctp_typed_charge`: a caller built before
/// they existed never sets them, so the library never reads past its struct.
pub(crate) const TYPED_KNOWN_FLAGS: u32 = KNOWN_FLAGS | CTP_CHARGE_HAS_CALLER | CTP_CHARGE_HAS_ATTEMPTS;

/// `ctp_charge.record_state`: no record is stored.
pub const CTP_RECORD_NONE: u32 = 0;
/// `ctp_charge.record_state`: the record is ACTIVE.
pub const CTP_RECORD_ACTIVE: u32 = 1;
/// `ctp_charge.record_state`: the record is REVOKED.
pub const CTP_RECORD_REVOKED: u32 = 2;

/// `ctp_charge.record_scopes`: payment:customer_present.
pub const CTP_SCOPE_CUSTOMER_PRESENT: u32 = 1;
/// `ctp_charge.record_scopes`: payment:customer_not_present.
pub const CTP_SCOPE_CUSTOMER_NOT_PRESENT: u32 = 2;
/// `ctp_charge.record_scopes`: customer:login.
pub const CTP_SCOPE_CUSTOMER_LOGIN: u32 = 4;
/// `ctp_charge.record_scopes`: at least one scope ctpolicy does not know.
pub const CTP_SCOPE_UNKNOWN: u32 = 8;

/// Room for rule ids in a `ctp_verdict` list (there are 34 rules today).
pub const CTP_MAX_RULES: usize = 64;

/// A token charge in typed form, for `ctp_check`. Zero-initialise it, then
/// set the fields and `flags` bits that apply; unset optional fields are
/// ignored unless their flag is set.
#[repr(C)]
pub struct ctp_charge {
    /// The Klarna-Customer-Token header value (with `CTP_CHARGE_HAS_TOKEN`).
    pub token: *const u8,
    pub token_len: usize,
    /// The stored record's customer_token (when `record_state` is not NONE).
    pub record_token: *const u8,
    pub record_token_len: usize,
    /// The Klarna-Idempotency-Key value (with `CTP_CHARGE_HAS_IDEMPOTENCY_KEY`).
    pub idempotency_key: *const u8,
    pub idempotency_key_len: usize,
    /// `CTP_CHARGE_*` bits; an unknown bit is `CTP_INVALID_ARGUMENT`.
    pub flags: u32,
    /// `CTP_RECORD_NONE`, `CTP_RECORD_ACTIVE` or `CTP_RECORD_REVOKED`.
    pub record_state: u32,
    /// `CTP_SCOPE_*` bits of the stored record.
    pub record_scopes: u32,
    /// ISO 4217 code as sent (three bytes, not NUL-terminated).
    pub currency: [u8; 3],
    /// Amount in minor units.
    pub amount: i64,
    /// Time of the charge, milliseconds since the Unix epoch (`CTP_CHARGE_HAS_NOW`).
    pub now_ms: i64,
    /// The record's last use, milliseconds since the Unix epoch (`CTP_CHARGE_HAS_LAST_USED_AT`).
    pub last_used_at_ms: i64,
    /// Earlier attempts in 24 hours (`CTP_CHARGE_HAS_ATTEMPTS_24H`), not negative.
    pub attempts_24h: i64,
    /// Earlier attempts in 30 days (`CTP_CHARGE_HAS_ATTEMPTS_30D`), not negative.
    pub attempts_30d: i64,
}

/// The answer of `ctp_check`.
#[repr(C)]
pub struct ctp_verdict {
    /// 1 for ALLOW, 0 for DENY.
    pub allowed: u32,
    /// Number of ids in `violations`.
    pub violation_count: u32,
    /// Number of ids in `warnings`.
    pub warning_count: u32,
    /// 1 when `fingerprint` holds SHA-256 of the token.
    pub has_fingerprint: u32,
    /// Rule ids of `deny` hits, ascending (`ctp_reason_code` names them).
    pub violations: [u16; 64],
    /// Rule ids of `warn` hits, ascending.
    pub warnings: [u16; 64],
    /// Raw SHA-256 of the token (the decision's fingerprint is "sha256:" + hex).
    pub fingerprint: [u8; 32],
}

/// Counts of a `ctp_check_batch` run.
#[repr(C)]
pub struct ctp_batch_counts {
    pub allowed: u64,
    pub denied: u64,
    pub invalid: u64,
}

fn optional<'a>(flags: u32, flag: u32, ptr: *const u8, len: usize, what: &str) -> Result<Option<&'a [u8]>, Error> {
    if flags & flag == 0 {
        return Ok(None);
    }
    unsafe { input(ptr, len) }.map(Some).map_err(|_| null_with_length(what))
}

/// Reads a `ctp_charge`; every pointer it names is only borrowed.
unsafe fn read_charge(charge: &ctp_charge) -> Result<Charge<'_>, u32> {
    let flags = charge.flags;
    // The CTP_SCOPE_* bits are ScopeSet's bits (a unit test holds them equal).
    if flags & !KNOWN_FLAGS != 0 || charge.record_scopes & !ScopeSet::ALL != 0 {
        return Err(CTP_INVALID_ARGUMENT);
    }
    let has = |flag: u32| flags & flag != 0;
    let token = optional(flags, CTP_CHARGE_HAS_TOKEN, charge.token, charge.token_len, "token")
        .map_err(|_| CTP_INVALID_ARGUMENT)?;
    let idempotency_key =
        optional(flags, CTP_CHARGE_HAS_IDEMPOTENCY_KEY, charge.idempotency_key, charge.idempotency_key_len, "key")
            .map_err(|_| CTP_INVALID_ARGUMENT)?;
    let state = match charge.record_state {
        CTP_RECORD_NONE => None,
        CTP_RECORD_ACTIVE => Some(TokenState::Active),
        CTP_RECORD_REVOKED => Some(TokenState::Revoked),
        _ => return Err(CTP_INVALID_ARGUMENT),
    };
    let record = match state {
        None => None,
        Some(state) => Some(StoredRecord {
            customer_token: input(charge.record_token, charge.record_token_len).map_err(|_| CTP_INVALID_ARGUMENT)?,
            state,
            scopes: ScopeSet(charge.record_scopes),
            last_used_at_ms: has(CTP_CHARGE_HAS_LAST_USED_AT).then_some(charge.last_used_at_ms),
            attempts_ms: None,
        }),
    };
    // ctp_check's contract: a last use outside years 0001-9999 is a fault
    // of the call (ctp_check_charge decides it as rule 204, as JSON does).
    if let Some(StoredRecord { last_used_at_ms: Some(ms), .. }) = record {
        if !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&ms) {
            return Err(CTP_INVALID_ARGUMENT);
        }
    }
    let attempts_24h = has(CTP_CHARGE_HAS_ATTEMPTS_24H).then_some(charge.attempts_24h);
    let attempts_30d = has(CTP_CHARGE_HAS_ATTEMPTS_30D).then_some(charge.attempts_30d);
    // A negative counter is an envelope fault on the JSON path too.
    if attempts_24h.is_some_and(|n| n < 0) || attempts_30d.is_some_and(|n| n < 0) {
        return Err(CTP_INVALID_REQUEST);
    }
    Ok(Charge {
        customer_present: has(CTP_CHARGE_CUSTOMER_PRESENT),
        token,
        idempotency_key,
        step_up: has(CTP_CHARGE_STEP_UP),
        amount: charge.amount,
        currency: &charge.currency,
        record,
        now_ms: has(CTP_CHARGE_HAS_NOW).then_some(charge.now_ms),
        attempts_24h,
        attempts_30d,
        caller: None,
    })
}

/// The typed fast path: decides a token charge without JSON.
///
/// - `engine`: from `ctp_engine_new`; shareable between threads.
/// - `charge`: must not be NULL; its pointers are only read during the call.
/// - `out`: must not be NULL; written only on `CTP_OK`.
///
/// Returns `CTP_OK` (ALLOW or DENY in `out->allowed`), `CTP_INVALID_ARGUMENT`
/// (NULL pointers, an unknown flag, state or scope bit, a timestamp outside
/// years 0001–9999), `CTP_INVALID_REQUEST` (a negative counter, or a policy
/// rule needs `now` or a counter the charge lacks: `ctp_check_json` says
/// which) or `CTP_PANIC`. It evaluates the rules its fields can express;
/// docs/ABI.md lists them. It never allocates unless a rule fires with a
/// header-name path, and never builds JSON.
#[no_mangle]
pub unsafe extern "C" fn ctp_check(engine: *const ctp_engine, charge: *const ctp_charge, out: *mut ctp_verdict) -> u32 {
    guard(CTP_PANIC, || {
        let (Some(engine), Some(charge)) = (engine.as_ref(), charge.as_ref()) else {
            return CTP_INVALID_ARGUMENT;
        };
        if out.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let want_fingerprint = charge.flags & CTP_CHARGE_WANT_FINGERPRINT != 0;
        let charge = match read_charge(charge) {
            Ok(charge) => charge,
            Err(status) => return status,
        };
        match engine.engine.check_charge(&charge, want_fingerprint) {
            Ok(verdict) => {
                out.write(verdict_for_c(&verdict));
                CTP_OK
            }
            Err(ChargeError::TimestampOutOfRange) => CTP_INVALID_ARGUMENT,
            Err(ChargeError::Envelope(_) | ChargeError::Undecidable(_)) => CTP_INVALID_REQUEST,
        }
    })
}

/// A core verdict as the C struct: ids ascending, unused slots zero.
pub(crate) fn verdict_for_c(verdict: &Verdict) -> ctp_verdict {
    let mut result = ctp_verdict {
        allowed: u32::from(verdict.allowed()),
        violation_count: 0,
        warning_count: 0,
        has_fingerprint: u32::from(verdict.fingerprint.is_some()),
        violations: [0; CTP_MAX_RULES],
        warnings: [0; CTP_MAX_RULES],
        fingerprint: verdict.fingerprint.unwrap_or([0; 32]),
    };
    for id in verdict.violations.ids() {
        result.violations[result.violation_count as usize] = id;
        result.violation_count += 1;
    }
    for id in verdict.warnings.ids() {
        result.warnings[result.warning_count as usize] = id;
        result.warning_count += 1;
    }
    result
}

thread_local! {
    /// Where a batch answer is written before it is copied out at its exact
    /// size. Writing megabytes into a fresh allocation that then shrinks to
    /// fit defeats the allocator's reuse (glibc maps and unmaps it every
    /// call): the page faults cost more than a fifth of the batch. Reused
    /// memory is already mapped. It holds decisions only, never a token.
    static BATCH_SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
}

/// A scratch buffer that grew beyond this is released after the call, so a
/// thread keeps at most this much between batches.
const BATCH_SCRATCH_KEEP_BYTES: usize = 16 << 20;

/// The batch path: JSON Lines in, JSON Lines out, in one call.
///
/// - `requests`/`len`: pre-flight requests, one a line (`\n`); blank lines
///   are skipped, as by `ctpolicy check`.
/// - `out_jsonl`: must not be NULL. Receives one line per request, in
///   order: the decision, or `{"error": {...}}` for a line that could not
///   be decided (the rest go on). Release it with `ctp_buf_free`.
/// - `counts`: may be NULL; receives how many lines were ALLOW, DENY, invalid.
///
/// Returns `CTP_OK` when every line was handled (whatever each answer),
/// `CTP_INVALID_ARGUMENT` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_batch(
    engine: *const ctp_engine,
    requests: *const u8,
    len: usize,
    out_jsonl: *mut ctp_buf,
    counts: *mut ctp_batch_counts,
) -> u32 {
    guard(CTP_PANIC, || {
        if out_jsonl.is_null() {
            return CTP_INVALID_ARGUMENT;
        }
        let result = (|| {
            let engine = engine.as_ref().ok_or_else(|| invalid_argument("engine"))?;
            let requests = input(requests, len).map_err(|_| null_with_length("requests"))?;
            let decide = |scratch: &mut String| {
                scratch.clear();
                let totals = engine.engine.check_batch(requests, scratch);
                // The caller's copy is allocated at its exact size.
                let out = String::from(scratch.as_str());
                if scratch.capacity() > BATCH_SCRATCH_KEEP_BYTES {
                    *scratch = String::new();
                }
                (out, totals)
            };
            // As with the parse arena: a call during thread teardown, or
            // one nested in another, gets a fresh buffer instead of a panic.
            let (out, totals) = BATCH_SCRATCH
                .try_with(|cell| cell.try_borrow_mut().ok().map(|mut scratch| decide(&mut scratch)))
                .ok()
                .flatten()
                .unwrap_or_else(|| decide(&mut String::new()));
            if let Some(counts) = counts.as_mut() {
                *counts = ctp_batch_counts { allowed: totals.allowed, denied: totals.denied, invalid: totals.invalid };
            }
            Ok(out)
        })();
        deliver(out_jsonl, result)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_bits_are_the_core_scope_set_bits() {
        assert_eq!(CTP_SCOPE_CUSTOMER_PRESENT, ScopeSet::CUSTOMER_PRESENT);
        assert_eq!(CTP_SCOPE_CUSTOMER_NOT_PRESENT, ScopeSet::CUSTOMER_NOT_PRESENT);
        assert_eq!(CTP_SCOPE_CUSTOMER_LOGIN, ScopeSet::CUSTOMER_LOGIN);
        assert_eq!(CTP_SCOPE_UNKNOWN, ScopeSet::UNKNOWN);
        assert_eq!(
            CTP_SCOPE_CUSTOMER_PRESENT | CTP_SCOPE_CUSTOMER_NOT_PRESENT | CTP_SCOPE_CUSTOMER_LOGIN | CTP_SCOPE_UNKNOWN,
            ScopeSet::ALL
        );
        assert!(crate::rules::RULES.len() <= CTP_MAX_RULES);
    }
}
