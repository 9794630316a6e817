//! RFC 3339 timestamps exactly as docs/RULES.md section 0 defines them.
//!
//! Hand-written on purpose: the contract compares instants exactly with any
//! number of fraction digits, refuses leap seconds and a space for `T`, and
//! starts at year 0001. The common crates each differ on one of these
//! (nanosecond truncation, `:60` accepted, lenient separators), and the
//! grammar is small enough to state in full here.

use std::cmp::Ordering;

/// An instant: whole seconds since 1970-01-01T00:00:00Z plus the fraction
/// digits as written, trailing zeros removed, so `.5` and `.50` compare equal
/// and comparison needs no rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instant<'a> {
    seconds: i64,
    fraction: &'a [u8],
}

impl Ord for Instant<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        // With trailing zeros gone, fraction digit strings compare like
        // numbers by plain lexicographic order ("05" < "5", "5" < "51").
        self.seconds.cmp(&other.seconds).then_with(|| self.fraction.cmp(other.fraction))
    }
}

impl PartialOrd for Instant<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<'a> Instant<'a> {
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// The instant `ms` milliseconds after the Unix epoch; the fraction
    /// digits are written into `digits`, which the instant borrows.
    pub fn from_unix_millis(ms: i64, digits: &'a mut [u8; 3]) -> Instant<'a> {
        let millis = ms.rem_euclid(1000) as u16;
        *digits = [b'0' + (millis / 100) as u8, b'0' + (millis / 10 % 10) as u8, b'0' + (millis % 10) as u8];
        let significant = digits.iter().rposition(|&d| d != b'0').map_or(0, |last| last + 1);
        Instant { seconds: ms.div_euclid(1000), fraction: &digits[..significant] }
    }

    /// True when `self` is strictly earlier than `earlier + interval_seconds`.
    pub fn is_before_offset(&self, earlier: &Instant<'_>, interval_seconds: i64) -> bool {
        // i128: a year-9999 timestamp plus an interval near i64::MAX must not
        // overflow into a wrong answer.
        let deadline = i128::from(earlier.seconds) + i128::from(interval_seconds);
        match i128::from(self.seconds).cmp(&deadline) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.fraction < earlier.fraction,
        }
    }
}

/// `text`'s fixed head `YYYY-MM-DDTHH:MM:SS` as year, month, day, hour,
/// minute and second, when every digit place holds a digit and every
/// separator place its separator (`T` or `t`); the ranges are checked by
/// the caller.
///
/// Every request has two or three timestamps, so the head is checked as
/// three eight-byte words (bytes 0-7, 8-15 and 11-18) rather than byte by
/// byte. XOR with `0` turns exactly the bytes `0`..`9` into 0..9; a byte
/// of 10 or more is flagged by its high bit, directly or after adding 0x76
/// to its low seven bits (which cannot carry into the next byte).
#[inline(always)] // one caller; its six fields would come back through memory
fn head_fields(head: &[u8; 20]) -> Option<[i64; 6]> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LOWS: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const ABOVE_NINE: u64 = 0x7676_7676_7676_7676;
    // Digit places of each word (0xFF) and its separators (the byte
    // expected, under a mask that lets `T` and `t` differ in 0x20).
    const WORDS: [(usize, u64, u64, u64); 3] = [
        // "YYYY-MM-"
        (0, 0x00FF_FF00_FFFF_FFFF, 0x2D00_002D_0000_0000, 0xFF00_00FF_0000_0000),
        // "DDTHH:MM"
        (8, 0xFFFF_00FF_FF00_FFFF, 0x0000_3A00_0054_0000, 0x0000_FF00_00DF_0000),
        // "HH:MM:SS"
        (11, 0xFFFF_00FF_FF00_FFFF, 0x0000_3A00_003A_0000, 0x0000_FF00_00FF_0000),
    ];
    for (at, digits, separators, separator_mask) in WORDS {
        let word = u64::from_le_bytes(head[at..at + 8].try_into().expect("eight bytes"));
        let values = word ^ ZEROS;
        let not_digit = (values | ((values & LOWS) + ABOVE_NINE)) & HIGHS & digits;
        if not_digit != 0 || (word & separator_mask) != separators {
            return None;
        }
    }
    let two_digits = |at: usize| i64::from(head[at] - b'0') * 10 + i64::from(head[at + 1] - b'0');
    Some([
        two_digits(0) * 100 + two_digits(2),
        two_digits(5),
        two_digits(8),
        two_digits(11),
        two_digits(14),
        two_digits(17),
    ])
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `None` when it is not
/// an RFC 3339 timestamp in the contract's sense.
///
/// Inlined: out of line, its 24-byte answer went back through memory and
/// the caller read it in sixteen-byte loads over the callee's eight-byte
/// stores, a stall that showed in profiles of every request (two or three
/// timestamps each).
#[inline(always)]
pub fn parse(text: &str) -> Option<Instant<'_>> {
    let b = text.as_bytes();
    // The shortest timestamp, `…SSZ`, is twenty bytes.
    let head: &[u8; 20] = b.get(..20)?.try_into().ok()?;
    let [year, month, day, hour, minute, second] = head_fields(head)?;
    if year < 1 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0i64, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0')))
    };
    let mut pos = 19;
    let mut fraction: &[u8] = &[];
    if b[pos] == b'.' {
        let start = pos + 1;
        let end = start + b[start..].iter().take_while(|d| d.is_ascii_digit()).count();
        if end == start {
            return None;
        }
        fraction = text[start..end].trim_end_matches('0').as_bytes();
        pos = end;
    }
    let offset_seconds = match b.get(pos)? {
        b'Z' | b'z' if pos + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if pos + 6 == b.len() => {
            if b[pos + 3] != b':' {
                return None;
            }
            let offset_hour = number(pos + 1..pos + 3)?;
            let offset_minute = number(pos + 4..pos + 6)?;
            if offset_hour > 23 || offset_minute > 59 {
                return None;
            }
            let magnitude = offset_hour * 3600 + offset_minute * 60;
            if *sign == b'+' {
                magnitude
            } else {
                -magnitude
            }
        }
        _ => return None,
    };
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(Instant { seconds: local - offset_seconds, fraction })
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date
/// (Howard Hinnant's days_from_civil algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_contract_grammar() {
        for text in [
            "2026-01-31T12:00:00Z",
            "2026-01-31t12:00:00z",
            "2024-02-29T23:59:59.123456789012+05:30",
            "0001-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59.999-23:59",
        ] {
            assert!(parse(text).is_some(), "{text}");
        }
    }

    #[test]
    fn refuses_what_the_contract_refuses() {
        for text in [
            "2026-01-31 12:00:00Z",
            "2026-01-31T12:00:60Z",
            "2026-01-31T24:00:00Z",
            "2025-02-29T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "2026-01-31T12:00:00",
            "2026-01-31T12:00:00.Z",
            "2026-01-31T12:00:00+0100",
            "2026-01-31T12:00:00+24:00",
            "2026-1-31T12:00:00Z",
            "2026-01-31T12:00:00Zjunk",
            "２026-01-31T12:00:00Z",
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
    }

    #[test]
    fn every_place_of_the_head_holds_only_its_digit_or_separator() {
        let base = *b"2000-10-10T10:10:10Z";
        for place in 0..19 {
            for byte in 0..=255u8 {
                let mut text = base;
                text[place] = byte;
                let Ok(text) = std::str::from_utf8(&text) else { continue };
                let separator = matches!(place, 4 | 7 | 10 | 13 | 16);
                let expected = if separator {
                    byte == base[place] || (place == 10 && byte == b't')
                } else if byte.is_ascii_digit() {
                    continue; // a digit may put a field out of range
                } else {
                    false
                };
                assert_eq!(parse(text).is_some(), expected, "{text:?}");
            }
        }
    }

    #[test]
    fn compares_as_instants_with_exact_fractions() {
        let at = |t| parse(t).unwrap();
        assert_eq!(at("2026-01-01T10:00:00+02:00"), at("2026-01-01T08:00:00Z"));
        assert_eq!(at("2026-01-01T08:00:00.50Z"), at("2026-01-01T08:00:00.5Z"));
        assert!(at("2026-01-01T08:00:00.05Z") < at("2026-01-01T08:00:00.5Z"));
        assert!(at("2026-01-01T08:00:00.0000000000001Z") > at("2026-01-01T08:00:00Z"));
        assert_eq!(at("1970-01-01T00:00:00Z").seconds(), 0);
        assert_eq!(at("2000-03-01T00:00:00Z").seconds(), 951_868_800);
    }

    #[test]
    fn millisecond_instants_equal_their_rfc3339_spelling() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (1_500, "1970-01-01T00:00:01.5Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (1_764_064_800_120, "2025-11-25T10:00:00.12Z"),
        ];
        for (ms, text) in cases {
            let mut digits = [0; 3];
            assert_eq!(Instant::from_unix_millis(ms, &mut digits), parse(text).unwrap(), "{ms}");
        }
    }

    #[test]
    fn interval_arithmetic_is_exact_and_cannot_overflow() {
        let last = parse("2026-01-01T00:00:00.5Z").unwrap();
        assert!(parse("2026-01-02T00:00:00.4Z").unwrap().is_before_offset(&last, 86_400));
        assert!(!parse("2026-01-02T00:00:00.5Z").unwrap().is_before_offset(&last, 86_400));
        let far = parse("9999-12-31T23:59:59Z").unwrap();
        assert!(far.is_before_offset(&far, i64::MAX));
    }
}
