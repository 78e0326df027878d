//! Repeated failures (a full disk fails every batch and every log line) are reported once
//! per interval, with how many were left unsaid, instead of flooding the log.

use std::time::{Duration, Instant};

/// How often a repeated failure is reported.
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub(crate) struct Throttle {
    last_report: Option<Instant>,
    unreported: u64,
}

impl Throttle {
    /// Called at each failure: `Some(n)` when this one must be reported, `n` being how many
    /// earlier ones were not; `None` to stay silent.
    pub(crate) fn report(&mut self, now: Instant) -> Option<u64> {
        match self.last_report {
            Some(last) if now.duration_since(last) < REPORT_EVERY => {
                self.unreported += 1;
                None
            }
            _ => {
                self.last_report = Some(now);
                Some(std::mem::take(&mut self.unreported))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_report_per_interval_with_the_count_of_the_silent_ones() {
        let start = Instant::now();
        let mut throttle = Throttle::default();
        assert_eq!(throttle.report(start), Some(0));
        for n in 1..50 {
            assert_eq!(throttle.report(start + Duration::from_millis(n * 20)), None);
        }
        assert_eq!(throttle.report(start + REPORT_EVERY), Some(49));
        assert_eq!(throttle.report(start + REPORT_EVERY), None);
    }
}
