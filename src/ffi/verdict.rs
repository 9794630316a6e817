//! `ctp_check_json_verdict`: the JSON path answering with a `ctp_verdict`,
//! so a caller that needs only ALLOW/DENY and the rule ids neither parses
//! the decision JSON nor pays for writing it.

use super::fast::verdict_for_c;
use super::{ctp_buf, ctp_engine, ctp_verdict, deliver, guard, input, invalid_argument, null_with_length};
use super::{CTP_OK, CTP_PANIC};

/// The pre-flight check of `ctp_check_json`, answered as a `ctp_verdict`.
///
/// - `engine`: from `ctp_engine_new`; may be shared by many threads at once.
/// - `request_json`/`len`: the pre-flight request (docs/RULES.md, "The request").
/// - `verdict`: must not be NULL; written only on `CTP_OK`: `allowed`, the
///   violation and warning ids (ascending) and, for a well-formed token,
///   its raw SHA-256 (`has_fingerprint` = 1).
/// - `decision_json`: may be NULL (then no decision JSON is written at
///   all). When not NULL it receives on `CTP_OK` the decision JSON,
///   byte for byte what `ctp_check_json` gives; untouched otherwise.
/// - `error_json`: may be NULL. When not NULL it receives on any other
///   status the error object `ctp_check_json` gives; untouched on `CTP_OK`.
///   It may be the same buffer as `decision_json`: exactly one is written.
///
/// Release what was written with `ctp_buf_free`. Returns the statuses of
/// `ctp_check_json`: `CTP_OK` (ALLOW or DENY), `CTP_INVALID_ARGUMENT`,
/// `CTP_INVALID_UTF8`, `CTP_INVALID_REQUEST` or `CTP_PANIC`.
#[no_mangle]
pub unsafe extern "C" fn ctp_check_json_verdict(
    engine: *const ctp_engine,
    request_json: *const u8,
    len: usize,
    verdict: *mut ctp_verdict,
    decision_json: *mut ctp_buf,
    error_json: *mut ctp_buf,
) -> u32 {
    guard(CTP_PANIC, || {
        let mut decision = String::new();
        let result = (|| {
            let engine = engine.as_ref().ok_or_else(|| invalid_argument("engine"))?;
            if verdict.is_null() {
                return Err(invalid_argument("verdict"));
            }
            let request = input(request_json, len).map_err(|_| null_with_length("request_json"))?;
            let want_decision = (!decision_json.is_null()).then_some(&mut decision);
            engine.engine.check_json_verdict(request, want_decision)
        })();
        match result {
            Ok(answer) => {
                verdict.write(verdict_for_c(&answer));
                if !decision_json.is_null() {
                    deliver(decision_json, Ok(decision));
                }
                CTP_OK
            }
            Err(error) => deliver(error_json, Err(error)),
        }
    })
}
