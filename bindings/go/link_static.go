//go:build cgo && !ctpolicy_dynamic && !ctpolicy_pkgconfig

package ctpolicy

// The default build links the Rust staticlib of the checkout this folder
// lives in (target/release/libctpolicy.a, made by `make build`) into the Go
// binary, so the program needs no libctpolicy.so at run time. The extra
// system libraries are the ones Rust's standard library needs on Linux
// (`rustc --print native-static-libs`).
//
// Without a checkout (go mod vendor, a Docker build, a copy of this folder)
// build with -tags ctpolicy_pkgconfig against an installed library instead
// (link_pkgconfig.go).
//
// Do not link a second Rust staticlib into the same binary: see README.md
// ("Two Rust static libraries in one binary") and use -tags ctpolicy_dynamic.
//
// The preamble stops the build with a message of its own when the library
// has not been built yet: target/release is on the include path only so
// that __has_include can ask whether libctpolicy.a exists (nothing is
// included from it). Without that check the build got as far as the linker
// and failed there with "cannot find .../libctpolicy.a".

/*
#cgo CFLAGS: -I${SRCDIR}/../../include -I${SRCDIR}/../../target/release
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libctpolicy.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#if !__has_include(<libctpolicy.a>)
#error "ctpolicy: target/release/libctpolicy.a is missing: run 'make build' at the root of the ctpolicy checkout first, or build with -tags ctpolicy_pkgconfig against an installed library (make install)"
#endif
*/
import "C"

// linkMode reports how the native library was linked into this binary.
const linkMode = "static"
