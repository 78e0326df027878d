//! The school's opening hours in the chat core: pupils' messages refused outside them (with
//! when writing reopens), and everyone told once when they end.

use std::sync::Arc;
use std::time::Duration;

use classcord_protocol::server_line::NoticeEvent;
use classcord_protocol::Role;
use jiff::Zoned;
use tokio_util::sync::CancellationToken;

use super::state::ConnId;
use super::Chat;
use crate::opening_hours::OpeningHours;
use crate::vocabulary::{Notice, Refused, Reopening, ReopeningDay};

/// Longest sleep between two looks at the clock: a wall clock set by hand, or a change of
/// summer time, is noticed within it.
const LOOK_EVERY: Duration = Duration::from_secs(60);

impl Chat {
    /// Refuses a pupil's message outside the opening hours; teachers and administrators are
    /// not limited.
    pub(super) fn check_hours(&self, id: ConnId) -> Result<(), Refused> {
        if self.hours.always_open() || self.hub.role(id) >= Role::Moderator {
            return Ok(());
        }
        let now = OpeningHours::now();
        if self.hours.is_open(&now) {
            return Ok(());
        }
        Err(Refused::OutsideHours {
            reopens: self.reopening(&now),
        })
    }

    /// When writing opens next, as people read it.
    fn reopening(&self, now: &Zoned) -> Option<Reopening> {
        let opens = self.hours.next_opening(now)?;
        let days = (opens.date() - now.date()).get_days();
        Some(Reopening {
            day: match days {
                0 => ReopeningDay::Today,
                1 => ReopeningDay::Tomorrow,
                _ => ReopeningDay::Weekday(opens.weekday().to_monday_one_offset() as u8),
            },
            time: opens.strftime("%H:%M").to_string(),
        })
    }

    /// Tells everyone once when the opening hours end, until `stop`.
    pub(crate) async fn announce_closing_hours(self: Arc<Self>, stop: CancellationToken) {
        if self.hours.always_open() {
            return;
        }
        let mut was_open = self.hours.is_open(&OpeningHours::now());
        loop {
            let now = OpeningHours::now();
            let wait = self
                .hours
                .next_closing(&now)
                .and_then(|closing| now.duration_until(&closing).try_into().ok())
                .map_or(LOOK_EVERY, |left: Duration| left.min(LOOK_EVERY));
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            let now = OpeningHours::now();
            let open = self.hours.is_open(&now);
            if was_open && !open {
                tracing::info!("opening hours over: pupils' messages refused until they reopen");
                self.notice(
                    NoticeEvent::Hours,
                    &Notice::HoursEnded {
                        reopens: self.reopening(&now),
                    },
                );
            }
            was_open = open;
        }
    }
}
