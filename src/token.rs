//! The customer token: its format (docs/RULES.md section 2), its fingerprint, and
//! a type that keeps it out of every log.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::json::Trusted;

/// Longest header value Klarna accepts, in bytes.
pub const MAX_TOKEN_BYTES: usize = 1024;
/// Longest token id, in characters (the id alphabet is ASCII).
pub const MAX_ID_CHARS: usize = 255;

/// A customer-token header value.
///
/// Neither `Debug` nor `Display` can print it: they print the fingerprint.
/// An owned copy is overwritten with zeros when dropped.
pub struct CustomerToken<'a> {
    bytes: Cow<'a, [u8]>,
}

impl<'a> CustomerToken<'a> {
    /// Wraps a value that someone else owns (no copy is made).
    pub fn borrowed(bytes: &'a [u8]) -> Self {
        CustomerToken { bytes: Cow::Borrowed(bytes) }
    }

    /// Takes ownership of a value; it is wiped when this is dropped.
    pub fn owned(bytes: Vec<u8>) -> CustomerToken<'static> {
        CustomerToken { bytes: Cow::Owned(bytes) }
    }

    /// The raw bytes. Deliberately named so that a leak is a visible choice.
    pub fn expose_secret(&self) -> &[u8] {
        &self.bytes
    }

    /// `"sha256:" +` lowercase hex of SHA-256 over the exact bytes.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.bytes)
    }

    /// Parses the format; see [`parse_token`].
    pub fn parse(&self) -> Result<TokenInfo, TokenError> {
        parse_token(&self.bytes)
    }

    /// Byte-for-byte equality in time that depends only on the lengths, so
    /// a comparison against a stored token reveals nothing of its content.
    pub fn constant_time_eq(&self, other: &[u8]) -> bool {
        constant_time_eq(&self.bytes, other)
    }
}

impl Drop for CustomerToken<'_> {
    fn drop(&mut self) {
        if let Cow::Owned(bytes) = &mut self.bytes {
            bytes.zeroize();
        }
    }
}

impl fmt::Debug for CustomerToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustomerToken({})", self.fingerprint())
    }
}

impl fmt::Display for CustomerToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint())
    }
}

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

/// Written as its name (`"network"`, `"identity"`).
impl Serialize for TokenForm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Trusted::new(self.as_str()).serialize(serializer)
    }
}

impl TokenForm {
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
    Live,
    Test,
}

/// Written as its name (`"live"`, `"test"`).
impl Serialize for TokenEnvironment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Trusted::new(self.as_str()).serialize(serializer)
    }
}

impl TokenEnvironment {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEnvironment::Live => "live",
            TokenEnvironment::Test => "test",
        }
    }
}

/// What may be reported about a well-formed token. It holds no piece of
/// the token except the region, which the contract reports. Serialized as
/// `{"form":…,"region":…,"environment":…,"fingerprint":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub form: TokenForm,
    #[serde(serialize_with = "trusted")]
    pub region: String,
    pub environment: Option<TokenEnvironment>,
    #[serde(serialize_with = "trusted")]
    pub fingerprint: String,
}

impl TokenInfo {
    /// Appends the info object to `out`.
    pub fn write_json(&self, out: &mut String) {
        crate::json::write_into(out, self);
    }

    /// The same object over borrowed parts.
    pub fn view(&self) -> TokenView<'_> {
        TokenView {
            form: self.form,
            region: &self.region,
            environment: self.environment,
            fingerprint: &self.fingerprint,
        }
    }
}

/// [`TokenInfo`] borrowed from wherever its parts live (the decision's fast
/// path keeps the fingerprint on the stack); serialized identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TokenView<'a> {
    pub form: TokenForm,
    #[serde(serialize_with = "trusted")]
    pub region: &'a str,
    pub environment: Option<TokenEnvironment>,
    #[serde(serialize_with = "trusted")]
    pub fingerprint: &'a str,
}

/// A validated region (two lowercase letters, one to three digits) and a
/// fingerprint (`sha256:` and hex) need no escaping: written as
/// [`Trusted`] text.
fn trusted<T: AsRef<str>, S: Serializer>(text: &T, serializer: S) -> Result<S::Ok, S::Error> {
    Trusted::new(text.as_ref()).serialize(serializer)
}

/// Why a value is not a customer token, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedDetail {
    Empty,
    TooLong,
    InvalidCharacter,
    NotAKrn,
    BadStructure,
    BadRegion,
    BadId,
}

impl MalformedDetail {
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
    Malformed(MalformedDetail),
    #[error("the value is a KRN but not a customer token (a network session token or a transaction id?)")]
    WrongType,
}

impl TokenError {
    pub fn code(self) -> &'static str {
        match self {
            TokenError::Malformed(_) => "TOKEN_MALFORMED",
            TokenError::WrongType => "TOKEN_WRONG_TYPE",
        }
    }

    pub fn detail(self) -> Option<&'static str> {
        match self {
            TokenError::Malformed(detail) => Some(detail.as_str()),
            TokenError::WrongType => None,
        }
    }
}

/// Checks the format of a header value (docs/RULES.md section 2) and, when it is
/// a customer token, reports what may be logged about it.
pub fn parse_token(bytes: &[u8]) -> Result<TokenInfo, TokenError> {
    let (form, region, environment) = classify(bytes)?;
    Ok(TokenInfo { form, region: region.to_owned(), environment, fingerprint: fingerprint(bytes) })
}

/// The format check without the fingerprint, for callers that need only
/// the verdict or the region.
pub fn classify(bytes: &[u8]) -> Result<(TokenForm, &str, Option<TokenEnvironment>), TokenError> {
    use MalformedDetail::*;
    let malformed = TokenError::Malformed;
    if bytes.is_empty() {
        return Err(malformed(Empty));
    }
    if bytes.len() > MAX_TOKEN_BYTES {
        return Err(malformed(TooLong));
    }
    if let Some(network) = classify_network_form(bytes) {
        return Ok(network);
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
#[inline]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_show_only_the_fingerprint() {
        let raw = b"krn:customer-token:eu1:secret-id-123";
        let token = CustomerToken::borrowed(raw);
        for text in [format!("{token:?}"), format!("{token}")] {
            assert!(!text.contains("secret-id-123"), "{text}");
            assert!(text.contains("sha256:"), "{text}");
        }
    }

    #[test]
    fn both_forms_parse() {
        let network = parse_token(b"krn:customer-token:eu1:a1b2c3d4-e5f6-7890-abcd-ef1234567890").unwrap();
        assert_eq!((network.form, network.region.as_str(), network.environment), (TokenForm::Network, "eu1", None));
        let identity =
            parse_token(b"krn:partner:us1:live:identity:customer-token:vVQGmYzlfsQ16dko3jcwY5lV8hBgKs9a").unwrap();
        assert_eq!(
            (identity.form, identity.region.as_str(), identity.environment),
            (TokenForm::Identity, "us1", Some(TokenEnvironment::Live))
        );
    }

    #[test]
    fn details_come_in_contract_order() {
        let cases: [(&[u8], TokenError); 10] = [
            (b"", TokenError::Malformed(MalformedDetail::Empty)),
            (b"krn:customer-token:eu1:abc\n", TokenError::Malformed(MalformedDetail::InvalidCharacter)),
            (b"urn:customer-token:eu1:abc", TokenError::Malformed(MalformedDetail::NotAKrn)),
            (b"krn:", TokenError::WrongType),
            (b"krn:payment:eu1:klarna-network-session-token:abc", TokenError::WrongType),
            (b"krn:customer-token:eu1:abc:def", TokenError::Malformed(MalformedDetail::BadStructure)),
            (b"krn:partner:us1:prod:identity:customer-token:abc", TokenError::Malformed(MalformedDetail::BadStructure)),
            (b"krn:customer-token:EU1:abc", TokenError::Malformed(MalformedDetail::BadRegion)),
            (b"krn:customer-token:eu1:", TokenError::Malformed(MalformedDetail::BadId)),
            (b"krn:customer-token:eu1:a+b", TokenError::Malformed(MalformedDetail::BadId)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_token(input).unwrap_err(), expected, "{}", String::from_utf8_lossy(input));
        }
        let too_long = format!("krn:customer-token:eu1:{}", "a".repeat(1002));
        assert_eq!(too_long.len(), 1025);
        assert_eq!(parse_token(too_long.as_bytes()).unwrap_err(), TokenError::Malformed(MalformedDetail::TooLong));
        let many_segments = format!("krn:{}customer-token", "x:".repeat(9));
        assert_eq!(
            parse_token(many_segments.as_bytes()).unwrap_err(),
            TokenError::Malformed(MalformedDetail::BadStructure)
        );
    }

    #[test]
    fn word_at_a_time_checks_match_the_plain_ones() {
        for byte in 0..=255u8 {
            for position in 0..17 {
                let mut text = vec![b'a'; 17];
                text[position] = byte;
                assert_eq!(is_visible_ascii(&text), (0x21..=0x7E).contains(&byte), "{byte:#x} at {position}");
                let mut other = text.clone();
                other[position] ^= 1;
                assert!(!constant_time_eq(&text, &other));
                assert!(constant_time_eq(&text, &text.clone()));
            }
        }
    }

    #[test]
    fn fingerprint_is_sha256_of_the_exact_bytes() {
        assert_eq!(fingerprint(b"abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
