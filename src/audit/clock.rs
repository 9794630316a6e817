//! The writer's clock for `at` (docs/HYGIENE.md H3): RFC 3339 UTC with
//! milliseconds, `2026-11-30T12:00:00.000Z`. The engine itself reads no
//! clock; only the audit writer does, for entries whose request has no `now`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Where `at` comes from when the request does not supply it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A fixed text, verbatim (tests and byte-identity vectors).
    Fixed(String),
}

impl Clock {
    /// The current time as an entry's `at`: RFC 3339 UTC with milliseconds.
    pub fn now(&self) -> String {
        match self {
            Clock::System => {
                let millis = match SystemTime::now().duration_since(UNIX_EPOCH) {
                    Ok(since) => since.as_millis() as i64,
                    Err(before) => -(before.duration().as_millis() as i64),
                };
                format_unix_millis(millis)
            }
            // A host's own text, written into every entry: redacted like
            // everything else an entry holds (docs/HYGIENE.md H4).
            Clock::Fixed(text) => crate::redact::redact_str(text).into_owned(),
        }
    }
}

/// `ms` after the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn format_unix_millis(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// civil_from_days, the inverse of timestamp.rs's days_from_civil).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp;

    #[test]
    fn formats_round_trip_through_the_contract_parser() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_500, "1970-01-01T00:00:01.500Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_796_040_000_007, "2026-11-30T12:00:00.007Z"),
        ];
        for (ms, text) in cases {
            assert_eq!(format_unix_millis(ms), text);
            let mut digits = [0; 3];
            assert_eq!(timestamp::parse(text).unwrap(), timestamp::Instant::from_unix_millis(ms, &mut digits));
        }
        // Every day of four centuries maps back to itself.
        for day in (-150_000..150_000).step_by(7) {
            let text = format_unix_millis(day * 86_400_000);
            assert_eq!(timestamp::parse(&text).unwrap().seconds(), day * 86_400, "{text}");
        }
    }

    #[test]
    fn the_system_clock_is_rfc3339_utc_with_milliseconds() {
        let now = Clock::System.now();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[19] == b'.', "{now}");
        assert!(timestamp::parse(&now).is_some(), "{now}");
    }
}
