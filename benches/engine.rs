//! Criterion benchmarks of the Rust core and the C ABI entry points.
//! `make bench` runs them and writes docs/BENCHMARKS.md.

use std::hint::black_box;
use std::ptr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use ctpolicy::ffi::{self, ctp_buf};
use ctpolicy::Engine;

#[path = "fixtures.rs"]
mod fixtures;
use fixtures::{RENEWAL, STRICT_POLICY};

fn json_path(c: &mut Criterion) {
    let engine = Engine::from_policy_json(STRICT_POLICY.as_bytes()).unwrap();
    assert!(engine.check_json(RENEWAL.as_bytes()).unwrap().allowed());
    let mut group = c.benchmark_group("json");
    group.bench_function("parse", |b| b.iter(|| ctpolicy::json::parse(black_box(RENEWAL.as_bytes())).unwrap()));
    group.bench_function("check_json_decision", |b| b.iter(|| engine.check_json(black_box(RENEWAL.as_bytes())).unwrap()));
    let mut out = String::new();
    group.bench_function("check_json_to_string", |b| {
        b.iter(|| engine.check_json_to(black_box(RENEWAL.as_bytes()), &mut out).unwrap())
    });
    let mut handle = ptr::null_mut();
    let status = unsafe { ffi::ctp_engine_new(STRICT_POLICY.as_ptr(), STRICT_POLICY.len(), &mut handle, ptr::null_mut()) };
    assert_eq!(status, ffi::CTP_OK);
    group.bench_function("ctp_check_json", |b| {
        b.iter(|| unsafe {
            let mut buf = ctp_buf { ptr: ptr::null_mut(), len: 0 };
            let status = ffi::ctp_check_json(handle, RENEWAL.as_ptr(), RENEWAL.len(), &mut buf);
            ffi::ctp_buf_free(&mut buf);
            status
        })
    });
    unsafe { ffi::ctp_engine_free(handle) };
    group.finish();
}

fn token_and_lifecycle(c: &mut Criterion) {
    let token = b"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890";
    c.bench_function("token/parse_with_fingerprint", |b| b.iter(|| ctpolicy::parse_token(black_box(token)).unwrap()));
    let record = br#"{"customer_token":"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890","scopes":["payment:customer_not_present"],"state":"ACTIVE","created_at":"2026-01-15T09:30:00Z","last_used_at":"2026-10-25T10:00:00Z"}"#;
    let event = br#"{"type":"CHARGED","at":"2026-11-25T10:00:00Z"}"#;
    c.bench_function("lifecycle/apply_event_charged", |b| {
        b.iter(|| ctpolicy::apply_event(Some(black_box(record)), black_box(event)).unwrap())
    });
}

fn batch(c: &mut Criterion) {
    let engine = Engine::from_policy_json(STRICT_POLICY.as_bytes()).unwrap();
    let lines = 10_000;
    let input: String = std::iter::repeat(RENEWAL).take(lines).map(|r| format!("{r}\n")).collect();
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(lines as u64));
    group.sample_size(20);
    let mut out = String::new();
    group.bench_function("check_jsonl_10k", |b| {
        b.iter(|| {
            out.clear();
            for line in input.lines() {
                engine.check_json_to(line.as_bytes(), &mut out).unwrap();
            }
        })
    });
    group.finish();
}

criterion_group!(benches, json_path, token_and_lifecycle, batch);
criterion_main!(benches);
