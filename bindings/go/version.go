package ctpolicy

// Version is this module's version: the same as the library it is built
// with and links (LibraryVersion), the Python wheel and the Java jar. It
// is set from the crate's Cargo.toml by `make set-version`; a test checks
// that every copy agrees.
const Version = "0.1.0"
