//! Criterion benchmarks of the Rust core and the C ABI entry points.
//! `make bench` runs them and writes docs/BENCHMARKS.md.

use std::hint::black_box;
use std::ptr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use ctpolicy::ffi::{self, ctp_buf};
use ctpolicy::Engine;

#[path = "fixtures.rs"]
mod fixtures;
use fixtures::{renewal_charge, renewal_scopes, renewal_typed_charge, RENEWAL, STRICT_POLICY};

fn json_path(c: &mut Criterion) {
    let engine = Engine::from_policy_json(STRICT_POLICY.as_bytes()).unwrap();
    assert!(engine.check_json(RENEWAL.as_bytes()).unwrap().allowed());
    let mut group = c.benchmark_group("json");
    // The check path's parse: into the thread's reused arena.
    group.bench_function("parse", |b| {
        b.iter(|| {
            ctpolicy::internals::with_arena(|arena| {
                ctpolicy::internals::parse(black_box(RENEWAL.as_bytes()), arena).is_ok()
            })
        })
    });
    group.bench_function("check_json_decision", |b| {
        b.iter(|| engine.check_json(black_box(RENEWAL.as_bytes())).unwrap())
    });
    // Writing alone: the decision JSON of an owned ALLOW decision (the
    // token view, the receipt, empty findings) into a reused string.
    let decision = engine.check_json(RENEWAL.as_bytes()).unwrap();
    let mut out = String::new();
    group.bench_function("write_decision", |b| {
        b.iter(|| {
            out.clear();
            engine.write_decision(black_box(&decision), &mut out);
        })
    });
    group.bench_function("check_json_into_string", |b| {
        b.iter(|| {
            out.clear();
            engine.check_json_into(black_box(RENEWAL.as_bytes()), &mut out).unwrap()
        })
    });
    let mut handle = ptr::null_mut();
    let status =
        unsafe { ffi::ctp_engine_new(STRICT_POLICY.as_ptr(), STRICT_POLICY.len(), &mut handle, ptr::null_mut()) };
    assert_eq!(status, ffi::CTP_OK);
    group.bench_function("ctp_check_json", |b| {
        b.iter(|| unsafe {
            let mut buf = ctp_buf { ptr: ptr::null_mut(), len: 0 };
            let status = ffi::ctp_check_json(handle, RENEWAL.as_ptr(), RENEWAL.len(), &mut buf, ptr::null_mut());
            ffi::ctp_buf_free(&mut buf);
            status
        })
    });
    // One-violation DENY (amount above the policy's cap) and a 50/50 mix of
    // ALLOW and DENY through the C ABI.
    let deny = deny_one();
    group.bench_function("check_json_into_string_deny", |b| {
        b.iter(|| {
            out.clear();
            engine.check_json_into(black_box(deny.as_bytes()), &mut out).unwrap()
        })
    });
    group.bench_function("ctp_check_json_deny", |b| {
        b.iter(|| unsafe {
            let mut buf = ctp_buf { ptr: ptr::null_mut(), len: 0 };
            let status = ffi::ctp_check_json(handle, deny.as_ptr(), deny.len(), &mut buf, ptr::null_mut());
            ffi::ctp_buf_free(&mut buf);
            status
        })
    });
    let mix = [RENEWAL.as_bytes(), deny.as_bytes()];
    group.bench_function("ctp_check_json_mix", |b| {
        b.iter(|| unsafe {
            let mut status = 0;
            for request in mix {
                let mut buf = ctp_buf { ptr: ptr::null_mut(), len: 0 };
                status |= ffi::ctp_check_json(handle, request.as_ptr(), request.len(), &mut buf, ptr::null_mut());
                ffi::ctp_buf_free(&mut buf);
            }
            status
        })
    });
    unsafe { ffi::ctp_engine_free(handle) };
    group.finish();
}

/// The renewal with an amount above the strict policy's cap: exactly one violation.
fn deny_one() -> String {
    let deny = RENEWAL.replace("\"amount\":1299", "\"amount\":60000");
    let engine = Engine::from_policy_json(STRICT_POLICY.as_bytes()).unwrap();
    let decision = engine.check_json(deny.as_bytes()).unwrap();
    assert_eq!((decision.violations.len(), decision.warnings.len()), (1, 0), "{decision:?}");
    deny
}

fn typed_path(c: &mut Criterion) {
    let engine = Engine::from_policy_json(STRICT_POLICY.as_bytes()).unwrap();
    let charge = renewal_charge();
    assert!(engine.check_charge(&charge, false).unwrap().allowed());
    let mut group = c.benchmark_group("typed");
    group.bench_function("check_charge", |b| b.iter(|| engine.check_charge(black_box(&charge), false).unwrap()));
    group.bench_function("check_charge_with_fingerprint", |b| {
        b.iter(|| engine.check_charge(black_box(&charge), true).unwrap())
    });
    let mut handle = ptr::null_mut();
    unsafe { ffi::ctp_engine_new(STRICT_POLICY.as_ptr(), STRICT_POLICY.len(), &mut handle, ptr::null_mut()) };
    let scopes = renewal_scopes();
    let c_charge = renewal_typed_charge(&scopes);
    let mut verdict = std::mem::MaybeUninit::<ffi::ctp_verdict>::uninit();
    group.bench_function("ctp_check_charge", |b| {
        b.iter(|| unsafe { ffi::ctp_check_charge(handle, black_box(&c_charge), verdict.as_mut_ptr(), ptr::null_mut()) })
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
    let input: String = std::iter::repeat_n(RENEWAL, lines).map(|r| format!("{r}\n")).collect();
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(lines as u64));
    group.sample_size(20);
    let mut out = String::new();
    group.bench_function("check_batch_10k", |b| {
        b.iter(|| {
            out.clear();
            engine.check_batch(black_box(input.as_bytes()), &mut out)
        })
    });
    let mut handle = ptr::null_mut();
    unsafe { ffi::ctp_engine_new(STRICT_POLICY.as_ptr(), STRICT_POLICY.len(), &mut handle, ptr::null_mut()) };
    let (inputs, mut results) = fixtures::renewal_many(lines);
    group.bench_function("ctp_check_many_10k", |b| {
        b.iter(|| unsafe {
            let status = ffi::ctp_check_many(
                handle,
                black_box(inputs.as_ptr()),
                lines,
                results.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            );
            ffi::ctp_results_free(results.as_mut_ptr(), lines);
            status
        })
    });
    let mut places = fixtures::renewal_places(lines);
    // Sized once, as a caller that keeps its buffer between calls does.
    let mut buffer = vec![0u8; 16 << 20];
    group.bench_function("ctp_check_many_into_10k", |b| {
        b.iter(|| unsafe {
            let mut written = 0usize;
            let status = ffi::ctp_check_many_into(
                handle,
                black_box(inputs.as_ptr()),
                lines,
                places.as_mut_ptr(),
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut written,
                ptr::null_mut(),
                ptr::null_mut(),
            );
            assert_eq!(status, ffi::CTP_OK);
            written
        })
    });
    unsafe { ffi::ctp_engine_free(handle) };
    group.finish();
}

criterion_group!(benches, json_path, typed_path, token_and_lifecycle, batch);
criterion_main!(benches);
