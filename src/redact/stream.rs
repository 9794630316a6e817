//! The streaming faces: [`Redactor`], [`RedactingWriter`] and [`Scanner`].
//! They share [`Stream`], which keeps the bytes the matcher has not
//! decided yet (at most one unfinished candidate: 1 MiB and two bytes) in
//! a buffer that is wiped whenever bytes leave it.

use std::io::{self, Write};

use zeroize::Zeroize;

use super::matcher::{Matcher, Sink};
use super::{describe, push_replacement, Report};

/// How much of a write is appended to the held-back bytes at a time while
/// a candidate is open, so a huge write is not copied whole.
const PIECE: usize = 64 * 1024;

/// Bytes that may hold a token, wiped when they are dropped, moved or
/// reallocated. `start` marks the first live byte, so dropping bytes from
/// the front is O(1) and compaction happens at most once per doubling.
#[derive(Default)]
struct HeldBytes {
    bytes: Vec<u8>,
    start: usize,
}

impl HeldBytes {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    fn is_empty(&self) -> bool {
        self.start == self.bytes.len()
    }

    fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    fn push(&mut self, more: &[u8]) {
        if self.start > 0 && self.start >= self.len() {
            // Compact: move the live bytes to the front, wipe the rest.
            let live = self.len();
            self.bytes.copy_within(self.start.., 0);
            self.bytes[live..].zeroize();
            self.bytes.truncate(live);
            self.start = 0;
        }
        if self.bytes.capacity() - self.bytes.len() < more.len() {
            // Grow by hand so the old allocation is wiped, not just freed.
            let wanted = (self.bytes.len() + more.len()).max(2 * self.bytes.capacity()).max(256);
            let mut grown = Vec::with_capacity(wanted);
            grown.extend_from_slice(&self.bytes);
            self.bytes.zeroize();
            self.bytes = grown;
        }
        self.bytes.extend_from_slice(more);
    }

    fn drop_front(&mut self, count: usize) {
        self.bytes[self.start..self.start + count].zeroize();
        self.start += count;
        if self.is_empty() {
            self.bytes.clear();
            self.start = 0;
        }
    }

    fn clear(&mut self) {
        self.bytes.zeroize();
        self.start = 0;
    }
}

impl Drop for HeldBytes {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

/// A matcher over a stream plus the bytes it has not decided yet.
#[derive(Default)]
struct Stream {
    matcher: Matcher,
    held: HeldBytes,
    /// Stream offset of the next byte to arrive.
    received: u64,
}

impl Stream {
    fn write(&mut self, mut chunk: &[u8], sink: &mut impl Sink) {
        loop {
            if self.held.is_empty() {
                // Nothing held: scan the caller's bytes where they are and
                // keep only the undecided tail.
                self.matcher.advance(chunk, false, sink);
                let keep_from = (self.matcher.emitted() - self.received) as usize;
                self.held.push(&chunk[keep_from..]);
                self.received += chunk.len() as u64;
                return;
            }
            if chunk.is_empty() {
                return;
            }
            let (piece, rest) = chunk.split_at(chunk.len().min(PIECE));
            chunk = rest;
            self.held.push(piece);
            self.received += piece.len() as u64;
            let before = self.matcher.emitted();
            self.matcher.advance(self.held.as_slice(), false, sink);
            self.held.drop_front((self.matcher.emitted() - before) as usize);
        }
    }

    /// Decides the held bytes as the end of the stream. The stream is
    /// gone afterwards (its owners take `self` to finish): bytes written
    /// after an end could otherwise complete a token whose first half has
    /// just been let out as plain text.
    fn finish(mut self, sink: &mut impl Sink) {
        self.matcher.advance(self.held.as_slice(), true, sink);
        self.held.clear();
    }
}

/// Redacts a stream written in pieces cut anywhere: the output is the same
/// bytes as [`super::redact`] of the whole. Holds back at most one
/// unfinished candidate (at most [`super::MAX_CANDIDATE_BYTES`] + 2 bytes),
/// which [`Redactor::finish`] flushes.
///
/// ```
/// use ctpolicy::redact::Redactor;
/// let mut redactor = Redactor::new();
/// let mut out = Vec::new();
/// redactor.write(b"token krn:customer-tok", &mut out);
/// redactor.write(b"en:eu1:a1b2 done\n", &mut out);
/// assert_eq!(redactor.finish(&mut out), 1);
/// assert!(out.starts_with(b"token [customer-token sha256:"));
/// ```
#[derive(Default)]
pub struct Redactor {
    stream: Stream,
    total: u64,
}

pub(super) struct Replace<'a> {
    pub(super) out: &'a mut Vec<u8>,
    pub(super) count: u64,
}

impl Sink for Replace<'_> {
    fn plain(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }
    fn occurrence(&mut self, _offset: u64, raw: &[u8]) {
        push_replacement(self.out, raw);
        self.count += 1;
    }
}

impl Redactor {
    /// A redactor at the start of a stream.
    pub fn new() -> Self {
        Redactor::default()
    }

    /// Redacts the next piece of the stream, appending to `out` every
    /// byte that is decided; returns how many occurrences it replaced.
    pub fn write(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> u64 {
        let mut sink = Replace { out, count: 0 };
        self.stream.write(chunk, &mut sink);
        self.total += sink.count;
        sink.count
    }

    /// Ends the stream for good: appends the held-back bytes, redacted,
    /// and returns how many occurrences the whole stream had. It takes the
    /// redactor, so nothing can be written after the end: a new stream
    /// needs a new redactor, and the two halves of a token cut by an end
    /// can never meet again as one unredacted text.
    pub fn finish(mut self, out: &mut Vec<u8>) -> u64 {
        let mut sink = Replace { out, count: 0 };
        let stream = std::mem::take(&mut self.stream);
        stream.finish(&mut sink);
        self.total + sink.count
    }

    /// Occurrences replaced since this redactor was made.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many bytes are held back now, waiting for the rest of a candidate.
    pub fn held_back(&self) -> usize {
        self.stream.held.len()
    }
}

/// An [`io::Write`] that redacts everything written through it into
/// `inner`. Call [`RedactingWriter::finish`] at the end: it writes the
/// held-back tail. (Dropping it without `finish` loses that tail, which
/// is never more than one unfinished candidate.)
pub struct RedactingWriter<W: Write> {
    inner: W,
    redactor: Redactor,
    out: Vec<u8>,
}

impl<W: Write> RedactingWriter<W> {
    /// Redacts everything written to it into `inner`.
    pub fn new(inner: W) -> Self {
        RedactingWriter { inner, redactor: Redactor::new(), out: Vec::new() }
    }

    /// Writes the held-back tail and flushes; gives back the inner writer.
    pub fn finish(self) -> io::Result<W> {
        let RedactingWriter { mut inner, redactor, mut out } = self;
        redactor.finish(&mut out);
        inner.write_all(&out)?;
        inner.flush()?;
        Ok(inner)
    }

    /// Occurrences replaced so far.
    pub fn total(&self) -> u64 {
        self.redactor.total()
    }

    fn drain(&mut self) -> io::Result<()> {
        let result = self.inner.write_all(&self.out);
        self.out.clear();
        result
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.redactor.write(buf, &mut self.out);
        self.drain()?;
        Ok(buf.len())
    }

    /// Flushes what is decided; a candidate still open stays held back.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The leak scan over a stream written in pieces cut anywhere: one
/// [`Report`] per occurrence, with its line and column.
pub struct Scanner {
    stream: Stream,
    lines: LineCounter,
    file: Option<String>,
    pending: Option<Report>,
}

/// Where each line starts, counted over the bytes in stream order.
#[derive(Default)]
struct LineCounter {
    /// Stream offset of the next byte to count.
    position: u64,
    /// Newlines seen so far.
    newlines: u64,
    /// Stream offset of the first byte of the current line.
    line_start: u64,
}

struct Locate<'a> {
    lines: &'a mut LineCounter,
    file: &'a Option<String>,
    reports: &'a mut Vec<Report>,
    /// The report of an occurrence cut by the limit, until its run ends.
    pending: &'a mut Option<Report>,
}

impl Sink for Locate<'_> {
    fn plain(&mut self, bytes: &[u8]) {
        let lines = &mut *self.lines;
        if let Some(last) = memchr::memrchr(b'\n', bytes) {
            lines.newlines += memchr::memchr_iter(b'\n', bytes).count() as u64;
            lines.line_start = lines.position + last as u64 + 1;
        }
        lines.position += bytes.len() as u64;
    }
    fn occurrence(&mut self, offset: u64, raw: &[u8]) {
        // Run characters hold no newline: the occurrence is in one line.
        let found = describe(offset, raw);
        *self.pending = Some(Report {
            file: self.file.clone(),
            line: self.lines.newlines + 1,
            column: offset - self.lines.line_start + 1,
            length: found.length,
            fingerprint: found.fingerprint,
            well_formed: found.well_formed,
            form: found.form,
            region: found.region,
        });
        self.lines.position += raw.len() as u64;
    }
    fn extend(&mut self, len: u64) {
        if let Some(report) = self.pending.as_mut() {
            report.length += len;
        }
        self.lines.position += len;
    }
    fn occurrence_end(&mut self) {
        self.reports.extend(self.pending.take());
    }
}

impl Scanner {
    /// A scanner whose reports carry `file` (left out of the JSON when `None`).
    pub fn new(file: Option<String>) -> Self {
        Scanner { stream: Stream::default(), lines: LineCounter::default(), file, pending: None }
    }

    /// Scans the next piece, appending a report for every occurrence decided.
    pub fn write(&mut self, chunk: &[u8], reports: &mut Vec<Report>) {
        let mut sink = Locate { lines: &mut self.lines, file: &self.file, reports, pending: &mut self.pending };
        self.stream.write(chunk, &mut sink);
    }

    /// Ends the stream for good (a new stream needs a new scanner).
    pub fn finish(mut self, reports: &mut Vec<Report>) {
        let stream = std::mem::take(&mut self.stream);
        let mut sink = Locate { lines: &mut self.lines, file: &self.file, reports, pending: &mut self.pending };
        stream.finish(&mut sink);
    }
}
