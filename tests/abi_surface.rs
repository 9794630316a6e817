//! The C ABI's surface: the committed header is what cbindgen makes from
//! the source today, every export sits behind the one boundary, and every
//! function of the header keeps the conventions of docs/ABI.md (one error
//! channel, one count type, one vocabulary of parameter names).

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
            first_statement.starts_with("boundary(error, ") || first_statement.starts_with("infallible("),
            "{name} must be one call to boundary(error, ...) or infallible(...), so a panic cannot unwind \
             into C and every failure reaches the caller the same way; found: {first_statement}"
        );
    }
    for (name, _) in &exports {
        assert!(name.starts_with("ctp_"), "export {name} lacks the ctp_ prefix");
        assert!(header.contains(name), "export {name} is missing from the header");
    }
}

/// Each function declaration of the header as (return type, name, parameters).
fn header_declarations() -> Vec<(String, String, Vec<String>)> {
    let header = read("include/ctpolicy.h");
    let code: String =
        header.lines().filter(|line| !line.starts_with("//") && !line.starts_with('#')).collect::<Vec<_>>().join(" ");
    let mut found = Vec::new();
    for statement in code.split(';') {
        let statement = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        let Some(open) = statement.find('(') else { continue };
        let before = statement[..open].trim();
        let name = before.rsplit([' ', '*']).next().unwrap_or("");
        if !name.starts_with("ctp_") || statement.contains('{') {
            continue;
        }
        let returns = before[..before.len() - name.len()].trim().to_owned();
        let inside = &statement[open + 1..statement.rfind(')').unwrap()];
        let params =
            if inside == "void" { Vec::new() } else { inside.split(',').map(|p| p.trim().to_owned()).collect() };
        found.push((returns, name.to_owned(), params));
    }
    found
}

#[test]
fn every_fallible_function_reports_through_its_last_parameter_error() {
    let declarations = header_declarations();
    assert!(declarations.len() >= 30, "{declarations:?}");
    for (returns, name, params) in &declarations {
        // ctp_abi_version answers a number; every other uint32_t is a status.
        if returns != "uint32_t" || name == "ctp_abi_version" {
            continue;
        }
        assert_eq!(
            params.last().map(String::as_str),
            Some("struct ctp_buf *error"),
            "{name}: a fallible function ends with `ctp_buf *error` (docs/ABI.md, \"Results and errors\")"
        );
        assert_eq!(params.iter().filter(|p| p.ends_with("*error")).count(), 1, "{name}: one error channel");
    }
}

#[test]
fn counts_and_lengths_are_size_t_and_names_come_from_one_vocabulary() {
    for (_, name, params) in header_declarations() {
        for param in &params {
            let (ty, param_name) = param.rsplit_once([' ', '*']).unwrap_or(("", param));
            let is_count = param_name == "count" || param_name.ends_with("_count") || param_name.ends_with("_len");
            if is_count {
                assert_eq!(ty.trim(), "size_t", "{name}: {param} (counts and lengths are size_t)");
            }
            for retired in ["_json", "json_", "_ptr", "out_"] {
                assert!(!param_name.contains(retired), "{name}: {param} is not a name of the vocabulary");
            }
            if let Some(input) = param_name.strip_suffix("_len") {
                assert!(
                    params.iter().any(|p| p.ends_with(&format!("*{input}"))),
                    "{name}: {param_name} follows the input it measures, `{input}`"
                );
            }
        }
    }
    let header = read("include/ctpolicy.h");
    for field in ["allowed", "denied", "invalid"] {
        assert!(header.contains(&format!("  size_t {field};")), "ctp_batch_counts.{field} is a size_t count");
    }
    assert!(header.contains("uint32_t ctp_redactor_count(const struct ctp_redactor *redactor,"));
    assert!(header.contains("size_t *count,"), "ctp_redactor_count writes a size_t");
}

#[test]
fn the_retired_calls_are_gone() {
    let names: Vec<String> = header_declarations().into_iter().map(|(_, name, _)| name).collect();
    for retired in ["ctp_check", "ctp_check_batch"] {
        assert!(!names.iter().any(|name| name == retired), "{retired} was removed in ABI version 2");
    }
    let header = read("include/ctpolicy.h");
    assert!(!header.contains("struct ctp_charge "), "ctp_typed_charge is the one typed charge");
    assert!(header.contains("#define CTP_ABI_VERSION 2"));
}
