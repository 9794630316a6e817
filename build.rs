//! Generates the C header from src/ffi/ with cbindgen.
//!
//! The header always goes to `$OUT_DIR/ctpolicy.h`; a test compares it with
//! the committed `include/ctpolicy.h`, so a changed export without a
//! regenerated header fails `make test`. `make header` (which sets
//! CTPOLICY_WRITE_HEADER=1) writes the committed copy.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=CTPOLICY_WRITE_HEADER");

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    // Only the ABI module: nothing else of the crate belongs in the header.
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen could not generate the header");
    bindings.write_to_file(out_dir.join("ctpolicy.h"));
    if env::var_os("CTPOLICY_WRITE_HEADER").is_some() {
        bindings.write_to_file(crate_dir.join("include/ctpolicy.h"));
    }
}
