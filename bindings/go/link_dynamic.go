//go:build ctpolicy_dynamic

package ctpolicy

// With -tags ctpolicy_dynamic the binary loads libctpolicy.so at run time,
// found through the rpath below (the repository's build output) or through
// LD_LIBRARY_PATH / the system library path after `make install`.

/*
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -Wl,-rpath,${SRCDIR}/../../target/release -lctpolicy
*/
import "C"

// linkMode reports how the native library was linked into this binary.
const linkMode = "dynamic"
