//! A connection's outbound side as the hub sees it: a bounded queue of encoded lines and a
//! way to ask the connection to close. A full queue means a slow consumer, never a wait.

use std::sync::atomic::{AtomicUsize, Ordering};
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

/// Bytes queued for one connection and not yet taken by its writer, against a ceiling: the
/// queue is bounded in bytes, not only in lines (a line can be tens of kilobytes).
#[derive(Debug)]
pub(crate) struct QueueBytes {
    queued: AtomicUsize,
    max: usize,
}

impl QueueBytes {
    pub(crate) fn new(max: usize) -> Arc<QueueBytes> {
        Arc::new(QueueBytes {
            queued: AtomicUsize::new(0),
            max,
        })
    }

    /// Reserves room for `len` bytes; false when that would pass the ceiling.
    fn reserve(&self, len: usize) -> bool {
        let before = self.queued.fetch_add(len, Ordering::AcqRel);
        if before + len > self.max {
            self.queued.fetch_sub(len, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// The writer took `len` bytes off the queue.
    pub(crate) fn release(&self, len: usize) {
        self.queued.fetch_sub(len, Ordering::AcqRel);
    }
}

/// Handle to push lines to one connection.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    queue: mpsc::Sender<Bytes>,
    bytes: Arc<QueueBytes>,
    closer: Arc<Closer>,
}

impl Outbound {
    pub(crate) fn new(
        queue: mpsc::Sender<Bytes>,
        bytes: Arc<QueueBytes>,
        closer: Arc<Closer>,
    ) -> Self {
        Outbound {
            queue,
            bytes,
            closer,
        }
    }

    /// Queues a line without waiting. Returns false when the line was not queued; if the
    /// queue was full (in lines or in bytes), the connection is closed as a slow consumer.
    pub(crate) fn push(&self, line: Bytes) -> bool {
        let len = line.len();
        if !self.bytes.reserve(len) {
            self.closer.close(CloseReason::SlowConsumer);
            return false;
        }
        match self.queue.try_send(line) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.bytes.release(len);
                self.closer.close(CloseReason::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.bytes.release(len);
                false
            }
        }
    }

    pub(crate) fn close(&self, reason: CloseReason) {
        self.closer.close(reason);
    }
}
