//! Verifying an audit log (docs/HYGIENE.md H3): every line is an entry, its
//! `seq` is its position, its `prev` is the fingerprint of the line before.
//! One streaming pass; memory stays flat whatever the size of the log.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde::Serialize;

use crate::code::Code;
use crate::json::{self, de, de::Nulls};
use crate::record::PaymentScope;
use crate::redact::display_name;
use crate::redact::redact_string;
use crate::timestamp;

use super::entry::{Entry, Fingerprint, ALLOW, DENY, ERROR};
use super::failure::{AuditFailure, AuditFailureKind};

/// The longest line an entry can be. A writer's entry is under 2 KiB (a
/// `decision_id` of 255 characters, escaped, is the longest part); a longer
/// line is not an entry and is not read into memory whole.
pub const MAX_ENTRY_BYTES: usize = 16 * 1024;

/// How many entries of each decision a log holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DecisionCounts {
    #[serde(rename = "ALLOW")]
    /// Entries with decision `ALLOW`.
    pub allow: u64,
    #[serde(rename = "DENY")]
    /// Entries with decision `DENY`.
    pub deny: u64,
    #[serde(rename = "ERROR")]
    /// Entries with decision `ERROR`.
    pub error: u64,
}

/// What a log that verifies holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifySummary {
    /// How many entries the log holds.
    pub entries: u64,
    /// `at` of the first and of the last entry (`null` for an empty log).
    pub first_at: Option<String>,
    /// The last entry's `at`.
    pub last_at: Option<String>,
    /// The entries by decision.
    pub decisions: DecisionCounts,
    /// The fingerprint of the last line; `sha256:` and 64 zeros when empty.
    pub head: String,
}

impl VerifySummary {
    /// The summary as one JSON object (no newline).
    pub fn to_json(&self) -> String {
        crate::json::to_string(self)
    }

    /// The summary as a readable block, for a terminal.
    pub fn render_text(&self, name: &str) -> String {
        let mut out = format!("{name}: the audit chain verifies\n");
        let none = "-";
        let _ = writeln!(out, "  entries   {}", self.entries);
        let _ = writeln!(out, "  first at  {}", self.first_at.as_deref().unwrap_or(none));
        let _ = writeln!(out, "  last at   {}", self.last_at.as_deref().unwrap_or(none));
        let _ = writeln!(
            out,
            "  ALLOW {}, DENY {}, ERROR {}",
            self.decisions.allow, self.decisions.deny, self.decisions.error
        );
        let _ = writeln!(out, "  head      {}", self.head);
        out
    }
}

/// Reads `text` as an expected head: `sha256:` and 64 lowercase hex digits.
pub fn parse_expected_head(text: &str) -> Result<Fingerprint, AuditFailure> {
    Fingerprint::parse(text).ok_or_else(|| {
        AuditFailure::argument("the expected head must be \"sha256:\" followed by 64 lowercase hex digits")
    })
}

/// Verifies the log at `path` in one pass (see [`verify_reader`]).
pub fn verify_path(path: &Path, expect_head: Option<&Fingerprint>) -> Result<VerifySummary, AuditFailure> {
    let file = File::open(path).map_err(|e| AuditFailure::io(&display_name(path), &e))?;
    verify_reader(BufReader::with_capacity(1 << 16, file), expect_head).map_err(|failure| with_file_name(failure, path))
}

fn with_file_name(mut failure: AuditFailure, path: &Path) -> AuditFailure {
    if failure.kind == AuditFailureKind::Io {
        failure.message = redact_string(format!("{}: {}", display_name(path), failure.message));
    }
    failure
}

/// Verifies a log read from `reader`: every line's JSON, `seq` and `prev`;
/// a last line without `\n` is torn. With `expect_head`, the head must
/// also match (a chain alone cannot show that entries were cut off its end).
pub fn verify_reader<R: BufRead>(
    mut reader: R,
    expect_head: Option<&Fingerprint>,
) -> Result<VerifySummary, AuditFailure> {
    let mut line = Vec::with_capacity(1024);
    let mut scratch = Vec::with_capacity(1024);
    let mut head = Fingerprint::ZERO;
    let mut entries = 0u64;
    let mut decisions = DecisionCounts::default();
    let mut first_at: Option<String> = None;
    let mut last_at = String::new();
    loop {
        let number = entries + 1;
        match read_line(&mut reader, &mut line).map_err(|e| AuditFailure::io("reading the log", &e))? {
            LineRead::End => break,
            LineRead::TooLong => {
                return Err(AuditFailure::entry(
                    Code::LineTooLong,
                    Some(number),
                    number,
                    format!("the line is longer than {MAX_ENTRY_BYTES} bytes, which no entry is"),
                ))
            }
            LineRead::Torn => {
                return Err(AuditFailure::entry(
                    Code::TornLine,
                    Some(number),
                    number,
                    "the last line has no newline at its end (a write was cut short, and no decision was given \
                     for it); `ctpolicy audit repair` on the log cuts it off",
                ))
            }
            LineRead::Line => {}
        }
        let entry = check_entry(&line, &mut scratch, number, &head).map_err(|(code, message)| {
            AuditFailure::entry(code, Some(number), number, message_for(code, message, number))
        })?;
        match entry.decision.as_ref() {
            ALLOW => decisions.allow += 1,
            DENY => decisions.deny += 1,
            _ => decisions.error += 1,
        }
        if first_at.is_none() {
            first_at = Some(entry.at.to_string());
        }
        last_at.clear();
        last_at.push_str(&entry.at);
        head = Fingerprint::of(&line);
        entries = number;
    }
    if let Some(expected) = expect_head {
        if *expected != head {
            return Err(AuditFailure {
                kind: AuditFailureKind::HeadMismatch,
                code: Code::HeadMismatch,
                line: None,
                seq: None,
                message: format!(
                    "the chain verifies but its head is {head} after {entries} entries, not the expected {expected} \
                     (entries were cut off its end, or it is another log)"
                ),
            });
        }
    }
    Ok(VerifySummary {
        entries,
        first_at,
        last_at: (entries > 0).then_some(last_at),
        decisions,
        head: head.to_string(),
    })
}

fn message_for(code: Code, message: String, number: u64) -> String {
    if code == Code::PrevMismatch && number > 1 {
        format!(
            "{message}: line {} is not the line this entry was chained to \
             (it was changed, or a line was removed, inserted or reordered there)",
            number - 1
        )
    } else {
        message
    }
}

/// One line read by [`read_line`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineRead {
    /// A line ending in `\n`, now in the buffer without it.
    Line,
    /// Bytes without a final `\n` at the end of the input.
    Torn,
    /// Longer than [`MAX_ENTRY_BYTES`] (not kept).
    TooLong,
    /// Nothing left.
    End,
}

fn read_line<R: BufRead>(reader: &mut R, line: &mut Vec<u8>) -> io::Result<LineRead> {
    line.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if line.is_empty() { LineRead::End } else { LineRead::Torn });
        }
        let (chunk, found) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], true),
            None => (available, false),
        };
        if line.len() + chunk.len() > MAX_ENTRY_BYTES {
            return Ok(LineRead::TooLong);
        }
        line.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(found);
        reader.consume(used);
        if found {
            return Ok(LineRead::Line);
        }
    }
}

/// Checks one line (without its `\n`) as entry `seq` of a chain whose line
/// before has fingerprint `prev`; returns the entry, or a code and message.
pub(crate) fn check_entry<'l>(
    line: &'l [u8],
    scratch: &mut Vec<u8>,
    seq: u64,
    prev: &Fingerprint,
) -> Result<Entry<'l>, (Code, String)> {
    let entry = parse_entry(line, scratch)?;
    if entry.seq != seq {
        return Err((Code::SeqMismatch, format!("seq is {}, expected {seq}", entry.seq)));
    }
    if entry.prev != prev.as_str() {
        let what =
            if seq == 1 { "the zero fingerprint of a first entry" } else { "the fingerprint of the line before" };
        return Err((Code::PrevMismatch, format!("prev is {}, not {what} ({prev})", entry.prev)));
    }
    Ok(entry)
}

/// Reads a line as an entry: JSON of the entry's shape, consistent, and in
/// the exact bytes a writer writes (re-serialized into `scratch` and
/// compared). A line written before entries took the decision's escapes
/// (serde_json's `\b`, `\f` and raw DEL) is as a writer of its day wrote
/// it, and verifies too: its bytes are what the chain was built over.
pub(crate) fn parse_entry<'l>(line: &'l [u8], scratch: &mut Vec<u8>) -> Result<Entry<'l>, (Code, String)> {
    let entry: Entry<'l> = serde_json::from_slice(line).map_err(|e| describe_json_error(line, &e))?;
    check_consistency(&entry).map_err(|why| (Code::NotAnEntry, why.to_owned()))?;
    scratch.clear();
    entry.write_line(scratch);
    if scratch.as_slice() != line {
        scratch.clear();
        entry.write_line_as_before(scratch);
        if scratch.as_slice() != line {
            return Err((
                Code::NotCanonical,
                "the line is not written as a writer writes it (whitespace, key order or escaping differ)".to_owned(),
            ));
        }
    }
    Ok(entry)
}

/// Says what is wrong with a line serde_json would not read as an entry,
/// without quoting it (it may hold anything, a token included): the
/// column, and for a fault of the entry's shape the strict reader's coded
/// fault, naming the field only when it is one of the entry's own (a
/// missing or mistyped one; an unknown key is never named).
fn describe_json_error(line: &[u8], error: &serde_json::Error) -> (Code, String) {
    use serde_json::error::Category;
    let column = error.column();
    if !matches!(error.classify(), Category::Data) {
        return (Code::NotJson, format!("not a JSON object (column {column})"));
    }
    let fault = json::with_arena(|arena| {
        let root = json::parse(line, arena).ok()?;
        let fault = de::from_value::<Entry<'_>>(&root, Nulls::Absent).err()?;
        Some((fault.code(), fault.pointer()))
    });
    let field = |pointer: &str| pointer.trim_start_matches('/').replace('/', ".");
    let message = match fault {
        Some((Code::MissingField, pointer)) => format!("not an entry: the field {} is missing", field(&pointer)),
        Some((Code::WrongType, pointer)) => {
            format!("not an entry: the field {} is of the wrong type (column {column})", field(&pointer))
        }
        Some((Code::UnknownField, _)) => format!("not an entry: a field is unknown (column {column})"),
        _ => format!("not an entry: a field is unknown, repeated or of the wrong type (column {column})"),
    };
    (Code::NotAnEntry, message)
}

/// The rules of the H3 table that the types alone do not enforce.
fn check_consistency(entry: &Entry<'_>) -> Result<(), &'static str> {
    if Fingerprint::parse(&entry.prev).is_none() {
        return Err("prev is not a fingerprint (sha256: and 64 lowercase hex digits)");
    }
    if timestamp::parse(&entry.at).is_none() {
        return Err("at is not an RFC 3339 timestamp");
    }
    if Fingerprint::parse(&entry.policy_digest).is_none() {
        return Err("policy_digest is not a fingerprint");
    }
    match entry.decision.as_ref() {
        ALLOW | DENY => {
            if entry.status.is_some() {
                return Err("status must be null unless the decision is ERROR");
            }
            match entry.required_scope.as_deref().and_then(PaymentScope::parse) {
                Some(_) => {}
                None => return Err("required_scope must be a payment scope"),
            }
            if (entry.decision == ALLOW) != entry.violations.is_empty() {
                return Err("an ALLOW has no violations and a DENY has at least one");
            }
            if let Some(token) = &entry.token {
                if Fingerprint::parse(&token.fingerprint).is_none() {
                    return Err("token.fingerprint is not a fingerprint");
                }
            }
        }
        ERROR => {
            if entry.status.is_none() {
                return Err("an ERROR entry must have a status");
            }
            let empty = entry.violations.is_empty()
                && entry.warnings.is_empty()
                && entry.required_scope.is_none()
                && entry.token.is_none()
                && entry.amount.is_none()
                && entry.currency.is_none()
                && entry.decision_id.is_none();
            if !empty {
                return Err("an ERROR entry has no codes, scope, token, amount, currency or decision_id");
            }
        }
        _ => return Err("decision must be ALLOW, DENY or ERROR"),
    }
    Ok(())
}
