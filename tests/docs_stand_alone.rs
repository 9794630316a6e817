//! The project's text stands alone: no README, doc, doc comment, message,
//! script or test names a file outside the repository (the design notes the
//! contract was first written in), an issue number, or an internal work
//! round. docs/RULES.md, docs/HYGIENE.md and docs/VAULT.md carry the contract
//! in the project's own words; everything cites those.

use std::fs;
use std::path::{Path, PathBuf};

/// Folders that hold build output, fetched tools or generated inputs.
const SKIPPED_DIRS: &[&str] =
    &["target", ".git", "corpus", "artifacts", "build", "dist", "node_modules", "__pycache__", ".pytest_cache"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) && !name.starts_with(".venv") {
                files(&path, out);
            }
        } else if kind.is_file() {
            out.push(path);
        }
    }
}

/// What may not appear, and why. Built from pieces so this file does not
/// match itself.
fn forbidden(line: &str) -> Option<&'static str> {
    let md = ".md";
    for name in ["rules", "hygiene", "vault", "guard", "interfaces", "style"] {
        let file = format!("{name}{md}");
        // docs/RULES.md and friends are ours (upper case); the lower-case
        // names are the outside design notes.
        if let Some(at) = line.find(&file) {
            let before = line[..at].chars().last();
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Some("names an outside design note");
            }
        }
    }
    if line.contains(&format!("{}/design", "shared")) || line.contains(&format!("../{}", "shared")) {
        return Some("points outside the repository");
    }
    let lower = line.to_ascii_lowercase();
    for word in ["issue ", "issues ", "issue #"] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(word) {
            let after = from + at + word.len();
            let starts_word = from + at == 0 || !lower.as_bytes()[from + at - 1].is_ascii_alphanumeric();
            if starts_word && lower[after..].starts_with(|c: char| c.is_ascii_digit()) {
                return Some("names an issue number");
            }
            from = after;
        }
    }
    for (at, _) in lower.match_indices("wave") {
        let before = lower[..at].chars().last();
        let after = lower[at + 4..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
        if !word(before) && !word(after) {
            return Some("names an internal work round");
        }
    }
    for round in ["first", "second", "third", "last", "this", "next"] {
        if lower.contains(&format!("{round} {}", "session)")) || lower.contains(&format!("{round} {}'s", "session")) {
            return Some("names an internal work session");
        }
    }
    None
}

#[test]
fn no_text_points_outside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = Vec::new();
    files(root, &mut all);
    let me = Path::new(file!()).file_name().unwrap();
    let mut hits = Vec::new();
    let mut read = 0;
    for path in all {
        if path.file_name() == Some(me) || path.extension().is_some_and(|e| e == "lock") {
            continue;
        }
        let Ok(bytes) = fs::read(&path) else { continue };
        let Ok(text) = String::from_utf8(bytes) else { continue };
        read += 1;
        for (number, line) in text.lines().enumerate() {
            if let Some(why) = forbidden(line) {
                let shown: String = line.chars().take(120).collect();
                hits.push(format!("{}:{}: {why}: {shown}", path.strip_prefix(root).unwrap().display(), number + 1));
            }
        }
    }
    assert!(read > 100, "only {read} text files found under {}", root.display());
    assert!(hits.is_empty(), "{} lines point outside the project's own text:\n{}", hits.len(), hits.join("\n"));
}

#[test]
fn the_check_finds_what_it_is_for() {
    let md = ".md";
    for bad in [
        format!("see ../{}/design/rules{md}", "shared"),
        format!("(hygiene{md} H3)"),
        format!("the contract's vault{md}"),
        "the cases of issue 17".to_owned(),
        "Issue 12's target".to_owned(),
        "## Decisions (wave 2)".to_owned(),
        format!("Wave 2 {}", "note"),
    ] {
        assert!(forbidden(&bad).is_some(), "not caught: {bad}");
    }
    for good in [
        "docs/RULES.md section 2",
        "docs/HYGIENE.md H3 and docs/VAULT.md V1",
        "the network session token",
        "microwave",
        "tissue 7",
        "an issue with the token",
    ] {
        assert!(forbidden(good).is_none(), "caught wrongly: {good}");
    }
}
