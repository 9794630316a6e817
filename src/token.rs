//! The customer token as the engine reports it: what may be logged about
//! it ([`TokenInfo`], its JSON), and a type that keeps it out of every log
//! ([`CustomerToken`]). The format check and the fingerprint are `krn`'s,
//! re-exported here.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};
use zeroize::Zeroize;

use crate::error::{Error, Status};
use crate::json::Trusted;

// The format itself lives in `krn`, below every layer (the redaction needs
// it); the token's public face keeps its names.
pub(crate) use crate::krn::sha256_label;
pub use crate::krn::{
    classify, constant_time_eq, fingerprint, is_region, is_visible_ascii, sha256, MalformedDetail, TokenEnvironment,
    TokenError, TokenForm, MAX_ID_CHARS, MAX_TOKEN_BYTES,
};

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

/// Written as its name (`"network"`, `"identity"`).
impl Serialize for TokenForm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Trusted::new(self.as_str()).serialize(serializer)
    }
}

/// Written as its name (`"live"`, `"test"`).
impl Serialize for TokenEnvironment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Trusted::new(self.as_str()).serialize(serializer)
    }
}

/// What may be reported about a well-formed token. It holds no piece of
/// the token except the region, which the contract reports. Serialized as
/// `{"form":…,"region":…,"environment":…,"fingerprint":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Network or identity.
    pub form: TokenForm,
    #[serde(serialize_with = "trusted")]
    /// The region segment (`eu1`), validated.
    pub region: String,
    /// `live` or `test` for the identity form; `None` for the network form.
    pub environment: Option<TokenEnvironment>,
    #[serde(serialize_with = "trusted")]
    /// `sha256:` and the hex SHA-256 of the exact header bytes.
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
    /// Network or identity.
    pub form: TokenForm,
    #[serde(serialize_with = "trusted")]
    /// The region segment (`eu1`), validated.
    pub region: &'a str,
    /// `live` or `test` for the identity form; `None` for the network form.
    pub environment: Option<TokenEnvironment>,
    #[serde(serialize_with = "trusted")]
    /// `sha256:` and the hex SHA-256 of the exact header bytes.
    pub fingerprint: &'a str,
}

/// A validated region (two lowercase letters, one to three digits) and a
/// fingerprint (`sha256:` and hex) need no escaping: written as
/// [`Trusted`] text.
fn trusted<T: AsRef<str>, S: Serializer>(text: &T, serializer: S) -> Result<S::Ok, S::Error> {
    Trusted::new(text.as_ref()).serialize(serializer)
}

/// Checks the format of a header value (docs/RULES.md section 2) and, when it is
/// a customer token, reports what may be logged about it.
pub fn parse_token(bytes: &[u8]) -> Result<TokenInfo, TokenError> {
    let (form, region, environment) = classify(bytes)?;
    Ok(TokenInfo { form, region: region.to_owned(), environment, fingerprint: fingerprint(bytes) })
}

/// [`parse_token`] as the C ABI (`ctp_token_parse`) and the command line
/// (`ctpolicy token`) report it: the info object as JSON, or an [`Error`]
/// (`TOKEN_INVALID` with the code and detail, or `INVALID_UTF8`).
///
/// ```
/// let info = ctpolicy::token::parse_token_json(b"krn:customer-token:eu1:a1b2").unwrap();
/// assert!(info.starts_with(r#"{"form":"network","region":"eu1""#));
/// assert!(!info.contains("a1b2"));
/// ```
pub fn parse_token_json(bytes: &[u8]) -> Result<String, Error> {
    if let Err(error) = std::str::from_utf8(bytes) {
        return Err(Error::new(
            Status::InvalidUtf8,
            None,
            format!("token: input is not UTF-8 (invalid byte at offset {})", error.valid_up_to()),
        ));
    }
    match parse_token(bytes) {
        Ok(info) => Ok(crate::json::to_string(&info)),
        Err(error) => {
            let mut failure = Error::new(Status::TokenInvalid, Some(error.code()), error.to_string());
            failure.detail = error.detail();
            Err(failure)
        }
    }
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
