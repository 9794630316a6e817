//! One version for every artifact: the crate's (Cargo.toml) is the source;
//! the Python wheel, the Java jar, the Go module and the CHANGELOG carry
//! the same (`make set-version V=x.y.z` writes them all).

use std::path::Path;

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// The text between `before` and the next `after` on the first line holding `before`.
fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = text.find(before)? + before.len();
    let end = text[start..].find(after)? + start;
    Some(&text[start..end])
}

#[test]
fn every_artifact_has_the_crate_version() {
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(ctpolicy::ENGINE_VERSION, version);
    let copies = [
        ("bindings/python/pyproject.toml", "\nversion = \"", "\""),
        ("bindings/python/ctpolicy/_version.py", "__version__ = \"", "\""),
        ("bindings/java/pom.xml", "<artifactId>ctpolicy</artifactId>\n  <version>", "</version>"),
        ("bindings/go/version.go", "const Version = \"", "\""),
        ("CHANGELOG.md", "\n## ", " "),
    ];
    for (file, before, after) in copies {
        let text = read(file);
        let found = between(&text, before, after);
        assert_eq!(found, Some(version), "{file} does not carry version {version} (make set-version V={version})");
    }
}

#[test]
fn the_cli_prints_it() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ctpolicy")).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), format!("ctpolicy {}\n", env!("CARGO_PKG_VERSION")));
}

/// The version numbers that follow `label` where a text states a minimum
/// (`Rust 1.89+`, `Python 3.10 or newer`).
fn stated_minimums(text: &str, label: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(label) {
        let rest = &text[at + label.len()..];
        let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        let number = number.trim_end_matches('.').to_owned();
        let after = &rest[number.len()..];
        if !number.is_empty()
            && (after.starts_with('+') || after.starts_with(" or newer") || after.starts_with(" or later"))
        {
            found.push(number);
        }
    }
    found
}

/// Minimums are stated as their sources set them: Rust from Cargo.toml's
/// rust-version, Python from pyproject's requires-python, Go from go.mod,
/// Java from the pom's compiler release.
#[test]
fn stated_minimums_are_true() {
    let rust = between(&read("Cargo.toml"), "rust-version = \"", "\"").unwrap().to_owned();
    let python = between(&read("bindings/python/pyproject.toml"), "requires-python = \">=", "\"").unwrap().to_owned();
    let go = between(&read("bindings/go/go.mod"), "\ngo ", "\n").unwrap().to_owned();
    let java = between(&read("bindings/java/pom.xml"), "<maven.compiler.release>", "<").unwrap().to_owned();
    let mut checked = 0;
    for file in
        ["README.md", "bindings/python/README.md", "bindings/go/README.md", "bindings/java/README.md", "docs/ABI.md"]
    {
        let text = read(file);
        for (label, want) in [
            ("Rust ", &rust),
            ("Python ", &python),
            ("Go ", &go),
            ("Java ", &java),
            ("JDK ", &java),
            ("**Java ", &java),
        ] {
            for found in stated_minimums(&text, label) {
                assert_eq!(&found, want, "{file} states {label}{found} as a minimum; the source says {want}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 6, "only {checked} minimums found");
}
