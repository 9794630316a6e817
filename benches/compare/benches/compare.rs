//! ctpolicy's JSON path beside Cedar and regorus, same rules, same JSON text
//! (issue 7). Every engine parses the request text inside the timed loop.
//!
//! `cargo bench --manifest-path benches/compare/Cargo.toml` runs it and
//! prints the medians at the end; `cargo run --release --bin report` runs it
//! with a fixed measurement time and writes results.json.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::Criterion;

use ctpolicy_compare::{
    check_all_engines, regorus_decide, regorus_engine, CedarEngine, CtpFfi, RENEWAL, STRICT_POLICY,
};

/// The group under which criterion stores every result.
const GROUP: &str = "compare";

/// The bench ids, in the order they are printed.
pub const DECIDE: &[&str] = &[
    "ctpolicy_ctp_check_json",
    "ctpolicy_check_json",
    "ctpolicy_ctp_check_json_strict_policy",
    "cedar_is_authorized",
    "regorus_eval_rule",
];
pub const PARSE_ONLY: &[&str] = &["parse_only_ctpolicy", "parse_only_cedar_context", "parse_only_regorus_value"];

fn benches(c: &mut Criterion) {
    // Every engine must answer every case right before anything is timed.
    check_all_engines("{}");
    check_all_engines(STRICT_POLICY);

    let ffi = CtpFfi::new("{}");
    let ffi_strict = CtpFfi::new(STRICT_POLICY);
    let rust = ctpolicy::Engine::from_policy_json(b"{}").unwrap();
    let cedar = CedarEngine::new();
    let mut rego = regorus_engine();
    // The timed paths, checked once more on the exact code they run.
    assert_eq!(ffi.check_status(RENEWAL), ctpolicy::ffi::CTP_OK);
    assert!(rust.check_json(RENEWAL.as_bytes()).unwrap().allowed());
    assert_eq!(cedar.response(RENEWAL).decision(), cedar_policy::Decision::Allow);
    assert_eq!(regorus_decide(&mut rego, RENEWAL)["allow"], regorus::Value::from(true));

    let mut g = c.benchmark_group(GROUP);
    g.bench_function(DECIDE[0], |b| b.iter(|| ffi.check_status(black_box(RENEWAL))));
    g.bench_function(DECIDE[1], |b| b.iter(|| rust.check_json(black_box(RENEWAL.as_bytes())).unwrap()));
    g.bench_function(DECIDE[2], |b| b.iter(|| ffi_strict.check_status(black_box(RENEWAL))));
    g.bench_function(DECIDE[3], |b| b.iter(|| cedar.response(black_box(RENEWAL)).decision()));
    g.bench_function(DECIDE[4], |b| b.iter(|| regorus_decide(&mut rego, black_box(RENEWAL))));

    // Where the time goes: the JSON reading alone, per engine.
    g.bench_function(PARSE_ONLY[0], |b| b.iter(|| ctpolicy::json::parse(black_box(RENEWAL.as_bytes())).unwrap()));
    g.bench_function(PARSE_ONLY[1], |b| {
        b.iter(|| cedar_policy::Context::from_json_str(black_box(RENEWAL), None).unwrap())
    });
    g.bench_function(PARSE_ONLY[2], |b| b.iter(|| regorus::Value::from_json_str(black_box(RENEWAL)).unwrap()));
    g.finish();
}

/// Where criterion writes its estimates (its own rule: $CRITERION_HOME,
/// else $CARGO_TARGET_DIR/criterion, else this project's target/criterion).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("criterion")
}

fn median_ns(id: &str) -> Option<f64> {
    let path = criterion_dir().join(GROUP).join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn print_medians() {
    let base = median_ns(DECIDE[0]);
    println!("\nmedians (ns per request, the ~600-byte RENEWAL JSON text):");
    for id in DECIDE.iter().chain(PARSE_ONLY) {
        match median_ns(id) {
            Some(ns) => {
                let ratio = base.map(|b| format!("  ({:.1}x ctp_check_json)", ns / b)).unwrap_or_default();
                println!("  {id:<40} {ns:>10.0}{ratio}");
            }
            None => println!("  {id:<40} {:>10}", "not run"),
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    // `cargo test --benches` runs the bench in test mode: no estimates then.
    if std::env::args().any(|a| a == "--bench") {
        print_medians();
    }
}
