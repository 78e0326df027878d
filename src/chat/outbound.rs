//! A connection's outbound side as the hub sees it: a queue of encoded lines bounded in
//! bytes and judged by progress, and a way to ask the connection to close. A consumer that
//! stopped reading is closed, never waited for.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;
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

/// What a connection may have queued, and how it is judged: a client that keeps reading is
/// never cut for one burst. Past the presence budget, presence lines are dropped for it (its
/// next `users` answer is authoritative); over the soft budget it is closed only if its
/// writer has made no progress for the stall time; over the hard ceiling, at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueueLimits {
    pub(crate) presence_bytes: usize,
    pub(crate) soft_bytes: usize,
    pub(crate) hard_bytes: usize,
    pub(crate) stall: Duration,
}

/// Bytes queued for one connection and not yet taken by its writer, and the writer's last
/// progress, shared by the connection's producers and its writer.
#[derive(Debug)]
pub(crate) struct QueueBytes {
    queued: AtomicUsize,
    limits: QueueLimits,
    /// Time base of the two instants below (milliseconds since it; 0 means "never").
    epoch: Instant,
    over_since_ms: AtomicU64,
    progress_ms: AtomicU64,
}

/// Whether a line may be dropped for a lagging client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Droppable {
    /// Presence: the client's next `users` answer corrects what it missed.
    Yes,
    /// Chat messages and replies: never dropped.
    No,
}

/// What to do with one more line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Queue,
    Drop,
    Close,
}

impl QueueBytes {
    pub(crate) fn new(limits: QueueLimits) -> Arc<QueueBytes> {
        Arc::new(QueueBytes {
            queued: AtomicUsize::new(0),
            limits,
            epoch: Instant::now(),
            over_since_ms: AtomicU64::new(0),
            progress_ms: AtomicU64::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        // At least 1: 0 means "never".
        (self.epoch.elapsed().as_millis() as u64).max(1)
    }

    /// Decides about `len` more bytes and, when they may be queued, counts them.
    fn admit(&self, len: usize, droppable: Droppable) -> Verdict {
        let total = self.queued.fetch_add(len, Ordering::AcqRel) + len;
        let verdict = if total > self.limits.hard_bytes {
            Verdict::Close
        } else if droppable == Droppable::Yes && total > self.limits.presence_bytes {
            Verdict::Drop
        } else if total <= self.limits.soft_bytes {
            self.over_since_ms.store(0, Ordering::Relaxed);
            Verdict::Queue
        } else if self.stalled() {
            Verdict::Close
        } else {
            Verdict::Queue
        };
        if verdict != Verdict::Queue {
            self.queued.fetch_sub(len, Ordering::AcqRel);
        }
        verdict
    }

    /// Over the soft budget with no write progress for the stall time.
    fn stalled(&self) -> bool {
        let now = self.now_ms();
        let over_since = match self.over_since_ms.load(Ordering::Relaxed) {
            0 => {
                self.over_since_ms.store(now, Ordering::Relaxed);
                now
            }
            since => since,
        };
        let progress = self.progress_ms.load(Ordering::Relaxed);
        if progress > over_since {
            // It is draining: judge the next stretch from its last progress.
            self.over_since_ms.store(progress, Ordering::Relaxed);
            return false;
        }
        now.saturating_sub(over_since) >= self.limits.stall.as_millis() as u64
    }

    /// The writer took `len` bytes off the queue.
    pub(crate) fn release(&self, len: usize) {
        self.queued.fetch_sub(len, Ordering::AcqRel);
    }

    /// The writer handed bytes to the socket. Progress only matters once the queue went
    /// over its soft budget, so the clock is read only then.
    pub(crate) fn progressed(&self) {
        if self.over_since_ms.load(Ordering::Relaxed) != 0 {
            self.progress_ms.store(self.now_ms(), Ordering::Relaxed);
        }
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

    /// Queues a chat message or a reply without waiting; it is never dropped. Returns false
    /// when it was not queued: the connection is gone, or it is closed now as a slow consumer
    /// (over the hard ceiling, or over budget without progress for the stall time).
    pub(crate) fn push(&self, line: Bytes) -> bool {
        self.offer(line, Droppable::No)
    }

    /// Queues a presence line, or drops it when the client lags (over its soft budget).
    pub(crate) fn push_presence(&self, line: Bytes) -> bool {
        self.offer(line, Droppable::Yes)
    }

    fn offer(&self, line: Bytes, droppable: Droppable) -> bool {
        let len = line.len();
        match self.bytes.admit(len, droppable) {
            Verdict::Drop => return false,
            Verdict::Close => {
                self.closer.close(CloseReason::SlowConsumer);
                return false;
            }
            Verdict::Queue => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn outbound(
        limits: QueueLimits,
    ) -> (
        Outbound,
        Arc<QueueBytes>,
        Arc<Closer>,
        mpsc::Receiver<Bytes>,
    ) {
        let (queue, receiver) = mpsc::channel(10_000);
        let bytes = QueueBytes::new(limits);
        let closer = Arc::new(Closer::default());
        let outbound = Outbound::new(queue, Arc::clone(&bytes), Arc::clone(&closer));
        (outbound, bytes, closer, receiver)
    }

    const LIMITS: QueueLimits = QueueLimits {
        presence_bytes: 500,
        soft_bytes: 1000,
        hard_bytes: 5000,
        stall: Duration::from_secs(10),
    };

    #[tokio::test(start_paused = true)]
    async fn a_burst_over_budget_is_kept_while_the_client_drains() {
        let (outbound, bytes, closer, _queue) = outbound(LIMITS);
        let line = Bytes::from(vec![b'x'; 400]);
        for _ in 0..5 {
            assert!(outbound.push(line.clone()));
        }
        // Past the presence budget presence is dropped; chat is kept even over the soft one.
        assert!(!outbound.push_presence(Bytes::from_static(b"status\n")));
        assert!(closer.reason().is_none());
        for _ in 0..3 {
            tokio::time::advance(Duration::from_secs(6)).await;
            bytes.progressed();
            bytes.release(400);
            assert!(outbound.push(line.clone()), "a draining client is cut");
        }
        assert!(closer.reason().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn no_progress_for_the_stall_time_closes() {
        let (outbound, _bytes, closer, _queue) = outbound(LIMITS);
        let line = Bytes::from(vec![b'x'; 400]);
        for _ in 0..3 {
            assert!(outbound.push(line.clone()));
        }
        tokio::time::advance(Duration::from_secs(9)).await;
        assert!(outbound.push(line.clone()));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!outbound.push(line.clone()));
        assert_eq!(closer.reason(), Some(CloseReason::SlowConsumer));
    }

    #[tokio::test(start_paused = true)]
    async fn the_hard_ceiling_closes_at_once() {
        let (outbound, _bytes, closer, _queue) = outbound(LIMITS);
        let line = Bytes::from(vec![b'x'; 2000]);
        assert!(outbound.push(line.clone()));
        assert!(outbound.push(line.clone()));
        assert!(!outbound.push(line));
        assert_eq!(closer.reason(), Some(CloseReason::SlowConsumer));
    }
}
