//! The C ABI's surface: the committed header is what cbindgen makes from
//! the source today, and every export sits behind the panic guard.

use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn committed_header_matches_a_fresh_generation() {
    let fresh = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/ctpolicy.h")).expect("build.rs writes the header");
    let committed = read("include/ctpolicy.h");
    assert!(
        fresh == committed,
        "include/ctpolicy.h is stale: an export changed without regenerating the header. Run `make header` and commit it."
    );
}

/// The names of the functions the header declares.
fn header_functions() -> Vec<String> {
    let header = read("include/ctpolicy.h");
    header
        .lines()
        .filter(|line| !line.starts_with("//") && !line.starts_with('#') && line.contains('('))
        .filter_map(|line| {
            let before_paren = &line[..line.find('(')?];
            let name = before_paren.rsplit([' ', '*']).next()?;
            name.starts_with("ctp_").then(|| name.to_owned())
        })
        .collect()
}

/// Each `extern "C" fn` in src/ffi with the text of its body.
fn exports() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ffi")).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut rest = source.as_str();
        while let Some(at) = rest.find("extern \"C\" fn ") {
            rest = &rest[at + "extern \"C\" fn ".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let body_start = rest.find('{').expect("a body");
            let body: String = rest[body_start..].lines().take(3).collect::<Vec<_>>().join("\n");
            found.push((name, body));
        }
    }
    found
}

#[test]
fn every_export_in_the_header_runs_behind_the_panic_guard() {
    let exports = exports();
    let header = header_functions();
    assert!(header.len() >= 10, "the header declares the ABI: {header:?}");
    for name in &header {
        let (_, body) = exports
            .iter()
            .find(|(export, _)| export == name)
            .unwrap_or_else(|| panic!("{name} is in the header but not an extern \"C\" fn in src/ffi"));
        let first_statement = body.lines().nth(1).unwrap_or("").trim();
        assert!(
            first_statement.starts_with("guard("),
            "{name} must start with guard(...) so a panic cannot unwind into C; found: {first_statement}"
        );
    }
    for (name, _) in &exports {
        assert!(name.starts_with("ctp_"), "export {name} lacks the ctp_ prefix");
        assert!(header.contains(name), "export {name} is missing from the header");
    }
}
