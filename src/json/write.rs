//! The one JSON writer: serde_json's serializer with a formatter that keeps
//! the bytes the contract has always had.
//!
//! Every output is a `Serialize` type (derived where the shape allows);
//! this module only decides the layout and the escaping. serde_json's own
//! compact formatter differs from the contract in two escapes: it writes
//! backspace and form feed as `\b` and `\f` (the contract: `\u0008`,
//! `\u000c`) and leaves DEL (U+007F) raw (the contract: `\u007f`). Nothing
//! else is escaped: `/`, U+2028 and U+2029 and all other non-ASCII text are
//! written as they are.

use std::io;

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};
use zeroize::{Zeroize, Zeroizing};

use super::{JsonStr, Number, Value};

/// Compact JSON with the contract's escapes.
#[derive(Clone, Copy, Default)]
pub struct ContractFormatter;

impl Formatter for ContractFormatter {
    #[inline]
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        write_escaping_delete(writer, fragment)
    }

    #[inline]
    fn write_char_escape<W: ?Sized + io::Write>(&mut self, writer: &mut W, escape: CharEscape) -> io::Result<()> {
        write_contract_escape(writer, escape)
    }
}

/// A fragment is text between serde_json's escapes; DEL is the one byte
/// serde_json leaves in it that the contract escapes.
///
/// Every object key passes here too (serde_json writes keys as strings),
/// so the usual fragment, short and without DEL, is settled with one or
/// two word tests and written in one piece; the loop is out of line.
#[inline]
fn write_escaping_delete<W: ?Sized + io::Write>(writer: &mut W, fragment: &str) -> io::Result<()> {
    let bytes = fragment.as_bytes();
    if !short_has_delete(bytes).unwrap_or(true) {
        return writer.write_all(bytes);
    }
    write_escaping_each_delete(writer, bytes)
}

#[inline(never)]
fn write_escaping_each_delete<W: ?Sized + io::Write>(writer: &mut W, mut rest: &[u8]) -> io::Result<()> {
    while let Some(at) = find_delete(rest) {
        writer.write_all(&rest[..at])?;
        writer.write_all(b"\\u007f")?;
        rest = &rest[at + 1..];
    }
    writer.write_all(rest)
}

/// Whether `bytes` holds a DEL, for 8 to 16 bytes (two overlapping
/// words: the first eight and the last eight) and for fewer than eight
/// (byte by byte); `None` for longer text, which [`find_delete`] scans.
#[inline]
fn short_has_delete(bytes: &[u8]) -> Option<bool> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_delete = |chunk: &[u8]| {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ (ONES * 0x7F);
        word.wrapping_sub(ONES) & !word & HIGHS != 0
    };
    let has_delete_in_four = |chunk: &[u8]| {
        let word = u32::from_le_bytes(chunk.try_into().expect("four bytes")) ^ (ONES as u32 * 0x7F);
        word.wrapping_sub(ONES as u32) & !word & HIGHS as u32 != 0
    };
    // Keys and values of four to seven bytes ("token", "region", "ALLOW")
    // are the common case: two overlapping four-byte words, where
    // `contains` would call memchr.
    match bytes.len() {
        0..4 => Some(bytes.contains(&0x7F)),
        4..8 => Some(has_delete_in_four(&bytes[..4]) || has_delete_in_four(&bytes[bytes.len() - 4..])),
        8..=16 => Some(has_delete(&bytes[..8]) || has_delete(&bytes[bytes.len() - 8..])),
        _ => None,
    }
}

/// The first DEL byte, eight bytes at a time: every output string passes
/// here, and a call to memchr or a byte loop showed up in profiles.
#[inline]
fn find_delete(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    for (i, chunk) in chunks.by_ref().enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ (ONES * 0x7F);
        // Flags the high bit of every zero byte (a byte that was DEL);
        // a borrow can only flag bytes after a true hit, so the lowest is exact.
        let zero = word.wrapping_sub(ONES) & !word & HIGHS;
        if zero != 0 {
            return Some(i * 8 + (zero.trailing_zeros() / 8) as usize);
        }
    }
    let tail = chunks.remainder();
    tail.iter().position(|&b| b == 0x7F).map(|at| bytes.len() - tail.len() + at)
}

#[inline]
fn write_contract_escape<W: ?Sized + io::Write>(writer: &mut W, escape: CharEscape) -> io::Result<()> {
    match escape {
        CharEscape::Backspace => writer.write_all(b"\\u0008"),
        CharEscape::FormFeed => writer.write_all(b"\\u000c"),
        other => CompactFormatter.write_char_escape(writer, other),
    }
}

/// The layout of `ctpolicy rules --format json`: the top-level array has
/// one element per line, indented by two spaces; each element is compact.
#[derive(Default)]
pub struct OnePerLineFormatter {
    depth: usize,
}

impl Formatter for OnePerLineFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        write_escaping_delete(writer, fragment)
    }

    fn write_char_escape<W: ?Sized + io::Write>(&mut self, writer: &mut W, escape: CharEscape) -> io::Result<()> {
        write_contract_escape(writer, escape)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        writer.write_all(if self.depth == 1 { b"[\n" } else { b"[" })
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        writer.write_all(if self.depth == 0 { b"\n]" } else { b"]" })
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        match (self.depth, first) {
            (1, true) => writer.write_all(b"  "),
            (1, false) => writer.write_all(b",\n  "),
            (_, first) => CompactFormatter.begin_array_value(writer, first),
        }
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth += 1;
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.depth -= 1;
        writer.write_all(b"}")
    }
}

/// Appends `value` as compact JSON to `out`.
pub fn write_into<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    write_with(out, value, ContractFormatter);
}

/// Appends `value` as compact JSON to a byte buffer (an audit log's line,
/// a stream of findings).
pub fn write_bytes_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut serializer = serde_json::Serializer::with_formatter(out, ContractFormatter);
    value.serialize(&mut serializer).expect("the library's output types always serialize");
}

/// `value` as compact JSON.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    write_into(&mut out, value);
    out
}

/// `value` as compact JSON in a string that may hold a customer token: the
/// buffer never reallocates behind our back (each growth copies into a
/// fresh buffer and wipes the old one), and it is wiped on drop.
pub fn to_secret_string<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    let mut serializer = serde_json::Serializer::with_formatter(WipingSink(&mut bytes), ContractFormatter);
    value.serialize(&mut serializer).expect("the library's output types always serialize");
    // serde_json writes only whole UTF-8 sequences; take the buffer over
    // without a copy (a copy would leave one more unwiped token behind).
    let text = String::from_utf8(std::mem::take(&mut *bytes)).expect("serde_json writes UTF-8");
    Zeroizing::new(text)
}

/// `value` in the layout of [`OnePerLineFormatter`], with a final newline.
pub fn to_string_one_per_line<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    write_with(&mut out, value, OnePerLineFormatter::default());
    out.push('\n');
    out
}

fn write_with<T: Serialize + ?Sized, F: Formatter>(out: &mut String, value: &T, formatter: F) {
    let start = out.len();
    // SAFETY: serde_json feeds its writer only whole UTF-8 sequences (its
    // documented guarantee for `to_writer`), and a failed write is cut
    // back to `start` below, so `out` holds UTF-8 whenever it is used again.
    let bytes = unsafe { out.as_mut_vec() };
    let mut serializer = serde_json::Serializer::with_formatter(ShortCopySink(&mut *bytes), formatter);
    let result = value.serialize(&mut serializer);
    if result.is_err() {
        bytes.truncate(start);
    }
    result.expect("the library's output types always serialize");
}

/// A byte vector that copies short writes itself. serde_json hands its
/// writer every key, every string fragment and every raw value as a write
/// of a length known only at run time, which `Vec`'s own writer turns into
/// a call to `memcpy`; a decision is about twenty such writes of 3 to 16
/// bytes, and those calls were 7 % of `ctp_check_json` in a profile. Two
/// overlapping word copies do the same for up to sixteen bytes.
struct ShortCopySink<'b>(&'b mut Vec<u8>);

impl io::Write for ShortCopySink<'_> {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        let out = &mut *self.0;
        let count = data.len();
        if count > 16 {
            out.extend_from_slice(data);
            return Ok(());
        }
        out.reserve(count);
        // SAFETY: `reserve` made room for `count` more bytes after `len`;
        // every copy below reads inside `data` and writes inside
        // `len..len + count` (the word pairs overlap, never overrun), so
        // all `count` bytes are written before `set_len` exposes them.
        unsafe {
            let len = out.len();
            let (from, to) = (data.as_ptr(), out.as_mut_ptr().add(len));
            match count {
                8..=16 => {
                    to.cast::<u64>().write_unaligned(from.cast::<u64>().read_unaligned());
                    to.add(count - 8).cast::<u64>().write_unaligned(from.add(count - 8).cast::<u64>().read_unaligned());
                }
                4..=7 => {
                    to.cast::<u32>().write_unaligned(from.cast::<u32>().read_unaligned());
                    to.add(count - 4).cast::<u32>().write_unaligned(from.add(count - 4).cast::<u32>().read_unaligned());
                }
                1..=3 => {
                    *to = *from;
                    *to.add(count / 2) = *from.add(count / 2);
                    *to.add(count - 1) = *from.add(count - 1);
                }
                _ => {}
            }
            out.set_len(len + count);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A growing buffer that wipes every buffer it leaves behind.
struct WipingSink<'b>(&'b mut Vec<u8>);

impl WipingSink<'_> {
    /// Moves the bytes to a buffer with room for `needed` and wipes the
    /// old one. Out of line: the callers size the buffer so that it is
    /// rare, and the write it would sit in runs for every punctuation mark.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, needed: usize) {
        let mut grown = Vec::with_capacity(needed.max(2 * self.0.capacity()));
        grown.extend_from_slice(self.0);
        let mut old = std::mem::replace(self.0, grown);
        old.zeroize();
    }
}

impl io::Write for WipingSink<'_> {
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let needed = self.0.len() + data.len();
        if needed > self.0.capacity() {
            self.grow(needed);
        }
        self.0.extend_from_slice(data);
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write(data).map(|_| ())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The struct name under which serde_json's serializer takes a raw value
/// (`serde_json::value::RawValue` serializes as a one-field struct of this
/// name, and the serializer writes that field's string verbatim). A test
/// below fails if a serde_json release ever changes it.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// The longest text [`Trusted`] copies onto the stack; longer text takes
/// serde_json's escaping path (same bytes, only slower).
const TRUSTED_MAX: usize = 126;

/// Text the library made itself that needs no JSON escape: rule codes,
/// severities, scope names, the verdict, the engine version, the policy
/// digest, a token's fingerprint, form, environment and (validated)
/// region. serde_json scans every byte of every string against its escape
/// table (and the contract formatter scans again for DEL); this writes the
/// quoted text through serde_json's raw-value channel instead, copied in
/// one go as the hand writer once did. Never for text that came from a
/// caller: that is what the scan is for.
#[derive(Clone, Copy, Debug)]
pub struct Trusted<'a>(&'a str);

impl<'a> Trusted<'a> {
    /// `text` must hold no `"`, `\\`, control character or DEL (checked
    /// in debug builds and by the tests of every caller's output).
    #[inline]
    pub fn new(text: &'a str) -> Self {
        debug_assert!(needs_no_escape(text), "not a trusted string: {text:?}");
        Trusted(text)
    }
}

/// Whether `text` is written unchanged between quotes by the contract's
/// escaping: no byte below 0x20, no `"`, `\\` or DEL. Eight bytes at a time
/// (the classic "has a byte less than n / equal to c" word tests, exact as
/// yes/no answers).
#[inline]
pub fn needs_no_escape(text: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    #[inline]
    fn has_zero(word: u64) -> bool {
        word.wrapping_sub(ONES) & !word & HIGHS != 0
    }
    #[inline]
    fn plain_byte(b: u8) -> bool {
        b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7F
    }
    let mut chunks = text.as_bytes().chunks_exact(8);
    for chunk in chunks.by_ref() {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
        if control
            || has_zero(word ^ (ONES * u64::from(b'"')))
            || has_zero(word ^ (ONES * u64::from(b'\\')))
            || has_zero(word ^ (ONES * 0x7F))
        {
            return false;
        }
    }
    chunks.remainder().iter().all(|&b| plain_byte(b))
}

impl Serialize for Trusted<'_> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_quoted_raw(self.0, serializer, false)
    }
}

/// Text from anywhere (a caller's string, a message, a JSON Pointer): one
/// scan eight bytes at a time decides whether it needs any escape; if not,
/// it goes the [`Trusted`] way, otherwise through serde_json's escaping.
/// The stack copy is wiped afterwards (the text may be a token). Values
/// only: serde_json takes no raw value as an object key.
#[derive(Clone, Copy, Debug)]
pub struct Plain<'a>(pub &'a str);

impl Serialize for Plain<'_> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if needs_no_escape(self.0) {
            write_quoted_raw(self.0, serializer, true)
        } else {
            serializer.serialize_str(self.0)
        }
    }
}

/// Text from anywhere that is never a secret (an audit entry's fields: H3
/// keeps the token out of them): written as [`Plain`] writes it, without
/// wiping the stack copy afterwards.
#[derive(Clone, Copy, Debug)]
pub struct Scanned<'a>(pub &'a str);

impl Serialize for Scanned<'_> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if needs_no_escape(self.0) {
            write_quoted_raw(self.0, serializer, false)
        } else {
            serializer.serialize_str(self.0)
        }
    }
}

/// `"text"` through serde_json's raw-value channel (`text` needs no
/// escape); text too long for the stack copy takes serde_json's escaping.
/// With `wipe`, the stack copy is zeroized once written (the text may be
/// a token).
#[inline]
fn write_quoted_raw<S: Serializer>(text: &str, serializer: S, wipe: bool) -> Result<S::Ok, S::Error> {
    let bytes = text.as_bytes();
    if bytes.len() > TRUSTED_MAX {
        return serializer.serialize_str(text);
    }
    let mut buffer = [0u8; TRUSTED_MAX + 2];
    let quoted = &mut buffer[..bytes.len() + 2];
    quoted[0] = b'"';
    quoted[1..=bytes.len()].copy_from_slice(bytes);
    quoted[bytes.len() + 1] = b'"';
    // SAFETY: a whole `&str` between two ASCII quotes is UTF-8; checking
    // it again is the work this path exists to skip.
    let written = (|| {
        let quoted = unsafe { std::str::from_utf8_unchecked(quoted) };
        let mut raw = serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        raw.serialize_field(RAW_VALUE_TOKEN, quoted)?;
        raw.end()
    })();
    if wipe {
        buffer[..bytes.len() + 2].zeroize();
    }
    written
}

/// One JSON value written as pieces rendered beforehand, one after another
/// through serde_json's raw-value channel: serde_json's writer copies each
/// field of a raw value to its output as it is, so pieces that together
/// make one JSON value can be written without a copy into one string
/// first. Only for [`write_into`]'s writer (serde_json's value serializer
/// keeps only the last field); the caller's pieces must together be JSON
/// with the contract's escapes (a test in the caller checks them against
/// the derived writer).
pub struct RawPieces<S: Serializer>(S::SerializeStruct);

impl<S: Serializer> RawPieces<S> {
    /// Starts the value on `serializer`.
    #[inline]
    pub fn begin(serializer: S) -> Result<Self, S::Error> {
        Ok(RawPieces(serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?))
    }

    /// Writes `piece` verbatim.
    #[inline]
    pub fn put(&mut self, piece: &str) -> Result<(), S::Error> {
        self.0.serialize_field(RAW_VALUE_TOKEN, piece)
    }

    /// Ends the value.
    #[inline]
    pub fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}

/// A parsed value writes back exactly: numbers as the literal they were
/// read as (`1.50`, `-0`, `1E+2` stay so), strings with the contract's
/// escapes, members in input order.
impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(flag) => serializer.serialize_bool(*flag),
            Value::Number(number) => number.serialize(serializer),
            Value::String(text) => Plain(text.as_str()).serialize(serializer),
            Value::Array(items) => serializer.collect_seq(items.iter()),
            Value::Object(members) => serializer.collect_map(members.iter().map(|(key, value)| (key, value))),
        }
    }
}

impl Serialize for JsonStr<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The literal as written: serde_json's raw-value channel carries it to
/// the output untouched. The reader has checked it is a JSON number, so it
/// is not parsed again (that took a tenth of `apply_event` on a record
/// with numbers).
impl Serialize for Number<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut raw = serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        raw.serialize_field(RAW_VALUE_TOKEN, self.literal())?;
        raw.end()
    }
}

/// A value in canonical form: object keys sorted by their UTF-8 bytes (the
/// policy digest is the SHA-256 of this, written compactly).
pub struct Canonical<'v, 'a>(pub &'v Value<'a>);

impl Serialize for Canonical<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Array(items) => serializer.collect_seq(items.iter().map(Canonical)),
            Value::Object(members) => {
                let mut sorted: Vec<&(JsonStr<'_>, Value<'_>)> = members.iter().collect();
                sorted.sort_by(|a, b| a.0.as_str().as_bytes().cmp(b.0.as_str().as_bytes()));
                serializer.collect_map(sorted.into_iter().map(|(key, value)| (key, Canonical(value))))
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_keep_the_contract_escapes() {
        let text = "q\" b\\ n\n r\r t\t bs\u{8} ff\u{c} nul\u{0} us\u{1f} del\u{7f} / \u{2028}\u{2029} é \u{1F600}";
        assert_eq!(
            to_string(text),
            "\"q\\\" b\\\\ n\\n r\\r t\\t bs\\u0008 ff\\u000c nul\\u0000 us\\u001f del\\u007f / \u{2028}\u{2029} é \u{1F600}\""
        );
        assert_eq!(to_string("\u{7f}\u{7f}x\u{7f}"), "\"\\u007f\\u007fx\\u007f\"");
    }

    #[test]
    fn every_byte_below_0x80_is_escaped_as_before() {
        for byte in 0u8..0x80 {
            let text = (byte as char).to_string();
            let expected = match byte {
                b'"' => "\"\\\"\"".to_owned(),
                b'\\' => "\"\\\\\"".to_owned(),
                b'\n' => "\"\\n\"".to_owned(),
                b'\r' => "\"\\r\"".to_owned(),
                b'\t' => "\"\\t\"".to_owned(),
                0x00..=0x1F | 0x7F => format!("\"\\u{byte:04x}\""),
                _ => format!("\"{text}\""),
            };
            assert_eq!(to_string(&text), expected, "byte {byte:#x}");
        }
    }

    #[test]
    fn delete_is_found_at_every_offset() {
        for length in 0..40 {
            assert_ne!(short_has_delete(&vec![b'a'; length]), Some(true));
            for at in 0..length {
                let mut bytes = vec![b'a'; length];
                bytes[at] = 0x7F;
                assert_eq!(find_delete(&bytes), Some(at), "{length} {at}");
                assert_ne!(short_has_delete(&bytes), Some(false), "{length} {at}");
                let text = String::from_utf8(bytes.clone()).unwrap();
                let escaped = format!("\"{}\\u007f{}\"", "a".repeat(at), "a".repeat(length - at - 1));
                assert_eq!(to_string(&text), escaped, "{length} {at}");
                bytes[at] = 0xFF;
                assert_eq!(find_delete(&bytes), None);
                assert_ne!(short_has_delete(&bytes), Some(true));
            }
        }
    }

    #[test]
    fn the_short_copy_sink_keeps_every_byte_of_every_length() {
        use std::io::Write;
        let source: Vec<u8> = (b'A'..=b'z').collect();
        for already in [0, 1, 7, 15] {
            for length in 0..=40 {
                let mut out = vec![b'#'; already];
                out.shrink_to_fit();
                ShortCopySink(&mut out).write_all(&source[..length]).unwrap();
                ShortCopySink(&mut out).write_all(&source[length..length + 3]).unwrap();
                let mut expected = vec![b'#'; already];
                expected.extend_from_slice(&source[..length + 3]);
                assert_eq!(out, expected, "{already} {length}");
            }
        }
    }

    #[test]
    fn the_secret_sink_grows_and_keeps_every_byte() {
        let long = "x".repeat(1000);
        assert_eq!(*to_secret_string(&long, 4), format!("\"{long}\""));
    }

    #[test]
    fn trusted_text_is_written_as_serde_json_would_escape_it() {
        let long = "A".repeat(TRUSTED_MAX + 1);
        let fitting = "b".repeat(TRUSTED_MAX);
        for text in ["", "ALLOW", "sha256:0123456789abcdef", "payment:customer_present", "é \u{2028}/", &long, &fitting]
        {
            assert_eq!(to_string(&Trusted::new(text)), to_string(text), "{text}");
            assert_eq!(*to_secret_string(&Trusted::new(text), 2), to_string(text));
            // serde_json's own value serializer reads the raw channel too.
            assert_eq!(serde_json::to_value(Trusted::new(text)).unwrap(), serde_json::Value::from(text));
        }
        assert_eq!(to_string(&[Trusted::new("a"), Trusted::new("b")]), "[\"a\",\"b\"]");
    }

    #[test]
    fn needs_no_escape_refuses_every_escaped_byte_at_every_offset() {
        for byte in 0u8..0x80 {
            let one = (byte as char).to_string();
            let plain = to_string(&one) == format!("\"{one}\"");
            for length in 1..20 {
                for at in 0..length {
                    let mut text = "é".repeat(length).chars().map(|_| 'a').collect::<Vec<char>>();
                    text[at] = byte as char;
                    let text: String = text.into_iter().collect();
                    assert_eq!(needs_no_escape(&text), plain, "byte {byte:#x} at {at} of {length}");
                    assert_eq!(to_string(&Plain(&text)), to_string(&text));
                }
            }
        }
        assert!(needs_no_escape("é \u{2028}\u{1F600} non-ASCII text needs no escape"));
    }

    #[test]
    fn scanned_text_is_spelled_as_the_formatter_spells_it() {
        let long = "é".repeat(TRUSTED_MAX);
        for text in ["", "ALLOW", "x\u{8}\u{7f}y", "q\" b\\ \u{c}", "sha256:0123456789abcdef", &long] {
            assert_eq!(to_string(&Scanned(text)), to_string(text), "{text:?}");
            // serde_json's own formatter keeps its own escapes.
            assert_eq!(serde_json::to_string(&Scanned(text)).unwrap(), serde_json::to_string(text).unwrap());
        }
    }

    #[test]
    fn raw_pieces_are_written_one_after_another() {
        struct Pieces<'a>(&'a [&'a str]);
        impl Serialize for Pieces<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut raw = RawPieces::begin(serializer)?;
                for piece in self.0 {
                    raw.put(piece)?;
                }
                raw.end()
            }
        }
        let pieces = Pieces(&["{\"a\":[", "1", ",", "\"x\"", "]", "}"]);
        assert_eq!(to_string(&pieces), r#"{"a":[1,"x"]}"#);
        assert_eq!(to_string(&[Pieces(&["1", "2"]), Pieces(&[]), Pieces(&["3"])]), "[12,,3]");
    }

    #[test]
    fn one_per_line_layout() {
        #[derive(Serialize)]
        struct Row {
            a: u8,
            b: [u8; 2],
        }
        let rows = [Row { a: 1, b: [2, 3] }, Row { a: 4, b: [5, 6] }];
        assert_eq!(to_string_one_per_line(&rows), "[\n  {\"a\":1,\"b\":[2,3]},\n  {\"a\":4,\"b\":[5,6]}\n]\n");
    }
}
