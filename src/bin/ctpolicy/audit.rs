//! The command line's audit faces: `ctpolicy check --audit-log FILE` (an
//! entry per request, appended before its decision is written out) and
//! `ctpolicy audit verify`. The bin only parses arguments and dispatches.

use std::io::{self, Write};
use std::path::Path;

use crate::cli::input::RequestSource;
use crate::cli::{line_too_long, write_table_header, write_table_row, Line, Summary};
use ctpolicy::decision::{Engine, Outcome};
use ctpolicy::redact::display_name;

use ctpolicy::audit::repair_path;
use ctpolicy::audit::AuditLog;
use ctpolicy::audit::Checked;
use ctpolicy::audit::Clock;
use ctpolicy::audit::{parse_expected_head, verify_path};
use ctpolicy::audit::{AuditFailure, AuditFailureKind};
use ctpolicy::audit::{Prepared, PreparedGroup};

/// Most entries appended under one lock hold and one `write(2)`. The
/// decisions of a group are written out only after the group's entries.
pub const GROUP_ENTRIES: usize = 256;

/// One `ctpolicy check --audit-log` run over any number of inputs.
pub struct AuditedCheckRun<'e> {
    engine: &'e Engine,
    log: &'e AuditLog,
    clock: Clock,
    table: bool,
    group_entries: usize,
    /// Checked requests whose entries are not written yet, with their line
    /// (the table's path: its rows need the owned decision).
    group: Vec<(u64, Checked)>,
    /// The JSON Lines path's group: entry bodies and decision lines from
    /// one decide pass each, in buffers reused for the whole run.
    prepared: PreparedGroup<'e>,
    summary: Summary,
    scratch: String,
}

impl<'e> AuditedCheckRun<'e> {
    /// `group_entries`: how many entries at most share one append (1: one
    /// lock hold and one write per entry, as `--audit-fsync` uses).
    pub fn new(engine: &'e Engine, log: &'e AuditLog, table: bool, group_entries: usize) -> Self {
        AuditedCheckRun {
            engine,
            log,
            clock: Clock::System,
            table,
            group_entries: group_entries.max(1),
            group: Vec::new(),
            prepared: PreparedGroup::new(engine),
            summary: Summary::default(),
            scratch: String::with_capacity(1 << 16),
        }
    }

    /// Decides every non-blank line of `reader` in order; each decision is
    /// written to `out` only after its entry was appended. A failed append
    /// stops the run with an error (those decisions are not given).
    pub fn stream(&mut self, name: &str, mut reader: impl RequestSource, out: &mut impl Write) -> io::Result<()> {
        if self.table && self.summary.allowed + self.summary.denied + self.summary.errors == 0 {
            write_table_header(out)?;
        }
        if !self.table {
            return self.stream_jsonl(name, reader, out);
        }
        while let Some((line_number, line)) = reader.next_request()? {
            let checked = match line {
                Line::Text(bytes) => Checked::check(self.engine, bytes, &self.clock),
                Line::TooLong => Checked::failed(line_too_long(), &self.clock),
            };
            self.group.push((line_number, checked));
            if self.group.len() >= self.group_entries {
                self.flush_group(name, out)?;
            }
        }
        self.flush_group(name, out)
    }

    /// [`AuditedCheckRun::stream`] writing JSON Lines.
    fn stream_jsonl(&mut self, name: &str, mut reader: impl RequestSource, out: &mut impl Write) -> io::Result<()> {
        while let Some((line_number, line)) = reader.next_request()? {
            match line {
                Line::Text(bytes) => self.prepared.check(line_number, bytes, &self.clock),
                Line::TooLong => self.prepared.failed(line_number, line_too_long(), &self.clock),
            }
            if self.prepared.len() >= self.group_entries {
                self.flush_prepared(name, out)?;
            }
        }
        self.flush_prepared(name, out)
    }

    /// Appends the prepared group's entries, then writes its decisions.
    fn flush_prepared(&mut self, name: &str, out: &mut impl Write) -> io::Result<()> {
        if self.prepared.is_empty() {
            return Ok(());
        }
        if let Err(failure) = self.log.append_group(&self.prepared) {
            let first = self.prepared.outcomes[0].0;
            return Err(io::Error::other(format!(
                "{name}:{first}: the audit entries could not be written, so no decision from this line on is given: {failure}"
            )));
        }
        for (line_number, prepared) in &self.prepared.outcomes {
            match prepared {
                Prepared::Decided { violations, warnings, .. } => {
                    self.summary.count(&Outcome { violations: *violations, warnings: *warnings })
                }
                Prepared::Invalid(error) => {
                    self.summary.count_error(error);
                    crate::redacted_eprintln!("ctpolicy: {name}:{line_number}: {error}");
                }
            }
        }
        let written = out.write_all(self.prepared.decisions.as_bytes());
        self.prepared.clear();
        written
    }

    /// Appends the group's entries, then writes its decisions.
    fn flush_group(&mut self, name: &str, out: &mut impl Write) -> io::Result<()> {
        if self.group.is_empty() {
            return Ok(());
        }
        let mut entries: Vec<_> = self.group.iter().map(|(_, checked)| checked.entry(self.engine)).collect();
        let appended = self.log.append_all(&mut entries);
        drop(entries);
        if let Err(failure) = appended {
            let first = self.group[0].0;
            return Err(io::Error::other(format!(
                "{name}:{first}: the audit entries could not be written, so no decision from this line on is given: {failure}"
            )));
        }
        self.scratch.clear();
        for (line_number, checked) in self.group.drain(..) {
            match &checked.result {
                Ok(decision) => {
                    self.summary.count_decision(decision);
                    if self.table {
                        write_table_row(out, line_number, decision)?;
                    }
                }
                Err(error) => {
                    self.summary.count_error(error);
                    crate::redacted_eprintln!("ctpolicy: {name}:{line_number}: {error}");
                    if self.table {
                        let what = error.code.map_or(error.status.name(), ctpolicy::Code::name);
                        writeln!(out, "{line_number:<8} {:<8} {what}", "INVALID")?;
                    }
                }
            }
            if !self.table {
                checked.output_json(self.engine, &mut self.scratch);
                self.scratch.push('\n');
            }
        }
        out.write_all(self.scratch.as_bytes())
    }

    pub fn finish(&self) -> &Summary {
        &self.summary
    }
}

/// What `ctpolicy audit verify` prints and its exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOutcome {
    pub stdout: String,
    pub stderr: String,
    /// 0: the log verifies; 1: it does not (or the head differs); 2: the
    /// file could not be read, or an argument is wrong.
    pub exit: u8,
}

/// `ctpolicy audit verify [--expect-head H] FILE`: the summary as JSON
/// (`json`) or a readable block; failures on stderr (and as an error
/// object on stdout with `json`).
pub fn verify_command(path: &Path, expect_head: Option<&str>, json: bool) -> VerifyOutcome {
    let result = expect_head.map(parse_expected_head).transpose().and_then(|head| verify_path(path, head.as_ref()));
    match result {
        Ok(summary) => VerifyOutcome {
            stdout: if json { format!("{}\n", summary.to_json()) } else { summary.render_text(&display_name(path)) },
            stderr: String::new(),
            exit: 0,
        },
        Err(failure) => failed(path, &failure, json),
    }
}

fn failed(path: &Path, failure: &AuditFailure, json: bool) -> VerifyOutcome {
    let exit = match failure.kind {
        AuditFailureKind::Invalid | AuditFailureKind::HeadMismatch => 1,
        AuditFailureKind::Io | AuditFailureKind::Argument => 2,
    };
    let what = match failure.kind {
        AuditFailureKind::Invalid => "does not verify",
        AuditFailureKind::HeadMismatch => "is not the log expected",
        AuditFailureKind::Io | AuditFailureKind::Argument => "could not be verified",
    };
    VerifyOutcome {
        stdout: if json { format!("{}\n", failure.to_json()) } else { String::new() },
        stderr: format!(
            "ctpolicy: the audit log {} {what}: {} {}\n",
            display_name(path),
            failure.code,
            failure.message
        ),
        exit,
    }
}

/// `ctpolicy audit repair FILE`: cuts a torn tail (the bytes after the last
/// `\n`, when every line before them verifies) and reports what was cut.
/// Exit 0 when the log verifies afterwards (cut or not), 1 when it fails
/// at a whole line (not a torn write: nothing is cut), 2 when the file
/// cannot be read or cut.
pub fn repair_command(path: &Path, json: bool) -> VerifyOutcome {
    match repair_path(path) {
        Ok(report) => VerifyOutcome {
            stdout: if json { format!("{}\n", report.to_json()) } else { report.render_text(&display_name(path)) },
            stderr: String::new(),
            exit: 0,
        },
        Err(failure) => {
            let exit = match failure.kind {
                AuditFailureKind::Invalid | AuditFailureKind::HeadMismatch => 1,
                AuditFailureKind::Io | AuditFailureKind::Argument => 2,
            };
            VerifyOutcome {
                stdout: if json { format!("{}\n", failure.to_json()) } else { String::new() },
                stderr: format!("ctpolicy: the audit log was not repaired: {} {}\n", failure.code, failure.message),
                exit,
            }
        }
    }
}
