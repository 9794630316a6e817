//! Token occurrences (hygiene.md H1) out of the one free-text field an
//! entry copies from the request, `decision_id`: a caller that put a token
//! there gets `[customer-token sha256:…]` in the log (H4), never the token.
//!
//! A `decision_id` is at most 255 characters, so this small scanner is
//! enough here; it follows H1's rules (run characters, the encoded colon,
//! the `customer-token` segment, resuming after an occurrence or after the
//! `k` of a candidate that is not one). When the crate-wide redactor of
//! H2 exists it gives the same bytes and can replace this.

use std::borrow::Cow;

use crate::token;

/// `text` with every token occurrence replaced; borrowed when there is none.
pub fn redact_tokens(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"krn") && colon_len(&bytes[i + 3..]).is_some() {
            let (end, decoded) = candidate(bytes, i);
            if is_occurrence(&decoded) {
                let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 64));
                out.push_str(&text[copied..i]);
                out.push_str("[customer-token ");
                out.push_str(&token::fingerprint(&decoded));
                out.push(']');
                copied = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// 1 for `:`, 3 for `%3A` / `%3a`, at the start of `rest`.
fn colon_len(rest: &[u8]) -> Option<usize> {
    match rest {
        [b':', ..] => Some(1),
        [b'%', b'3', b'A' | b'a', ..] => Some(3),
        _ => None,
    }
}

/// The maximal run from `start`: its end and its decoded text.
fn candidate(bytes: &[u8], start: usize) -> (usize, Vec<u8>) {
    let mut decoded = Vec::new();
    let mut j = start;
    while j < bytes.len() {
        let b = bytes[j];
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-' | b':') {
            decoded.push(b);
            j += 1;
        } else if let Some(3) = colon_len(&bytes[j..]) {
            decoded.push(b':');
            j += 3;
        } else {
            break;
        }
    }
    (j, decoded)
}

/// Some segment is exactly `customer-token` and a later one is non-empty.
fn is_occurrence(decoded: &[u8]) -> bool {
    let mut segments = decoded.split(|&b| b == b':');
    segments.any(|segment| segment == b"customer-token") && segments.any(|segment| !segment.is_empty())
}

#[cfg(test)]
mod tests {
    use super::redact_tokens;

    #[test]
    fn replaces_every_occurrence_as_h1_defines_it() {
        let fp = |t: &str| crate::token::fingerprint(t.as_bytes());
        let network = "krn:customer-token:eu1:a1b2";
        assert_eq!(redact_tokens(&format!("id-{network}/x")), format!("id-[customer-token {}]/x", fp(network)));
        assert_eq!(
            redact_tokens("krn%3Acustomer-token%3Aeu1%3Aa1b2"),
            format!("[customer-token {}]", fp("krn:customer-token:eu1:a1b2"))
        );
        let identity = "krn:partner:eu1:live:identity:customer-token:a1b2";
        assert_eq!(
            redact_tokens(&format!("x{identity} {network}")),
            format!("x[customer-token {}] [customer-token {}]", fp(identity), fp(network))
        );
        // A candidate runs as far as run characters go, over a `krn:` before the token.
        let joined = format!("krn:a{identity}");
        assert_eq!(redact_tokens(&joined), format!("[customer-token {}]", fp(&joined)));
        assert_eq!(
            redact_tokens("krn:customer-token:EU1:a b"),
            format!("[customer-token {}] b", fp("krn:customer-token:EU1:a"))
        );
        for untouched in
            ["krn:customer-token:", "krn:payment:eu1:transaction:x", "KRN:customer-token:eu1:a", "renewal-42"]
        {
            assert_eq!(redact_tokens(untouched), untouched);
        }
    }
}
