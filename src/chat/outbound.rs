//! A connection's outbound side as the hub sees it: a queue of encoded lines bounded in
//! bytes and judged by progress, and a way to ask the connection to close. A consumer that
//! stopped reading is closed, never waited for.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::vocabulary::CloseReason;

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
/// writer has made no progress for the stall time; over the hard ceiling, or past the most
/// lines, at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueueLimits {
    pub(crate) lines: usize,
    pub(crate) presence_bytes: usize,
    pub(crate) soft_bytes: usize,
    pub(crate) hard_bytes: usize,
    pub(crate) stall: Duration,
}

/// Slots a queue keeps allocated when its connection goes idle (each holds one `Bytes`).
const IDLE_SLOTS: usize = 8;

/// The lines waiting for one connection's writer, shared by everyone who sends it something
/// and by the writer, which takes them all at once.
///
/// A mutex around a `VecDeque` rather than a channel: tokio's bounded channel keeps the
/// 1 KiB blocks a burst allocated (measured: 3.4 KiB per idle legacy connection after a join
/// storm), while this queue gives its slots back when the connection goes idle, and the
/// writer empties it with one lock instead of one receive per line.
#[derive(Debug)]
pub(crate) struct LineQueue {
    state: Mutex<QueueState>,
    /// Woken when lines arrive in an empty queue, or when the queue is finished.
    arrived: Notify,
    limits: QueueLimits,
}

#[derive(Debug, Default)]
struct QueueState {
    lines: VecDeque<Bytes>,
    /// Bytes of `lines`.
    bytes: usize,
    /// No more lines are accepted: the connection ended or its writer stopped.
    finished: bool,
    /// Since when the queue has been over its soft budget, judged from the writer's progress.
    over_since: Option<Instant>,
    /// When the writer last handed bytes to the socket (noted only while over budget).
    progress: Option<Instant>,
}

/// Whether a line may be dropped for a lagging client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Droppable {
    /// Presence: the client's next `users` answer corrects what it missed.
    Yes,
    /// Chat messages and replies: never dropped.
    No,
}

/// What became of one more line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offered {
    Queued,
    Dropped,
    /// The client does not read what it is sent: it must be closed.
    TooSlow,
    /// The connection is ending.
    Finished,
}

impl LineQueue {
    pub(crate) fn new(limits: QueueLimits) -> Arc<LineQueue> {
        Arc::new(LineQueue {
            state: Mutex::default(),
            arrived: Notify::new(),
            limits,
        })
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `line` unless the limits say otherwise.
    fn offer(&self, line: Bytes, droppable: Droppable) -> Offered {
        let mut state = self.lock();
        if state.finished {
            return Offered::Finished;
        }
        let total = state.bytes + line.len();
        if total > self.limits.hard_bytes || state.lines.len() >= self.limits.lines {
            return Offered::TooSlow;
        }
        if droppable == Droppable::Yes && total > self.limits.presence_bytes {
            return Offered::Dropped;
        }
        if total <= self.limits.soft_bytes {
            state.over_since = None;
        } else if state.stalled(self.limits.stall) {
            return Offered::TooSlow;
        }
        state.bytes = total;
        state.lines.push_back(line);
        let first = state.lines.len() == 1;
        drop(state);
        if first {
            self.arrived.notify_one();
        }
        Offered::Queued
    }

    /// Waits for lines and moves them all into `batch` (empty on entry). Returns false once
    /// the queue is finished and empty: the writer's work is done.
    pub(crate) async fn take_all(&self, batch: &mut VecDeque<Bytes>) -> bool {
        loop {
            {
                let mut state = self.lock();
                if !state.lines.is_empty() {
                    std::mem::swap(&mut state.lines, batch);
                    state.bytes = 0;
                    return true;
                }
                if state.finished {
                    return false;
                }
            }
            self.arrived.notified().await;
        }
    }

    /// The writer handed bytes to the socket. Progress only matters once the queue went
    /// over its soft budget, so the clock is read only then. When nothing is waiting any
    /// more, the writer's `batch` and the queue give back what a burst made them grow.
    pub(crate) fn progressed(&self, batch: &mut VecDeque<Bytes>) {
        let mut state = self.lock();
        if state.over_since.is_some() {
            state.progress = Some(Instant::now());
        }
        if state.lines.is_empty() {
            state.lines.shrink_to(IDLE_SLOTS);
            batch.shrink_to(IDLE_SLOTS);
        }
    }

    /// No more lines will be accepted; the writer ends once it has written what is queued.
    pub(crate) fn finish(&self) {
        self.lock().finished = true;
        self.arrived.notify_one();
    }

    /// The writer stopped: nothing more is accepted, and what waits is dropped now rather
    /// than when the last handle to the connection goes.
    pub(crate) fn writer_stopped(&self) {
        let mut state = self.lock();
        state.finished = true;
        state.lines = VecDeque::new();
        state.bytes = 0;
    }
}

impl QueueState {
    /// Over the soft budget with no write progress for the stall time.
    fn stalled(&mut self, stall: Duration) -> bool {
        let now = Instant::now();
        let over_since = *self.over_since.get_or_insert(now);
        match self.progress {
            Some(progress) if progress > over_since => {
                // It is draining: judge the next stretch from its last progress.
                self.over_since = Some(progress);
                false
            }
            _ => now.duration_since(over_since) >= stall,
        }
    }
}

/// Handle to push lines to one connection.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    queue: Arc<LineQueue>,
    closer: Arc<Closer>,
}

impl Outbound {
    pub(crate) fn new(queue: Arc<LineQueue>, closer: Arc<Closer>) -> Self {
        Outbound { queue, closer }
    }

    /// Queues a chat message or a reply without waiting; it is never dropped. Returns false
    /// when it was not queued: the connection is ending, or it is closed now as a slow
    /// consumer (over the hard ceiling, or over budget without progress for the stall time).
    pub(crate) fn push(&self, line: Bytes) -> bool {
        self.offer(line, Droppable::No)
    }

    /// Queues a presence line, or drops it when the client lags (over its soft budget).
    pub(crate) fn push_presence(&self, line: Bytes) -> bool {
        self.offer(line, Droppable::Yes)
    }

    fn offer(&self, line: Bytes, droppable: Droppable) -> bool {
        match self.queue.offer(line, droppable) {
            Offered::Queued => true,
            Offered::TooSlow => {
                self.closer.close(CloseReason::SlowConsumer);
                false
            }
            Offered::Dropped | Offered::Finished => false,
        }
    }

    pub(crate) fn close(&self, reason: CloseReason) {
        self.closer.close(reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbound(limits: QueueLimits) -> (Outbound, Arc<LineQueue>, Arc<Closer>) {
        let queue = LineQueue::new(limits);
        let closer = Arc::new(Closer::default());
        let outbound = Outbound::new(Arc::clone(&queue), Arc::clone(&closer));
        (outbound, queue, closer)
    }

    const LIMITS: QueueLimits = QueueLimits {
        lines: 100,
        presence_bytes: 500,
        soft_bytes: 1000,
        hard_bytes: 5000,
        stall: Duration::from_secs(10),
    };

    #[tokio::test(start_paused = true)]
    async fn a_burst_over_budget_is_kept_while_the_client_drains() {
        let (outbound, queue, closer) = outbound(LIMITS);
        let line = Bytes::from(vec![b'x'; 400]);
        for _ in 0..5 {
            assert!(outbound.push(line.clone()));
        }
        // Past the presence budget presence is dropped; chat is kept even over the soft one.
        assert!(!outbound.push_presence(Bytes::from_static(b"status\n")));
        assert!(closer.reason().is_none());
        // A writer stuck for 9 s in one write, then done: the queue refilled over budget
        // meanwhile, and the client is judged from that progress, not from the first line.
        let mut batch = VecDeque::new();
        assert!(queue.take_all(&mut batch).await);
        for _ in 0..3 {
            assert!(outbound.push(line.clone()));
            tokio::time::advance(Duration::from_secs(9)).await;
            queue.progressed(&mut batch);
            assert!(outbound.push(line.clone()), "a draining client is cut");
        }
        assert!(closer.reason().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn no_progress_for_the_stall_time_closes() {
        let (outbound, _queue, closer) = outbound(LIMITS);
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
        let (outbound, _queue, closer) = outbound(LIMITS);
        let line = Bytes::from(vec![b'x'; 2000]);
        assert!(outbound.push(line.clone()));
        assert!(outbound.push(line.clone()));
        assert!(!outbound.push(line));
        assert_eq!(closer.reason(), Some(CloseReason::SlowConsumer));
    }

    #[tokio::test(start_paused = true)]
    async fn too_many_lines_close_at_once() {
        let (outbound, _queue, closer) = outbound(LIMITS);
        for _ in 0..LIMITS.lines {
            assert!(outbound.push(Bytes::from_static(b"{}\n")));
        }
        assert!(!outbound.push(Bytes::from_static(b"{}\n")));
        assert_eq!(closer.reason(), Some(CloseReason::SlowConsumer));
    }

    #[tokio::test]
    async fn the_writer_gets_every_line_in_order_then_ends_when_finished() {
        let (outbound, queue, closer) = outbound(LIMITS);
        let writer = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                let mut written = Vec::new();
                let mut batch = VecDeque::new();
                while queue.take_all(&mut batch).await {
                    written.extend(batch.drain(..));
                    queue.progressed(&mut batch);
                    tokio::task::yield_now().await;
                }
                written
            }
        });
        let lines: Vec<Bytes> = (0..50).map(|i| Bytes::from(format!("{i}\n"))).collect();
        for line in &lines {
            assert!(outbound.push(line.clone()));
            if line.len() % 2 == 0 {
                tokio::task::yield_now().await;
            }
        }
        queue.finish();
        // Once finished, nothing more is taken, and the client is not blamed for it.
        assert!(!outbound.push(Bytes::from_static(b"late\n")));
        assert_eq!(writer.await.unwrap(), lines);
        assert!(closer.reason().is_none());
    }

    #[tokio::test]
    async fn a_stopped_writer_lets_go_of_what_waits_and_takes_nothing_more() {
        let (outbound, queue, closer) = outbound(LIMITS);
        assert!(outbound.push(Bytes::from_static(b"{}\n")));
        queue.writer_stopped();
        assert!(queue.lock().lines.is_empty());
        assert!(!outbound.push(Bytes::from_static(b"{}\n")));
        assert!(!queue.take_all(&mut VecDeque::new()).await);
        assert!(closer.reason().is_none());
    }

    #[tokio::test]
    async fn an_idle_queue_gives_back_what_a_burst_made_it_grow() {
        let (outbound, queue, _closer) = outbound(LIMITS);
        for _ in 0..LIMITS.lines {
            assert!(outbound.push(Bytes::from_static(b"{}\n")));
        }
        let mut batch = VecDeque::new();
        assert!(queue.take_all(&mut batch).await);
        assert_eq!(batch.len(), LIMITS.lines);
        assert!(outbound.push(Bytes::from_static(b"{}\n")));
        batch.clear();
        queue.progressed(&mut batch);
        assert!(
            batch.capacity() >= LIMITS.lines,
            "shrunk with a line waiting"
        );
        assert!(queue.take_all(&mut batch).await);
        assert_eq!(batch.len(), 1);
        batch.clear();
        queue.progressed(&mut batch);
        assert!(batch.capacity() <= IDLE_SLOTS, "{}", batch.capacity());
        assert!(queue.lock().lines.capacity() <= IDLE_SLOTS);
    }
}
