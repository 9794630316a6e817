//! The one H1 matcher (docs/HYGIENE.md): finds token occurrences in a byte
//! stream that arrives in pieces, in time linear in its length.
//!
//! The matcher never holds bytes itself. Its caller keeps the bytes from
//! [`Matcher::emitted`] onwards and hands them back, with whatever arrived
//! since, on the next [`Matcher::advance`]; the matcher remembers how far it
//! has scanned, so no byte is examined twice (beyond a few bytes of a
//! `krn` prefix re-read at a piece boundary).
//!
//! Outside a candidate it searches for `krn` with memchr's SIMD `memmem`.
//! From a candidate's start it walks the run unit by unit (a unit is one
//! run byte or an encoded colon `%3A`/`%3a`), keeping
//! - the starts of every candidate inside the run that is not decided yet
//!   (the first one is the candidate being decided: bytes before it are
//!   plain), and
//! - every decoded `:customer-token:` seen (a **marker**, by the position
//!   of its leading colon) with the first non-colon unit after it, if seen.
//!
//! A candidate starting at `q` is an occurrence exactly when the first
//! marker whose leading colon lies after `q` has a non-colon unit after it
//! inside the candidate: its `customer-token` segment is then the first
//! one of the candidate (the first segment is `krn`, so every later
//! segment follows a colon after `q`), and that unit is a non-empty segment
//! after it. Markers and candidates are both in order, so deciding each
//! candidate costs O(1) amortised, also for candidates cut by the 1 MiB
//! limit, where the next candidate inside the cut one must be decided too.
//!
//! A candidate cut by the limit that is an occurrence extends to the end of
//! its run (H1): the sink gets its bytes up to the cut (what its
//! fingerprint is taken of), then the length of the rest of the run as it
//! passes ([`Sink::extend`], never the bytes), then its end. The rest of the
//! run is skipped without being held, so a stream still holds back at most
//! one candidate.

use std::collections::VecDeque;
use std::sync::OnceLock;

use memchr::memmem;

/// Longest candidate, in bytes as they stand (H1).
pub const MAX_CANDIDATE_BYTES: u64 = 1_048_576;

/// The decoded pattern whose match marks a `customer-token` segment with a
/// segment after it.
const MARKER: &[u8; 16] = b":customer-token:";

/// Where the matcher reports what it decided, in stream order.
pub(crate) trait Sink {
    /// Bytes that are not part of any occurrence, copied unchanged.
    fn plain(&mut self, bytes: &[u8]);
    /// An occurrence: its offset in the stream and its bytes as they
    /// stand, up to the limit when it was cut by the limit (H1: those are
    /// the bytes its fingerprint is taken of). The bytes of its run past
    /// the limit follow through [`Sink::extend`]; [`Sink::occurrence_end`]
    /// comes once the whole occurrence has been given.
    fn occurrence(&mut self, offset: u64, raw: &[u8]);
    /// More bytes of the occurrence last given, which was cut by the limit
    /// and so extends to the end of its run: part of it, never copied out.
    fn extend(&mut self, _len: u64) {}
    /// The occurrence last given is whole.
    fn occurrence_end(&mut self) {}
}

/// Single run bytes: ASCII letters, digits, `.`, `_`, `~`, `-`, `:`.
static RUN_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'~' | b'-' | b':');
        b += 1;
    }
    table
};

fn krn_finder() -> &'static memmem::Finder<'static> {
    static FINDER: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| memmem::Finder::new(b"krn"))
}

/// What the bytes at `at` are, as far as they can be told from `data`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Unit {
    /// A run unit of this many bytes that decodes to this byte.
    Run(u8, u8),
    /// Not a run unit: the run ends here.
    End,
    /// A `%` or `%3` at the end of what has arrived: more bytes decide.
    NeedMore,
}

fn unit_at(data: &[u8], at: usize, eof: bool) -> Unit {
    let Some(&b) = data.get(at) else {
        return if eof { Unit::End } else { Unit::NeedMore };
    };
    if RUN_BYTE[b as usize] {
        return Unit::Run(1, b);
    }
    if b != b'%' {
        return Unit::End;
    }
    match (data.get(at + 1), data.get(at + 2)) {
        (Some(b'3'), Some(b'A' | b'a')) => Unit::Run(3, b':'),
        (Some(b'3'), None) | (None, _) if !eof => Unit::NeedMore,
        _ => Unit::End,
    }
}

/// Whether a candidate starts at `at`: `krn` then a colon, plain or
/// encoded. `None` when the bytes so far cannot tell yet.
fn candidate_at(data: &[u8], at: usize, eof: bool) -> Option<bool> {
    let rest = &data[at..];
    let wanted: [&[u8]; 3] = [b"krn:", b"krn%3A", b"krn%3a"];
    if wanted.iter().any(|w| rest.starts_with(w)) {
        return Some(true);
    }
    let could_still_be = wanted.iter().any(|w| w.len() > rest.len() && w.starts_with(rest));
    if could_still_be && !eof {
        None
    } else {
        Some(false)
    }
}

/// A decoded `:customer-token:`: where its leading colon starts, and the
/// first non-colon unit after it once one has been seen.
struct Marker {
    colon: u64,
    segment_after: Option<u64>,
}

/// The walk over one run from its first undecided candidate.
#[derive(Default)]
struct Run {
    /// Undecided candidate starts, in order; the front one is being decided.
    candidates: VecDeque<u64>,
    markers: VecDeque<Marker>,
    /// How many markers at the back still wait for a non-colon unit.
    unresolved: usize,
    /// Progress through `krn` + colon: units matched, and where the `k` is.
    krn_matched: u8,
    krn_start: u64,
    /// Progress through [`MARKER`]: units matched, and where its colon is.
    marker_matched: u8,
    marker_start: u64,
}

impl Run {
    /// A run walk that starts with the candidate at `start`, whose `krn`
    /// and colon have been checked already.
    fn starting_at(start: u64) -> Run {
        let mut run = Run::default();
        run.candidates.push_back(start);
        // That colon may lead a `:customer-token:`.
        run.marker_matched = 1;
        run.marker_start = start + 3;
        run
    }

    /// Takes in the unit at `at` that decodes to `ch`.
    fn take(&mut self, at: u64, ch: u8) {
        // Candidate starts: "krn:" has no border, so a mismatch restarts
        // only on a `k`.
        self.krn_matched = match (self.krn_matched, ch) {
            (1, b'r') => 2,
            (2, b'n') => 3,
            (3, b':') => {
                self.candidates.push_back(self.krn_start);
                0
            }
            (_, b'k') => {
                self.krn_start = at;
                1
            }
            _ => 0,
        };
        // Markers: the only border of ":customer-token:" is ":".
        let matched = self.marker_matched as usize;
        if ch == MARKER[matched] {
            self.marker_matched += 1;
            if self.marker_matched as usize == MARKER.len() {
                self.markers.push_back(Marker { colon: self.marker_start, segment_after: None });
                self.unresolved += 1;
                self.marker_matched = 1;
                self.marker_start = at;
            } else if matched == 0 {
                self.marker_start = at;
            }
        } else if ch == b':' {
            self.marker_matched = 1;
            self.marker_start = at;
        } else {
            self.marker_matched = 0;
        }
        if ch != b':' && self.unresolved > 0 {
            let len = self.markers.len();
            for marker in self.markers.range_mut(len - self.unresolved..) {
                marker.segment_after = Some(at);
            }
            self.unresolved = 0;
        }
    }

    /// Whether the candidate at `start`, ending where the walk stands now,
    /// is an occurrence. Drops the markers no later candidate can use.
    fn is_occurrence(&mut self, start: u64) -> bool {
        while self.markers.front().is_some_and(|m| m.colon <= start) {
            self.markers.pop_front();
            self.unresolved = self.unresolved.min(self.markers.len());
        }
        self.markers.front().is_some_and(|m| m.segment_after.is_some())
    }
}

enum Mode {
    /// No candidate open: searching for the next `krn`.
    Seek,
    /// Walking a run that holds at least one undecided candidate.
    Walk(Run),
    /// Inside an occurrence cut by the limit: the rest of its run belongs
    /// to it (H1), however long, and is passed over to the run's end.
    Tail,
}

/// The H1 matcher over one stream. See the module documentation.
pub(crate) struct Matcher {
    /// Every byte before this offset has gone to the sink.
    emitted: u64,
    /// Where the scan stands (`emitted <= scanned`).
    scanned: u64,
    mode: Mode,
    /// [`MAX_CANDIDATE_BYTES`]; smaller only in tests of the limit.
    limit: u64,
}

impl Default for Matcher {
    fn default() -> Self {
        Matcher::with_limit(MAX_CANDIDATE_BYTES)
    }
}

impl Matcher {
    pub(crate) fn with_limit(limit: u64) -> Self {
        Matcher { emitted: 0, scanned: 0, mode: Mode::Seek, limit: limit.max(6) }
    }

    /// The offset of the first byte not yet given to the sink: the caller
    /// keeps the bytes from here on for the next call.
    pub(crate) fn emitted(&self) -> u64 {
        self.emitted
    }

    /// Scans `data`, the stream's bytes from [`Matcher::emitted`] to what
    /// has arrived so far; `eof` when nothing more will come. Every byte
    /// that is decided goes to `sink`, in order; after a call with `eof`,
    /// all of them have.
    pub(crate) fn advance(&mut self, data: &[u8], eof: bool, sink: &mut impl Sink) {
        let base = self.emitted;
        let at = |offset: u64| (offset - base) as usize;
        loop {
            match &mut self.mode {
                Mode::Seek => {
                    let from = at(self.scanned);
                    match seek(&data[from..], eof) {
                        Seek::Candidate(i, colon_len) => {
                            let start = self.scanned + i as u64;
                            sink.plain(&data[at(self.emitted)..at(start)]);
                            self.emitted = start;
                            self.scanned = start + 3 + colon_len;
                            self.mode = Mode::Walk(Run::starting_at(start));
                        }
                        Seek::HoldFrom(i) => {
                            let hold = self.scanned + i as u64;
                            sink.plain(&data[at(self.emitted)..at(hold)]);
                            self.emitted = hold;
                            self.scanned = hold;
                            return;
                        }
                    }
                }
                Mode::Walk(run) => {
                    let unit = unit_at(data, at(self.scanned), eof);
                    let (len, ch) = match unit {
                        Unit::NeedMore => return,
                        Unit::End => {
                            // The run ends here: every open candidate ends
                            // here too. The first occurrence among them
                            // takes in the rest.
                            let run_end = self.scanned;
                            while let Some(q) = run.candidates.pop_front() {
                                if run.is_occurrence(q) {
                                    sink.plain(&data[at(self.emitted)..at(q)]);
                                    sink.occurrence(q, &data[at(q)..at(run_end)]);
                                    sink.occurrence_end();
                                    self.emitted = run_end;
                                    break;
                                }
                            }
                            self.mode = Mode::Seek;
                            continue;
                        }
                        Unit::Run(len, ch) => (u64::from(len), ch),
                    };
                    // Candidates that this unit would take past the limit
                    // are cut before it. A cut occurrence takes in the
                    // rest of its run (H1); a cut candidate that is not
                    // one gives way to the next candidate inside it.
                    let mut cut_occurrence = false;
                    while let Some(&q) = run.candidates.front() {
                        if self.scanned + len - q <= self.limit {
                            break;
                        }
                        run.candidates.pop_front();
                        if run.is_occurrence(q) {
                            sink.plain(&data[at(self.emitted)..at(q)]);
                            sink.occurrence(q, &data[at(q)..at(self.scanned)]);
                            self.emitted = self.scanned;
                            cut_occurrence = true;
                            break;
                        }
                    }
                    if cut_occurrence {
                        self.mode = Mode::Tail;
                        continue;
                    }
                    let mut resume = None;
                    if resume.is_none() && run.candidates.is_empty() {
                        // Nothing open any more: a `krn` in progress is
                        // found again by the search.
                        resume = Some(if run.krn_matched > 0 { run.krn_start } else { self.scanned });
                    }
                    if let Some(from) = resume {
                        self.scanned = from;
                        sink.plain(&data[at(self.emitted)..at(from)]);
                        self.emitted = from;
                        self.mode = Mode::Seek;
                        continue;
                    }
                    let first = *run.candidates.front().expect("an open candidate");
                    if first > self.emitted {
                        sink.plain(&data[at(self.emitted)..at(first)]);
                        self.emitted = first;
                    }
                    run.take(self.scanned, ch);
                    self.scanned += len;
                }
                Mode::Tail => {
                    let from = at(self.scanned);
                    let mut to = from;
                    let unit = loop {
                        // Most of a run is single run bytes: skip them
                        // without asking about encoded colons.
                        while data.get(to).is_some_and(|&b| RUN_BYTE[b as usize]) {
                            to += 1;
                        }
                        match unit_at(data, to, eof) {
                            Unit::Run(len, _) => to += usize::from(len),
                            other => break other,
                        }
                    };
                    if to > from {
                        sink.extend((to - from) as u64);
                        self.scanned += (to - from) as u64;
                        self.emitted = self.scanned;
                    }
                    if unit == Unit::NeedMore {
                        return;
                    }
                    sink.occurrence_end();
                    self.mode = Mode::Seek;
                }
            }
        }
    }
}

enum Seek {
    /// A candidate at this index, its colon this many bytes long.
    Candidate(usize, u64),
    /// No candidate: the bytes from this index on must wait for more
    /// (the length of `data` when none need to).
    HoldFrom(usize),
}

/// The next candidate start in `data`, or how much of its end to hold.
fn seek(data: &[u8], eof: bool) -> Seek {
    let mut from = 0;
    while let Some(i) = krn_finder().find(&data[from..]) {
        let i = from + i;
        match candidate_at(data, i, eof) {
            Some(true) => return Seek::Candidate(i, if data[i + 3] == b':' { 1 } else { 3 }),
            None => return Seek::HoldFrom(i),
            Some(false) => from = i + 3,
        }
    }
    if eof {
        return Seek::HoldFrom(data.len());
    }
    // A `k` or `kr` at the very end may start a candidate.
    let tail = &data[from..];
    let held = if tail.ends_with(b"kr") {
        2
    } else if tail.ends_with(b"k") {
        1
    } else {
        0
    };
    Seek::HoldFrom(data.len() - held)
}
