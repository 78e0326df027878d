//! `/shutdown SECONDS [message]`: a countdown announced to everyone at the start and at 60,
//! 30, 10 and 5…1 seconds, then the same graceful stop as SIGTERM. One countdown at a time
//! (a new one replaces it); `/shutdown cancel` stops it and says so.

use std::sync::Arc;
use std::time::Duration;

use classcord_protocol::server_line::NoticeEvent;
use tokio_util::sync::CancellationToken;

use super::Moderation;
use crate::chat::Chat;
use crate::vocabulary::Notice;

/// Seconds before the stop at which the countdown is announced again.
const ANNOUNCE_AT: &[u64] = &[60, 30, 10, 5, 4, 3, 2, 1];

impl Moderation {
    /// Starts (or restarts) the countdown.
    pub(super) fn start_countdown(&self, duration: Duration, message: Option<String>) {
        let task = tokio::spawn(run(
            Arc::clone(&self.chat),
            self.stop_requested.clone(),
            duration,
            message,
        ));
        let previous = self
            .countdown
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .replace(task.abort_handle());
        if let Some(previous) = previous {
            previous.abort();
        }
    }

    /// Stops the countdown under way and tells everyone; false when there is none.
    pub(super) fn cancel_countdown(&self) -> bool {
        let current = self
            .countdown
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        match current {
            Some(task) if !task.is_finished() => {
                task.abort();
                self.chat
                    .notice(NoticeEvent::Shutdown, &Notice::CountdownCancelled);
                tracing::info!("shutdown countdown cancelled");
                true
            }
            _ => false,
        }
    }
}

async fn run(
    chat: Arc<Chat>,
    stop_requested: CancellationToken,
    duration: Duration,
    message: Option<String>,
) {
    let total = duration.as_secs();
    let end = tokio::time::Instant::now() + duration;
    let announce = |seconds: u64| {
        chat.notice(
            NoticeEvent::Shutdown,
            &Notice::Countdown {
                seconds,
                message: message.clone(),
            },
        )
    };
    tracing::warn!(seconds = total, "shutdown countdown started");
    announce(total);
    for &left in ANNOUNCE_AT.iter().filter(|&&left| left < total) {
        tokio::time::sleep_until(end - Duration::from_secs(left)).await;
        announce(left);
    }
    tokio::time::sleep_until(end).await;
    tracing::warn!("shutdown countdown over: stopping");
    stop_requested.cancel();
}
