//! The text of a customer token (docs/RULES.md section 2): whether bytes
//! are a well-formed KRN customer token, of which form, region and
//! environment, and its fingerprint. It knows no JSON, no error object and
//! no request: it is the one piece every layer needs (the redaction that
//! keeps tokens out of every output, the JSON reader's error paths
//! included, is built on it), so it sits below them all. The token as
//! the engine reports it (`TokenInfo`, `CustomerToken`, the JSON forms) is
//! `crate::token`, built on this.

use sha2::{Digest, Sha256};

use crate::code::Code;

/// Longest header value Klarna accepts, in bytes.
pub const MAX_TOKEN_BYTES: usize = 1024;
/// Longest token id, in characters (the id alphabet is ASCII).
pub const MAX_ID_CHARS: usize = 255;

/// Compares two byte strings without an early exit on the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a_words, a_tail) = a.split_at(a.len() / 8 * 8);
    let (b_words, b_tail) = b.split_at(a_words.len());
    let mut difference =
        a_words.chunks_exact(8).zip(b_words.chunks_exact(8)).fold(0u64, |acc, (x, y)| acc | (word(x) ^ word(y)));
    difference |= a_tail.iter().zip(b_tail).fold(0u64, |acc, (x, y)| acc | u64::from(x ^ y));
    // black_box keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(difference) == 0
}

fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("eight bytes"))
}

/// Every byte in `0x21..=0x7E` (visible ASCII), eight bytes at a time.
pub fn is_visible_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let chunks = bytes.chunks_exact(8);
    let tail = chunks.remainder();
    let mut bad = 0u64;
    for chunk in chunks {
        let x = word(chunk);
        // High bit of a lane set when the byte is below 0x21 (for bytes
        // under 0x80), or when it is 0x7F or above.
        let below = x.wrapping_sub(ONES * 0x21) & !x;
        let above = ((x & !HIGHS) + ONES) | x;
        bad |= (below | above) & HIGHS;
    }
    bad == 0 && tail.iter().all(|b| (0x21..=0x7E).contains(b))
}

/// `"sha256:" +` lowercase hex of SHA-256 of `bytes`.
pub fn fingerprint(bytes: &[u8]) -> String {
    sha256_label(&sha256(bytes))
}

/// The raw SHA-256 of `bytes` (the fingerprint without its label).
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub(crate) fn sha256_label(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push(HEX[(byte >> 4) as usize] as char);
        out.push(HEX[(byte & 0xF) as usize] as char);
    }
    out
}

/// Which of Klarna's two KRN shapes a token has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenForm {
    /// `krn:customer-token:{region}:{id}`
    Network,
    /// `krn:partner:{region}:{env}:identity:customer-token:{id}`
    Identity,
}

impl TokenForm {
    /// The form's name: `network` or `identity`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenForm::Network => "network",
            TokenForm::Identity => "identity",
        }
    }
}

/// The environment segment of the identity form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEnvironment {
    /// `live`
    Live,
    /// `test`
    Test,
}

impl TokenEnvironment {
    /// The environment's name: `live` or `test`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEnvironment::Live => "live",
            TokenEnvironment::Test => "test",
        }
    }
}

/// Why a value is not a customer token, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedDetail {
    /// `EMPTY`: no bytes.
    Empty,
    /// `TOO_LONG`: over 1024 bytes.
    TooLong,
    /// `INVALID_CHARACTER`: a byte outside visible ASCII.
    InvalidCharacter,
    /// `NOT_A_KRN`: no `krn:` prefix.
    NotAKrn,
    /// `BAD_STRUCTURE`: neither of the two customer-token shapes.
    BadStructure,
    /// `BAD_REGION`: the region is not two letters and one to three digits.
    BadRegion,
    /// `BAD_ID`: the id is empty, too long, or outside its alphabet.
    BadId,
}

impl MalformedDetail {
    /// The detail as the decision and the error object write it (`EMPTY`…).
    pub fn as_str(self) -> &'static str {
        match self {
            MalformedDetail::Empty => "EMPTY",
            MalformedDetail::TooLong => "TOO_LONG",
            MalformedDetail::InvalidCharacter => "INVALID_CHARACTER",
            MalformedDetail::NotAKrn => "NOT_A_KRN",
            MalformedDetail::BadStructure => "BAD_STRUCTURE",
            MalformedDetail::BadRegion => "BAD_REGION",
            MalformedDetail::BadId => "BAD_ID",
        }
    }

    /// A sentence for people; it never quotes the value.
    pub fn explain(self) -> &'static str {
        match self {
            MalformedDetail::Empty => "the customer token is empty",
            MalformedDetail::TooLong => "the customer token is longer than 1024 bytes",
            MalformedDetail::InvalidCharacter => {
                "the customer token holds a byte outside visible ASCII (space, control character or non-ASCII)"
            }
            MalformedDetail::NotAKrn => "the customer token does not start with krn:",
            MalformedDetail::BadStructure => {
                "the customer token has neither the network nor the identity KRN structure"
            }
            MalformedDetail::BadRegion => {
                "the customer token's region is not two lowercase letters and one to three digits"
            }
            MalformedDetail::BadId => "the customer token's id is not 1 to 255 of A-Z a-z 0-9 . _ ~ -",
        }
    }
}

/// A header value that is not a usable customer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("{}", .0.explain())]
    /// Not well-formed; the detail says which check failed.
    Malformed(MalformedDetail),
    #[error("the value is a KRN but not a customer token (a network session token or a transaction id?)")]
    /// A KRN, but not a customer token.
    WrongType,
}

impl TokenError {
    /// The error code: `TOKEN_MALFORMED` or `TOKEN_WRONG_TYPE`.
    pub fn code(self) -> Code {
        match self {
            TokenError::Malformed(_) => Code::TokenMalformed,
            TokenError::WrongType => Code::TokenWrongType,
        }
    }

    /// The detail of `TOKEN_MALFORMED` (`EMPTY`, `TOO_LONG`…); none for `TOKEN_WRONG_TYPE`.
    pub fn detail(self) -> Option<&'static str> {
        match self {
            TokenError::Malformed(detail) => Some(detail.as_str()),
            TokenError::WrongType => None,
        }
    }
}

/// The format check without the fingerprint, for callers that need only
/// the verdict or the region.
///
/// The usual token is settled inline, in the caller: returned from a call,
/// the answer came back through memory and the caller copied it out in
/// loads wider than the callee's stores, a store-forwarding stall on every
/// request. A token of that form is never empty nor longer than
/// `MAX_TOKEN_BYTES`, so settling it before those checks gives the same
/// answer.
#[inline(always)]
pub fn classify(bytes: &[u8]) -> Result<(TokenForm, &str, Option<TokenEnvironment>), TokenError> {
    match classify_network_form(bytes) {
        Some(network) => Ok(network),
        None => classify_general(bytes),
    }
}

// The longest token of the usual form (prefix, a five-byte region, a colon,
// the longest id) is within the length limit, as `classify` relies on.
const _: () = assert!("krn:customer-token:".len() + 5 + 1 + MAX_ID_CHARS <= MAX_TOKEN_BYTES);

/// [`classify`] for every token but the usual form (which it also accepts).
#[inline(never)]
fn classify_general(bytes: &[u8]) -> Result<(TokenForm, &str, Option<TokenEnvironment>), TokenError> {
    use MalformedDetail::*;
    let malformed = TokenError::Malformed;
    if bytes.is_empty() {
        return Err(malformed(Empty));
    }
    if bytes.len() > MAX_TOKEN_BYTES {
        return Err(malformed(TooLong));
    }
    // One pass finds the ':' positions and checks every byte is visible
    // ASCII, eight bytes at a time: this runs on every charge.
    let mut colons = [0usize; 8];
    let mut count = 0;
    if !scan_visible_ascii_and_colons(bytes, &mut colons, &mut count) {
        return Err(malformed(InvalidCharacter));
    }
    if !bytes.starts_with(b"krn:") {
        return Err(malformed(NotAKrn));
    }
    // Segment i runs from after colon i-1 to colon i; `count` colons make
    // count + 1 segments. More than eight segments never form a valid KRN,
    // but still need the wrong-type check over all of them.
    let segment = |i: usize| -> &[u8] {
        let start = if i == 0 { 0 } else { colons[i - 1] + 1 };
        let end = if i < count { colons[i] } else { bytes.len() };
        &bytes[start..end]
    };
    let segments = count + 1;
    let has_customer_token_segment = if count <= colons.len() {
        (0..segments).any(|i| segment(i) == b"customer-token")
    } else {
        bytes.split(|&b| b == b':').any(|s| s == b"customer-token")
    };
    if !has_customer_token_segment {
        return Err(TokenError::WrongType);
    }
    let (form, region, environment, id) = match segments {
        4 if segment(1) == b"customer-token" => (TokenForm::Network, segment(2), None, segment(3)),
        7 if segment(1) == b"partner" && segment(4) == b"identity" && segment(5) == b"customer-token" => {
            let environment = match segment(3) {
                b"live" => TokenEnvironment::Live,
                b"test" => TokenEnvironment::Test,
                _ => return Err(malformed(BadStructure)),
            };
            (TokenForm::Identity, segment(2), Some(environment), segment(6))
        }
        _ => return Err(malformed(BadStructure)),
    };
    if !is_region_bytes(region) {
        return Err(malformed(BadRegion));
    }
    if !((1..=MAX_ID_CHARS).contains(&id.len()) && id.iter().all(|&b| ID_BYTES[b as usize])) {
        return Err(malformed(BadId));
    }
    Ok((form, region_str(region), environment))
}

/// The usual token, `krn:customer-token:<region>:<id>` and well-formed,
/// settled in one pass over the id: `None` for anything else, which the
/// general reading then classifies (and names the fault of). A region of
/// letters and digits and an id of `ID_BYTES` hold no colon and only
/// visible ASCII, so a token accepted here has exactly the four segments
/// the general reading would find, and the same answer.
#[inline(always)]
fn classify_network_form(bytes: &[u8]) -> Option<(TokenForm, &str, Option<TokenEnvironment>)> {
    const PREFIX: &[u8] = b"krn:customer-token:";
    let rest = bytes.strip_prefix(PREFIX)?;
    // The region is three to five bytes, so its colon is within six.
    let colon = rest.iter().take(6).position(|&b| b == b':')?;
    let (region, id) = (&rest[..colon], &rest[colon + 1..]);
    let valid = is_region_bytes(region)
        && (1..=MAX_ID_CHARS).contains(&id.len())
        && id.iter().fold(true, |all, &b| all & ID_BYTES[b as usize]);
    valid.then(|| (TokenForm::Network, region_str(region), None))
}

/// A region that passed [`is_region_bytes`] as text.
#[inline]
fn region_str(region: &[u8]) -> &str {
    debug_assert!(is_region_bytes(region));
    // SAFETY: a valid region is ASCII letters and digits only.
    unsafe { std::str::from_utf8_unchecked(region) }
}

/// Two lowercase ASCII letters followed by one to three ASCII digits.
pub fn is_region(text: &str) -> bool {
    is_region_bytes(text.as_bytes())
}

fn is_region_bytes(bytes: &[u8]) -> bool {
    (3..=5).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_lowercase)
        && bytes[2..].iter().all(u8::is_ascii_digit)
}

/// The id alphabet `A–Z a–z 0–9 . _ ~ -` as a lookup table.
static ID_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'~' || c == b'-';
        b += 1;
    }
    table
};

/// Checks that every byte is visible ASCII (`0x21..=0x7E`) and records the
/// positions of the first eight ':' bytes in `colons` (`count` is the total
/// number of ':' bytes). Eight bytes at a time.
fn scan_visible_ascii_and_colons(bytes: &[u8], colons: &mut [usize; 8], count: &mut usize) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut record = |position: usize| {
        if *count < colons.len() {
            colons[*count] = position;
        }
        *count += 1;
    };
    let mut offset = 0;
    for chunk in bytes.chunks_exact(8) {
        let x = word(chunk);
        let below = x.wrapping_sub(ONES * 0x21) & !x;
        let above = ((x & !HIGHS) + ONES) | x;
        if (below | above) & HIGHS != 0 {
            return false;
        }
        // Visible ASCII only here, so the zero-byte test is exact.
        let y = x ^ (ONES * u64::from(b':'));
        let mut colon_lanes = y.wrapping_sub(ONES) & !y & HIGHS;
        while colon_lanes != 0 {
            record(offset + (colon_lanes.trailing_zeros() / 8) as usize);
            colon_lanes &= colon_lanes - 1;
        }
        offset += 8;
    }
    for (i, &b) in bytes[offset..].iter().enumerate() {
        if !(0x21..=0x7E).contains(&b) {
            return false;
        }
        if b == b':' {
            record(offset + i);
        }
    }
    true
}
