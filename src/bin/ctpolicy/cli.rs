//! Presentation for the `ctpolicy` command line: streaming lines, the
//! terminal table, the summary, and the rule table in several formats.
//! Decisions themselves come from the engine, unchanged. Everything on
//! stderr goes through [`diagnostics`] (redacted, docs/HYGIENE.md H4).

pub mod diagnostics;
pub mod files;
pub mod input;
pub mod progress;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};

use ctpolicy::decision::{Decision, Engine, LineOutcome, Outcome};
use ctpolicy::error::{Error, Status};
use ctpolicy::rules::RuleSet;
use ctpolicy::rules::{Rule, RULES};
use ctpolicy::MAX_INPUT_BYTES;
use input::RequestSource;

/// One input line, or the fact that it was over the size limit (its bytes
/// are skipped, never held in memory).
pub enum Line<'a> {
    Text(&'a [u8]),
    TooLong,
}

/// Reads `\n`-separated lines with memory bounded by the 1 MiB input limit,
/// however long a line in the input is.
pub struct LineReader<R> {
    inner: R,
    buffer: Vec<u8>,
    pub line_number: u64,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader { inner, buffer: Vec::with_capacity(4096), line_number: 0 }
    }

    /// The next line without its `\n`, with its 1-based line number; blank
    /// lines are skipped when `skip_blank` is set. `None` at the end of input.
    pub fn next_line(&mut self, delimiter: u8, skip_blank: bool) -> io::Result<Option<(u64, Line<'_>)>> {
        loop {
            self.buffer.clear();
            let mut too_long = false;
            let mut saw_any = false;
            loop {
                let available = self.inner.fill_buf()?;
                if available.is_empty() {
                    break;
                }
                saw_any = true;
                let (chunk, found) = match memchr::memchr(delimiter, available) {
                    Some(i) => (&available[..i], Some(i)),
                    None => (available, None),
                };
                if !too_long {
                    if self.buffer.len() + chunk.len() > MAX_INPUT_BYTES {
                        too_long = true;
                        self.buffer.clear();
                    } else {
                        self.buffer.extend_from_slice(chunk);
                    }
                }
                let consumed = found.map_or(chunk.len(), |i| i + 1);
                self.inner.consume(consumed);
                if found.is_some() {
                    break;
                }
            }
            if !saw_any {
                return Ok(None);
            }
            self.line_number += 1;
            if too_long {
                return Ok(Some((self.line_number, Line::TooLong)));
            }
            if skip_blank && self.buffer.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            return Ok(Some((self.line_number, Line::Text(&self.buffer))));
        }
    }
}

/// The error for a line over the input limit.
pub fn line_too_long() -> Error {
    Error::new(
        Status::InvalidRequest,
        Some(ctpolicy::Code::TooLarge),
        format!("the line is longer than the limit of {MAX_INPUT_BYTES} bytes"),
    )
    .at("")
}

/// Counts per decision and per code, for `--summary`.
#[derive(Debug, Default)]
pub struct Summary {
    pub allowed: u64,
    pub denied: u64,
    pub errors: u64,
    pub violations: BTreeMap<(u16, &'static str), u64>,
    pub warnings: BTreeMap<(u16, &'static str), u64>,
    pub error_codes: BTreeMap<&'static str, u64>,
}

impl Summary {
    pub fn count_decision(&mut self, decision: &Decision) {
        let ids = |findings: &[ctpolicy::decision::Finding]| {
            let bits = findings.iter().fold(0u64, |bits, finding| bits | 1 << ctpolicy::rules::index_of(finding.rule));
            RuleSet(bits)
        };
        self.count(&Outcome { violations: ids(&decision.violations), warnings: ids(&decision.warnings) });
    }

    pub(crate) fn count(&mut self, outcome: &Outcome) {
        if outcome.allowed() {
            self.allowed += 1;
        } else {
            self.denied += 1;
        }
        for (set, counts) in [(outcome.violations, &mut self.violations), (outcome.warnings, &mut self.warnings)] {
            for (index, rule) in RULES.iter().enumerate() {
                if set.0 & (1 << index) != 0 {
                    *counts.entry((rule.id, rule.code)).or_default() += 1;
                }
            }
        }
    }

    pub fn count_error(&mut self, error: &Error) {
        self.errors += 1;
        *self.error_codes.entry(error.code.map_or(error.status.name(), ctpolicy::Code::name)).or_default() += 1;
    }

    /// The summary as printed on stderr.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let total = self.allowed + self.denied + self.errors;
        let _ = writeln!(
            out,
            "checked {total} requests: {} ALLOW, {} DENY, {} invalid",
            self.allowed, self.denied, self.errors
        );
        for (title, counts) in [("violations", &self.violations), ("warnings", &self.warnings)] {
            if !counts.is_empty() {
                let _ = writeln!(out, "{title}:");
                for ((id, code), count) in counts {
                    let _ = writeln!(out, "  {id} {code:<36} {count}");
                }
            }
        }
        if !self.error_codes.is_empty() {
            let _ = writeln!(out, "invalid lines:");
            for (code, count) in &self.error_codes {
                let _ = writeln!(out, "  {code:<40} {count}");
            }
        }
        out
    }
}

/// One `ctpolicy check` run over any number of inputs.
pub struct CheckRun<'e> {
    engine: &'e Engine,
    table: bool,
    progress: bool,
    summary: Summary,
    scratch: String,
    rows: u64,
}

/// How often the progress line is refreshed on a terminal.
const PROGRESS_EVERY: u64 = 50_000;

impl<'e> CheckRun<'e> {
    pub fn new(engine: &'e Engine, table: bool, progress: bool) -> Self {
        CheckRun { engine, table, progress, summary: Summary::default(), scratch: String::with_capacity(1024), rows: 0 }
    }

    /// Decides every line of `reader`, writing one output line each, in
    /// order; an invalid line yields its error object and the rest go on.
    pub fn stream(&mut self, name: &str, mut reader: impl RequestSource, out: &mut impl Write) -> io::Result<()> {
        if self.table && self.rows == 0 {
            write_table_header(out)?;
        }
        while let Some((line_number, line)) = reader.next_request()? {
            if !self.table {
                // The batch routine writes the decision or the error object.
                self.scratch.clear();
                let outcome = match line {
                    Line::Text(bytes) => self.engine.check_line_into(bytes, &mut self.scratch),
                    Line::TooLong => {
                        let error = line_too_long();
                        self.scratch.push_str(&error.to_json());
                        self.scratch.push('\n');
                        LineOutcome::Invalid(error)
                    }
                };
                out.write_all(self.scratch.as_bytes())?;
                self.rows += 1;
                match outcome {
                    LineOutcome::Decided(outcome) => self.summary.count(&outcome),
                    LineOutcome::Invalid(error) => {
                        crate::redacted_eprintln!("ctpolicy: {name}:{line_number}: {error}");
                        self.summary.count_error(&error);
                    }
                }
                self.show_progress();
                continue;
            }
            let result = match line {
                Line::Text(bytes) => self.engine.check_json(bytes),
                Line::TooLong => Err(line_too_long()),
            };
            self.rows += 1;
            match result {
                Ok(decision) => {
                    self.summary.count_decision(&decision);
                    write_table_row(out, line_number, &decision)?;
                }
                Err(error) => {
                    self.summary.count_error(&error);
                    crate::redacted_eprintln!("ctpolicy: {name}:{line_number}: {error}");
                    let what = error.code.map_or(error.status.name(), ctpolicy::Code::name);
                    writeln!(out, "{line_number:<8} {:<8} {what}", "INVALID")?;
                }
            }
            self.show_progress();
        }
        Ok(())
    }

    fn show_progress(&self) {
        if self.progress && self.rows.is_multiple_of(PROGRESS_EVERY) {
            crate::redacted_eprint!("\rctpolicy: {} requests checked…", self.rows);
        }
    }

    pub fn finish(&mut self) -> &Summary {
        if self.progress && self.rows >= PROGRESS_EVERY {
            crate::redacted_eprintln!("\rctpolicy: {} requests checked.  ", self.rows);
        }
        &self.summary
    }
}

/// The column titles of the terminal table.
pub fn write_table_header(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{:<8} {:<8} {:<44} {:<30} TOKEN", "LINE", "RESULT", "VIOLATIONS", "WARNINGS")
}

fn codes(findings: &[ctpolicy::decision::Finding]) -> String {
    if findings.is_empty() {
        return "-".to_owned();
    }
    findings.iter().map(|f| f.code()).collect::<Vec<_>>().join(",")
}

/// One decision: a row, then one indented line per violation and warning
/// with its path, detail and message (already redacted by the engine).
pub fn write_table_row(out: &mut impl Write, line: u64, decision: &Decision) -> io::Result<()> {
    let token = decision.token.as_ref().map_or("-".to_owned(), |t| format!("{}…", &t.fingerprint[..19]));
    writeln!(
        out,
        "{line:<8} {:<8} {:<44} {:<30} {token}",
        decision.verdict(),
        codes(&decision.violations),
        codes(&decision.warnings)
    )?;
    for finding in decision.violations.iter().chain(&decision.warnings) {
        let hit = &finding.hit;
        let path = if hit.path.is_empty() { "(top level)" } else { &hit.path };
        let detail = hit.detail.map_or(String::new(), |detail| format!(" {detail}"));
        let severity = finding.severity.as_str();
        writeln!(out, "{:<8} {} {} ({severity}) at {path}{detail}: {}", "", finding.id(), finding.code(), hit.message)?;
    }
    Ok(())
}

/// `ctpolicy rules`: an aligned text table.
pub fn rules_text() -> String {
    let mut out = format!("{:<4} {:<34} {:<8} {:<10} {}\n", "ID", "CODE", "SEVERITY", "ADJUSTABLE", "DESCRIPTION");
    for rule in RULES {
        let _ = writeln!(
            out,
            "{:<4} {:<34} {:<8} {:<10} {}",
            rule.id,
            rule.code,
            rule.default_severity.as_str(),
            if rule.adjustable { "yes" } else { "no" },
            rule.description
        );
    }
    out
}

/// `ctpolicy rules --format json`: an array of rule objects, one a line.
pub fn rules_json() -> String {
    ctpolicy::rules::table_json()
}

/// `ctpolicy rules --format markdown`: the table in README.md and docs.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "| id | code | family | severity | adjustable | when it fires |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for rule in RULES {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} |",
            rule.id,
            rule.code,
            rule.family.as_str(),
            rule.default_severity.as_str(),
            if rule.adjustable { "yes" } else { "no" },
            rule.description.replace('|', "\\|")
        );
    }
    out
}

/// `ctpolicy explain`: one rule in words.
pub fn explain(rule: &Rule) -> String {
    format!(
        "{id} {code}\n  family:     {family}\n  severity:   {severity} by default{adjustable}\n  fires when: {description}\n  example:    {example}\n",
        id = rule.id,
        code = rule.code,
        family = rule.family.as_str(),
        severity = rule.default_severity.as_str(),
        adjustable = if rule.adjustable {
            "; a policy may set it to deny, warn or off"
        } else {
            "; fixed (a policy cannot change it)"
        },
        description = rule.description,
        example = rule.example,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_reported_without_being_kept() {
        let mut input = vec![b'x'; MAX_INPUT_BYTES + 10];
        input.extend_from_slice(b"\n{}\n\n  \nlast");
        let mut reader = LineReader::new(io::Cursor::new(input));
        assert!(matches!(reader.next_line(b'\n', true).unwrap(), Some((1, Line::TooLong))));
        assert!(reader.buffer.capacity() <= MAX_INPUT_BYTES * 2);
        assert!(matches!(reader.next_line(b'\n', true).unwrap(), Some((2, Line::Text(b"{}")))));
        assert!(matches!(reader.next_line(b'\n', true).unwrap(), Some((5, Line::Text(b"last")))));
        assert_eq!(reader.line_number, 5);
        assert!(reader.next_line(b'\n', true).unwrap().is_none());
    }
}
