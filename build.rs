//! Generates the C header from src/ffi/ with cbindgen.
//!
//! The header always goes to `$OUT_DIR/ctpolicy.h`; a test compares it with
//! the committed `include/ctpolicy.h`, so a changed export without a
//! regenerated header fails `make test`. `make header` (which sets
//! CTPOLICY_WRITE_HEADER=1) writes the committed copy.
//!
//! It also gives the shared library its SONAME, `libctpolicy.so.<abi>`
//! (`CTP_ABI_VERSION` of src/ffi/mod.rs): a program linked against it then
//! asks the loader for the ABI it was built for, and a library with another
//! ABI can be installed beside it. `make build` adds the
//! `libctpolicy.so.<abi>` link beside cargo's `libctpolicy.so`.

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

    let abi = abi_version(&crate_dir.join("src/ffi/mod.rs"));
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf = env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|f| f == "unix")
        && !matches!(target_os.as_str(), "macos" | "ios");
    if elf {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libctpolicy.so.{abi}");
    }
    if env::var_os("CTPOLICY_WRITE_HEADER").is_some() {
        bindings.write_to_file(crate_dir.join("include/ctpolicy.h"));
    }
}

/// `CTP_ABI_VERSION` as src/ffi/mod.rs defines it: one source for the
/// header constant, `ctp_abi_version()` and the SONAME.
fn abi_version(ffi_mod: &std::path::Path) -> u32 {
    let source = std::fs::read_to_string(ffi_mod).expect("src/ffi/mod.rs is readable");
    source
        .lines()
        .find_map(|line| line.trim().strip_prefix("pub const CTP_ABI_VERSION: u32 = ")?.strip_suffix(';')?.parse().ok())
        .expect("src/ffi/mod.rs defines `pub const CTP_ABI_VERSION: u32 = N;`")
}
