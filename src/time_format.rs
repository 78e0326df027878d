//! The wall clock of the server (milliseconds since the Unix epoch), and timestamps as text: RFC 3339 in UTC with exactly three fractional digits (fixed width:
//! `2026-11-21T13:08:33.120Z`, never `…33.12Z`), as used in messages and every log file.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

const SECONDS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");

thread_local! {
    /// The last second formatted on this thread: every message and log line of a busy
    /// second shares it, and only its milliseconds are written each time.
    static LAST_SECOND: std::cell::RefCell<(i64, String)> =
        const { std::cell::RefCell::new((i64::MIN, String::new())) };
}

/// Formats milliseconds since the Unix epoch, e.g. `2026-11-21T13:08:33.123Z`.
pub(crate) fn rfc3339_ms(unix_ms: i64) -> String {
    let (seconds, millis) = (unix_ms.div_euclid(1000), unix_ms.rem_euclid(1000));
    LAST_SECOND.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != seconds {
            let formatted = OffsetDateTime::from_unix_timestamp(seconds)
                .ok()
                .and_then(|t| t.format(SECONDS).ok());
            match formatted {
                Some(text) => *last = (seconds, text),
                None => return unix_ms.to_string(),
            }
        }
        let mut text = String::with_capacity(last.1.len() + 5);
        text.push_str(&last.1);
        text.push('.');
        for digit in [millis / 100, millis / 10 % 10, millis % 10] {
            text.push(char::from(b'0' + digit as u8));
        }
        text.push('Z');
        text
    })
}

/// The wall clock: milliseconds since the Unix epoch (0 before 1970).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A moment as a teacher reads it in a list: day/month and time in the server's time zone
/// (`04/12 14:02`).
pub(crate) fn local_day_time(unix_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(unix_ms)
        .map(|moment| {
            moment
                .to_zoned(jiff::tz::TimeZone::system())
                .strftime("%d/%m %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// The current time, formatted as [`rfc3339_ms`] does.
pub(crate) fn now_rfc3339() -> String {
    rfc3339_ms(now_ms())
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
        // The cached second is not reused for another one, before or after.
        assert_eq!(rfc3339_ms(1_700_000_001_005), "2023-11-14T22:13:21.005Z");
        assert_eq!(rfc3339_ms(1_700_000_000_999), "2023-11-14T22:13:20.999Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_ms(i64::MAX), i64::MAX.to_string());
    }
}
