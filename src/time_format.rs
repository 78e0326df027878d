//! Timestamps as text: RFC 3339 in UTC with milliseconds, as used in messages and logs.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Formats milliseconds since the Unix epoch, e.g. `2026-11-21T13:08:33.123Z`.
pub(crate) fn rfc3339_ms(unix_ms: i64) -> String {
    let nanos = i128::from(unix_ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix_ms.to_string())
}

/// The current time, formatted as [`rfc3339_ms`] does.
pub(crate) fn now_rfc3339() -> String {
    rfc3339_ms(crate::store::now_ms())
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_with_milliseconds() {
        assert_eq!(
            super::rfc3339_ms(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
    }
}
