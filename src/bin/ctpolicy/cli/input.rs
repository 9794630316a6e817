//! What `ctpolicy check` accepts as input, and the values it fills in.
//!
//! An input (a file, or stdin) is read in one of three ways, chosen by its
//! first non-blank line:
//!
//! 1. that line starts with `[` (after white space): the input is **one
//!    JSON array of requests**;
//! 2. that line is the start of a JSON value that goes on past the line (a
//!    request pasted as it is printed, over several lines): the input is
//!    **a sequence of JSON values**, one request each, over as many lines
//!    as each takes;
//! 3. anything else: **JSON Lines**, one request a line (blank lines are
//!    skipped), read as a stream with flat memory.
//!
//! Every request keeps the number of the line it starts on: that is the
//! line a decision row or an error message names. Arrays and pasted
//! values are read whole into memory; JSON Lines never are. An array that
//! is not valid JSON, or a value in a sequence that is not, is handed to
//! the engine as it stands from its first byte on, so the error is the
//! engine's own (`JSON_SYNTAX` with the byte offset, counted from the line
//! it names); nothing after it is read.

use std::io::{self, BufRead, Chain, Cursor, Read};
use std::ops::Range;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use super::{Line, LineReader};
use ctpolicy::MAX_INPUT_BYTES;

/// A source of requests: each with the number of the line it starts on.
pub trait RequestSource {
    /// The next request, `None` at the end of the input.
    fn next_request(&mut self) -> io::Result<Option<(u64, Line<'_>)>>;
}

impl<S: RequestSource + ?Sized> RequestSource for &mut S {
    fn next_request(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        (**self).next_request()
    }
}

impl<R: BufRead> RequestSource for LineReader<R> {
    fn next_request(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        self.next_line(b'\n', true)
    }
}

/// How an input is read (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    JsonLines,
    Array,
    Values,
}

/// One input of `ctpolicy check`, its layout found.
pub enum Requests<R> {
    Lines(LineReader<Chain<Cursor<Vec<u8>>, R>>),
    Whole(WholeInput),
}

impl<R: BufRead> Requests<R> {
    /// Reads the input's first non-blank line to find its layout; a JSON
    /// Lines input then streams from there, the others are read whole.
    pub fn open(mut reader: R) -> io::Result<Self> {
        let mut prefix = Vec::new();
        let layout = loop {
            let start = prefix.len();
            let limit = (MAX_INPUT_BYTES + 1) as u64;
            let read = (&mut reader).take(limit).read_until(b'\n', &mut prefix)?;
            if read == 0 {
                break Layout::JsonLines;
            }
            let line = &prefix[start..];
            if read as u64 == limit && line.last() != Some(&b'\n') {
                // Over the limit: the line reader reports it.
                break Layout::JsonLines;
            }
            if let Some(layout) = layout_of(line) {
                break layout;
            }
        };
        if layout == Layout::JsonLines {
            return Ok(Requests::Lines(LineReader::new(Cursor::new(prefix).chain(reader))));
        }
        reader.read_to_end(&mut prefix)?;
        Ok(Requests::Whole(WholeInput::new(prefix, layout)))
    }

    #[cfg(test)]
    pub fn layout(&self) -> Layout {
        match self {
            Requests::Lines(_) => Layout::JsonLines,
            Requests::Whole(whole) => whole.layout,
        }
    }
}

impl<R: BufRead> RequestSource for Requests<R> {
    fn next_request(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        match self {
            Requests::Lines(lines) => lines.next_request(),
            Requests::Whole(whole) => whole.next_request(),
        }
    }
}

/// The layout a first line decides, or `None` when it is blank.
fn layout_of(line: &[u8]) -> Option<Layout> {
    let first = line.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))?;
    if line[first] == b'[' {
        return Some(Layout::Array);
    }
    match serde_json::from_slice::<IgnoredAny>(line) {
        Err(error) if error.is_eof() => Some(Layout::Values),
        _ => Some(Layout::JsonLines),
    }
}

/// An array or a sequence of values, read whole, split into requests.
pub struct WholeInput {
    /// Wiped when dropped: requests hold tokens.
    text: Zeroizing<Vec<u8>>,
    items: Vec<(u64, Range<usize>)>,
    next: usize,
    #[cfg_attr(not(test), allow(dead_code, reason = "only the unit tests ask which layout was found"))]
    layout: Layout,
    /// An array split into its elements (else it did not read as one).
    split: bool,
}

impl WholeInput {
    fn new(text: Vec<u8>, layout: Layout) -> Self {
        let text = Zeroizing::new(text);
        let (ranges, split) = match layout {
            Layout::Array => split_array(&text),
            _ => (split_values(&text), false),
        };
        let mut items = Vec::with_capacity(ranges.len());
        let (mut line, mut counted) = (1u64, 0usize);
        for range in ranges {
            line += memchr::memchr_iter(b'\n', &text[counted..range.start]).count() as u64;
            counted = range.start;
            items.push((line, range));
        }
        WholeInput { text, items, next: 0, layout, split }
    }

    fn next_request(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        let Some((line, range)) = self.items.get(self.next) else { return Ok(None) };
        self.next += 1;
        Ok(Some((*line, Line::Text(&self.text[range.clone()]))))
    }
}

/// Where `inner` (a slice of `outer`) starts and ends in it.
fn range_in(outer: &[u8], inner: &str) -> Range<usize> {
    let start = inner.as_ptr() as usize - outer.as_ptr() as usize;
    start..start + inner.len()
}

/// The ranges of the array's elements; the whole text when it is not a
/// JSON array the engine's errors could be reported for element by element.
fn split_array(text: &[u8]) -> (Vec<Range<usize>>, bool) {
    match serde_json::from_slice::<Vec<&RawValue>>(text) {
        Ok(elements) => (elements.iter().map(|element| range_in(text, element.get())).collect(), true),
        Err(_) => (std::iter::once(skip_blank(text, 0)..text.len()).collect(), false),
    }
}

/// The ranges of a sequence of JSON values; a value that does not read is
/// the last range, to the end of the text.
fn split_values(text: &[u8]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut values = serde_json::Deserializer::from_slice(text).into_iter::<&RawValue>();
    loop {
        let before = values.byte_offset();
        match values.next() {
            None => break,
            Some(Ok(value)) => ranges.push(range_in(text, value.get())),
            Some(Err(_)) => {
                ranges.push(skip_blank(text, before)..text.len());
                break;
            }
        }
    }
    ranges
}

fn skip_blank(text: &[u8], from: usize) -> usize {
    from + text[from..].iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).count()
}

/// Top-level members `ctpolicy check` adds to every request that has none
/// of that name: `--now` and `--caller`. A request that has the member,
/// even as `null`, keeps it; a request that is not a JSON object is left
/// as it is for the engine to report.
#[derive(Debug, Clone, Default)]
pub struct Fill {
    members: Vec<(&'static str, String)>,
}

impl Fill {
    /// `now`: an RFC 3339 timestamp; `caller`: a caller name. Each is
    /// written as a JSON string.
    pub fn new(now: Option<&str>, caller: Option<&str>) -> Self {
        let mut members = Vec::new();
        for (name, value) in [("now", now), ("caller", caller)] {
            if let Some(value) = value {
                members.push((name, ctpolicy::to_json(value)));
            }
        }
        Fill { members }
    }

    /// `request` with the missing members added, into `out`; `false` (and
    /// `out` untouched) when nothing is added.
    pub fn apply(&self, request: &[u8], out: &mut Vec<u8>) -> bool {
        if self.members.is_empty() {
            return false;
        }
        let Ok(keys) = serde_json::from_slice::<std::collections::HashMap<String, IgnoredAny>>(request) else {
            return false;
        };
        let missing: Vec<_> = self.members.iter().filter(|(name, _)| !keys.contains_key(*name)).collect();
        if missing.is_empty() {
            return false;
        }
        // It read as an object, so its first non-blank byte is `{`.
        let open = skip_blank(request, 0);
        let empty = request.get(skip_blank(request, open + 1)) == Some(&b'}');
        out.clear();
        out.extend_from_slice(&request[..=open]);
        for (index, (name, value)) in missing.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(format!("\"{name}\":{value}").as_bytes());
        }
        if !empty {
            out.push(b',');
        }
        out.extend_from_slice(&request[open + 1..]);
        true
    }
}

/// A request source with [`Fill`] applied to every request.
pub struct Filled<S> {
    inner: S,
    fill: Fill,
    buffer: Zeroizing<Vec<u8>>,
}

impl<S> Filled<S> {
    pub fn new(inner: S, fill: Fill) -> Self {
        Filled { inner, fill, buffer: Zeroizing::new(Vec::new()) }
    }
}

impl<S: RequestSource> RequestSource for Filled<S> {
    fn next_request(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        let Some((line, request)) = self.inner.next_request()? else { return Ok(None) };
        if let Line::Text(bytes) = request {
            if self.fill.apply(bytes, &mut self.buffer) {
                return Ok(Some((line, Line::Text(&self.buffer))));
            }
        }
        Ok(Some((line, request)))
    }
}

/// An input of `ctpolicy check`, its layout found and `fill` applied,
/// handed to `stream` as it should be named: whole, under `name`, or, for
/// an array, one element at a time under `name[index]` (0-based), so that
/// a message names the element as well as the line it starts on.
pub fn stream_input<R: BufRead>(
    name: &str,
    reader: R,
    fill: &Fill,
    mut stream: impl FnMut(&str, &mut dyn RequestSource) -> io::Result<()>,
) -> io::Result<()> {
    match Requests::open(reader)? {
        Requests::Whole(whole) if whole.split => {
            for (index, (line, range)) in whole.items.iter().enumerate() {
                let one = One { item: Some((*line, &whole.text[range.clone()])) };
                stream(&format!("{name}[{index}]"), &mut Filled::new(one, fill.clone()))?;
            }
            Ok(())
        }
        requests => stream(name, &mut Filled::new(requests, fill.clone())),
    }
}

/// A single request.
struct One<'a> {
    item: Option<(u64, &'a [u8])>,
}

impl RequestSource for One<'_> {
    fn next_request(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        Ok(self.item.take().map(|(line, bytes)| (line, Line::Text(bytes))))
    }
}

/// The value of `--now`: an RFC 3339 timestamp as given, or `now` for the
/// machine's clock (UTC, milliseconds). The command line may read the
/// clock; the engine never does.
pub fn now_argument(text: &str) -> Result<String, String> {
    if text == "now" {
        return Ok(ctpolicy::audit::Clock::System.now());
    }
    match ctpolicy::is_timestamp(text) {
        true => Ok(text.to_owned()),
        false => Err(format!("--now {text:?} is not an RFC 3339 timestamp (such as 2026-11-30T12:00:00Z) or `now`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &str) -> (Layout, Vec<(u64, String)>) {
        let mut requests = Requests::open(io::Cursor::new(input.as_bytes().to_vec())).unwrap();
        let layout = requests.layout();
        let mut out = Vec::new();
        while let Some((line, request)) = requests.next_request().unwrap() {
            match request {
                Line::Text(bytes) => out.push((line, String::from_utf8(bytes.to_vec()).unwrap())),
                Line::TooLong => out.push((line, "<too long>".to_owned())),
            }
        }
        (layout, out)
    }

    #[test]
    fn json_lines_stay_json_lines() {
        let (layout, items) = all("\n{\"a\":1}\n\n{\"b\":2}\nnot json\n");
        assert_eq!(layout, Layout::JsonLines);
        assert_eq!(items, [(2, "{\"a\":1}".into()), (4, "{\"b\":2}".into()), (5, "not json".into())]);
    }

    #[test]
    fn one_request_over_several_lines() {
        let (layout, items) = all("\n{\"a\": 1,\n \"b\": {\"c\": 2}}\n  {\"d\":\n3}\n");
        assert_eq!(layout, Layout::Values);
        assert_eq!(items, [(2, "{\"a\": 1,\n \"b\": {\"c\": 2}}".into()), (4, "{\"d\":\n3}".into())]);
    }

    #[test]
    fn an_array_of_requests() {
        let (layout, items) = all("[{\"a\":1},\n  {\"b\":\n2}, 7]");
        assert_eq!(layout, Layout::Array);
        assert_eq!(items, [(1, "{\"a\":1}".into()), (2, "{\"b\":\n2}".into()), (3, "7".into())]);
    }

    #[test]
    fn broken_inputs_go_to_the_engine_whole() {
        let (_, items) = all("[{\"a\":1},\n{\"b\" 2}]");
        assert_eq!(items, [(1, "[{\"a\":1},\n{\"b\" 2}]".into())]);
        let (_, items) = all("{\"a\":\n1}\n{\"b\":\n oops");
        assert_eq!(items, [(1, "{\"a\":\n1}".into()), (3, "{\"b\":\n oops".into())]);
    }

    #[test]
    fn fill_adds_only_what_is_missing() {
        let fill = Fill::new(Some("2026-11-30T00:00:00Z"), Some("billing"));
        let mut out = Vec::new();
        assert!(fill.apply(b" { \"a\": 1 }", &mut out));
        assert_eq!(out, b" {\"now\":\"2026-11-30T00:00:00Z\",\"caller\":\"billing\", \"a\": 1 }");
        assert!(fill.apply(b"{ }", &mut out));
        assert_eq!(out, b"{\"now\":\"2026-11-30T00:00:00Z\",\"caller\":\"billing\" }");
        assert!(fill.apply(b"{\"now\":null,\"x\":[]}", &mut out));
        assert_eq!(out, b"{\"caller\":\"billing\",\"now\":null,\"x\":[]}");
        assert!(!fill.apply(b"{\"now\":\"x\",\"caller\":\"y\"}", &mut out));
        assert!(!fill.apply(b"[1]", &mut out));
        assert!(!fill.apply(b"{\"a\":", &mut out));
        assert!(!Fill::default().apply(b"{}", &mut out));
    }
}
