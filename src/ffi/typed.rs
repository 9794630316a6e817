//! `ctp_check_charge`: the typed path that decides exactly as the JSON path
//! decides the equivalent request, and says why when it cannot decide.
//!
//! `ctp_check` (fast.rs) stays as it was for the callers built on it; this
//! is the call the bindings use. Every field is checked here, in the core,
//! never in a binding: the currency is any bytes (an invalid one is rule
//! 601, as on the JSON path), the scopes are the stored strings (unknown:
//! 205; none, both payment scopes or repeated: 204), a field that is not
//! UTF-8 is `CTP_INVALID_UTF8`,
//! a `now` no RFC 3339 text can write or a negative counter is the JSON
//! path's `INVALID_REQUEST`, a last use no RFC 3339 text can write is rule
//! 204 (detail `TIMESTAMP`).

use super::fast::{verdict_for_c, CTP_CHARGE_HAS_ATTEMPTS, CTP_CHARGE_HAS_CALLER, TYPED_KNOWN_FLAGS};
use super::{ctp_buf, ctp_engine, ctp_input, ctp_verdict, deliver, guard, input, invalid_argument, null_with_length};
use super::{CTP_CHARGE_CUSTOMER_PRESENT, CTP_CHARGE_HAS_ATTEMPTS_24H, CTP_CHARGE_HAS_ATTEMPTS_30D};
use super::{CTP_CHARGE_HAS_IDEMPOTENCY_KEY, CTP_CHARGE_HAS_TOKEN, CTP_CHARGE_WANT_FINGERPRINT};
use super::{CTP_CHARGE_HAS_LAST_USED_AT, CTP_CHARGE_HAS_NOW, CTP_CHARGE_STEP_UP};
use super::{CTP_OK, CTP_PANIC, CTP_RECORD_ACTIVE, CTP_RECORD_NONE, CTP_RECORD_REVOKED};
use crate::charge::{Charge, ScopeSet, StoredRecord};
use crate::error::{Error, Status};
use crate::record::TokenState;

/// A token charge in typed form, for `ctp_check_charge`: `ctp_charge` with
/// the currency as pointer + length and the record's scopes as strings, so
/// any value the JSON path accepts can be passed and is judged by the
/// library. Zero-initialise it, then set the fields and `flags` bits that
/// apply.
#[repr(C)]
pub struct ctp_typed_charge {
    /// The Klarna-Customer-Token header value (with `CTP_CHARGE_HAS_TOKEN`).
    pub token: *const u8,
    pub token_len: usize,
    /// The stored record's customer_token (when `record_state` is not NONE).
    pub record_token: *const u8,
    pub record_token_len: usize,
    /// The Klarna-Idempotency-Key value (with `CTP_CHARGE_HAS_IDEMPOTENCY_KEY`).
    pub idempotency_key: *const u8,
    pub idempotency_key_len: usize,
    /// `body.currency` as sent, any length (valid: three ASCII letters;
    /// anything else is rule 601). `NULL`/0 is the empty string.
    pub currency: *const u8,
    pub currency_len: usize,
    /// The stored record's `scopes` list as stored, `record_scope_count`
    /// strings (when `record_state` is not NONE); the library judges it
    /// (unknown scopes: rule 205; none, both payment scopes or a repeated
    /// scope: rule 204). May be NULL when the count is 0.
    pub record_scopes: *const ctp_input,
    pub record_scope_count: usize,
    /// `CTP_CHARGE_*` bits; an unknown bit is `CTP_INVALID_ARGUMENT`.
    pub flags: u32,
    /// `CTP_RECORD_NONE`, `CTP_RECORD_ACTIVE` or `CTP_RECORD_REVOKED`.
    pub record_state: u32,
    /// Amount in minor units (valid: 1..=2147483647; anything else is rule 602).
    pub amount: i64,
    /// Time of the charge, milliseconds since the Unix epoch (`CTP_CHARGE_HAS_NOW`).
    pub now_ms: i64,
    /// The record's last use, milliseconds since the Unix epoch (`CTP_CHARGE_HAS_LAST_USED_AT`).
    pub last_used_at_ms: i64,
    /// Earlier attempts in 24 hours (`CTP_CHARGE_HAS_ATTEMPTS_24H`).
    pub attempts_24h: i64,
    /// Earlier attempts in 30 days (`CTP_CHARGE_HAS_ATTEMPTS_30D`).
    pub attempts_30d: i64,
    /// The request's `caller` (with `CTP_CHARGE_HAS_CALLER`): the service
    /// making the charge, checked against the policy's `access`.
    pub caller: *const u8,
    pub caller_len: usize,
    /// The stored record's `attempts`, `record_attempt_count` instants in
    /// milliseconds since the Unix epoch (with `CTP_CHARGE_HAS_ATTEMPTS` and
    /// a record); rule 804 counts them when no counter is set. May be NULL
    /// when the count is 0.
    pub record_attempts_ms: *const i64,
    pub record_attempt_count: usize,
}

fn bad_argument(message: String) -> Error {
    Error::new(Status::InvalidArgument, None, message)
}

/// Borrows the input of `field` when `flag` is set.
unsafe fn flagged<'a>(
    flags: u32,
    flag: u32,
    ptr: *const u8,
    len: usize,
    field: &str,
) -> Result<Option<&'a [u8]>, Error> {
    if flags & flag == 0 {
        return Ok(None);
    }
    input(ptr, len).map(Some).map_err(|_| null_with_length(field))
}

/// The record's scope strings as the core's set. A string that is not
/// UTF-8 is reported as the JSON path reports a request that is not.
unsafe fn read_scopes(charge: &ctp_typed_charge) -> Result<ScopeSet, Error> {
    let count = charge.record_scope_count;
    if count == 0 {
        return Ok(ScopeSet::from_names(&[]));
    }
    if charge.record_scopes.is_null() {
        return Err(null_with_length("charge.record_scopes"));
    }
    let mut names = Vec::with_capacity(count);
    for (index, scope) in std::slice::from_raw_parts(charge.record_scopes, count).iter().enumerate() {
        let bytes =
            input(scope.ptr, scope.len).map_err(|_| null_with_length(&format!("charge.record_scopes[{index}].ptr")))?;
        let name = std::str::from_utf8(bytes).map_err(|error| {
            let message = format!(
                "request: input is not UTF-8 (token_record.scopes[{index}]: invalid byte at offset {})",
                error.valid_up_to()
            );
            Error::new(Status::InvalidUtf8, None, message).at("")
        })?;
        names.push(name);
    }
    Ok(ScopeSet::from_names(&names))
}

/// Reads a `ctp_typed_charge`. Only faults of the call itself are found
/// here (`CTP_INVALID_ARGUMENT`), and scope strings that are not UTF-8;
/// everything about the values is judged by the core.
unsafe fn read_typed_charge(charge: &ctp_typed_charge) -> Result<Charge<'_>, Error> {
    let flags = charge.flags;
    if flags & !TYPED_KNOWN_FLAGS != 0 {
        return Err(bad_argument(format!("charge.flags has unknown bits 0x{:x}", flags & !TYPED_KNOWN_FLAGS)));
    }
    let has = |flag: u32| flags & flag != 0;
    let token = flagged(flags, CTP_CHARGE_HAS_TOKEN, charge.token, charge.token_len, "charge.token")?;
    let idempotency_key = flagged(
        flags,
        CTP_CHARGE_HAS_IDEMPOTENCY_KEY,
        charge.idempotency_key,
        charge.idempotency_key_len,
        "charge.idempotency_key",
    )?;
    let currency = input(charge.currency, charge.currency_len).map_err(|_| null_with_length("charge.currency"))?;
    let state = match charge.record_state {
        CTP_RECORD_NONE => None,
        CTP_RECORD_ACTIVE => Some(TokenState::Active),
        CTP_RECORD_REVOKED => Some(TokenState::Revoked),
        other => return Err(bad_argument(format!("charge.record_state {other} is not a CTP_RECORD_* value"))),
    };
    let record = match state {
        None => None,
        Some(state) => Some(StoredRecord {
            customer_token: input(charge.record_token, charge.record_token_len)
                .map_err(|_| null_with_length("charge.record_token"))?,
            state,
            scopes: read_scopes(charge)?,
            last_used_at_ms: has(CTP_CHARGE_HAS_LAST_USED_AT).then_some(charge.last_used_at_ms),
            attempts_ms: if has(CTP_CHARGE_HAS_ATTEMPTS) { Some(read_attempts(charge)?) } else { None },
        }),
    };
    Ok(Charge {
        customer_present: has(CTP_CHARGE_CUSTOMER_PRESENT),
        token,
        idempotency_key,
        step_up: has(CTP_CHARGE_STEP_UP),
        amount: charge.amount,
        currency,
        record,
        now_ms: has(CTP_CHARGE_HAS_NOW).then_some(charge.now_ms),
        attempts_24h: has(CTP_CHARGE_HAS_ATTEMPTS_24H).then_some(charge.attempts_24h),
        attempts_30d: has(CTP_CHARGE_HAS_ATTEMPTS_30D).then_some(charge.attempts_30d),
        caller: flagged(flags, CTP_CHARGE_HAS_CALLER, charge.caller, charge.caller_len, "charge.caller")?,
    })
}

/// The record's attempts, borrowed for the call.
unsafe fn read_attempts(charge: &ctp_typed_charge) -> Result<&[i64], Error> {
    let count = charge.record_attempt_count;
    if count == 0 {
        return Ok(&[]);
    }
    if charge.record_attempts_ms.is_null() {
        return Err(null_with_length("charge.record_attempts_ms"));
    }
    Ok(std::slice::from_raw_parts(charge.record_attempts_ms, count))
}

/// The typed path, deciding exactly as `ctp_check_json` decides the
/// equivalent request (docs/ABI.md writes it out).
///
/// - `engine`: from `ctp_engine_new`; shareable between threads.
/// - `charge`: must not be NULL; its pointers are only read during the call.
/// - `out`: must not be NULL; written only on `CTP_OK`.
/// - `error_json`: may be NULL. When not NULL it receives, on any status
///   but `CTP_OK`, the error object `{"error": {...}}` the JSON path gives
///   for the equivalent request (for `CTP_INVALID_UTF8` the message names
///   the field instead of a byte offset of a JSON text). Untouched on
///   `CTP_OK`. Release it with `ctp_buf_free`.
///
/// Returns `CTP_OK` (ALLOW or DENY in `out->allowed`), `CTP_INVALID_ARGUMENT`
/// (NULL pointers, NULL with a length, an unknown flag or state),
/// `CTP_INVALID_UTF8` (a string field or scope is not UTF-8),
/// `CTP_INVALID_REQUEST` (`now` outside years 0001-9999, a negative
/// counter, or a policy rule needs `now` or a counter the charge lacks) or
/// `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_charge(
    engine: *const ctp_engine,
    charge: *const ctp_typed_charge,
    out: *mut ctp_verdict,
    error_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        let result = (|| {
            let engine = engine.as_ref().ok_or_else(|| invalid_argument("engine"))?;
            let charge = charge.as_ref().ok_or_else(|| invalid_argument("charge"))?;
            if out.is_null() {
                return Err(invalid_argument("out"));
            }
            let want_fingerprint = charge.flags & CTP_CHARGE_WANT_FINGERPRINT != 0;
            let charge = read_typed_charge(charge)?;
            engine.engine.decide_charge(&charge, want_fingerprint)
        })();
        match result {
            Ok(verdict) => {
                out.write(verdict_for_c(&verdict));
                CTP_OK
            }
            Err(error) => deliver(error_json, Err(error)),
        }
    })
}
