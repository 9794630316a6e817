//! Every limit of the contract, tested on both sides of its edge.

use serde_json::{json, Value};

use ctpolicy::Engine;

const TOKEN: &str = "krn:customer-token:eu1:a1b2c3d4";

fn renewal() -> Value {
    json!({
        "customer_present": false,
        "headers": {"Klarna-Customer-Token": TOKEN, "Klarna-Idempotency-Key": "k-1"},
        "token_record": {"customer_token": TOKEN, "scopes": ["payment:customer_not_present"], "state": "ACTIVE"},
        "body": {"currency": "EUR", "request_payment_transaction": {"amount": 1000, "payment_transaction_reference": "r-1"}}
    })
}

fn answer(engine: &Engine, request: &[u8]) -> Value {
    match engine.check_json(request) {
        Ok(decision) => serde_json::from_str(&engine.decision_json(&decision)).unwrap(),
        Err(error) => serde_json::from_str(&error.to_json()).unwrap(),
    }
}

fn codes(answer: &Value) -> Vec<String> {
    answer["violations"]
        .as_array()
        .map_or_else(Vec::new, |v| v.iter().map(|f| f["code"].as_str().unwrap().to_owned()).collect())
}

fn with(path: &[&str], value: Value) -> Vec<u8> {
    let mut request = renewal();
    let mut slot = &mut request;
    for key in path {
        slot = &mut slot[*key];
    }
    *slot = value;
    request.to_string().into_bytes()
}

#[test]
fn input_size_limit_is_one_mebibyte() {
    let engine = Engine::default();
    let base = renewal().to_string();
    let padded = |total: usize| format!("{base}{}", " ".repeat(total - base.len()));
    assert_eq!(answer(&engine, padded(1_048_576).as_bytes())["decision"], "ALLOW");
    assert_eq!(answer(&engine, padded(1_048_577).as_bytes())["error"]["code"], "TOO_LARGE");
}

#[test]
fn nesting_limit_is_sixty_four_levels() {
    let engine = Engine::default();
    // body is level 2, "deep" level 3: 61 more arrays reach level 64.
    let nested = |arrays: usize| {
        let text = format!("{}{}", "[".repeat(arrays), "]".repeat(arrays));
        let mut request = renewal().to_string();
        request.insert_str(request.rfind('}').unwrap() - 1, &format!(",\"deep\":{text}"));
        request
    };
    assert_eq!(answer(&engine, nested(62).as_bytes())["decision"], "ALLOW");
    let too_deep = answer(&engine, nested(63).as_bytes());
    assert_eq!(too_deep["error"]["code"], "TOO_DEEP", "{too_deep}");
}

#[test]
fn token_limit_is_1024_bytes() {
    let engine = Engine::default();
    for (length, expected) in [(1024, None), (1025, Some("TOO_LONG"))] {
        let token = format!("krn:customer-token:eu1:{}", "a".repeat(length - 23));
        assert_eq!(token.len(), length);
        let mut request = renewal();
        request["headers"]["Klarna-Customer-Token"] = json!(token);
        request["token_record"]["customer_token"] = json!(token);
        let decided = answer(&engine, request.to_string().as_bytes());
        let detail = decided["violations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["code"] == "TOKEN_MALFORMED")
            .map(|v| v["detail"].clone());
        // At 1024 bytes the id is 1001 characters: over the 255 of BAD_ID.
        assert_eq!(detail, Some(json!(expected.unwrap_or("BAD_ID"))), "{length}");
    }
}

#[test]
fn references_count_characters_not_bytes() {
    let engine = Engine::default();
    let ok = "é".repeat(255);
    let long = "é".repeat(256);
    let path = ["body", "request_payment_transaction", "payment_transaction_reference"];
    assert_eq!(codes(&answer(&engine, &with(&path, json!(ok)))), Vec::<String>::new());
    assert_eq!(codes(&answer(&engine, &with(&path, json!(long)))), ["TRANSACTION_REFERENCE_INVALID"]);
    assert_eq!(answer(&engine, &with(&["decision_id"], json!("😀".repeat(255))))["decision"], "ALLOW");
    assert_eq!(answer(&engine, &with(&["decision_id"], json!("😀".repeat(256))))["error"]["path"], "/decision_id");
    let record_ref = ["token_record", "customer_token_reference"];
    assert_eq!(codes(&answer(&engine, &with(&record_ref, json!("ß".repeat(255))))), Vec::<String>::new());
    let over = answer(&engine, &with(&record_ref, json!("ß".repeat(256))));
    assert_eq!(over["violations"][0]["detail"], "FIELD");
}

#[test]
fn amounts_at_and_beyond_every_integer_edge() {
    let engine =
        Engine::from_policy_json(br#"{"max_amount":{"payment:customer_not_present":{"EUR":9223372036854775807}}}"#)
            .unwrap();
    let amount = |literal: &str| {
        let request = renewal().to_string().replace("\"amount\":1000", &format!("\"amount\":{literal}"));
        codes(&answer(&engine, request.as_bytes()))
    };
    assert!(amount("2147483647").is_empty());
    for literal in
        ["2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "0", "1e3", "1000.0", "-0"]
    {
        assert_eq!(amount(literal), ["AMOUNT_INVALID"], "{literal}");
    }
}

#[test]
fn counters_and_caps_at_the_far_end_do_not_overflow() {
    // A cap is 1 to 100 (a record keeps at most 100 attempts); beyond is a load error.
    for cap in ["0", "101", "9223372036854775807"] {
        let policy = format!(r#"{{"max_attempts":{{"per_24h":{cap}}}}}"#);
        let error = Engine::from_policy_json(policy.as_bytes()).unwrap_err();
        assert_eq!(
            (error.code, error.path.as_deref()),
            (Some(ctpolicy::Code::InvalidValue), Some("/max_attempts/per_24h")),
            "{cap}"
        );
    }
    let engine = Engine::from_policy_json(br#"{"max_attempts":{"per_24h":100,"per_30d":1}}"#).unwrap();
    let request = with(&["counters"], json!({"attempts_24h": 9_223_372_036_854_775_807i64, "attempts_30d": 0}));
    assert_eq!(codes(&answer(&engine, &request)), ["ATTEMPT_LIMIT_EXCEEDED"]);
    let beyond = renewal().to_string().replacen(
        '{',
        "{\"counters\":{\"attempts_24h\":9223372036854775808,\"attempts_30d\":0},",
        1,
    );
    assert_eq!(answer(&engine, beyond.as_bytes())["error"]["code"], "WRONG_TYPE");
    assert_eq!(
        answer(&engine, &with(&["counters"], json!({"attempts_24h": -1, "attempts_30d": 0})))["error"]["code"],
        "INVALID_VALUE"
    );
}

#[test]
fn timestamps_at_the_far_ends_of_rfc3339() {
    let engine = Engine::from_policy_json(br#"{"min_charge_interval_seconds":9223372036854775807}"#).unwrap();
    let request = |now: &str, last: &str| {
        let mut request = renewal();
        request["now"] = json!(now);
        request["token_record"]["last_used_at"] = json!(last);
        codes(&answer(&engine, request.to_string().as_bytes()))
    };
    let first = "0001-01-01T00:00:00+23:59";
    let last = "9999-12-31T23:59:59.999999999999-23:59";
    assert_eq!(request(last, first), ["CHARGE_TOO_SOON"], "the interval is longer than all of time");
    assert_eq!(request(first, last), ["CHARGE_TOO_SOON"], "now before last use is too soon");
    let short = Engine::from_policy_json(br#"{"min_charge_interval_seconds":1}"#).unwrap();
    let mut ok = renewal();
    ok["now"] = json!(last);
    ok["token_record"]["last_used_at"] = json!(first);
    assert!(codes(&answer(&short, ok.to_string().as_bytes())).is_empty());
    for bad in ["0000-12-31T23:59:59Z", "10000-01-01T00:00:00Z", "9999-12-31T23:59:60Z"] {
        assert_eq!(answer(&engine, &with(&["now"], json!(bad)))["error"]["code"], "INVALID_VALUE", "{bad}");
    }
}
