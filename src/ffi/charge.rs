//! `ctp_check_charge`: the typed path. It decides exactly as the JSON path
//! decides the equivalent request, and says why when it cannot decide.
//!
//! Every field is checked here, in the core, never in a binding: the
//! currency is any bytes (an invalid one is rule 601, as on the JSON path),
//! the scopes are the stored strings (unknown: 205; none, both payment
//! scopes or repeated: 204), a field that is not UTF-8 is
//! `CTP_INVALID_UTF8`, a `now` no RFC 3339 text can write or a negative
//! counter is the JSON path's `INVALID_REQUEST`, a last use no RFC 3339
//! text can write is rule 204 (detail `TIMESTAMP`).

use super::{boundary, ctp_buf, ctp_engine, input, items, shared, Out};
use crate::charge::{Charge, ScopeSet, StoredRecord};
use crate::decision::Verdict;
use crate::error::{Error, Status};
use crate::record::TokenState;

/// `ctp_typed_charge.flags`: the customer is present (on-session).
pub const CTP_CHARGE_CUSTOMER_PRESENT: u32 = 1;
/// `ctp_typed_charge.flags`: the Klarna-Customer-Token header is sent (`token`).
pub const CTP_CHARGE_HAS_TOKEN: u32 = 2;
/// `ctp_typed_charge.flags`: the Klarna-Idempotency-Key header is sent (`idempotency_key`).
pub const CTP_CHARGE_HAS_IDEMPOTENCY_KEY: u32 = 4;
/// `ctp_typed_charge.flags`: a well-formed `step_up_config` is sent.
pub const CTP_CHARGE_STEP_UP: u32 = 8;
/// `ctp_typed_charge.flags`: `now_ms` is set.
pub const CTP_CHARGE_HAS_NOW: u32 = 16;
/// `ctp_typed_charge.flags`: the record has `last_used_at_ms`.
pub const CTP_CHARGE_HAS_LAST_USED_AT: u32 = 32;
/// `ctp_typed_charge.flags`: `attempts_24h` is set.
pub const CTP_CHARGE_HAS_ATTEMPTS_24H: u32 = 64;
/// `ctp_typed_charge.flags`: `attempts_30d` is set.
pub const CTP_CHARGE_HAS_ATTEMPTS_30D: u32 = 128;
/// `ctp_typed_charge.flags`: fill `ctp_verdict.fingerprint` for a well-formed token.
pub const CTP_CHARGE_WANT_FINGERPRINT: u32 = 256;
/// `ctp_typed_charge.flags`: `caller` is set (the request's `caller`).
pub const CTP_CHARGE_HAS_CALLER: u32 = 512;
/// `ctp_typed_charge.flags`: the record has `attempts` (`record_attempts_ms`).
pub const CTP_CHARGE_HAS_ATTEMPTS: u32 = 1024;
/// Every bit `ctp_check_charge` knows. A field appended to the struct
/// comes with a bit of its own: a caller built before it existed never
/// sets the bit, so the library never reads past that caller's struct.
const KNOWN_FLAGS: u32 = 2047;

/// `ctp_typed_charge.record_state`: no record is stored.
pub const CTP_RECORD_NONE: u32 = 0;
/// `ctp_typed_charge.record_state`: the record is ACTIVE.
pub const CTP_RECORD_ACTIVE: u32 = 1;
/// `ctp_typed_charge.record_state`: the record is REVOKED.
pub const CTP_RECORD_REVOKED: u32 = 2;

/// The bit of payment:customer_present in a record's scope set (the
/// bindings' generated scope tables use these bits).
pub const CTP_SCOPE_CUSTOMER_PRESENT: u32 = 1;
/// The bit of payment:customer_not_present.
pub const CTP_SCOPE_CUSTOMER_NOT_PRESENT: u32 = 2;
/// The bit of customer:login.
pub const CTP_SCOPE_CUSTOMER_LOGIN: u32 = 4;
/// The bit of any scope ctpolicy does not know.
pub const CTP_SCOPE_UNKNOWN: u32 = 8;

/// Room for rule ids in a `ctp_verdict` list (there are 34 rules today).
pub const CTP_MAX_RULES: usize = 64;

/// A token charge in typed form, for `ctp_check_charge`. Any value the
/// JSON path accepts can be passed, and the library judges it.
/// Zero-initialise it, then set the fields and `flags` bits that apply;
/// an optional field is read only when its flag is set.
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

/// One borrowed byte string: a scope of `ctp_typed_charge`, a request of
/// `ctp_check_many`. Only read during the call; NULL with `len` 0 is the
/// empty input.
#[repr(C)]
pub struct ctp_input {
    pub ptr: *const u8,
    pub len: usize,
}

/// A decision without JSON: the answer of `ctp_check_charge` and
/// `ctp_check_json_verdict`.
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

/// A core verdict as the C struct: ids ascending, unused slots zero.
/// Inlined so the struct is built in the caller's `out` slot: returned by
/// value from a call it was built on the stack and then copied (a
/// `memmove` of its 304 bytes, about 5 % of `ctp_check_charge`).
#[inline(always)]
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

/// Borrows the input of `field` when `flag` is set in `flags`.
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
    input(ptr, len, field).map(Some)
}

/// The record's scope strings as the core's set. A string that is not
/// UTF-8 is reported as the JSON path reports a request that is not.
/// Nothing is allocated unless a scope is at fault: this runs on every
/// typed check, where a vector of names and a field name formatted per
/// scope were a third of the call's time.
unsafe fn read_scopes(charge: &ctp_typed_charge) -> Result<ScopeSet, Error> {
    let scopes = items(charge.record_scopes, charge.record_scope_count, "charge.record_scopes")?;
    for (index, scope) in scopes.iter().enumerate() {
        if scope.ptr.is_null() && scope.len != 0 {
            return Err(input(scope.ptr, scope.len, &format!("charge.record_scopes[{index}].ptr")).unwrap_err());
        }
        if let Err(error) = std::str::from_utf8(scope_bytes(scope)) {
            let message = format!(
                "request: input is not UTF-8 (token_record.scopes[{index}]: invalid byte at offset {})",
                error.valid_up_to()
            );
            return Err(Error::new(Status::InvalidUtf8, None, message).at(""));
        }
    }
    // SAFETY: every scope was found above to be a readable UTF-8 string.
    let names = scopes.iter().map(|scope| std::str::from_utf8_unchecked(scope_bytes(scope)));
    Ok(ScopeSet::from_name_iter(names))
}

/// A scope's bytes, once its pointer is known not to be NULL with a
/// length (NULL with 0 is the empty string).
unsafe fn scope_bytes(scope: &ctp_input) -> &[u8] {
    if scope.ptr.is_null() {
        return &[];
    }
    std::slice::from_raw_parts(scope.ptr, scope.len)
}

/// Reads a `ctp_typed_charge`. Only faults of the call itself are found
/// here (`CTP_INVALID_ARGUMENT`), and scope strings that are not UTF-8;
/// everything about the values is judged by the core.
unsafe fn read_typed_charge(charge: &ctp_typed_charge) -> Result<Charge<'_>, Error> {
    let flags = charge.flags;
    if flags & !KNOWN_FLAGS != 0 {
        let message = format!("charge.flags has unknown bits 0x{:x}", flags & !KNOWN_FLAGS);
        return Err(Error::new(Status::InvalidArgument, None, message));
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
    let currency = input(charge.currency, charge.currency_len, "charge.currency")?;
    let state = match charge.record_state {
        CTP_RECORD_NONE => None,
        CTP_RECORD_ACTIVE => Some(TokenState::Active),
        CTP_RECORD_REVOKED => Some(TokenState::Revoked),
        other => {
            let message = format!("charge.record_state {other} is not a CTP_RECORD_* value");
            return Err(Error::new(Status::InvalidArgument, None, message));
        }
    };
    let record = match state {
        None => None,
        Some(state) => Some(StoredRecord {
            customer_token: input(charge.record_token, charge.record_token_len, "charge.record_token")?,
            state,
            scopes: read_scopes(charge)?,
            last_used_at_ms: has(CTP_CHARGE_HAS_LAST_USED_AT).then_some(charge.last_used_at_ms),
            attempts_ms: match has(CTP_CHARGE_HAS_ATTEMPTS) {
                true => {
                    Some(items(charge.record_attempts_ms, charge.record_attempt_count, "charge.record_attempts_ms")?)
                }
                false => None,
            },
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

/// The typed path, deciding exactly as `ctp_check_json` decides the
/// equivalent request (docs/ABI.md writes it out).
///
/// - `engine`: from `ctp_engine_new`; shareable between threads.
/// - `charge`: must not be NULL; its pointers are only read during the call.
/// - `out`: must not be NULL; receives the verdict on `CTP_OK`.
/// - `error`: may be NULL; receives, on failure, the error object the JSON
///   path gives for the equivalent request (for `CTP_INVALID_UTF8` the
///   message names the field instead of a byte offset of a JSON text).
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
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let engine = shared(engine, "engine")?;
        let charge = charge.as_ref().ok_or_else(|| Error::new(Status::InvalidArgument, None, "charge is NULL"))?;
        let out = Out::required(out, "out")?;
        let want_fingerprint = charge.flags & CTP_CHARGE_WANT_FINGERPRINT != 0;
        let verdict = engine.engine.decide_charge(&read_typed_charge(charge)?, want_fingerprint)?;
        out.write(verdict_for_c(&verdict));
        Ok(())
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

    #[test]
    fn known_flags_are_every_flag_constant() {
        let every = [
            CTP_CHARGE_CUSTOMER_PRESENT,
            CTP_CHARGE_HAS_TOKEN,
            CTP_CHARGE_HAS_IDEMPOTENCY_KEY,
            CTP_CHARGE_STEP_UP,
            CTP_CHARGE_HAS_NOW,
            CTP_CHARGE_HAS_LAST_USED_AT,
            CTP_CHARGE_HAS_ATTEMPTS_24H,
            CTP_CHARGE_HAS_ATTEMPTS_30D,
            CTP_CHARGE_WANT_FINGERPRINT,
            CTP_CHARGE_HAS_CALLER,
            CTP_CHARGE_HAS_ATTEMPTS,
        ];
        assert_eq!(every.iter().fold(0, |bits, bit| bits | bit), KNOWN_FLAGS);
    }
}
