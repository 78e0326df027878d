//! Why the server closed a connection from outside the connection's own task.

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
