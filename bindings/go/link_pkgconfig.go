//go:build cgo && ctpolicy_pkgconfig

package ctpolicy

// With -tags ctpolicy_pkgconfig the header and the library come from an
// installed ctpolicy (`make install PREFIX=...`), found by pkg-config
// through ctpolicy.pc: nothing refers to the checkout, so this build works
// from a module cache, `go mod vendor` or a Docker image that has the
// library installed. Set PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig unless the
// prefix is a system one.
//
// The link is dynamic (libctpolicy.so.2): the program must find the library
// at run time through an rpath (CGO_LDFLAGS="-Wl,-rpath,$PREFIX/lib"),
// ldconfig or LD_LIBRARY_PATH; see README.md, "Installed library".

/*
#cgo pkg-config: ctpolicy
*/
import "C"

// linkMode reports how the native library was linked into this binary.
const linkMode = "pkg-config"
