//! The strict JSON reader at the edge of every input.
//!
//! Why not `serde_json::Value`: the contract needs things a general JSON
//! library does not give. Duplicate keys must fail (serde_json keeps the
//! last), the nesting limit is 64 with the pointer of the fault, `100.0`,
//! `1e2` and `-0` must be told apart from integers, numbers carried through a
//! lifecycle step must come back byte for byte, and every fault must name its
//! JSON Pointer.
//!
//! The tree is read in one pass into an [`Arena`] (a bump allocator): a
//! string without escapes is a slice of the input, every object and array
//! a slice of the arena, and nothing is freed value by value. The hot path
//! reuses one arena per thread ([`with_arena`]), so a check allocates
//! nothing once the thread is warm.

use std::cell::{Cell, RefCell, RefMut};
use std::fmt;
use std::mem::MaybeUninit;

use bumpalo::Bump;
use zeroize::Zeroize;

use crate::code::Code;

pub mod de;
mod write;
pub use write::{
    to_secret_string, to_string, to_string_one_per_line, write_bytes_into, write_into, Canonical, Plain, Scanned,
    Trusted,
};

/// Largest input the engine reads: 1 MiB (docs/RULES.md section 1).
pub const MAX_INPUT_BYTES: usize = 1_048_576;
/// Deepest level a value may sit at; the top-level value is level 1.
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value, borrowing from the input and from the arena it was
/// read into.
///
/// `repr(u64)` puts every payload at an 8-byte offset: with the default
/// layout `Bool` packs its byte right after the tag, every payload starts
/// at offset 1, and moving a parsed value out of a call (unaligned loads
/// over the callee's aligned stores) defeats store-to-load forwarding,
/// which profiling showed as a fifth of the parse time.
#[derive(Clone, Copy, PartialEq)]
#[repr(u64)]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, kept as written.
    Number(Number<'a>),
    /// A string, escapes undone only when read.
    String(JsonStr<'a>),
    /// An array's items.
    Array(&'a [Value<'a>]),
    /// An object's members, in order.
    Object(&'a [(JsonStr<'a>, Value<'a>)]),
}

/// Deliberately opaque: a value may hold a customer token.
impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Value::Null => "Value::Null",
            Value::Bool(_) => "Value::Bool(..)",
            Value::Number(_) => "Value::Number(..)",
            Value::String(_) => "Value::String(<redacted>)",
            Value::Array(_) => "Value::Array(..)",
            Value::Object(_) => "Value::Object(..)",
        })
    }
}

/// A JSON number kept as the literal text it was written as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Number<'a> {
    literal: &'a str,
}

impl<'a> Number<'a> {
    /// The literal exactly as written in the input.
    pub fn literal(&self) -> &'a str {
        self.literal
    }

    /// The value when the literal is an *integer* in the contract's sense:
    /// no fraction, no exponent, not `-0`, within the signed 64-bit range.
    pub fn as_integer(&self) -> Option<i64> {
        let text = self.literal;
        if text == "-0" || text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            return None;
        }
        text.parse::<i64>().ok()
    }
}

/// A decoded JSON string: a slice of the input when it had no escapes,
/// otherwise a copy in the arena, which is wiped before the arena's memory
/// is reused or freed (it may be a token).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JsonStr<'a>(&'a str);

impl<'a> JsonStr<'a> {
    pub fn as_str(&self) -> &'a str {
        self.0
    }
}

/// Where a parsed tree lives: one bump allocator per parse (or per thread,
/// through [`with_arena`]). Strings decoded from escapes are written here,
/// so an arena that holds one is wiped before it is reset or dropped.
pub struct Arena {
    bump: Bump,
    holds_decoded_text: Cell<bool>,
}

/// An arena that grew beyond this while reading one input is not kept for
/// the next: a thread keeps at most this much between calls.
const ARENA_KEEP_BYTES: usize = 4 << 20;

impl Arena {
    /// An empty arena.
    pub fn new() -> Arena {
        Arena { bump: Bump::new(), holds_decoded_text: Cell::new(false) }
    }

    /// A vector in the arena, for typed parts read from its values.
    pub fn vec_with_capacity<T>(&self, capacity: usize) -> bumpalo::collections::Vec<'_, T> {
        bumpalo::collections::Vec::with_capacity_in(capacity, &self.bump)
    }

    /// Zeroizes everything allocated so far when a decoded string may be
    /// among it (escapes are rare, so this is rarely more than a flag test).
    fn wipe(&mut self) {
        if !self.holds_decoded_text.replace(false) {
            return;
        }
        // SAFETY: `&mut self` means no value read into this arena is still
        // borrowed; each raw chunk is memory the bump allocator handed out
        // and still owns, written here as (possibly uninitialised) bytes.
        unsafe {
            for (ptr, len) in self.bump.iter_allocated_chunks_raw() {
                std::slice::from_raw_parts_mut(ptr.cast::<MaybeUninit<u8>>(), len).zeroize();
            }
        }
    }

    /// Makes the arena ready for the next input: wiped, emptied, and
    /// released entirely when one input made it large.
    fn recycle(&mut self) {
        self.wipe();
        if self.bump.allocated_bytes() > ARENA_KEEP_BYTES {
            self.bump = Bump::new();
        } else {
            self.bump.reset();
        }
    }
}

impl Default for Arena {
    fn default() -> Self {
        Arena::new()
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        self.wipe();
    }
}

thread_local! {
    static THREAD_ARENA: RefCell<Arena> = RefCell::new(Arena::new());
}

/// Resets the thread's arena when the call that borrowed it ends, panicking
/// or not.
struct Recycle<'c>(RefMut<'c, Arena>);

impl Drop for Recycle<'_> {
    fn drop(&mut self) {
        self.0.recycle();
    }
}

/// Runs `f` with this thread's arena, recycled afterwards; a nested call
/// (or one during thread teardown) gets a fresh arena instead.
pub fn with_arena<R>(f: impl FnOnce(&Arena) -> R) -> R {
    let mut f = Some(f);
    let reused = THREAD_ARENA.try_with(|cell| {
        let arena = Recycle(cell.try_borrow_mut().ok()?);
        let f = f.take().expect("called once");
        Some(f(&arena.0))
    });
    match reused {
        Ok(Some(result)) => result,
        _ => (f.take().expect("not called yet"))(&Arena::new()),
    }
}

impl<'a> Value<'a> {
    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The members of an object.
    pub fn as_object(&self) -> Option<&[(JsonStr<'a>, Value<'a>)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    /// The items of an array.
    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// A number written as an integer that fits an `i64`.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_integer(),
            _ => None,
        }
    }

    /// Whether it is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The member `key` of an object, treating `null` as absent (docs/RULES.md
    /// section 0). `None` for a missing member, a `null` one, or a non-object.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.as_object().and_then(|members| member(members, key))
    }

    /// The name of the JSON type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// Looks up `key` among object members, `null` counting as absent.
pub fn member<'v, 'a>(members: &'v [(JsonStr<'a>, Value<'a>)], key: &str) -> Option<&'v Value<'a>> {
    members.iter().find(|(name, _)| name.as_str() == key).map(|(_, value)| value).filter(|value| !value.is_null())
}

/// Why a text is not acceptable JSON for the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFault {
    InvalidUtf8,
    Syntax,
    UnpairedSurrogate,
    TooLarge,
    TooDeep,
    DuplicateKey,
}

impl JsonFault {
    /// The stable code reported in the error object; `None` for invalid
    /// UTF-8, which has a status of its own (`INVALID_UTF8`) and no code.
    pub fn code(self) -> Option<Code> {
        match self {
            JsonFault::InvalidUtf8 => None,
            JsonFault::Syntax => Some(Code::JsonSyntax),
            JsonFault::UnpairedSurrogate => Some(Code::UnpairedSurrogate),
            JsonFault::TooLarge => Some(Code::TooLarge),
            JsonFault::TooDeep => Some(Code::TooDeep),
            JsonFault::DuplicateKey => Some(Code::DuplicateKey),
        }
    }
}

/// A fault found while reading, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub fault: JsonFault,
    /// Byte offset in the input where the fault was seen.
    pub offset: usize,
    /// JSON Pointer of the value being read (or the repeated key).
    pub pointer: String,
    pub message: String,
}

/// Parses `input` strictly (UTF-8, size, depth, duplicate keys, surrogates)
/// into `arena`.
///
/// UTF-8 is checked inside the one pass, not in a pass of its own: bytes
/// outside strings must be ASCII JSON syntax anyway, and the string scan
/// notes any byte of 0x80 or above and validates only the strings that
/// have one (a machine-written request is usually all ASCII, so usually
/// none). An input that is not UTF-8 still gets the same fault as before,
/// whatever else is wrong with it: every fault is checked against a
/// whole-input UTF-8 check first, so a syntax fault before a bad byte
/// never hides it.
pub fn parse<'a>(input: &'a [u8], arena: &'a Arena) -> Result<Value<'a>, JsonError> {
    let mut root = Value::Null;
    parse_into(input, arena, &mut root).map(|()| root)
}

/// [`parse`] into `root`, a slot the caller keeps the value in. The hot
/// paths read through this: a returned `Result<Value, _>` comes back
/// through memory and the caller's sixteen-byte copy of it waited on the
/// callee's narrower stores (a store-forwarding stall a profile of
/// `ctp_check_json` showed on every call); a slot filled in place is read
/// where it lies.
pub fn parse_into<'a>(input: &'a [u8], arena: &'a Arena, root: &mut Value<'a>) -> Result<(), JsonError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(JsonError {
            fault: JsonFault::TooLarge,
            offset: MAX_INPUT_BYTES,
            pointer: String::new(),
            message: format!("input is {} bytes, more than the limit of {MAX_INPUT_BYTES}", input.len()),
        });
    }
    let mut reader = Reader { bytes: input, pos: 0, arena };
    reader.document(root).map_err(|fault| utf8_fault(input).unwrap_or(*fault))
}

/// The fault of an input that is not UTF-8, as a whole-input check
/// reports it (the offset of the first invalid byte).
#[cold]
fn utf8_fault(input: &[u8]) -> Option<JsonError> {
    let error = std::str::from_utf8(input).err()?;
    Some(JsonError {
        fault: JsonFault::InvalidUtf8,
        offset: error.valid_up_to(),
        pointer: String::new(),
        message: format!("input is not UTF-8 (invalid byte at offset {})", error.valid_up_to()),
    })
}

/// The way to the value being read, kept on the stack so that the pointer
/// string is only built when there is a fault to report.
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn pointer(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => {
                let mut out = parent.pointer();
                push_pointer_segment(&mut out, key);
                out
            }
            Path::Index(parent, index) => format!("{}/{index}", parent.pointer()),
        }
    }
}

/// Appends `/segment` to a JSON Pointer, escaping `~` and `/` (RFC 6901).
///
/// The segment is redacted first, as the caller wrote it (docs/HYGIENE.md H4):
/// escaping lengthens it (a key of half a mebibyte of `~` doubles), and
/// redacting only the escaped pointer could find a token's run cut by the
/// matcher's limit, or give a fingerprint of the escaped text instead of
/// the token's. A replacement holds neither `~` nor `/`.
pub fn push_pointer_segment(pointer: &mut String, segment: &str) {
    let segment = crate::redact::redact_str(segment);
    pointer.push('/');
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            other => pointer.push(other),
        }
    }
}

/// Builds a JSON Pointer from segments.
pub fn pointer(segments: &[&str]) -> String {
    let mut out = String::new();
    for segment in segments {
        push_pointer_segment(&mut out, segment);
    }
    out
}

/// Faults are boxed inside the reader so that the `Result` every step
/// returns stays small; they are rare and only unboxed at the end.
type Parsed<T> = Result<T, Box<JsonError>>;

struct Reader<'a> {
    /// The input, not yet known to be UTF-8: each string is checked as it
    /// is read (see [`parse`]).
    bytes: &'a [u8],
    pos: usize,
    arena: &'a Arena,
}

/// Where a string's plain run ends, and whether it holds a byte of 0x80 or
/// above (so it needs a UTF-8 check).
struct PlainRun {
    end: usize,
    non_ascii: bool,
}

/// Advances past bytes that need no attention inside a string (anything but
/// `"`, `\\` and control characters) and stops exactly at the first byte
/// that does, or at the end, noting whether a byte skipped is not ASCII.
/// Strings are most of a request's bytes, so this is the parser's hottest
/// loop: sixteen bytes at a time where SSE2 is (every x86-64), then eight
/// at a time, then byte by byte over a tail shorter than eight.
#[inline]
fn skip_plain_string_bytes(bytes: &[u8], pos: usize) -> PlainRun {
    #[cfg(target_arch = "x86_64")]
    let (pos, non_ascii) = match skip_plain_sixteen(bytes, pos) {
        Ok(run) => return run,
        Err(resume) => resume,
    };
    #[cfg(not(target_arch = "x86_64"))]
    let non_ascii = false;
    skip_plain_eight(bytes, pos, non_ascii)
}

/// The sixteen-byte steps of [`skip_plain_string_bytes`]: `Ok` when a byte
/// that needs attention was found, else `Err` with where fewer than
/// sixteen bytes are left and whether a byte skipped was not ASCII.
#[cfg(target_arch = "x86_64")]
#[inline]
fn skip_plain_sixteen(bytes: &[u8], mut pos: usize) -> Result<PlainRun, (usize, bool)> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut high_bits = 0u32;
    while let Some(chunk) = bytes.get(pos..pos + 16) {
        // SAFETY: SSE2 is part of the x86-64 baseline, so these
        // intrinsics are always available; the load reads exactly the
        // sixteen bytes of `chunk` (unaligned loads are allowed).
        let (special, high) = unsafe {
            let word = _mm_loadu_si128(chunk.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(word, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(word, _mm_set1_epi8(b'\\' as i8));
            // A byte is below 0x20 exactly when min(byte, 0x1F) is itself.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(word, _mm_set1_epi8(0x1F)), word);
            let special = _mm_or_si128(_mm_or_si128(quote, backslash), control);
            (_mm_movemask_epi8(special) as u32, _mm_movemask_epi8(word) as u32)
        };
        if special != 0 {
            let at = special.trailing_zeros();
            // Only the bytes before the stop belong to the run.
            high_bits |= high & ((1u32 << at) - 1);
            return Ok(PlainRun { end: pos + at as usize, non_ascii: high_bits != 0 });
        }
        high_bits |= high;
        pos += 16;
    }
    Err((pos, high_bits != 0))
}

/// The eight-byte steps and the tail of [`skip_plain_string_bytes`].
#[inline]
fn skip_plain_eight(bytes: &[u8], mut pos: usize, mut non_ascii: bool) -> PlainRun {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // A byte is "special" when it is '"' (0x22), '\\' (0x5C) or < 0x20.
        // Each test flags the byte's high bit; a borrow can flag bytes
        // after a true hit, never before it, so the lowest flag is exact.
        let quote = word ^ (ONES * 0x22);
        let backslash = word ^ (ONES * 0x5C);
        let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let special = has_zero(quote) | has_zero(backslash) | below_space;
        if special != 0 {
            // Little-endian: the lowest flagged byte is the first in memory.
            let at = special.trailing_zeros() / 8;
            let before = (1u64 << (at * 8)) - 1;
            non_ascii |= word & HIGHS & before != 0;
            return PlainRun { end: pos + at as usize, non_ascii };
        }
        non_ascii |= word & HIGHS != 0;
        pos += 8;
    }
    let tail = &bytes[pos.min(bytes.len())..];
    let at = tail.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(tail.len());
    non_ascii |= tail[..at].iter().any(|&b| b >= 0x80);
    PlainRun { end: pos + at, non_ascii }
}

/// Objects larger than this are checked for duplicate keys by sorting
/// rather than pairwise, so a hostile 1 MiB object stays linear-ish.
const PAIRWISE_DUPLICATE_CHECK_LIMIT: usize = 16;

impl<'a> Reader<'a> {
    /// The whole input: one value, whitespace around it.
    fn document(&mut self, value: &mut Value<'a>) -> Parsed<()> {
        self.skip_whitespace();
        let root = Path::Root;
        self.value_into(1, &root, value)?;
        self.skip_whitespace();
        if self.pos != self.bytes.len() {
            return Err(self.fail(JsonFault::Syntax, &root, "unexpected data after the JSON value"));
        }
        Ok(())
    }

    /// The bytes `start..end` of a string as text: checked when the scan
    /// saw a byte of 0x80 or above, else ASCII and so UTF-8 already. A
    /// string that is not UTF-8 is a fault here, reported by [`parse`]
    /// as the input's UTF-8 fault.
    #[inline(always)]
    fn text(&self, start: usize, run: &PlainRun, path: &Path<'_>) -> Parsed<&'a str> {
        let bytes = &self.bytes[start..run.end];
        if run.non_ascii {
            return std::str::from_utf8(bytes).map_err(|_| self.fail(JsonFault::InvalidUtf8, path, "invalid UTF-8"));
        }
        // SAFETY: the scan saw no byte of 0x80 or above in `bytes`, so
        // they are ASCII, which is UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
    }

    #[cold]
    fn fail(&self, fault: JsonFault, path: &Path<'_>, what: &str) -> Box<JsonError> {
        Box::new(JsonError {
            fault,
            offset: self.pos,
            pointer: path.pointer(),
            message: format!("{what} at byte {}", self.pos),
        })
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        // Machine-written JSON has none: settle that with one comparison.
        if matches!(self.bytes.get(self.pos), Some(&b) if b > b' ') {
            return;
        }
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// Reads one value into `slot`, the place it is kept in (an object's
    /// member, an array's item, the root). Filling the slot in place rather
    /// than returning the value matters: moving a returned value into a
    /// vector showed up in profiles as store-forwarding stalls worth a
    /// third of the parse time. Inlined into `object` and `array` for the
    /// same reason.
    #[inline(always)]
    fn value_into(&mut self, depth: usize, path: &Path<'_>, slot: &mut Value<'a>) -> Parsed<()> {
        if depth > MAX_DEPTH {
            return Err(self.fail(JsonFault::TooDeep, path, &format!("value nested deeper than {MAX_DEPTH} levels")));
        }
        *slot = match self.bytes.get(self.pos) {
            Some(b'{') => Value::Object(self.object(depth, path)?),
            Some(b'[') => Value::Array(self.array(depth, path)?),
            Some(b'"') => Value::String(self.string(path)?),
            Some(b't') => self.literal("true", Value::Bool(true), path)?,
            Some(b'f') => self.literal("false", Value::Bool(false), path)?,
            Some(b'n') => self.literal("null", Value::Null, path)?,
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number(path)?),
            Some(_) => return Err(self.fail(JsonFault::Syntax, path, "expected a JSON value")),
            None => return Err(self.fail(JsonFault::Syntax, path, "unexpected end of input")),
        };
        Ok(())
    }

    fn literal(&mut self, word: &str, value: Value<'a>, path: &Path<'_>) -> Parsed<Value<'a>> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.fail(JsonFault::Syntax, path, "expected a JSON value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self, path: &Path<'_>) -> Parsed<Number<'a>> {
        let start = self.pos;
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail(JsonFault::Syntax, path, "invalid number")),
        }
        let mut is_plain_integer = true;
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            is_plain_integer = false;
            if self.digits() == 0 {
                return Err(self.fail(JsonFault::Syntax, path, "invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            is_plain_integer = false;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail(JsonFault::Syntax, path, "invalid number"));
            }
        }
        // SAFETY: the bytes read above are a sign, digits, '.', 'e'/'E'
        // and '+'/'-': ASCII, so UTF-8.
        let literal = unsafe { std::str::from_utf8_unchecked(&self.bytes[start..self.pos]) };
        // A literal a double cannot hold is not JSON (docs/RULES.md section 0).
        // Short plain integers always fit, so only the rest is checked.
        if !(is_plain_integer && literal.len() <= 19) {
            let finite = literal.parse::<f64>().map(f64::is_finite).unwrap_or(false);
            if !finite {
                self.pos = start;
                return Err(self.fail(JsonFault::Syntax, path, "number too large for a double"));
            }
        }
        Ok(Number { literal })
    }

    fn hex4(&mut self, path: &Path<'_>) -> Parsed<u32> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.fail(JsonFault::Syntax, path, "truncated \\u escape"))?;
        let mut code = 0u32;
        for &digit in digits {
            let nibble =
                (digit as char).to_digit(16).ok_or_else(|| self.fail(JsonFault::Syntax, path, "invalid \\u escape"))?;
            code = code * 16 + nibble;
        }
        self.pos += 4;
        Ok(code)
    }

    #[inline(always)]
    fn string(&mut self, path: &Path<'_>) -> Parsed<JsonStr<'a>> {
        self.pos += 1; // opening quote
        let start = self.pos;
        // Fast path: no escapes, the string is a slice of the input.
        let run = skip_plain_string_bytes(self.bytes, self.pos);
        self.pos = run.end;
        match self.bytes.get(self.pos) {
            Some(b'"') => {
                let slice = self.text(start, &run, path)?;
                self.pos += 1;
                Ok(JsonStr(slice))
            }
            Some(b'\\') => self.escaped_string(start, &run, path),
            Some(_) => Err(self.fail(JsonFault::Syntax, path, "control character inside a string")),
            None => Err(self.fail(JsonFault::Syntax, path, "unterminated string")),
        }
    }

    /// The rest of a string that has an escape at `self.pos`: decoded into
    /// a copy in the arena (kept out of line; escapes are rare in requests).
    #[inline(never)]
    fn escaped_string(&mut self, start: usize, run: &PlainRun, path: &Path<'_>) -> Parsed<JsonStr<'a>> {
        // Set before the first byte is copied: the arena is wiped even when
        // decoding fails half-way.
        self.arena.holds_decoded_text.set(true);
        let mut decoded = bumpalo::collections::String::with_capacity_in(self.pos - start + 16, &self.arena.bump);
        decoded.push_str(self.text(start, run, path)?);
        self.escaped_string_tail(&mut decoded, path)?;
        Ok(JsonStr(decoded.into_bump_str()))
    }

    fn escaped_string_tail(&mut self, out: &mut bumpalo::collections::String<'a>, path: &Path<'_>) -> Parsed<()> {
        loop {
            let run_start = self.pos;
            let run = skip_plain_string_bytes(self.bytes, self.pos);
            self.pos = run.end;
            out.push_str(self.text(run_start, &run, path)?);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.bytes.get(self.pos).copied();
                    self.pos += 1;
                    match escape {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => out.push(self.unicode_escape(path)?),
                        _ => {
                            self.pos -= 1;
                            return Err(self.fail(JsonFault::Syntax, path, "invalid escape"));
                        }
                    }
                }
                Some(_) => return Err(self.fail(JsonFault::Syntax, path, "control character inside a string")),
                None => return Err(self.fail(JsonFault::Syntax, path, "unterminated string")),
            }
        }
    }

    /// Decodes the `XXXX` after `\u`, pairing surrogates; a surrogate
    /// without its partner is not a Unicode scalar value and is refused.
    fn unicode_escape(&mut self, path: &Path<'_>) -> Parsed<char> {
        let first = self.hex4(path)?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(self.fail(JsonFault::UnpairedSurrogate, path, "unpaired surrogate escape"));
                }
                self.pos += 2;
                let second = self.hex4(path)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.fail(JsonFault::UnpairedSurrogate, path, "unpaired surrogate escape"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.fail(JsonFault::UnpairedSurrogate, path, "unpaired surrogate escape")),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.fail(JsonFault::Syntax, path, "invalid \\u escape"))
    }

    fn array(&mut self, depth: usize, path: &Path<'_>) -> Parsed<&'a [Value<'a>]> {
        self.pos += 1;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(&[]);
        }
        let mut items = bumpalo::collections::Vec::with_capacity_in(4, &self.arena.bump);
        loop {
            let item_path = Path::Index(path, items.len());
            self.skip_whitespace();
            items.push(Value::Null);
            let slot = items.last_mut().expect("just pushed");
            self.value_into(depth + 1, &item_path, slot)?;
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(items.into_bump_slice());
                }
                _ => return Err(self.fail(JsonFault::Syntax, path, "expected ',' or ']' in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize, path: &Path<'_>) -> Parsed<&'a [(JsonStr<'a>, Value<'a>)]> {
        self.pos += 1;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(&[]);
        }
        let mut members = bumpalo::collections::Vec::with_capacity_in(8, &self.arena.bump);
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.fail(JsonFault::Syntax, path, "expected a string key in an object"));
            }
            let key = self.string(path)?;
            if members.len() < PAIRWISE_DUPLICATE_CHECK_LIMIT
                && members.iter().any(|(seen, _): &(JsonStr<'a>, Value<'a>)| seen.as_str() == key.as_str())
            {
                let key_path = Path::Key(path, key.as_str());
                return Err(self.fail(JsonFault::DuplicateKey, &key_path, "duplicate key"));
            }
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.fail(JsonFault::Syntax, path, "expected ':' after an object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            members.push((key, Value::Null));
            let slot = match members.last_mut() {
                Some((_, slot)) => slot,
                None => unreachable!("just pushed"),
            };
            // The key's path is made from `key` as read, not from the copy
            // just pushed: reading sixteen bytes back from the two eight-byte
            // stores of the push defeats store-to-load forwarding, and that
            // one stalled load was a third of this loop's time in a profile.
            self.value_into(depth + 1, &Path::Key(path, key.as_str()), slot)?;
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    if members.len() > PAIRWISE_DUPLICATE_CHECK_LIMIT {
                        self.check_large_object_keys(&members, path)?;
                    }
                    return Ok(members.into_bump_slice());
                }
                _ => return Err(self.fail(JsonFault::Syntax, path, "expected ',' or '}' in an object")),
            }
        }
    }

    fn check_large_object_keys(&self, members: &[(JsonStr<'a>, Value<'a>)], path: &Path<'_>) -> Parsed<()> {
        let mut keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
        keys.sort_unstable();
        if let Some(pair) = keys.windows(2).find(|pair| pair[0] == pair[1]) {
            let key_path = Path::Key(path, pair[0]);
            return Err(self.fail(JsonFault::DuplicateKey, &key_path, "duplicate key"));
        }
        Ok(())
    }
}

/// Writes `value` as compact JSON; numbers come back exactly as written.
pub fn write_value(out: &mut String, value: &Value<'_>) {
    write_into(out, value);
}

impl crate::redact::Report {
    /// The report as one line of JSON (no newline), through the one writer.
    /// Defined here rather than beside the report because the redaction
    /// sits below the writer (the writer redacts what it writes).
    pub fn to_json(&self) -> String {
        to_string(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `input` into a fresh arena and hands the result to `look`.
    fn read<R>(input: &[u8], look: impl FnOnce(Result<Value<'_>, JsonError>) -> R) -> R {
        let arena = Arena::new();
        look(parse(input, &arena))
    }

    fn accepts(input: &[u8]) -> bool {
        read(input, |result| result.is_ok())
    }

    fn error(input: &[u8]) -> JsonError {
        read(input, |result| result.expect_err("a fault"))
    }

    fn fault(input: &str) -> (JsonFault, String) {
        let error = error(input.as_bytes());
        (error.fault, error.pointer)
    }

    #[test]
    fn integers_are_told_apart_from_other_numbers() {
        let cases = [
            ("100", Some(100)),
            ("-5", Some(-5)),
            ("0", Some(0)),
            ("-0", None),
            ("100.0", None),
            ("1e2", None),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("123456789012345678901234567890", None),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text.as_bytes(), |value| value.unwrap().as_integer()), expected, "{text}");
        }
    }

    #[test]
    fn numbers_beyond_a_double_are_not_json() {
        assert_eq!(fault("1e400").0, JsonFault::Syntax);
        assert_eq!(fault(&"9".repeat(400)).0, JsonFault::Syntax);
        assert!(accepts(b"1e300"));
    }

    #[test]
    fn malformed_numbers_are_syntax_errors() {
        for text in ["01", "1.", ".5", "-", "1e", "+1", "0x10", "NaN", "Infinity", "1.e5"] {
            assert_eq!(fault(text).0, JsonFault::Syntax, "{text}");
        }
    }

    #[test]
    fn duplicate_keys_are_found_after_unescaping_and_at_any_depth() {
        assert_eq!(fault(r#"{"a":1,"a":2}"#), (JsonFault::DuplicateKey, "/a".into()));
        assert_eq!(fault(r#"{"a":1,"\u0061":2}"#), (JsonFault::DuplicateKey, "/a".into()));
        assert_eq!(fault(r#"{"x":[{"b":1},{"k/~":1,"k/~":2}]}"#), (JsonFault::DuplicateKey, "/x/1/k~1~0".into()));
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let large = format!("{{{},\"k7\":0}}", many.join(","));
        assert_eq!(fault(&large), (JsonFault::DuplicateKey, "/k7".into()));
        let distinct = format!("{{{}}}", many.join(","));
        assert!(accepts(distinct.as_bytes()));
    }

    #[test]
    fn depth_counts_every_value_and_stops_at_sixty_four() {
        let nested = |levels: usize, inner: &str| format!("{}{inner}{}", "[".repeat(levels), "]".repeat(levels));
        assert!(accepts(nested(64, "").as_bytes()));
        assert!(accepts(nested(63, "1").as_bytes()));
        assert_eq!(fault(&nested(64, "1")).0, JsonFault::TooDeep);
        assert_eq!(fault(&nested(65, "")).0, JsonFault::TooDeep);
        assert_eq!(fault(&nested(100_000, "")).0, JsonFault::TooDeep);
    }

    #[test]
    fn surrogates_must_pair() {
        assert_eq!(fault(r#""\ud800""#).0, JsonFault::UnpairedSurrogate);
        assert_eq!(fault(r#""\udc00""#).0, JsonFault::UnpairedSurrogate);
        assert_eq!(fault(r#""\ud800\u0041""#).0, JsonFault::UnpairedSurrogate);
        assert_eq!(
            read(br#""\ud83d\ude00""#, |value| value.unwrap().as_str().map(str::to_owned)),
            Some("\u{1F600}".to_owned())
        );
    }

    /// The word-at-a-time scan runs before and after escapes: put an escape
    /// and a control byte at every offset around an eight-byte boundary and
    /// hold the result to serde_json.
    #[test]
    fn escapes_and_control_bytes_are_found_at_every_offset() {
        for before in 0..20 {
            for after in 0..20 {
                for escape in [r"\n", r"\u00e9", r#"\""#, r"\ud83d\ude00", "\u{1}"] {
                    let text = format!("\"{}{escape}{}{escape}!\"", "a".repeat(before), "é".repeat(after));
                    let ours = read(text.as_bytes(), |value| value.ok().and_then(|v| v.as_str().map(str::to_owned)));
                    let theirs = serde_json::from_str::<String>(&text).ok();
                    assert_eq!(ours, theirs, "{text:?}");
                    assert_eq!(ours.is_some(), !escape.starts_with('\u{1}'), "{text:?}");
                }
                let mut bytes = format!("\"{}\\t{}\"", "a".repeat(before), "b".repeat(after)).into_bytes();
                let control_at = 1 + before + 2 + after / 2;
                if control_at < bytes.len() - 1 {
                    bytes[control_at] = b'\n';
                    assert_eq!(error(&bytes).fault, JsonFault::Syntax, "{:?}", String::from_utf8_lossy(&bytes));
                }
            }
        }
    }

    /// UTF-8 is checked inside the string scan: a bad byte at any offset
    /// around the scan's sixteen- and eight-byte steps, in a key or a
    /// value, plain or after an escape, and a syntax fault before or after
    /// it, give the fault a whole-input check gives (its offset included);
    /// good multi-byte text anywhere reads as serde_json reads it.
    #[test]
    fn utf8_is_checked_wherever_the_scan_stops() {
        for before in 0..40 {
            for bad in [&b"\xff"[..], b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"] {
                for (open, close) in [("\"", "\""), ("{\"", "\":1}"), ("[\"\\n", "\"]"), ("{\"k\":\"", "\"} x")] {
                    let mut input = open.as_bytes().to_vec();
                    input.extend(std::iter::repeat_n(b'a', before));
                    input.extend_from_slice(bad);
                    input.extend_from_slice(b"zz");
                    input.extend_from_slice(close.as_bytes());
                    let expected = std::str::from_utf8(&input).expect_err("not UTF-8").valid_up_to();
                    let error = error(&input);
                    assert_eq!((error.fault, error.offset), (JsonFault::InvalidUtf8, expected), "{input:?}");
                    assert!(error.pointer.is_empty());
                }
            }
            let text = format!("{{\"{}é\":\"{}\u{2028}\\n€\"}}", "k".repeat(before), "v".repeat(before));
            let ours = read(text.as_bytes(), |value| {
                value.ok().and_then(|v| {
                    v.as_object().map(|m| (m[0].0.as_str().to_owned(), m[0].1.as_str().map(str::to_owned)))
                })
            });
            let theirs: std::collections::BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
            let (key, value) = theirs.into_iter().next().unwrap();
            assert_eq!(ours, Some((key, Some(value))), "{text}");
        }
        // A syntax fault first, the bad byte later: still the UTF-8 fault.
        assert_eq!(error(b"{x \"\xff\"}").fault, JsonFault::InvalidUtf8);
        assert_eq!(error(b"[1,]\xff").fault, JsonFault::InvalidUtf8);
        assert_eq!(error(b"\xff").offset, 0);
    }

    #[test]
    fn input_limits_and_encoding() {
        assert_eq!(error(b"\"\xff\"").fault, JsonFault::InvalidUtf8);
        let big = vec![b' '; MAX_INPUT_BYTES + 1];
        assert_eq!(error(&big).fault, JsonFault::TooLarge);
        for text in ["", " ", "{} x", "{\"a\":1,}", "[1,]", "\"a\nb\"", "{'a':1}", "tru"] {
            assert_eq!(fault(text).0, JsonFault::Syntax, "{text:?}");
        }
    }

    #[test]
    fn values_write_back_exactly() {
        let text = r#"{"b":[1.50,-0,1E+2,"\u00e9\n\"x\""],"a":{"z":null,"y":true}}"#;
        let arena = Arena::new();
        let value = parse(text.as_bytes(), &arena).unwrap();
        let mut out = String::new();
        write_value(&mut out, &value);
        assert_eq!(out, "{\"b\":[1.50,-0,1E+2,\"\u{e9}\\n\\\"x\\\"\"],\"a\":{\"z\":null,\"y\":true}}");
        let canonical = to_string(&Canonical(&value));
        assert!(canonical.starts_with("{\"a\":{\"y\":true,\"z\":null},\"b\""));
    }

    fn arena_bytes(arena: &Arena) -> Vec<u8> {
        // SAFETY: test only; the chunks are read as bytes after a wipe, or
        // after a parse that wrote every byte it allocated for strings.
        unsafe {
            arena
                .bump
                .iter_allocated_chunks_raw()
                .flat_map(|(ptr, len)| std::slice::from_raw_parts(ptr, len).to_vec())
                .collect()
        }
    }

    #[test]
    fn decoded_strings_are_wiped_from_the_arena() {
        // The escape makes the parser decode the id into the arena.
        let input = br#"{"t":"krn:customer-token:eu1:s\u0065cret-id-42"}"#;
        let mut arena = Arena::new();
        let value = parse(input, &arena).unwrap();
        assert_eq!(value.get("t").and_then(Value::as_str), Some("krn:customer-token:eu1:secret-id-42"));
        let needle = b"secret-id-42";
        assert!(arena_bytes(&arena).windows(needle.len()).any(|w| w == needle), "decoded into the arena");
        arena.wipe();
        assert!(arena_bytes(&arena).iter().all(|&b| b == 0), "wiped");
        assert!(!arena.holds_decoded_text.get());
    }

    #[test]
    fn the_thread_arena_is_recycled_and_a_nested_call_gets_its_own() {
        let input = br#"{"a":"x\ny","b":[1,2,3]}"#;
        with_arena(|outer| {
            let value = parse(input, outer).unwrap();
            with_arena(|inner| {
                assert!(!std::ptr::eq(outer, inner), "a nested call must not share the arena in use");
                assert!(parse(input, inner).is_ok());
            });
            assert_eq!(value.get("a").and_then(Value::as_str), Some("x\ny"));
        });
        // Recycled: wiped and empty again.
        THREAD_ARENA.with(|cell| {
            let arena = cell.borrow();
            assert!(!arena.holds_decoded_text.get());
            assert!(arena_bytes(&arena).is_empty());
        });
    }
}
