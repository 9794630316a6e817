//! Keeping tokens out of logs (docs/HYGIENE.md H1 and H2): redaction and the
//! leak scan, over whole texts and over streams cut anywhere.
//!
//! ```
//! use ctpolicy::redact::{redact_str, occurrences};
//! let line = "charge failed for krn:customer-token:eu1:a1b2 (retrying)";
//! let clean = redact_str(line);
//! assert!(clean.starts_with("charge failed for [customer-token sha256:"));
//! assert!(!clean.contains("a1b2"));
//! assert_eq!(occurrences(line.as_bytes()).count(), 1);
//!
//! // The leak scan: where each token is, never the token.
//! let reports = ctpolicy::redact::scan(line.as_bytes(), Some("app.log"));
//! assert_eq!((reports[0].line, reports[0].column, reports[0].well_formed), (1, 19, true));
//! assert!(!reports[0].to_json().contains("a1b2"));
//! ```
//!
//! One matcher (`matcher`) serves every face: [`redact`], [`Redactor`]
//! (streaming), [`occurrences`] and [`Scanner`] (streaming leak scan).

mod matcher;
mod stream;

use std::borrow::Cow;

use serde::Serialize;
use zeroize::{Zeroize, Zeroizing};

pub use matcher::MAX_CANDIDATE_BYTES;
use matcher::{Matcher, Sink};
pub use stream::{RedactingWriter, Redactor, Scanner};

use crate::krn::{classify, fingerprint};

/// What replaces an occurrence: `[customer-token sha256:<64 hex>]`.
pub const REPLACEMENT_PREFIX: &str = "[customer-token ";

/// The length in bytes of every replacement.
pub const REPLACEMENT_LEN: usize = REPLACEMENT_PREFIX.len() + 7 + 64 + 1;

/// One token occurrence (H1), described without any piece of the token
/// beyond the `form` and `region` that docs/RULES.md section 2 lets out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// Byte offset of its first byte in the text (or stream).
    pub offset: u64,
    /// Its length in bytes as it stands (encoded colons count 3).
    pub length: u64,
    /// `sha256:` + hex of SHA-256 of the decoded text: for a well-formed
    /// header value, the decision's `token.fingerprint`.
    pub fingerprint: String,
    /// Whether the decoded text is a well-formed customer token.
    pub well_formed: bool,
    /// `network` or `identity` when well-formed.
    pub form: Option<&'static str>,
    /// The region when well-formed.
    pub region: Option<String>,
}

/// One leak-scan report (H2), keys in the contract's order. `file` is left
/// out where there is no file (the C ABI's `ctp_scan`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The file's display name ([`display_name`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based, counting `\n`.
    pub line: u64,
    /// 1-based byte offset of the occurrence in its line.
    pub column: u64,
    /// Its length in bytes as it stands.
    pub length: u64,
    /// As [`Occurrence::fingerprint`].
    pub fingerprint: String,
    /// Whether the decoded text is a well-formed customer token.
    pub well_formed: bool,
    /// `network` or `identity` when well-formed.
    pub form: Option<&'static str>,
    /// The region when well-formed.
    pub region: Option<String>,
}

// `Report::to_json` is written beside the JSON writer (src/json.rs): the
// redaction sits below the writer, which redacts what it writes.

/// The name a file goes by in reports and messages: as given (`-` for
/// stdin), redacted in case a token is in the path (docs/HYGIENE.md H4),
/// lossy where the path is not UTF-8. The audit log's messages and the
/// command line's both use it, so a file is named the same everywhere.
pub fn display_name(path: &std::path::Path) -> String {
    redact_str(&path.to_string_lossy()).into_owned()
}

/// The decoded text of an occurrence: every encoded colon made `:`. It may
/// be a token, so it is wiped when dropped.
fn decode(raw: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut decoded = Zeroizing::new(Vec::with_capacity(raw.len()));
    let mut i = 0;
    while i < raw.len() {
        // An occurrence holds only run units, so a `%` is an encoded colon.
        if raw[i] == b'%' {
            decoded.push(b':');
            i += 3;
        } else {
            decoded.push(raw[i]);
            i += 1;
        }
    }
    decoded
}

/// The fingerprint of an occurrence's decoded text.
fn occurrence_fingerprint(raw: &[u8]) -> String {
    fingerprint(&decode(raw))
}

/// Everything a report says about the occurrence `raw` at `offset`.
fn describe(offset: u64, raw: &[u8]) -> Occurrence {
    let decoded = decode(raw);
    let (well_formed, form, region) = match classify(&decoded) {
        Ok((form, region, _)) => (true, Some(form.as_str()), Some(region.to_owned())),
        Err(_) => (false, None, None),
    };
    Occurrence { offset, length: raw.len() as u64, fingerprint: fingerprint(&decoded), well_formed, form, region }
}

/// Appends the replacement for the occurrence `raw`.
fn push_replacement(out: &mut Vec<u8>, raw: &[u8]) {
    out.extend_from_slice(REPLACEMENT_PREFIX.as_bytes());
    out.extend_from_slice(occurrence_fingerprint(raw).as_bytes());
    out.push(b']');
}

/// Redacts a whole text: every occurrence replaced, every other byte
/// unchanged. Borrows the input when it holds no occurrence.
pub fn redact(text: &[u8]) -> Cow<'_, [u8]> {
    struct Whole<'a> {
        text: &'a [u8],
        plain_prefix: usize,
        out: Option<Vec<u8>>,
    }
    impl Sink for Whole<'_> {
        fn plain(&mut self, bytes: &[u8]) {
            match &mut self.out {
                Some(out) => out.extend_from_slice(bytes),
                None => self.plain_prefix += bytes.len(),
            }
        }
        fn occurrence(&mut self, _offset: u64, raw: &[u8]) {
            let out = self.out.get_or_insert_with(|| {
                let mut out = Vec::with_capacity(self.text.len() + REPLACEMENT_LEN);
                out.extend_from_slice(&self.text[..self.plain_prefix]);
                out
            });
            push_replacement(out, raw);
        }
    }
    let mut sink = Whole { text, plain_prefix: 0, out: None };
    Matcher::default().advance(text, true, &mut sink);
    match sink.out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(text),
    }
}

/// [`redact`] for text: valid UTF-8 in, valid UTF-8 out (an occurrence is
/// ASCII and so is its replacement).
pub fn redact_str(text: &str) -> Cow<'_, str> {
    match redact(text.as_bytes()) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(bytes) => {
            Cow::Owned(String::from_utf8(bytes).expect("replacing ASCII runs with ASCII keeps UTF-8 valid"))
        }
    }
}

/// [`redact_str`] for an owned text, the one step every constructor of a
/// message, a path or an echoed value takes (docs/HYGIENE.md H4): the text is
/// moved through unchanged (no copy) when it holds no occurrence; when it
/// does, the original is wiped before it is freed.
pub fn redact_string(text: String) -> String {
    let clean = match redact_str(&text) {
        Cow::Borrowed(_) => return text,
        Cow::Owned(clean) => clean,
    };
    let mut original = text;
    original.zeroize();
    clean
}

/// Redacts a whole text and counts the occurrences replaced.
pub fn redact_counted(text: &[u8], out: &mut Vec<u8>) -> u64 {
    let mut sink = stream::Replace { out, count: 0 };
    Matcher::default().advance(text, true, &mut sink);
    sink.count
}

/// Every occurrence in a whole text, in order.
pub fn occurrences(text: &[u8]) -> impl Iterator<Item = Occurrence> {
    struct Collect(Vec<Occurrence>);
    impl Sink for Collect {
        fn plain(&mut self, _bytes: &[u8]) {}
        fn occurrence(&mut self, offset: u64, raw: &[u8]) {
            self.0.push(describe(offset, raw));
        }
        fn extend(&mut self, len: u64) {
            if let Some(last) = self.0.last_mut() {
                last.length += len;
            }
        }
    }
    let mut sink = Collect(Vec::new());
    Matcher::default().advance(text, true, &mut sink);
    sink.0.into_iter()
}

/// The leak-scan reports of a whole text, `file` as given.
pub fn scan(text: &[u8], file: Option<&str>) -> Vec<Report> {
    let mut scanner = Scanner::new(file.map(str::to_owned));
    let mut reports = Vec::new();
    scanner.write(text, &mut reports);
    scanner.finish(&mut reports);
    reports
}

/// [`redact`] with a smaller candidate limit, so tests can reach the
/// limit's edge cases with short texts. Not for production use.
#[doc(hidden)]
pub fn redact_with_limit(text: &[u8], limit: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut sink = stream::Replace { out: &mut out, count: 0 };
    Matcher::with_limit(limit).advance(text, true, &mut sink);
    out
}

#[cfg(test)]
mod tests;
