//! `ctpolicy vault lint`: the export read from files (or stdin) as JSON
//! Lines, findings out as JSON Lines or a table, exit status as docs/VAULT.md V2
//! says. The binary only parses the arguments and calls [`run`].

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;

use serde::Serialize;

use super::{parse_stale_days, VaultCode, VaultFinding, VaultLint, VaultOptions, VaultSeverity};
use crate::cli::{Line, LineReader};
use crate::policy::Policy;
use crate::redact::cli::display_name;

/// The command line, as parsed by the binary.
#[derive(Debug, Clone, Default)]
pub struct LintArgs {
    pub policy: Option<PathBuf>,
    pub now: Option<String>,
    pub stale_days: Option<String>,
    pub summary: bool,
    /// A table instead of JSON Lines.
    pub table: bool,
    /// The export's files in order; `-` is stdin; none means stdin.
    pub files: Vec<PathBuf>,
}

/// A finding as the command line prints it: the library's finding plus the
/// file names (`related_file` is set whenever `related_line` is).
#[derive(Debug, Serialize)]
pub struct FileFinding<'a> {
    pub file: &'a str,
    pub line: u64,
    pub code: VaultCode,
    pub severity: VaultSeverity,
    pub detail: Option<&'a str>,
    pub fingerprint: Option<&'a str>,
    pub related_line: Option<u64>,
    pub related_file: Option<&'a str>,
}

/// Counts for `--summary`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LintSummary {
    pub records: u64,
    pub clean_records: u64,
    pub errors: u64,
    pub warnings: u64,
    pub per_code: BTreeMap<VaultCode, u64>,
}

impl LintSummary {
    fn count(&mut self, findings: &[VaultFinding]) {
        self.records += 1;
        if findings.is_empty() {
            self.clean_records += 1;
        }
        for finding in findings {
            *self.per_code.entry(finding.code).or_default() += 1;
            match finding.severity {
                VaultSeverity::Error => self.errors += 1,
                VaultSeverity::Warn => self.warnings += 1,
            }
        }
    }

    /// The `--summary` text: records read, records without findings, and
    /// the count of each code (V1 order).
    pub fn render(&self) -> String {
        let mut out = format!(
            "vault lint: {} records read, {} without findings; {} errors, {} warnings\n",
            self.records, self.clean_records, self.errors, self.warnings
        );
        for (code, count) in &self.per_code {
            out.push_str(&format!("  {:<26} {:>5}  {count}\n", code.as_str(), code.severity().as_str()));
        }
        out
    }
}

/// One input of the export: its name as given and its reader.
struct Source {
    name: String,
    reader: Box<dyn BufRead>,
}

/// Where a position of the whole export is: which file, which line.
struct Files {
    /// (first global position of the file minus 1, name), in order.
    starts: Vec<(u64, String)>,
}

impl Files {
    fn locate(&self, at: u64) -> (&str, u64) {
        let index = self.starts.partition_point(|(offset, _)| *offset < at) - 1;
        let (offset, name) = &self.starts[index];
        (name, at - offset)
    }
}

/// A failure before or during the run: the message for stderr (it names
/// the file or option at fault, never a value that could be a token).
#[derive(Debug)]
pub struct Failure(pub String);

/// Checks the options, loads the policy and opens every file, in that
/// order, before a single record is read (V2).
fn prepare(args: &LintArgs) -> Result<(VaultOptions, Vec<Source>), Failure> {
    let stale_days = args
        .stale_days
        .as_deref()
        .map(parse_stale_days)
        .transpose()
        .map_err(|_| Failure("--stale-days: must be a decimal integer of 0 or more".into()))?;
    if let Some(now) = &args.now {
        if crate::timestamp::parse(now).is_none() {
            return Err(Failure("--now: must be an RFC 3339 timestamp (such as 2026-01-31T00:00:00Z)".into()));
        }
    }
    if stale_days.is_some() && args.now.is_none() {
        return Err(Failure("--stale-days needs --now (the lint reads no clock)".into()));
    }
    let policy = match &args.policy {
        None => Policy::default(),
        Some(path) => {
            let name = display_name(path);
            let bytes = std::fs::read(path).map_err(|e| Failure(format!("{name}: cannot read the policy: {e}")))?;
            Policy::from_json(&bytes).map_err(|e| Failure(format!("{name}: the policy did not load: {e}")))?
        }
    };
    let options = VaultOptions::new(Some(&policy), args.now.as_deref(), stale_days)
        .map_err(|e| Failure(format!("the options are invalid: {e}")))?;
    let mut sources = Vec::new();
    if args.files.is_empty() {
        sources.push(Source { name: "-".into(), reader: Box::new(BufReader::with_capacity(1 << 16, io::stdin())) });
    }
    for path in &args.files {
        // Findings and messages name the file; a path can hold a token.
        let name = display_name(path);
        if name == "-" {
            sources.push(Source { name, reader: Box::new(BufReader::with_capacity(1 << 16, io::stdin())) });
            continue;
        }
        let file = File::open(path).map_err(|e| Failure(format!("{name}: cannot open: {e}")))?;
        let is_dir = file.metadata().map_err(|e| Failure(format!("{name}: cannot read: {e}")))?.is_dir();
        if is_dir {
            return Err(Failure(format!("{name}: is a directory, not an export")));
        }
        sources.push(Source { name, reader: Box::new(BufReader::with_capacity(1 << 16, file)) });
    }
    Ok((options, sources))
}

/// The run's result: the exit status (0, 1 or 2) and the counts.
pub struct Outcome {
    pub exit: u8,
    pub summary: LintSummary,
}

/// Runs the lint. `out` receives the findings; `err` the failure messages
/// and the summary. An error writing `out` is returned (a closed pipe is
/// the caller's to judge); everything else becomes exit status 2.
pub fn run(args: &LintArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Outcome> {
    let (options, sources) = match prepare(args) {
        Ok(ready) => ready,
        Err(Failure(message)) => {
            writeln!(err, "ctpolicy: {message}")?;
            return Ok(Outcome { exit: 2, summary: LintSummary::default() });
        }
    };
    let mut lint = VaultLint::new(options);
    let mut files = Files { starts: Vec::with_capacity(sources.len()) };
    let mut summary = LintSummary::default();
    let mut table = Table::default();
    let mut read_failure = None;
    let mut offset = 0u64;
    for source in sources {
        files.starts.push((offset, source.name.clone()));
        let file_index = files.starts.len() - 1;
        let mut reader = LineReader::new(source.reader);
        loop {
            let (line_number, line) = match reader.next_line(b'\n', true) {
                Ok(Some(next)) => next,
                Ok(None) => break,
                Err(e) => {
                    read_failure = Some(format!("{}: read error after line {}: {e}", source.name, reader.line_number));
                    break;
                }
            };
            let at = offset + line_number;
            let findings = match line {
                Line::Text(bytes) => lint.lint_at(at, Some(bytes)),
                Line::TooLong => lint.lint_at(at, None),
            };
            summary.count(&findings);
            for finding in &findings {
                if args.table {
                    table.add(file_index, line_number, finding);
                } else {
                    write_jsonl(out, &source.name, line_number, finding, &files)?;
                }
            }
        }
        if read_failure.is_some() {
            break;
        }
        offset += reader.line_number;
    }
    if args.table {
        table.render(out, &files)?;
    }
    out.flush()?;
    if let Some(message) = &read_failure {
        writeln!(err, "ctpolicy: {message}")?;
    }
    if args.summary {
        err.write_all(summary.render().as_bytes())?;
    }
    let exit = if read_failure.is_some() {
        2
    } else if summary.errors > 0 {
        1
    } else {
        0
    };
    Ok(Outcome { exit, summary })
}

fn write_jsonl(out: &mut dyn Write, file: &str, line: u64, finding: &VaultFinding, files: &Files) -> io::Result<()> {
    let related = finding.related_line.map(|at| files.locate(at));
    let printed = FileFinding {
        file,
        line,
        code: finding.code,
        severity: finding.severity,
        detail: finding.detail.as_deref(),
        fingerprint: finding.fingerprint.as_deref(),
        related_line: related.map(|(_, line)| line),
        related_file: related.map(|(name, _)| name),
    };
    serde_json::to_writer(&mut *out, &printed).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The terminal table: findings grouped by code (V1 order), each with the
/// file and line. It holds every finding (not the records) until the end.
#[derive(Default)]
struct Table {
    rows: BTreeMap<VaultCode, Vec<TableRow>>,
}

struct TableRow {
    file: usize,
    line: u64,
    detail: Option<String>,
    related: Option<u64>,
}

impl Table {
    fn add(&mut self, file: usize, line: u64, finding: &VaultFinding) {
        self.rows.entry(finding.code).or_default().push(TableRow {
            file,
            line,
            detail: finding.detail.as_deref().map(str::to_owned),
            related: finding.related_line,
        });
    }

    fn render(&self, out: &mut dyn Write, files: &Files) -> io::Result<()> {
        if self.rows.is_empty() {
            return writeln!(out, "no findings");
        }
        for (code, rows) in &self.rows {
            let noun = if rows.len() == 1 { "finding" } else { "findings" };
            writeln!(out, "{} ({}): {} {noun}", code.as_str(), code.severity().as_str(), rows.len())?;
            for row in rows {
                let name = &files.starts[row.file].1;
                let mut text = format!("    {name}:{}", row.line);
                if let Some(detail) = &row.detail {
                    text.push_str(&format!("  {detail}"));
                }
                if let Some(at) = row.related {
                    let (related_file, related_line) = files.locate(at);
                    text.push_str(&format!("  (first at {related_file}:{related_line})"));
                }
                writeln!(out, "{text}")?;
            }
        }
        Ok(())
    }
}
