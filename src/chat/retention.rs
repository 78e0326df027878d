//! The retention period: messages older than `[storage] retention_days` leave the database
//! at start and then every hour, in batches between which chat goes on; expired session
//! tokens go at the same times.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::Chat;
use crate::fixed::{REMOVAL_BATCH, RETENTION_EVERY};
use crate::store::SessionWrite;
use crate::time_format::now_ms;

const DAY_MS: i64 = 24 * 3600 * 1000;

impl Chat {
    /// Removes the messages past the retention period now; how many went.
    pub(crate) async fn expire_old_messages(&self) -> Result<usize, crate::store::StoreError> {
        if self.retention_days == 0 {
            return Ok(0);
        }
        let before_ms = now_ms() - i64::from(self.retention_days) * DAY_MS;
        let removed = self.store.expire(before_ms, REMOVAL_BATCH).await?;
        self.messages_expired.inc_by(removed as u64);
        Ok(removed)
    }

    /// Applies the retention period at once, then every [`RETENTION_EVERY`] until `stop`.
    pub(crate) async fn keep_retention(self: Arc<Self>, stop: CancellationToken) {
        if self.retention_days == 0 {
            tracing::info!("retention_days = 0: messages are kept forever");
        }
        let mut ticks = tokio::time::interval(RETENTION_EVERY);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticks.tick() => {}
            }
            if let Err(error) = self.store.close_sessions(SessionWrite::Expire).await {
                tracing::warn!(%error, "retention: expired sessions not removed");
            }
            if self.retention_days == 0 {
                continue;
            }
            match self.expire_old_messages().await {
                Ok(0) => tracing::debug!("no message past the retention period"),
                Ok(removed) => tracing::info!(
                    removed,
                    retention_days = self.retention_days,
                    "messages past the retention period removed"
                ),
                Err(error) => tracing::warn!(%error, "retention: old messages not removed"),
            }
        }
    }
}
