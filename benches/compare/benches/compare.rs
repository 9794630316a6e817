//! ctpolicy's JSON path beside Cedar and regorus, same rules, same JSON text
//! Every engine parses the request text inside the timed loop.
//!
//! `cargo bench --manifest-path benches/compare/Cargo.toml` runs it and
//! prints the medians at the end; `cargo run --release --bin report` runs it
//! with a fixed measurement time and writes results.json.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::Criterion;

use ctpolicy_compare::{
    check_all_engines, check_lean_cedar, four_requests, regorus_decide, regorus_engine, CedarEngine, CtpFfi, LeanCedar,
    RENEWAL, STRICT_POLICY,
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
pub const EVAL_ONLY: &[&str] = &["eval_only_ctpolicy", "eval_only_cedar", "eval_only_regorus"];
/// One iteration decides the four requests of `four_requests()` in turn;
/// the results give the time per request (the median over four).
pub const FOUR_REQUESTS: &[&str] = &["ctpolicy_ctp_check_json_four_requests", "cedar_lean_is_authorized_four_requests"];

fn benches(c: &mut Criterion) {
    // Every engine must answer every case right before anything is timed.
    check_all_engines("{}");
    check_all_engines(STRICT_POLICY);
    check_lean_cedar("{}");

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

    // The lean comparison: the same four requests through ctp_check_json
    // and through a Cedar setup that builds only what its five policies read.
    let four: Vec<String> = four_requests().into_iter().map(|case| case.request).collect();
    let lean = LeanCedar::new();
    g.bench_function(FOUR_REQUESTS[0], |b| {
        b.iter(|| four.iter().map(|request| ffi.check_status(black_box(request))).fold(0, |all, s| all | s))
    });
    g.bench_function(FOUR_REQUESTS[1], |b| {
        b.iter(|| {
            four.iter()
                .map(|request| {
                    lean.response(black_box(request)).expect("decided").decision() == cedar_policy::Decision::Allow
                })
                .filter(|allowed| *allowed)
                .count()
        })
    });

    // Where the time goes: the JSON reading alone, per engine.
    g.bench_function(PARSE_ONLY[0], |b| {
        b.iter(|| ctpolicy::internals::with_arena(|arena| ctpolicy::internals::parse(black_box(RENEWAL.as_bytes()), arena).is_ok()))
    });
    g.bench_function(PARSE_ONLY[1], |b| {
        b.iter(|| cedar_policy::Context::from_json_str(black_box(RENEWAL), None).unwrap())
    });
    g.bench_function(PARSE_ONLY[2], |b| b.iter(|| regorus::Value::from_json_str(black_box(RENEWAL)).unwrap()));

    // And the deciding alone, on input parsed once outside the loop.
    let arena = ctpolicy::internals::Arena::new();
    let root = ctpolicy::internals::parse_json(RENEWAL.as_bytes(), &arena).unwrap();
    let parsed = ctpolicy::internals::from_value(&root, &arena).unwrap();
    g.bench_function(EVAL_ONLY[0], |b| b.iter(|| rust.check(black_box(&parsed)).unwrap()));
    let context = cedar_policy::Context::from_json_str(RENEWAL, None).unwrap();
    let request = cedar_policy::Request::new(
        cedar.principal.clone(),
        cedar.action.clone(),
        cedar.resource.clone(),
        context,
        None,
    )
    .unwrap();
    let entities = cedar_policy::Entities::empty();
    g.bench_function(EVAL_ONLY[1], |b| {
        b.iter(|| cedar.authorizer.is_authorized(black_box(&request), &cedar.policies, &entities).decision())
    });
    let input = regorus::Value::from_json_str(RENEWAL).unwrap();
    g.bench_function(EVAL_ONLY[2], |b| {
        b.iter(|| {
            rego.set_input(black_box(input.clone()));
            rego.eval_rule(ctpolicy_compare::REGO_RULE.to_string()).unwrap()
        })
    });
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
    for id in DECIDE.iter().chain(PARSE_ONLY).chain(EVAL_ONLY) {
        match median_ns(id) {
            Some(ns) => {
                let ratio = base.map(|b| format!("  ({:.1}x ctp_check_json)", ns / b)).unwrap_or_default();
                println!("  {id:<40} {ns:>10.0}{ratio}");
            }
            None => println!("  {id:<40} {:>10}", "not run"),
        }
    }
    println!(
        "per request over the four requests (renewal, renewal with step-up, one-click purchase, revoked renewal):"
    );
    let ours = median_ns(FOUR_REQUESTS[0]).map(|ns| ns / 4.0);
    for id in FOUR_REQUESTS {
        match median_ns(id).map(|ns| ns / 4.0) {
            Some(ns) => {
                let ratio = ours.map(|b| format!("  ({:.1}x ctp_check_json)", ns / b)).unwrap_or_default();
                println!("  {id:<40} {ns:>10.0}{ratio}");
            }
            None => println!("  {id:<40} {:>10}", "not run"),
        }
    }
}

/// `name version` pairs of the crates this bench links, read from the
/// committed Cargo.lock.
fn locked_version(name: &str) -> Option<String> {
    let lock = include_str!("../Cargo.lock");
    let needle = format!("name = \"{name}\"\nversion = \"");
    let start = lock.find(&needle)? + needle.len();
    let end = start + lock[start..].find('"')?;
    Some(lock[start..end].to_string())
}

fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    std::process::Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Writes the machine-readable summary (see README.md) to `path`.
fn write_results(path: &str) {
    let mut engines = serde_json::Map::new();
    let mut parse_only = serde_json::Map::new();
    for id in DECIDE {
        engines.insert(id.to_string(), median_ns(id).map(|v| (v * 10.0).round() / 10.0).into());
    }
    for id in PARSE_ONLY {
        parse_only.insert(id.to_string(), median_ns(id).map(|v| (v * 10.0).round() / 10.0).into());
    }
    let mut eval_only = serde_json::Map::new();
    for id in EVAL_ONLY {
        eval_only.insert(id.to_string(), median_ns(id).map(|v| (v * 10.0).round() / 10.0).into());
    }
    // The four-request rows are per request: the median of one iteration over four.
    let per_request = |id: &str| median_ns(id).map(|v| (v / 4.0 * 10.0).round() / 10.0);
    for id in FOUR_REQUESTS {
        engines.insert(id.to_string(), per_request(id).into());
    }
    let ratio = |num: &str, den: &str| -> serde_json::Value {
        match (median_ns(num), median_ns(den)) {
            (Some(n), Some(d)) => ((n / d * 100.0).round() / 100.0).into(),
            _ => serde_json::Value::Null,
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let results = serde_json::json!({
        "unit": "ns per request, median (criterion)",
        "input": "benches/fixtures.rs RENEWAL, parsed from JSON text inside the timed loop",
        "input_bytes": RENEWAL.len(),
        "four_requests_bytes": four_requests().iter().map(|case| case.request.len()).collect::<Vec<_>>(),
        "engines": engines,
        "parse_only": parse_only,
        "eval_only": eval_only,
        "ratios": {
            "cedar_vs_ctp_check_json": ratio(DECIDE[3], DECIDE[0]),
            "regorus_vs_ctp_check_json": ratio(DECIDE[4], DECIDE[0]),
            "cedar_vs_check_json": ratio(DECIDE[3], DECIDE[1]),
            "regorus_vs_check_json": ratio(DECIDE[4], DECIDE[1]),
            "cedar_lean_vs_ctp_check_json_four_requests": ratio(FOUR_REQUESTS[1], FOUR_REQUESTS[0]),
        },
        "versions": {
            "ctpolicy": ctpolicy::ENGINE_VERSION,
            "cedar-policy": locked_version("cedar-policy"),
            "regorus": locked_version("regorus"),
            "criterion": locked_version("criterion"),
            "rustc": rustc_version(),
        },
        "cpu": cpu_model(),
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "criterion_args": args,
    });
    std::fs::write(path, serde_json::to_string_pretty(&results).unwrap() + "\n").expect("write results");
    println!("wrote {path}");
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    // `--test` (and `cargo test --benches`) run each bench once: no estimates.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test" || a == "--list") {
        print_medians();
        if let Some(path) = std::env::var("COMPARE_RESULTS").ok().filter(|p| !p.is_empty()) {
            write_results(&path);
        }
    }
}
