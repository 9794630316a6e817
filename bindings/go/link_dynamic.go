//go:build cgo && ctpolicy_dynamic && !ctpolicy_pkgconfig

package ctpolicy

// With -tags ctpolicy_dynamic the binary loads libctpolicy.so.2 (the
// SONAME) from the checkout's target/release at run time, found through the
// rpath below, or through LD_LIBRARY_PATH. For an installed library use
// -tags ctpolicy_pkgconfig (link_pkgconfig.go).
//
// As in link_static.go, the preamble refuses to build, with a message that
// says what to do, when `make build` has not run yet.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include -I${SRCDIR}/../../target/release
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -Wl,-rpath,${SRCDIR}/../../target/release -lctpolicy
#if !__has_include(<libctpolicy.so.2>)
#error "ctpolicy: target/release/libctpolicy.so.2 is missing: run 'make build' at the root of the ctpolicy checkout first, or build with -tags ctpolicy_pkgconfig against an installed library (make install)"
#endif
*/
import "C"

// linkMode reports how the native library was linked into this binary.
const linkMode = "dynamic"
