//! Criterion benchmarks of redaction (docs/HYGIENE.md H1, H2): `ctp_redact` and
//! the Rust `redact` on a typical 200-byte log line, with and without a
//! token. Run with `cargo bench --bench redact`; the numbers are in
//! docs/BENCHMARKS.md ("Redaction").

use std::hint::black_box;
use std::ptr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use ctpolicy::ffi::{self, ctp_buf};

/// A 200-byte application log line; `{}` is where the token goes.
fn line(with_token: bool) -> Vec<u8> {
    let token = if with_token { "krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890" } else { "renewal-42" };
    let mut text = format!(
        "2026-11-30T12:00:00.123Z INFO  payments.charge order=ord-7781 amount=1299 currency=EUR token={token} latency_ms=84 status=AUTHORIZED"
    );
    while text.len() < 199 {
        text.push('.');
    }
    text.push('\n');
    text.into_bytes()
}

fn redact_line(c: &mut Criterion) {
    let mut group = c.benchmark_group("redact");
    for (name, with_token) in [("200B_line_no_token", false), ("200B_line_with_token", true)] {
        let text = line(with_token);
        assert_eq!(text.len(), 200);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("ctp_redact_{name}"), |b| {
            b.iter(|| {
                let mut out = ctp_buf { ptr: ptr::null_mut(), len: 0 };
                let mut count = 0usize;
                let status = unsafe {
                    ffi::ctp_redact(black_box(text.as_ptr()), text.len(), &mut out, &mut count, ptr::null_mut())
                };
                assert_eq!(status, ffi::CTP_OK);
                assert_eq!(count, usize::from(with_token));
                unsafe { ffi::ctp_buf_free(&mut out) };
            })
        });
        group.bench_function(format!("rust_redact_{name}"), |b| {
            b.iter(|| ctpolicy::redact::redact(black_box(&text)).len())
        });
    }
    group.finish();
}

criterion_group!(benches, redact_line);
criterion_main!(benches);
