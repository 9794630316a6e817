//! `vault lint --shard I/N` and `vault merge`: N shards report together
//! exactly the findings of one plain run (the library's findings, and the
//! CLI's bytes after merge), each finding in the shard its token (or, for
//! DUPLICATE_REFERENCE, its reference) falls in, each shard holding about
//! 1/N of the duplicate tables; merge refuses an incomplete set. The
//! 2,000,000-record run is `make bench-vault-shards` (docs/BENCHMARKS.md).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ctpolicy::vault::{Shard, VaultFinding, VaultLint, VaultOptions};
use serde_json::Value;
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_ctpolicy");

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ctpolicy-shards-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small deterministic generator (no randomness crate needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// An export with every kind of finding, duplicates of tokens and of
/// references (across files too), tokens that are not strings, unreadable
/// and blank lines.
fn export(n: u64, seed: u64) -> String {
    let mut rng = Lcg(seed);
    let mut text = String::new();
    for i in 0..n {
        let k = rng.next() % 1000;
        let mut token = format!("krn:customer-token:eu1:{i:08x}-5b1c-4e8f-9a6d-{i:012x}");
        let mut reference = format!("sub-{i}");
        let (mut state, mut extra) = ("ACTIVE", String::new());
        match k {
            0..=19 => {
                let j = rng.next() % (i + 1);
                token = format!("krn:customer-token:eu1:{j:08x}-5b1c-4e8f-9a6d-{j:012x}");
            }
            20..=44 => reference = format!("sub-{}", rng.next() % (i / 2 + 1)),
            45..=49 => reference = format!("sub-{}", rng.next() % 50),
            50..=54 => {
                text.push_str("{\"customer_token\":12,\"scopes\":[],\"state\":\"ACTIVE\"}\n");
                continue;
            }
            55..=59 => {
                text.push_str("{oops\n");
                continue;
            }
            60..=64 => {
                text.push_str(" \t\n");
                continue;
            }
            65..=69 => token.push(' '),
            70..=74 => state = "REVOKED",
            75..=79 => extra = r#","revoked_at":"2026-01-01T00:00:00Z""#.to_owned(),
            80..=84 => token = format!("krn:customer-token:us1:{i}"),
            85..=89 => extra = r#","last_used_at":"2024-01-01T00:00:00Z""#.to_owned(),
            90..=94 => extra = r#","created_at":"2027-01-01T00:00:00Z""#.to_owned(),
            100..=104 => token = format!("krn:partner:eu1:live:identity:customer-token:{i}x"),
            105..=109 => extra = r#","scopes2":1"#.to_owned(),
            110..=114 => {
                text.push_str(&format!(
                    r#"{{"customer_token":"{token}","scopes":["payment:customer_not_present","payment:other"],"state":"ACTIVE"}}"#
                ));
                text.push('\n');
                continue;
            }
            115..=119 => token = format!("krn:payment:eu1:transaction:{i}"),
            95..=99 => {
                text.push_str(&format!(r#"{{"customer_token":"{token}","scopes":"x","state":"ACTIVE"}}"#));
                text.push('\n');
                continue;
            }
            _ => {}
        }
        let created = if extra.contains("created_at") { "" } else { r#","created_at":"2025-11-02T09:14:00Z""# };
        text.push_str(&format!(
            r#"{{"customer_token":"{token}","customer_token_reference":"{reference}","scopes":["payment:customer_not_present"],"state":"{state}"{created},"last_used_at":"2026-10-02T09:15:12Z","customer_id":"cus-{i}"{extra}}}"#
        ));
        text.push('\n');
    }
    text
}

fn options() -> VaultOptions {
    VaultOptions::from_text(br#"{"allowed_regions":["eu1"]}"#, Some("2026-11-30T00:00:00Z"), Some("30")).unwrap()
}

fn lint_all(shard: Shard, records: &[&[u8]]) -> Vec<VaultFinding> {
    let mut lint = VaultLint::with_shard(options(), shard);
    records.iter().flat_map(|record| lint.feed(record)).collect()
}

/// The shard a byte string falls in, computed here from the definition.
fn shard_of(bytes: &[u8], n: u64) -> u64 {
    let digest = Sha256::digest(bytes);
    1 + u64::from_be_bytes(digest[..8].try_into().unwrap()) % n
}

#[test]
fn the_shards_of_the_library_report_exactly_the_plain_findings() {
    let text = export(6_000, 1);
    let records: Vec<&[u8]> =
        text.lines().filter(|l| !l.bytes().all(|b| b" \t\r".contains(&b))).map(str::as_bytes).collect();
    let plain = lint_all(Shard::ALL, &records);
    let codes: std::collections::BTreeSet<_> = plain.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.len() >= 13, "the export exercises most codes: {codes:?}");
    for n in 1..=5u64 {
        let mut union: Vec<(u64, usize, VaultFinding)> = Vec::new();
        for i in 1..=n {
            for (k, finding) in lint_all(Shard::new(i, n).unwrap(), &records).into_iter().enumerate() {
                // Each finding is in the shard the definition puts it in.
                let record = records[finding.line as usize - 1];
                let value: Value = serde_json::from_slice(record).unwrap_or(Value::Null);
                // A line the strict reader cannot read (here also one with a
                // duplicate key, which serde_json reads) has no token.
                let expected = if finding.code.as_str() == "RECORD_UNREADABLE" {
                    1
                } else if finding.code.as_str() == "DUPLICATE_REFERENCE" {
                    shard_of(value["customer_token_reference"].as_str().unwrap().as_bytes(), n)
                } else {
                    value["customer_token"].as_str().map_or(1, |t| shard_of(t.as_bytes(), n))
                };
                assert_eq!(expected, i, "{} of line {} in shard {i}/{n}", finding.code.as_str(), finding.line);
                union.push((finding.line, k, finding));
            }
        }
        // Merge as `vault merge` does: by line, then V1 order (stable).
        union.sort_by_key(|(line, _, finding)| (*line, finding.code));
        let merged: Vec<VaultFinding> = union.into_iter().map(|(_, _, f)| f).collect();
        assert_eq!(merged, plain, "{n} shards");
    }
}

#[test]
fn a_shard_holds_about_a_quarter_of_the_duplicate_tables() {
    let text = export(120_000, 2);
    let measure = |shard: Shard| {
        let mut lint = VaultLint::with_shard(options(), shard);
        for line in text.lines() {
            lint.feed(line.as_bytes());
        }
        lint.heap_bytes()
    };
    let plain = measure(Shard::ALL);
    for i in 1..=4 {
        let share = measure(Shard::new(i, 4).unwrap()) as f64 / plain as f64;
        // A quarter, give or take a table's growth step.
        assert!((0.12..=0.40).contains(&share), "shard {i}/4 holds {share:.2} of the plain run's tables");
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().unwrap()
}

fn lint_args<'a>(shard: Option<&'a str>, files: &[&'a str]) -> Vec<&'a str> {
    let mut args =
        vec!["vault", "lint", "--policy", "policy.json", "--now", "2026-11-30T00:00:00Z", "--stale-days", "30"];
    if let Some(shard) = shard {
        args.extend(["--shard", shard]);
    }
    args.extend(files);
    args
}

/// Runs N shards into files s1..sN and merges them.
fn shards_and_merge(dir: &Path, n: u64, files: &[&str]) -> (Vec<PathBuf>, Output) {
    let tag = files.join("+");
    let mut outputs = Vec::new();
    for i in 1..=n {
        let shard = format!("{i}/{n}");
        let output = run(dir, &lint_args(Some(&shard), files));
        assert!(matches!(output.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&output.stderr));
        let last: Value =
            serde_json::from_slice(output.stdout.trim_ascii_end().rsplit(|b| *b == b'\n').next().unwrap()).unwrap();
        assert_eq!(last["shard"], shard.as_str());
        assert_eq!(last["files"], serde_json::json!(files));
        assert_eq!(last["exit"].as_i64(), output.status.code().map(i64::from));
        let path = dir.join(format!("{tag}.s{i}-of-{n}.out"));
        std::fs::write(&path, &output.stdout).unwrap();
        outputs.push(path);
    }
    let mut args = vec!["vault".to_owned(), "merge".to_owned()];
    // In any order.
    args.extend(outputs.iter().rev().map(|p| p.to_str().unwrap().to_owned()));
    let merged = Command::new(BIN).args(&args).current_dir(dir).output().unwrap();
    (outputs, merged)
}

#[test]
fn merged_shards_are_byte_identical_to_one_plain_run() {
    let dir = temp_dir("identical");
    std::fs::write(dir.join("policy.json"), r#"{"allowed_regions":["eu1"]}"#).unwrap();
    std::fs::write(dir.join("a.jsonl"), export(20_000, 3)).unwrap();
    std::fs::write(dir.join("b.jsonl"), export(5_000, 4)).unwrap();
    // b twice (duplicates across files), a file given again stays apart.
    let files = ["a.jsonl", "b.jsonl", "b.jsonl"];
    let plain = run(&dir, &lint_args(None, &files));
    assert_eq!(plain.status.code(), Some(1));
    assert!(plain.stdout.len() > 100_000);
    for n in [1, 2, 4, 7] {
        let (_, merged) = shards_and_merge(&dir, n, &files);
        assert_eq!(merged.status.code(), Some(1), "{}", String::from_utf8_lossy(&merged.stderr));
        assert!(merged.stdout == plain.stdout, "{n} shards merged differ from the plain run");
    }
    // Every finding of a shard carries file_index as its last key.
    let one = run(&dir, &lint_args(Some("2/4"), &files));
    let text = String::from_utf8(one.stdout).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    assert!(lines.iter().all(|l| l.contains(r#""file_index":"#) && l.ends_with('}')));
    assert!(lines.iter().any(|l| l.ends_with(r#","file_index":2}"#)), "the second b.jsonl is index 2");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merge_refuses_a_set_that_is_not_one_whole_run() {
    let dir = temp_dir("refuse");
    std::fs::write(dir.join("policy.json"), "{}").unwrap();
    std::fs::write(dir.join("a.jsonl"), export(2_000, 5)).unwrap();
    std::fs::write(dir.join("b.jsonl"), export(2_000, 6)).unwrap();
    let (outputs, merged) = shards_and_merge(&dir, 3, &["a.jsonl"]);
    assert_eq!(merged.status.code(), Some(1));
    let (others, _) = shards_and_merge(&dir, 2, &["a.jsonl"]);
    let (other_files, _) = shards_and_merge(&dir, 3, &["b.jsonl"]);
    let path = |p: &PathBuf| p.to_str().unwrap().to_owned();
    let refused = |files: Vec<String>, why: &str| {
        let mut args = vec!["vault".to_owned(), "merge".to_owned()];
        args.extend(files);
        let output = Command::new(BIN).args(&args).current_dir(&dir).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{why}");
        assert!(output.stdout.is_empty(), "{why}: nothing is written");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(stderr.contains("ctpolicy vault merge:"), "{why}: {stderr}");
        stderr
    };
    let missing = refused(vec![path(&outputs[0]), path(&outputs[2])], "missing");
    assert!(missing.contains("2/3 is missing"), "{missing}");
    let twice = refused(vec![path(&outputs[0]), path(&outputs[1]), path(&outputs[1]), path(&outputs[2])], "repeated");
    assert!(twice.contains("twice"), "{twice}");
    refused(vec![path(&outputs[0]), path(&outputs[1]), path(&others[1])], "another N");
    refused(vec![path(&outputs[0]), path(&outputs[1]), path(&other_files[2])], "other files");
    // A shard that did not finish (its last line cut off).
    let cut = dir.join("cut.jsonl");
    let text = std::fs::read_to_string(&outputs[1]).unwrap();
    let without_last = &text[..text.trim_end().rfind('\n').unwrap() + 1];
    std::fs::write(&cut, without_last).unwrap();
    refused(vec![path(&outputs[0]), path(&cut), path(&outputs[2])], "unfinished");
    // A shard that exited 2.
    let failed = dir.join("failed.jsonl");
    std::fs::write(&failed, text.replace(r#","exit":1}"#, r#","exit":2}"#).replace(r#","exit":0}"#, r#","exit":2}"#))
        .unwrap();
    refused(vec![path(&outputs[0]), path(&failed), path(&outputs[2])], "exited 2");
    refused(vec![path(&outputs[0]), path(&outputs[1]), dir.join("none").to_str().unwrap().to_owned()], "unreadable");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_shard_option_fails_before_anything_is_linted() {
    let dir = temp_dir("options");
    std::fs::write(dir.join("policy.json"), "{}").unwrap();
    std::fs::write(dir.join("a.jsonl"), export(10, 7)).unwrap();
    for bad in ["0/4", "5/4", "1/0", "a/b", "1/4/2", "-1/4", "1", "", " 1/4"] {
        let output = run(&dir, &lint_args(Some(bad), &["a.jsonl"]));
        assert_eq!(output.status.code(), Some(2), "--shard {bad:?}");
        assert!(output.stdout.is_empty());
        assert!(String::from_utf8_lossy(&output.stderr).contains("--shard"), "--shard {bad:?}");
    }
    assert_eq!(Shard::parse("3/4").unwrap(), Shard::new(3, 4).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}
