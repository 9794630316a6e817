//! Runs every shared vector in tests/vectors/ through the Rust library.
//! The C, Python, Go and Java suites read the same files.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Value};

use ctpolicy::{apply_event, apply_response, Engine, Policy};

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases(file: &Value) -> &Vec<Value> {
    file["cases"].as_array().expect("a cases array")
}

/// The exact input bytes of a case: `<field>`, `<field>_text` or `<field>_base64`.
fn input(case: &Value, field: &str) -> Option<Vec<u8>> {
    if let Some(text) = case.get(format!("{field}_text")).and_then(Value::as_str) {
        return Some(text.as_bytes().to_vec());
    }
    if let Some(encoded) = case.get(format!("{field}_base64")).and_then(Value::as_str) {
        return Some(base64::engine::general_purpose::STANDARD.decode(encoded).expect("valid base64"));
    }
    case.get(field).map(|value| serde_json::to_vec(value).expect("serializable"))
}

/// Compares an engine answer (decision or error, as JSON) with an expectation
/// as docs/VECTORS.md defines it; returns what differs.
fn compare(expect: &Value, actual: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(expected_error) = expect.get("error") {
        let Some(error) = actual.get("error") else {
            return vec![format!("expected an error, got {actual}")];
        };
        for key in ["status", "code", "detail", "path"] {
            if let Some(want) = expected_error.get(key) {
                if error.get(key) != Some(want) {
                    problems.push(format!("error.{key}: want {want}, got {:?}", error.get(key)));
                }
            }
        }
        return problems;
    }
    if actual.get("error").is_some() {
        return vec![format!("expected a decision, got {actual}")];
    }
    for key in ["decision", "required_scope", "token"] {
        if let Some(want) = expect.get(key) {
            if actual.get(key) != Some(want) {
                problems.push(format!("{key}: want {want}, got {:?}", actual.get(key)));
            }
        }
    }
    if let Some(want) = expect.get("decision_id") {
        if actual["receipt"].get("decision_id") != Some(want) {
            problems.push(format!("decision_id: want {want}, got {}", actual["receipt"]["decision_id"]));
        }
    }
    for list in ["violations", "warnings"] {
        let Some(wanted) = expect.get(list).and_then(Value::as_array) else {
            continue;
        };
        let got = actual[list].as_array().cloned().unwrap_or_default();
        let codes =
            |items: &[Value]| items.iter().map(|v| v["code"].as_str().unwrap_or("?").to_owned()).collect::<Vec<_>>();
        if codes(wanted) != codes(&got) {
            problems.push(format!("{list}: want {:?}, got {:?}", codes(wanted), codes(&got)));
            continue;
        }
        for (want, have) in wanted.iter().zip(&got) {
            for key in ["id", "severity", "path", "detail"] {
                if let Some(w) = want.get(key) {
                    if have.get(key) != Some(w) {
                        problems.push(format!("{list} {}: {key} want {w}, got {:?}", want["code"], have.get(key)));
                    }
                }
            }
        }
    }
    problems
}

fn report(kind: &str, failures: &[String], total: usize) {
    for failure in failures {
        eprintln!("FAIL {failure}");
    }
    println!("{kind} vectors: {} passed, {} failed", total - failures.len(), failures.len());
    assert!(failures.is_empty(), "{} of {total} {kind} vectors failed", failures.len());
    assert!(total > 0, "no {kind} vectors ran");
}

#[test]
fn check_vectors() {
    let file = load("check.json");
    let mut engines: HashMap<String, Engine> = HashMap::new();
    for (name, policy) in file["policies"].as_object().expect("a policies map") {
        let engine = Engine::from_policy_json(&serde_json::to_vec(policy).unwrap())
            .unwrap_or_else(|e| panic!("policy {name} must load: {e}"));
        engines.insert(name.clone(), engine);
    }
    let mut failures = Vec::new();
    for case in cases(&file) {
        let name = case["name"].as_str().expect("a name");
        let policy = case.get("policy").and_then(Value::as_str).unwrap_or("default");
        let engine = engines.get(policy).unwrap_or_else(|| panic!("{name}: no policy {policy}"));
        let request = input(case, "request").unwrap_or_else(|| panic!("{name}: no request"));
        let actual: Value = match engine.check_json(&request) {
            Ok(decision) => serde_json::from_str(&engine.decision_json(&decision)).expect("decision JSON parses"),
            Err(error) => serde_json::from_str(&error.to_json()).expect("error JSON parses"),
        };
        let problems = compare(&case["expect"], &actual);
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    report("check", &failures, cases(&file).len());
}

#[test]
fn token_vectors() {
    let file = load("tokens.json");
    let mut failures = Vec::new();
    for case in cases(&file) {
        let name = case["name"].as_str().expect("a name");
        let token = case["token"].as_str().expect("a token string");
        let actual: Value = match ctpolicy::token::parse_token_json(token.as_bytes()) {
            Ok(info) => serde_json::from_str(&info).unwrap(),
            Err(error) => serde_json::from_str(&error.to_json()).unwrap(),
        };
        let expect = &case["expect"];
        let problems = if expect.get("error").is_some() {
            compare(expect, &actual)
        } else if &actual != expect {
            vec![format!("want {expect}, got {actual}")]
        } else {
            vec![]
        };
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    report("token", &failures, cases(&file).len());
}

#[test]
fn lifecycle_vectors() {
    let file = load("lifecycle.json");
    let mut failures = Vec::new();
    for case in cases(&file) {
        let name = case["name"].as_str().expect("a name");
        let record = input(case, "record").filter(|bytes| bytes != b"null");
        let event = input(case, "event").unwrap_or_else(|| panic!("{name}: no event"));
        let actual: Value = match apply_event(record.as_deref(), &event) {
            Ok(transition) => serde_json::from_str(transition.json()).unwrap(),
            Err(error) => serde_json::from_str(&error.to_json()).unwrap(),
        };
        let expect = &case["expect"];
        let problems = if expect.get("error").is_some() {
            compare(expect, &actual)
        } else if actual != json!({"record": expect["record"], "changed": expect["changed"]}) {
            vec![format!("want {expect}, got {actual}")]
        } else {
            vec![]
        };
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    report("lifecycle", &failures, cases(&file).len());
}

/// An error expectation compared as docs/VECTORS.md says; any other
/// expectation must equal the answer as a whole.
fn whole_or_error(expect: &Value, actual: &Value) -> Vec<String> {
    if expect.get("error").is_some() {
        compare(expect, actual)
    } else if actual != expect {
        vec![format!("want {expect}, got {actual}")]
    } else {
        vec![]
    }
}

#[test]
fn response_vectors() {
    let file = load("responses.json");
    let mut failures = Vec::new();
    for case in cases(&file) {
        let name = case["name"].as_str().expect("a name");
        let record = input(case, "record").filter(|bytes| bytes != b"null");
        let request = input(case, "request").unwrap_or_else(|| panic!("{name}: no request"));
        let response = input(case, "response").unwrap_or_else(|| panic!("{name}: no response"));
        let at = case["at"].as_str().unwrap_or_else(|| panic!("{name}: no at"));
        let actual: Value = match apply_response(record.as_deref(), &request, &response, at) {
            Ok(transition) => serde_json::from_str(transition.json()).unwrap(),
            Err(error) => serde_json::from_str(&error.to_json()).unwrap(),
        };
        let problems = whole_or_error(&case["expect"], &actual);
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    report("response", &failures, cases(&file).len());
}

#[test]
fn policy_vectors() {
    let file = load("policies.json");
    let mut failures = Vec::new();
    for case in cases(&file) {
        let name = case["name"].as_str().expect("a name");
        let policy = input(case, "policy").unwrap_or_else(|| panic!("{name}: no policy"));
        let actual: Value = match Policy::from_json(&policy) {
            Ok(policy) => json!({"digest": policy.digest()}),
            Err(error) => serde_json::from_str(&error.to_json()).unwrap(),
        };
        let problems = whole_or_error(&case["expect"], &actual);
        if !problems.is_empty() {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    report("policy", &failures, cases(&file).len());
}
