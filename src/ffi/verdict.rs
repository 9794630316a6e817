//! `ctp_check_json_verdict`: the JSON path answering with a `ctp_verdict`,
//! so a caller that needs only ALLOW/DENY and the rule ids neither parses
//! the decision JSON nor pays for writing it.

use super::{boundary, ctp_buf, ctp_engine, ctp_verdict, input, shared, verdict_for_c, Out};

/// The pre-flight check of `ctp_check_json`, answered as a `ctp_verdict`.
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `request`/`request_len`: the pre-flight request (docs/RULES.md, "The request").
/// - `out`: must not be NULL; receives the verdict on `CTP_OK`: `allowed`,
///   the violation and warning ids (ascending) and, for a well-formed
///   token, its raw SHA-256 (`has_fingerprint` = 1).
/// - `decision`: may be NULL (then no decision JSON is written at all).
///   When not NULL it receives on `CTP_OK` the decision JSON, byte for byte
///   what `ctp_check_json` gives.
/// - `error`: may be NULL; receives on failure the error object
///   `ctp_check_json` gives. It may be the same buffer as `decision`:
///   exactly one is written.
///
/// Release what was written with `ctp_buf_free`. Returns the statuses of
/// `ctp_check_json`: `CTP_OK` (ALLOW or DENY), `CTP_INVALID_ARGUMENT`,
/// `CTP_INVALID_UTF8`, `CTP_INVALID_REQUEST` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_json_verdict(
    engine: *const ctp_engine,
    request: *const u8,
    request_len: usize,
    out: *mut ctp_verdict,
    decision: *mut ctp_buf,
    error: *mut ctp_buf,
) -> u32 {
    boundary(error, || {
        let engine = shared(engine, "engine")?;
        let out = Out::required(out, "out")?;
        let request = input(request, request_len, "request")?;
        let decision = Out::optional(decision);
        let mut decision_json = String::new();
        let verdict = engine.engine.check_json_verdict(request, decision.is_some().then_some(&mut decision_json))?;
        out.write(verdict_for_c(&verdict));
        if let Some(decision) = decision {
            decision.give(decision_json.into_bytes());
        }
        Ok(())
    })
}
