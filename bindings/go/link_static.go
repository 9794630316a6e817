//go:build !ctpolicy_dynamic

package ctpolicy

// The default build links the Rust staticlib into the Go binary, so the
// program needs no libctpolicy.so at run time. The extra system libraries
// are the ones Rust's standard library needs on Linux
// (`rustc --print native-static-libs`).
//
// Do not link a second Rust staticlib into the same binary: see README.md
// ("Two Rust static libraries in one binary") and use -tags ctpolicy_dynamic.

/*
#cgo LDFLAGS: ${SRCDIR}/../../target/release/libctpolicy.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
*/
import "C"

// linkMode reports how the native library was linked into this binary.
const linkMode = "static"
