// Requests shared by the benchmarks: a typical 600-byte subscription renewal
// (a token charge with its stored record, counters and the time of the charge).
pub const RENEWAL: &str = r#"{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890","Klarna-Idempotency-Key":"renewal-2026-11-sub-000042"},"token_record":{"customer_token":"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-15T09:30:00Z","last_used_at":"2026-10-25T10:00:00Z"},"now":"2026-11-25T10:00:00Z","counters":{"attempts_24h":0,"attempts_30d":1},"body":{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub-42-2026-11"}}}"#;

pub const STRICT_POLICY: &str = r#"{"version":1,"allowed_regions":["eu1"],"allowed_currencies":["EUR","SEK"],"max_amount":{"payment:customer_not_present":{"EUR":50000}},"min_charge_interval_seconds":86400,"max_attempts":{"per_24h":10,"per_30d":35},"require_token_reference":true}"#;

// The same renewal without `counters`: its record keeps 35 attempts over the
// last 60 days, which rule 804 counts itself (17 fall in the 30-day window).
#[allow(dead_code)] // only the ABI bench compares the two
pub const RENEWAL_ATTEMPTS: &str = r#"{"customer_present":false,"headers":{"Klarna-Customer-Token":"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890","Klarna-Idempotency-Key":"renewal-2026-11-sub-000042"},"token_record":{"customer_token":"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-15T09:30:00Z","last_used_at":"2026-10-25T10:00:00Z","attempts":["2026-09-28T05:00:00Z","2026-09-29T22:00:00Z","2026-10-01T15:00:00Z","2026-10-03T08:00:00Z","2026-10-05T01:00:00Z","2026-10-06T18:00:00Z","2026-10-08T11:00:00Z","2026-10-10T04:00:00Z","2026-10-11T21:00:00Z","2026-10-13T14:00:00Z","2026-10-15T07:00:00Z","2026-10-17T00:00:00Z","2026-10-18T17:00:00Z","2026-10-20T10:00:00Z","2026-10-22T03:00:00Z","2026-10-23T20:00:00Z","2026-10-25T13:00:00Z","2026-10-27T06:00:00Z","2026-10-28T23:00:00Z","2026-10-30T16:00:00Z","2026-11-01T09:00:00Z","2026-11-03T02:00:00Z","2026-11-04T19:00:00Z","2026-11-06T12:00:00Z","2026-11-08T05:00:00Z","2026-11-09T22:00:00Z","2026-11-11T15:00:00Z","2026-11-13T08:00:00Z","2026-11-15T01:00:00Z","2026-11-16T18:00:00Z","2026-11-18T11:00:00Z","2026-11-20T04:00:00Z","2026-11-21T21:00:00Z","2026-11-23T14:00:00Z","2026-11-25T07:00:00Z"]},"now":"2026-11-25T10:00:00Z","body":{"currency":"EUR","request_payment_transaction":{"amount":1299,"payment_transaction_reference":"sub-42-2026-11"}}}"#;

/// The renewal's token, key and instants, as the typed charges below carry them.
pub const RENEWAL_TOKEN: &[u8] = b"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";
const RENEWAL_KEY: &[u8] = b"renewal-2026-11-sub-000042";
const RENEWAL_SCOPE: &[u8] = b"payment:customer_not_present";
const RENEWAL_NOW_MS: i64 = 1_764_064_800_000;
const RENEWAL_LAST_USED_AT_MS: i64 = 1_761_386_400_000;

/// The renewal as the engine's typed charge (the same facts as [`RENEWAL`]).
#[allow(dead_code)] // the ABI bench uses only the C form
pub fn renewal_charge() -> ctpolicy::Charge<'static> {
    ctpolicy::Charge {
        customer_present: false,
        token: Some(RENEWAL_TOKEN),
        idempotency_key: Some(RENEWAL_KEY),
        step_up: false,
        amount: 1299,
        currency: b"EUR",
        record: Some(ctpolicy::StoredRecord {
            customer_token: RENEWAL_TOKEN,
            state: ctpolicy::TokenState::Active,
            scopes: ctpolicy::ScopeSet(ctpolicy::ScopeSet::CUSTOMER_NOT_PRESENT),
            last_used_at_ms: Some(RENEWAL_LAST_USED_AT_MS),
            attempts_ms: None,
        }),
        now_ms: Some(RENEWAL_NOW_MS),
        attempts_24h: Some(0),
        attempts_30d: Some(1),
        caller: None,
    }
}

/// The record's one scope, for `ctp_typed_charge.record_scopes`.
pub fn renewal_scopes() -> [ctpolicy::ffi::ctp_input; 1] {
    [ctpolicy::ffi::ctp_input { ptr: RENEWAL_SCOPE.as_ptr(), len: RENEWAL_SCOPE.len() }]
}

/// `count` copies of the renewal as `ctp_check_many`'s inputs, and as many
/// empty result slots for it to fill.
#[allow(dead_code)] // the batch benches only
pub fn renewal_many(count: usize) -> (Vec<ctpolicy::ffi::ctp_input>, Vec<ctpolicy::ffi::ctp_result>) {
    use ctpolicy::ffi;
    let inputs = (0..count).map(|_| ffi::ctp_input { ptr: RENEWAL.as_ptr(), len: RENEWAL.len() }).collect();
    let empty = || ffi::ctp_buf { ptr: std::ptr::null_mut(), len: 0 };
    let results = (0..count).map(|_| ffi::ctp_result { status: 0, allowed: 0, json: empty() }).collect();
    (inputs, results)
}

/// `count` empty places for `ctp_check_many_into` to fill.
#[allow(dead_code)] // the batch benches only
pub fn renewal_places(count: usize) -> Vec<ctpolicy::ffi::ctp_placed_result> {
    (0..count).map(|_| ctpolicy::ffi::ctp_placed_result { status: 0, allowed: 0, offset: 0, len: 0 }).collect()
}

/// The renewal as the C ABI's typed charge (the same facts as [`RENEWAL`]),
/// its record's scopes in `scopes` (from [`renewal_scopes`], which must
/// outlive the charge).
pub fn renewal_typed_charge(scopes: &[ctpolicy::ffi::ctp_input]) -> ctpolicy::ffi::ctp_typed_charge {
    use ctpolicy::ffi;
    ffi::ctp_typed_charge {
        token: RENEWAL_TOKEN.as_ptr(),
        token_len: RENEWAL_TOKEN.len(),
        record_token: RENEWAL_TOKEN.as_ptr(),
        record_token_len: RENEWAL_TOKEN.len(),
        idempotency_key: RENEWAL_KEY.as_ptr(),
        idempotency_key_len: RENEWAL_KEY.len(),
        currency: b"EUR".as_ptr(),
        currency_len: 3,
        record_scopes: scopes.as_ptr(),
        record_scope_count: scopes.len(),
        flags: ffi::CTP_CHARGE_HAS_TOKEN
            | ffi::CTP_CHARGE_HAS_IDEMPOTENCY_KEY
            | ffi::CTP_CHARGE_HAS_NOW
            | ffi::CTP_CHARGE_HAS_LAST_USED_AT
            | ffi::CTP_CHARGE_HAS_ATTEMPTS_24H
            | ffi::CTP_CHARGE_HAS_ATTEMPTS_30D,
        record_state: ffi::CTP_RECORD_ACTIVE,
        amount: 1299,
        now_ms: RENEWAL_NOW_MS,
        last_used_at_ms: RENEWAL_LAST_USED_AT_MS,
        attempts_24h: 0,
        attempts_30d: 1,
        caller: std::ptr::null(),
        caller_len: 0,
        record_attempts_ms: std::ptr::null(),
        record_attempt_count: 0,
    }
}
