//! Gives memory back to the system after a load peak. glibc keeps what a burst of
//! connections freed in its per-thread arenas (measured: 273 of 345 MiB still resident 30 s
//! after 5,000 legacy guests left); when the number of open connections has fallen well
//! below its peak since the last look, a blocking task asks glibc to trim its arenas.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::gate::Gate;

/// How often the number of open connections is looked at.
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// Connections that must have closed since the peak before memory is trimmed.
const CLOSED_BEFORE_TRIM: usize = 500;

/// Runs until `stop`: trims after every fall of [`CLOSED_BEFORE_TRIM`] connections from a peak.
pub(crate) async fn trim_after_peaks(gate: Arc<Gate>, stop: CancellationToken) {
    let mut peak = 0usize;
    let mut ticker = tokio::time::interval(LOOK_EVERY);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let open = gate.open_connections();
        peak = peak.max(open);
        if peak - open >= CLOSED_BEFORE_TRIM {
            peak = open;
            let started = std::time::Instant::now();
            let _ = tokio::task::spawn_blocking(trim).await;
            tracing::debug!(took = ?started.elapsed(), open, "memory returned to the system");
        }
    }
}

#[cfg(target_env = "gnu")]
fn trim() {
    // SAFETY: malloc_trim only releases free memory of glibc's arenas; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(target_env = "gnu"))]
fn trim() {}
