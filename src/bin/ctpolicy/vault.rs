//! `ctpolicy vault lint`: the export read from files (or stdin) as JSON
//! Lines, findings out as JSON Lines or a table, exit status as docs/VAULT.md V2
//! says. The binary only parses the arguments and calls [`run`].

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::cli::{Line, LineReader};
use ctpolicy::policy::Policy;
use ctpolicy::redact::display_name;
use ctpolicy::vault::{parse_stale_days, Shard, VaultCode, VaultFinding, VaultLint, VaultOptions, VaultSeverity};

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
    /// `--shard I/N` as typed: report only that shard's findings, as JSON
    /// Lines with `file_index` and a last line for `vault merge`.
    pub shard: Option<String>,
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
    /// In a shard's output only: which of the run's files, as the last key
    /// (so that `vault merge` gives back the plain run's bytes by cutting
    /// it off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_index: Option<usize>,
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
fn prepare(args: &LintArgs) -> Result<(VaultOptions, Shard, Vec<Source>), Failure> {
    let shard = match &args.shard {
        None => Shard::ALL,
        Some(text) => {
            Shard::parse(text).map_err(|_| Failure("--shard: must be I/N, decimal integers with 1 <= I <= N".into()))?
        }
    };
    let stale_days = args
        .stale_days
        .as_deref()
        .map(parse_stale_days)
        .transpose()
        .map_err(|_| Failure("--stale-days: must be a decimal integer of 0 or more".into()))?;
    if let Some(now) = &args.now {
        if !ctpolicy::is_timestamp(now) {
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
    Ok((options, shard, sources))
}

/// The run's result: the exit status (0, 1 or 2).
pub struct Outcome {
    pub exit: u8,
}

/// Runs the lint. `out` receives the findings; `err` the failure messages
/// and the summary. An error writing `out` is returned (a closed pipe is
/// the caller's to judge); everything else becomes exit status 2.
pub fn run(args: &LintArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Outcome> {
    let (options, shard, sources) = match prepare(args) {
        Ok(ready) => ready,
        Err(Failure(message)) => {
            writeln!(err, "ctpolicy: {message}")?;
            return Ok(Outcome { exit: 2 });
        }
    };
    let sharded = args.shard.is_some();
    let as_table = args.table && !sharded;
    let mut lint = VaultLint::with_shard(options, shard);
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
                if as_table {
                    table.add(file_index, line_number, finding);
                } else {
                    let index = sharded.then_some(file_index);
                    write_jsonl(out, &source.name, line_number, finding, &files, index)?;
                }
            }
        }
        if read_failure.is_some() {
            break;
        }
        offset += reader.line_number;
    }
    if as_table {
        table.render(out, &files)?;
    }
    let exit = if read_failure.is_some() {
        2
    } else if summary.errors > 0 {
        1
    } else {
        0
    };
    if sharded {
        let names: Vec<&str> = files.starts.iter().map(|(_, name)| name.as_str()).collect();
        let last = ShardLine { shard: shard.to_string(), files: names, records: summary.records, exit };
        let mut line = ctpolicy::to_json(&last);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    if let Some(message) = &read_failure {
        writeln!(err, "ctpolicy: {message}")?;
    }
    if args.summary {
        err.write_all(summary.render().as_bytes())?;
    }
    Ok(Outcome { exit })
}

/// The last line of a shard's output: which shard, over which files, how
/// many records it read and the exit status it gave.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
struct ShardLine<S> {
    shard: String,
    files: Vec<S>,
    records: u64,
    exit: u8,
}

fn write_jsonl(
    out: &mut dyn Write,
    file: &str,
    line: u64,
    finding: &VaultFinding,
    files: &Files,
    file_index: Option<usize>,
) -> io::Result<()> {
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
        file_index,
    };
    let mut line = ctpolicy::to_json(&printed);
    line.push('\n');
    out.write_all(line.as_bytes())
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

/// `ctpolicy vault merge FILE ...`: the outputs of the N shards of one
/// `vault lint --shard I/N` run, in any order, merged into the output of
/// one plain run: every finding without `file_index`, by file position,
/// line, then V1 order. Exit 2 (nothing on stdout) when a shard is
/// missing, repeated, from another run (other N, files or record count),
/// did not finish (no last line) or exited 2; else 1 when any finding is
/// an error, 0 otherwise. Memory: one line per shard (the shards' outputs
/// are each in input order, so they are merged as streams).
pub fn merge(paths: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> io::Result<u8> {
    let shards = match open_shards(paths) {
        Ok(shards) => shards,
        Err(Failure(message)) => {
            writeln!(err, "ctpolicy vault merge: {message}")?;
            return Ok(2);
        }
    };
    match merge_streams(shards, out)? {
        Ok(any_error) => {
            out.flush()?;
            Ok(u8::from(any_error))
        }
        Err(Failure(message)) => {
            out.flush()?;
            writeln!(err, "ctpolicy vault merge: {message}")?;
            Ok(2)
        }
    }
}

/// One shard's output: its findings (the bytes before its last line) and
/// the shard it says it is.
struct ShardOutput {
    name: String,
    reader: io::Take<BufReader<File>>,
    shard: Shard,
}

/// Opens every output, reads and checks every last line, before anything
/// is written.
fn open_shards(paths: &[PathBuf]) -> Result<Vec<ShardOutput>, Failure> {
    if paths.is_empty() {
        return Err(Failure("give the output files of every shard of one run".into()));
    }
    let mut outputs = Vec::with_capacity(paths.len());
    let mut first: Option<(String, ShardLine<String>)> = None;
    for path in paths {
        let name = display_name(path);
        let mut file = File::open(path).map_err(|e| Failure(format!("{name}: cannot open: {e}")))?;
        let (start, last) = last_line(&mut file).map_err(|e| Failure(format!("{name}: cannot read: {e}")))?;
        let line: ShardLine<String> = serde_json::from_slice(&last).map_err(|_| {
            Failure(format!("{name}: its last line is not a shard's last line (the shard did not finish, or this is not a shard's output)"))
        })?;
        let shard = Shard::parse(&line.shard).map_err(|_| Failure(format!("{name}: its shard is not I/N")))?;
        if line.exit == 2 {
            return Err(Failure(format!(
                "{name}: shard {shard} exited 2 (a file could not be read): its findings are not whole"
            )));
        }
        match &first {
            None => {
                first = Some((
                    name.clone(),
                    ShardLine {
                        shard: line.shard.clone(),
                        files: line.files.clone(),
                        records: line.records,
                        exit: line.exit,
                    },
                ))
            }
            Some((first_name, expected)) => {
                let expected_count = Shard::parse(&expected.shard).map(Shard::count).unwrap_or(0);
                if shard.count() != expected_count {
                    return Err(Failure(format!(
                        "{name} is a shard of {}, {first_name} of {expected_count}: not one run",
                        shard.count()
                    )));
                }
                if line.files != expected.files || line.records != expected.records {
                    return Err(Failure(format!(
                        "{name} and {first_name} linted other files or another number of records: not one run"
                    )));
                }
            }
        }
        if let Some(other) = outputs.iter().find(|o: &&ShardOutput| o.shard == shard) {
            return Err(Failure(format!("shard {shard} is given twice ({} and {name})", other.name)));
        }
        let reader = io::Read::take(BufReader::with_capacity(1 << 16, file), start);
        outputs.push(ShardOutput { name, reader, shard });
    }
    let count = outputs[0].shard.count();
    let missing: Vec<String> = (1..=count)
        .filter(|i| !outputs.iter().any(|o| o.shard.index() == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Failure(format!("shard {} is missing: every shard of one run is needed", missing.join(", "))));
    }
    Ok(outputs)
}

/// The last line of a file (without its `\n`) and the offset it starts at,
/// leaving the file at offset 0.
fn last_line(file: &mut File) -> io::Result<(u64, Vec<u8>)> {
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::FileExt;
    let len = file.metadata()?.len();
    let mut end = len;
    let mut buffer = vec![0u8; 1 << 16];
    if end > 0 {
        let mut byte = [0u8; 1];
        file.read_exact_at(&mut byte, end - 1)?;
        if byte[0] == b'\n' {
            end -= 1;
        }
    }
    let mut start = end;
    'search: while start > 0 {
        let from = start.saturating_sub(buffer.len() as u64);
        let chunk = &mut buffer[..(start - from) as usize];
        file.read_exact_at(chunk, from)?;
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            start = from + i as u64 + 1;
            break 'search;
        }
        start = from;
    }
    let mut last = vec![0u8; (end - start) as usize];
    file.read_exact_at(&mut last, start)?;
    file.seek(SeekFrom::Start(0))?;
    Ok((start, last))
}

/// What merge reads of a shard's finding.
#[derive(serde::Deserialize)]
struct MergeKey {
    line: u64,
    code: String,
    severity: String,
    file_index: u64,
}

/// The next finding of a shard: its sort key and its plain bytes.
fn next_finding(output: &mut ShardOutput, line: &mut Vec<u8>) -> Result<Option<(u64, u64, usize, bool)>, Failure> {
    line.clear();
    let read =
        output.reader.read_until(b'\n', line).map_err(|e| Failure(format!("{}: read error: {e}", output.name)))?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    let bad = || Failure(format!("{}: a line is not a shard's finding", output.name));
    let key: MergeKey = serde_json::from_slice(line).map_err(|_| bad())?;
    let rank = VaultCode::ALL.iter().position(|c| c.as_str() == key.code).ok_or_else(bad)?;
    let suffix = format!(",\"file_index\":{}}}", key.file_index);
    if !line.ends_with(suffix.as_bytes()) {
        return Err(bad());
    }
    line.truncate(line.len() - suffix.len());
    line.extend_from_slice(b"}\n");
    Ok(Some((key.file_index, key.line, rank, key.severity == "error")))
}

/// Merges the shards' findings as streams; `Ok(Ok(any error finding))`.
fn merge_streams(mut shards: Vec<ShardOutput>, out: &mut dyn Write) -> io::Result<Result<bool, Failure>> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut lines: Vec<Vec<u8>> = vec![Vec::new(); shards.len()];
    let mut last_key: Vec<(u64, u64, usize)> = vec![(0, 0, 0); shards.len()];
    let mut heap = BinaryHeap::new();
    let mut any_error = false;
    for (i, shard) in shards.iter_mut().enumerate() {
        match next_finding(shard, &mut lines[i]) {
            Ok(Some((file, line, rank, error))) => heap.push(Reverse((file, line, rank, i, error))),
            Ok(None) => {}
            Err(failure) => return Ok(Err(failure)),
        }
    }
    while let Some(Reverse((file, line, rank, i, error))) = heap.pop() {
        out.write_all(&lines[i])?;
        any_error |= error;
        last_key[i] = (file, line, rank);
        match next_finding(&mut shards[i], &mut lines[i]) {
            Ok(Some((file, line, rank, error))) => {
                if (file, line, rank) < last_key[i] {
                    return Ok(Err(Failure(format!("{}: its findings are not in input order", shards[i].name))));
                }
                heap.push(Reverse((file, line, rank, i, error)));
            }
            Ok(None) => {}
            Err(failure) => return Ok(Err(failure)),
        }
    }
    Ok(Ok(any_error))
}
