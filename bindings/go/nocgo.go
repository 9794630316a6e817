//go:build !cgo

package ctpolicy

// This binding is cgo over libctpolicy. Without cgo (CGO_ENABLED=0, or a
// cross build without a C toolchain) the build stops here, on a name that
// says why, instead of on a list of undefined identifiers.
var _ = ctpolicy_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler
