//! The calls a binding builds on: `ctp_check_many` (per request),
//! `ctp_check_json_verdict` beside `ctp_check_json`, and `ctp_check_charge`.
//! Numbers go in docs/DECISIONS.md. Run with `cargo bench --bench abi`.

use std::hint::black_box;
use std::ptr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use ctpolicy::ffi::{self, ctp_buf};

#[path = "fixtures.rs"]
mod fixtures;
use fixtures::{renewal_scopes, renewal_typed_charge, RENEWAL, RENEWAL_ATTEMPTS, STRICT_POLICY};

fn empty() -> ctp_buf {
    ctp_buf { ptr: ptr::null_mut(), len: 0 }
}

fn engine() -> *mut ffi::ctp_engine {
    let mut handle = ptr::null_mut();
    let status =
        unsafe { ffi::ctp_engine_new(STRICT_POLICY.as_ptr(), STRICT_POLICY.len(), &mut handle, ptr::null_mut()) };
    assert_eq!(status, ffi::CTP_OK);
    handle
}

fn many(c: &mut Criterion) {
    let handle = engine();
    let lines = 10_000;
    let (inputs, mut results) = fixtures::renewal_many(lines);
    let mut group = c.benchmark_group("abi_batch");
    group.throughput(Throughput::Elements(lines as u64));
    group.sample_size(20);
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
            assert_eq!(results[lines - 1].allowed, 1);
            ffi::ctp_results_free(results.as_mut_ptr(), lines);
            status
        })
    });
    group.finish();
    unsafe { ffi::ctp_engine_free(handle) };
}

fn verdict_vs_json(c: &mut Criterion) {
    let handle = engine();
    let mut group = c.benchmark_group("abi_single");
    group.bench_function("ctp_check_json", |b| {
        b.iter(|| unsafe {
            let mut buf = empty();
            let status =
                ffi::ctp_check_json(handle, black_box(RENEWAL.as_ptr()), RENEWAL.len(), &mut buf, ptr::null_mut());
            ffi::ctp_buf_free(&mut buf);
            status
        })
    });
    // The same decision into one buffer the caller keeps (no allocation, no free).
    let mut answer = vec![0u8; 4096];
    group.bench_function("ctp_check_json_into", |b| {
        b.iter(|| unsafe {
            let mut written = 0usize;
            let status = ffi::ctp_check_json_into(
                handle,
                black_box(RENEWAL.as_ptr()),
                RENEWAL.len(),
                answer.as_mut_ptr(),
                answer.len(),
                &mut written,
                ptr::null_mut(),
            );
            assert_eq!(status, ffi::CTP_OK, "the decision fits in 4 KiB");
            written
        })
    });
    // Rule 804 counted by the host (`counters`) or from the record's 35 attempts.
    group.bench_function("ctp_check_json_attempts_35", |b| {
        b.iter(|| unsafe {
            let mut buf = empty();
            let status = ffi::ctp_check_json(
                handle,
                black_box(RENEWAL_ATTEMPTS.as_ptr()),
                RENEWAL_ATTEMPTS.len(),
                &mut buf,
                ptr::null_mut(),
            );
            ffi::ctp_buf_free(&mut buf);
            status
        })
    });
    let mut verdict = std::mem::MaybeUninit::<ffi::ctp_verdict>::uninit();
    group.bench_function("ctp_check_json_verdict_only", |b| {
        b.iter(|| unsafe {
            ffi::ctp_check_json_verdict(
                handle,
                black_box(RENEWAL.as_ptr()),
                RENEWAL.len(),
                verdict.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        })
    });
    group.bench_function("ctp_check_json_verdict_with_decision", |b| {
        b.iter(|| unsafe {
            let mut buf = empty();
            let status = ffi::ctp_check_json_verdict(
                handle,
                black_box(RENEWAL.as_ptr()),
                RENEWAL.len(),
                verdict.as_mut_ptr(),
                &mut buf,
                ptr::null_mut(),
            );
            ffi::ctp_buf_free(&mut buf);
            status
        })
    });
    let scopes = renewal_scopes();
    let typed = renewal_typed_charge(&scopes);
    group.bench_function("ctp_check_charge", |b| {
        b.iter(|| unsafe { ffi::ctp_check_charge(handle, black_box(&typed), verdict.as_mut_ptr(), ptr::null_mut()) })
    });
    group.finish();
    unsafe { ffi::ctp_engine_free(handle) };
}

criterion_group!(benches, many, verdict_vs_json);
criterion_main!(benches);
