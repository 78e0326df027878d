//! A connection's outbound side as the hub sees it: a bounded queue of encoded lines and a
//! way to ask the connection to close. A full queue means a slow consumer, never a wait.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Why the server closed a connection from outside its own task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// Its outbound queue filled up: it does not read what it is sent.
    SlowConsumer,
    /// The same account logged in on another connection.
    Replaced,
    /// It kept sending over the message rate limit.
    Flooding,
    /// An administrator closed it (kick or ban).
    Kicked,
}

impl CloseReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CloseReason::SlowConsumer => "slow_consumer",
            CloseReason::Replaced => "replaced",
            CloseReason::Flooding => "flooding",
            CloseReason::Kicked => "kicked",
        }
    }
}

/// Shared between a connection's task and everyone who may close it.
#[derive(Debug, Default)]
pub(crate) struct Closer {
    token: CancellationToken,
    reason: OnceLock<CloseReason>,
}

impl Closer {
    pub(crate) fn close(&self, reason: CloseReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    pub(crate) fn reason(&self) -> Option<CloseReason> {
        self.reason.get().copied()
    }

    pub(crate) async fn closed(&self) {
        self.token.cancelled().await
    }
}

/// Handle to push lines to one connection.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    queue: mpsc::Sender<Bytes>,
    closer: Arc<Closer>,
}

impl Outbound {
    pub(crate) fn new(queue: mpsc::Sender<Bytes>, closer: Arc<Closer>) -> Self {
        Outbound { queue, closer }
    }

    /// Queues a line without waiting. Returns false when the line was not queued; if the
    /// queue was full, the connection is closed as a slow consumer.
    pub(crate) fn push(&self, line: Bytes) -> bool {
        match self.queue.try_send(line) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.closer.close(CloseReason::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    pub(crate) fn close(&self, reason: CloseReason) {
        self.closer.close(reason);
    }
}
