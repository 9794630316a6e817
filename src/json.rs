//! The strict JSON reader at the edge of every input.
//!
//! Why not `serde_json::Value`: the contract needs things a general JSON
//! library does not give. Duplicate keys must fail (serde_json keeps the
//! last), the nesting limit is 64 with the pointer of the fault, `100.0`,
//! `1e2` and `-0` must be told apart from integers, numbers carried through a
//! lifecycle step must come back byte for byte, and every fault must name its
//! JSON Pointer. Reading into a borrowed tree in one pass also keeps the hot
//! path free of per-string allocations: a string without escapes is a slice
//! of the input.

use std::borrow::Cow;
use std::fmt;

use zeroize::Zeroize;

/// Largest input the engine reads: 1 MiB (rules.md section 1).
pub const MAX_INPUT_BYTES: usize = 1_048_576;
/// Deepest level a value may sit at; the top-level value is level 1.
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value borrowing from the input where it can.
///
/// `repr(u64)` puts every payload at an 8-byte offset: with the default
/// layout `Bool` packs its byte right after the tag, every payload starts
/// at offset 1, and moving a parsed value out of a call (unaligned loads
/// over the callee's aligned stores) defeats store-to-load forwarding,
/// which profiling showed as a fifth of the parse time.
#[derive(Clone, PartialEq)]
#[repr(u64)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Number<'a>),
    String(JsonStr<'a>),
    Array(Vec<Value<'a>>),
    Object(Vec<(JsonStr<'a>, Value<'a>)>),
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
/// otherwise an owned copy that is wiped when dropped (it may be a token).
#[derive(Clone, PartialEq, Eq)]
pub struct JsonStr<'a>(Cow<'a, str>);

impl<'a> JsonStr<'a> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for JsonStr<'_> {
    fn drop(&mut self) {
        if let Cow::Owned(owned) = &mut self.0 {
            owned.zeroize();
        }
    }
}

impl<'a> Value<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(JsonStr<'a>, Value<'a>)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_integer(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The member `key` of an object, treating `null` as absent (rules.md
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
    members
        .iter()
        .find(|(name, _)| name.as_str() == key)
        .map(|(_, value)| value)
        .filter(|value| !value.is_null())
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
    /// The stable code reported in the error object.
    pub fn code(self) -> &'static str {
        match self {
            JsonFault::InvalidUtf8 => "INVALID_UTF8",
            JsonFault::Syntax => "JSON_SYNTAX",
            JsonFault::UnpairedSurrogate => "UNPAIRED_SURROGATE",
            JsonFault::TooLarge => "TOO_LARGE",
            JsonFault::TooDeep => "TOO_DEEP",
            JsonFault::DuplicateKey => "DUPLICATE_KEY",
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

/// Parses `input` strictly: UTF-8, size, depth, duplicate keys, surrogates.
pub fn parse(input: &[u8]) -> Result<Value<'_>, JsonError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(JsonError {
            fault: JsonFault::TooLarge,
            offset: MAX_INPUT_BYTES,
            pointer: String::new(),
            message: format!(
                "input is {} bytes, more than the limit of {MAX_INPUT_BYTES}",
                input.len()
            ),
        });
    }
    let text = std::str::from_utf8(input).map_err(|e| JsonError {
        fault: JsonFault::InvalidUtf8,
        offset: e.valid_up_to(),
        pointer: String::new(),
        message: format!("input is not UTF-8 (invalid byte at offset {})", e.valid_up_to()),
    })?;
    let mut reader = Reader { text, bytes: text.as_bytes(), pos: 0 };
    reader.skip_whitespace();
    let root = Path::Root;
    let mut value = Value::Null;
    reader.value_into(1, &root, &mut value).map_err(|e| *e)?;
    reader.skip_whitespace();
    if reader.pos != reader.bytes.len() {
        return Err(*reader.fail(JsonFault::Syntax, &root, "unexpected data after the JSON value"));
    }
    Ok(value)
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
pub fn push_pointer_segment(pointer: &mut String, segment: &str) {
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
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

/// Advances past bytes that need no attention inside a string (anything but
/// `"`, `\\` and control characters), eight at a time, and stops exactly at
/// the first byte that does (or where fewer than eight bytes are left):
/// strings are most of a request's bytes, so this is the parser's hottest
/// loop.
#[inline]
fn skip_plain_string_bytes(bytes: &[u8], mut pos: usize) -> usize {
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
            return pos + (special.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    pos
}

/// Objects larger than this are checked for duplicate keys by sorting
/// rather than pairwise, so a hostile 1 MiB object stays linear-ish.
const PAIRWISE_DUPLICATE_CHECK_LIMIT: usize = 16;

impl<'a> Reader<'a> {
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
            return Err(self.fail(
                JsonFault::TooDeep,
                path,
                &format!("value nested deeper than {MAX_DEPTH} levels"),
            ));
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
        let literal = &self.text[start..self.pos];
        // A literal a double cannot hold is not JSON (rules.md section 0).
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
            let nibble = (digit as char)
                .to_digit(16)
                .ok_or_else(|| self.fail(JsonFault::Syntax, path, "invalid \\u escape"))?;
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
        self.pos = skip_plain_string_bytes(self.bytes, self.pos);
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    let slice = &self.text[start..self.pos];
                    self.pos += 1;
                    return Ok(JsonStr(Cow::Borrowed(slice)));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1F) => {
                    return Err(self.fail(JsonFault::Syntax, path, "control character inside a string"))
                }
                Some(_) => self.pos += 1,
                None => return Err(self.fail(JsonFault::Syntax, path, "unterminated string")),
            }
        }
        self.escaped_string(start, path)
    }

    /// The rest of a string that has an escape at `self.pos`: decoded into
    /// an owned copy (kept out of line; escapes are rare in requests).
    #[inline(never)]
    fn escaped_string(&mut self, start: usize, path: &Path<'_>) -> Parsed<JsonStr<'a>> {
        let mut owned = String::with_capacity(self.pos - start + 16);
        owned.push_str(&self.text[start..self.pos]);
        let result = self.escaped_string_tail(&mut owned, path);
        match result {
            Ok(()) => Ok(JsonStr(Cow::Owned(owned))),
            Err(error) => {
                owned.zeroize();
                Err(error)
            }
        }
    }

    fn escaped_string_tail(&mut self, out: &mut String, path: &Path<'_>) -> Parsed<()> {
        loop {
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
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
            0xDC00..=0xDFFF => {
                return Err(self.fail(JsonFault::UnpairedSurrogate, path, "unpaired surrogate escape"))
            }
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.fail(JsonFault::Syntax, path, "invalid \\u escape"))
    }

    fn array(&mut self, depth: usize, path: &Path<'_>) -> Parsed<Vec<Value<'a>>> {
        self.pos += 1;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Vec::new());
        }
        let mut items = Vec::with_capacity(4);
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
                    return Ok(items);
                }
                _ => return Err(self.fail(JsonFault::Syntax, path, "expected ',' or ']' in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize, path: &Path<'_>) -> Parsed<Vec<(JsonStr<'a>, Value<'a>)>> {
        self.pos += 1;
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Vec::new());
        }
        let mut members: Vec<(JsonStr<'a>, Value<'a>)> = Vec::with_capacity(8);
        loop {
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.fail(JsonFault::Syntax, path, "expected a string key in an object"));
            }
            let key = self.string(path)?;
            if members.len() < PAIRWISE_DUPLICATE_CHECK_LIMIT
                && members.iter().any(|(seen, _)| seen.as_str() == key.as_str())
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
            let (key, slot) = match members.last_mut() {
                Some((key, slot)) => (&*key, slot),
                None => unreachable!("just pushed"),
            };
            self.value_into(depth + 1, &Path::Key(path, key.as_str()), slot)?;
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    if members.len() > PAIRWISE_DUPLICATE_CHECK_LIMIT {
                        self.check_large_object_keys(&members, path)?;
                    }
                    return Ok(members);
                }
                _ => return Err(self.fail(JsonFault::Syntax, path, "expected ',' or '}' in an object")),
            }
        }
    }

    fn check_large_object_keys(
        &self,
        members: &[(JsonStr<'a>, Value<'a>)],
        path: &Path<'_>,
    ) -> Parsed<()> {
        let mut keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
        keys.sort_unstable();
        if let Some(pair) = keys.windows(2).find(|pair| pair[0] == pair[1]) {
            let key_path = Path::Key(path, pair[0]);
            return Err(self.fail(JsonFault::DuplicateKey, &key_path, "duplicate key"));
        }
        Ok(())
    }
}

/// Writes `text` as a JSON string literal (quotes included).
pub fn write_string(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0x00..=0x1F | 0x7F => None,
            _ => continue,
        };
        out.push_str(&text[run_start..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xF) as usize] as char);
            }
        }
        run_start = i + 1;
    }
    out.push_str(&text[run_start..]);
    out.push('"');
}

/// Writes `value` as compact JSON; numbers come back exactly as written.
pub fn write_value(out: &mut String, value: &Value<'_>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(n.literal()),
        Value::String(s) => write_string(out, s.as_str()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => write_members(out, members.iter().map(|(k, v)| (k.as_str(), v))),
    }
}

/// Writes an object from `(key, value)` pairs in the order given.
pub fn write_members<'v, 'a: 'v>(out: &mut String, members: impl Iterator<Item = (&'v str, &'v Value<'a>)>) {
    out.push('{');
    for (i, (key, value)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

/// Writes `value` as canonical JSON: object keys sorted by their UTF-8
/// bytes, no white space (used for the policy digest).
pub fn write_canonical(out: &mut String, value: &Value<'_>) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<&(JsonStr<'_>, Value<'_>)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.as_str().as_bytes().cmp(b.0.as_str().as_bytes()));
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key.as_str());
                out.push(':');
                write_canonical(out, item);
            }
            out.push('}');
        }
        scalar => write_value(out, scalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(input: &str) -> (JsonFault, String) {
        let error = parse(input.as_bytes()).unwrap_err();
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
            assert_eq!(parse(text.as_bytes()).unwrap().as_integer(), expected, "{text}");
        }
    }

    #[test]
    fn numbers_beyond_a_double_are_not_json() {
        assert_eq!(fault("1e400").0, JsonFault::Syntax);
        assert_eq!(fault(&"9".repeat(400)).0, JsonFault::Syntax);
        assert!(parse(b"1e300").is_ok());
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
        assert_eq!(
            fault(r#"{"x":[{"b":1},{"k/~":1,"k/~":2}]}"#),
            (JsonFault::DuplicateKey, "/x/1/k~1~0".into())
        );
        let many: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        let large = format!("{{{},\"k7\":0}}", many.join(","));
        assert_eq!(fault(&large), (JsonFault::DuplicateKey, "/k7".into()));
        let distinct = format!("{{{}}}", many.join(","));
        assert!(parse(distinct.as_bytes()).is_ok());
    }

    #[test]
    fn depth_counts_every_value_and_stops_at_sixty_four() {
        let nested = |levels: usize, inner: &str| format!("{}{inner}{}", "[".repeat(levels), "]".repeat(levels));
        assert!(parse(nested(64, "").as_bytes()).is_ok());
        assert!(parse(nested(63, "1").as_bytes()).is_ok());
        assert_eq!(fault(&nested(64, "1")).0, JsonFault::TooDeep);
        assert_eq!(fault(&nested(65, "")).0, JsonFault::TooDeep);
        assert_eq!(fault(&nested(100_000, "")).0, JsonFault::TooDeep);
    }

    #[test]
    fn surrogates_must_pair() {
        assert_eq!(fault(r#""\ud800""#).0, JsonFault::UnpairedSurrogate);
        assert_eq!(fault(r#""\udc00""#).0, JsonFault::UnpairedSurrogate);
        assert_eq!(fault(r#""\ud800\u0041""#).0, JsonFault::UnpairedSurrogate);
        assert_eq!(parse(br#""\ud83d\ude00""#).unwrap().as_str(), Some("\u{1F600}"));
    }

    #[test]
    fn input_limits_and_encoding() {
        assert_eq!(parse(b"\"\xff\"").unwrap_err().fault, JsonFault::InvalidUtf8);
        let big = vec![b' '; MAX_INPUT_BYTES + 1];
        assert_eq!(parse(&big).unwrap_err().fault, JsonFault::TooLarge);
        for text in ["", " ", "{} x", "{\"a\":1,}", "[1,]", "\"a\nb\"", "{'a':1}", "tru"] {
            assert_eq!(fault(text).0, JsonFault::Syntax, "{text:?}");
        }
    }

    #[test]
    fn values_write_back_exactly() {
        let text = r#"{"b":[1.50,-0,1E+2,"\u00e9\n\"x\""],"a":{"z":null,"y":true}}"#;
        let value = parse(text.as_bytes()).unwrap();
        let mut out = String::new();
        write_value(&mut out, &value);
        assert_eq!(out, "{\"b\":[1.50,-0,1E+2,\"\u{e9}\\n\\\"x\\\"\"],\"a\":{\"z\":null,\"y\":true}}");
        let mut canonical = String::new();
        write_canonical(&mut canonical, &value);
        assert!(canonical.starts_with("{\"a\":{\"y\":true,\"z\":null},\"b\""));
    }
}
