//! `/shutdown SECONDS [message]`: a countdown announced to everyone at the start and at 60,
//! 30, 10 and 5…1 seconds, then the same graceful stop as SIGTERM. One countdown at a time
//! (a new one replaces it); `/shutdown cancel` stops it and says so.

use std::sync::Arc;
use std::time::Duration;

use classcord_protocol::server_line::NoticeEvent;

use crate::context::Context;

/// Seconds before the stop at which the countdown is announced again.
const ANNOUNCE_AT: &[u64] = &[60, 30, 10, 5, 4, 3, 2, 1];

/// Starts (or restarts) the countdown.
pub(crate) fn start(ctx: &Arc<Context>, duration: Duration, message: Option<String>) {
    let task = tokio::spawn(run(Arc::clone(ctx), duration, message));
    let previous = ctx
        .countdown
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .replace(task.abort_handle());
    if let Some(previous) = previous {
        previous.abort();
    }
}

/// Stops the countdown under way and tells everyone; false when there is none.
pub(crate) fn cancel(ctx: &Context) -> bool {
    let current = ctx
        .countdown
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    match current {
        Some(task) if !task.is_finished() => {
            task.abort();
            ctx.chat.notice(
                NoticeEvent::Shutdown,
                "Arrêt du serveur annulé. / Server shutdown cancelled.",
            );
            tracing::info!("shutdown countdown cancelled");
            true
        }
        _ => false,
    }
}

fn announcement(left: u64, message: Option<&str>) -> String {
    let message = message.map(|m| format!(" {m}")).unwrap_or_default();
    format!("Arrêt du serveur dans {left} s. / Server stopping in {left} s.{message}")
}

async fn run(ctx: Arc<Context>, duration: Duration, message: Option<String>) {
    let total = duration.as_secs();
    let end = tokio::time::Instant::now() + duration;
    tracing::warn!(seconds = total, "shutdown countdown started");
    ctx.chat.notice(
        NoticeEvent::Shutdown,
        &announcement(total, message.as_deref()),
    );
    for &left in ANNOUNCE_AT.iter().filter(|&&left| left < total) {
        tokio::time::sleep_until(end - Duration::from_secs(left)).await;
        ctx.chat.notice(
            NoticeEvent::Shutdown,
            &announcement(left, message.as_deref()),
        );
    }
    tokio::time::sleep_until(end).await;
    tracing::warn!("shutdown countdown over: stopping");
    ctx.stop_requested.cancel();
}
