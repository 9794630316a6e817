//! The library's layers, read from its source (docs/ARCHITECTURE.md): every
//! `crate::…` reference of src/ (the binary's src/bin/ aside) names the
//! top-level module it reaches, and
//!
//! - no top-level module reaches one that reaches it back, directly or
//!   through others;
//! - a module reaches only modules of its own layer or of layers below it,
//!   so the core never reaches the C ABI (`ffi`) and nothing below the
//!   features reaches a feature;
//! - the library has no command-line module: that is the binary's.
//!
//! Comments and `#[cfg(test)]` modules are left out: a doc link or a test
//! that checks two modules agree is no dependency of the library.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first. A new top-level module goes into one of them
/// here and in docs/ARCHITECTURE.md.
const LAYERS: &[(&str, &[&str])] = &[
    ("base", &["code", "krn", "timestamp"]),
    ("hygiene", &["redact"]),
    ("json", &["json"]),
    ("model", &["error", "token", "record", "request"]),
    ("decide", &["rules", "policy", "facts", "charge", "checks", "decision"]),
    ("features", &["audit", "lifecycle", "vault"]),
    ("edges", &["ffi"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, modules)| modules.contains(&module))
}

/// Source text without comments and without the `#[cfg(test)]` module a
/// file ends with. String literals are kept (none spells `crate::`).
fn code_of(text: &str) -> String {
    let mut code = String::with_capacity(text.len());
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed == "#[cfg(test)]" && lines.peek().is_some_and(|next| next.trim_start().starts_with("mod ")) {
            break;
        }
        let without_comment = match trimmed.find("//") {
            Some(_) => &line[..line.find("//").expect("found above")],
            None => line,
        };
        code.push_str(without_comment);
        code.push('\n');
    }
    code
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The first path segment after every `crate::` in `code`: `crate::json::X`
/// gives `json`, `crate::{json, token::Y}` gives `json` and `token`.
fn crate_references(code: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = code[from..].find("crate::") {
        let start = from + offset;
        from = start + "crate::".len();
        // `$crate::` (a macro's own crate) and `ctpolicy_crate::` are not ours.
        if start > 0 && (is_ident_byte(bytes[start - 1]) || bytes[start - 1] == b'$') {
            continue;
        }
        if bytes.get(from) == Some(&b'{') {
            // A group: the names at its top level, each first after `{` or `,`.
            let mut depth = 0;
            let mut expect_name = true;
            let mut index = from;
            while index < bytes.len() {
                match bytes[index] {
                    b'{' => {
                        depth += 1;
                        expect_name = depth == 1;
                    }
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => expect_name = true,
                    byte if expect_name && is_ident_byte(byte) => {
                        let end = index + bytes[index..].iter().take_while(|b| is_ident_byte(**b)).count();
                        found.push(code[index..end].to_owned());
                        expect_name = false;
                        index = end;
                        continue;
                    }
                    _ => {}
                }
                index += 1;
            }
        } else {
            let end = from + bytes[from..].iter().take_while(|b| is_ident_byte(**b)).count();
            found.push(code[from..end].to_owned());
        }
    }
    found
}

/// The names lib.rs re-exports at the root (`pub use decision::{Engine, …}`),
/// mapped to the module they come from, so `crate::Engine` counts as
/// `decision`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let code = code_of(lib);
    for statement in code.split(';') {
        let statement = statement.trim();
        let Some(path) = statement.strip_prefix("pub use ") else { continue };
        let path = path.trim_start_matches("crate::");
        let Some((module, rest)) = path.split_once("::") else { continue };
        let rest = rest.trim().trim_start_matches('{').trim_end_matches('}');
        for item in rest.split(',') {
            let name = item.split(" as ").last().unwrap_or(item).trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `module -> the modules it references, each with one file that does`.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The top-level graph of the library under `src`, given each file's
/// text. Fails on a reference it cannot place.
fn graph_of(files: &[(String, String)]) -> Graph {
    let lib = files.iter().find(|(path, _)| path == "lib.rs").map(|(_, text)| text.as_str()).unwrap_or("");
    let mut reexports = root_reexports(lib);
    // `#[macro_export]` macros live at the root: `crate::name!` is the
    // module that defines them.
    for (path, text) in files {
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if line == "#[macro_export]" {
                if let Some(name) = lines.next().and_then(|next| next.strip_prefix("macro_rules! ")) {
                    reexports.insert(name.trim_end_matches(" {").trim().to_owned(), top_level(path));
                }
            }
        }
    }
    let modules: BTreeSet<String> =
        files.iter().filter(|(path, _)| path != "lib.rs").map(|(path, _)| top_level(path)).collect();
    let mut graph = Graph::new();
    for (path, text) in files {
        if path == "lib.rs" {
            continue;
        }
        let from = top_level(path);
        let edges = graph.entry(from.clone()).or_default();
        for name in crate_references(&code_of(text)) {
            let to = if modules.contains(&name) {
                name
            } else if let Some(module) = reexports.get(&name) {
                module.clone()
            } else {
                panic!("src/{path}: `crate::{name}` is neither a top-level module nor a root re-export of lib.rs");
            };
            if to != from {
                edges.entry(to).or_insert_with(|| path.clone());
            }
        }
    }
    graph
}

fn top_level(path: &str) -> String {
    let first = path.split('/').next().expect("a path");
    first.strip_suffix(".rs").unwrap_or(first).to_owned()
}

/// Every circle of the graph, each as the modules along it (the first
/// repeated at the end), found once from its smallest module.
fn circles(graph: &Graph) -> Vec<Vec<String>> {
    fn walk(graph: &Graph, start: &str, at: &str, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
        for next in graph.get(at).into_iter().flat_map(|edges| edges.keys()) {
            if next == start {
                let mut circle = path.clone();
                circle.push(start.to_owned());
                found.push(circle);
            } else if next.as_str() > start && !path.contains(next) {
                path.push(next.clone());
                walk(graph, start, next, path, found);
                path.pop();
            }
        }
    }
    let mut found = Vec::new();
    for start in graph.keys() {
        walk(graph, start, start, &mut vec![start.clone()], &mut found);
    }
    found
}

/// Every reference that goes up a layer, and every module in no layer.
fn layer_faults(graph: &Graph) -> Vec<String> {
    let mut faults = Vec::new();
    for (from, edges) in graph {
        let Some(from_layer) = layer_of(from) else {
            faults.push(format!("`{from}` is in no layer: place it in LAYERS and docs/ARCHITECTURE.md"));
            continue;
        };
        for (to, file) in edges {
            match layer_of(to) {
                Some(to_layer) if to_layer > from_layer => faults.push(format!(
                    "src/{file}: `{from}` ({}) reaches `{to}` ({}), a layer above it",
                    LAYERS[from_layer].0, LAYERS[to_layer].0
                )),
                _ => {}
            }
        }
    }
    faults
}

fn library_files(src: &Path) -> Vec<(String, String)> {
    let mut paths = Vec::new();
    rust_files(src, &mut paths);
    paths
        .into_iter()
        // The binary is no part of the library; a `tests.rs` is a parent's
        // `#[cfg(test)] mod tests;`.
        .filter(|path| !path.starts_with(src.join("bin")) && !path.ends_with("tests.rs"))
        .map(|path| {
            let relative = path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (relative, text)
        })
        .collect()
}

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_top_level_module_reaches_one_that_reaches_it_back() {
    let graph = graph_of(&library_files(&source_dir()));
    let found = circles(&graph);
    let described: Vec<String> = found
        .iter()
        .map(|circle| {
            let steps: Vec<String> = circle
                .windows(2)
                .map(|pair| format!("{} -> {} (src/{})", pair[0], pair[1], graph[&pair[0]][&pair[1]]))
                .collect();
            steps.join(", ")
        })
        .collect();
    assert!(described.is_empty(), "module circles:\n{}", described.join("\n"));
}

#[test]
fn every_module_reaches_only_its_own_layer_and_those_below() {
    let graph = graph_of(&library_files(&source_dir()));
    let faults = layer_faults(&graph);
    assert!(faults.is_empty(), "layer faults:\n{}", faults.join("\n"));
    // Every layer is in use: a module renamed away from the table is found.
    for (layer, modules) in LAYERS {
        for module in *modules {
            assert!(graph.contains_key(*module), "LAYERS names `{module}` ({layer}), which src/ does not have");
        }
    }
}

#[test]
fn the_library_has_no_command_line_module() {
    let src = source_dir();
    assert!(!src.join("cli.rs").exists() && !src.join("cli").exists(), "src/cli belongs in src/bin/ctpolicy/");
    for (path, text) in library_files(&src) {
        let code = code_of(&text);
        assert!(!code.contains("mod cli"), "src/{path} declares a cli module: the command line is the binary's");
        let from_outside = code.match_indices("ctpolicy::").any(|(at, _)| {
            // `$ctpolicy::…` is a serde name spelled in a string, not a path.
            at == 0 || !(is_ident_byte(code.as_bytes()[at - 1]) || code.as_bytes()[at - 1] == b'$')
        });
        assert!(!from_outside, "src/{path} names the crate from outside, as only the binary may");
    }
}

/// The scanner itself, on sources shaped like the circles the library once
/// had: a check that finds nothing in these would pass on anything.
#[test]
fn the_scanner_finds_circles_group_imports_and_root_reexports() {
    let files: Vec<(String, String)> = [
        ("lib.rs", "pub mod charge;\npub use decision::{Engine, Verdict};\n"),
        ("charge.rs", "use crate::Engine;\n// crate::json in a comment is no reference\nimpl Engine {}\n"),
        ("decision.rs", "use crate::{charge::RuleSet, error::Error};\n"),
        ("error.rs", "pub struct Error;\n#[cfg(test)]\nmod tests {\n    use crate::decision::Engine;\n}\n"),
        ("facts.rs", "pub struct Facts<'a> { pub policy: &'a crate::policy::Policy }\n"),
        ("policy.rs", "use crate::rules::{self, RULES};\n"),
        ("rules/mod.rs", "pub use crate::facts::Facts;\n"),
        ("rules/token.rs", "fn f(_: &crate::ffi::ctp_buf) {}\n"),
        ("ffi/mod.rs", "pub struct ctp_buf;\n"),
    ]
    .iter()
    .map(|(path, text)| (path.to_string(), text.to_string()))
    .collect();
    let graph = graph_of(&files);
    let found = circles(&graph);
    let expected: Vec<Vec<String>> = vec![
        vec!["charge".into(), "decision".into(), "charge".into()],
        vec!["facts".into(), "policy".into(), "rules".into(), "facts".into()],
    ];
    assert_eq!(found, expected);
    assert!(!graph["error"].contains_key("decision"), "a test module is no dependency");
    assert!(!graph["charge"].contains_key("json"), "a comment is no dependency");
    let faults = layer_faults(&graph);
    assert!(faults.iter().any(|fault| fault.contains("`rules` (decide) reaches `ffi` (edges)")), "{faults:?}");
}
