//! Timestamps as text: RFC 3339 in UTC with exactly three fractional digits (fixed width:
//! `2026-11-21T13:08:33.120Z`, never `…33.12Z`), as used in messages and every log file.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const FORMAT: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Formats milliseconds since the Unix epoch, e.g. `2026-11-21T13:08:33.123Z`.
pub(crate) fn rfc3339_ms(unix_ms: i64) -> String {
    let nanos = i128::from(unix_ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_else(|| unix_ms.to_string())
}

/// The current time, formatted as [`rfc3339_ms`] does.
pub(crate) fn now_rfc3339() -> String {
    rfc3339_ms(crate::store::now_ms())
}

#[cfg(test)]
mod tests {
    use super::rfc3339_ms;

    #[test]
    fn always_three_fractional_digits() {
        assert_eq!(rfc3339_ms(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(rfc3339_ms(1_700_000_000_120), "2023-11-14T22:13:20.120Z");
        assert_eq!(rfc3339_ms(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
    }
}
