//! Limits that are deliberately not configuration keys, each with why it is fixed. Anything
//! a school may want to tune is in `config.rs` instead.

use std::time::Duration;

/// Most messages one `history` request returns: a page is one reply line, bounded by
/// `limits.max_reply_bytes` anyway; more would only cost a longer database read.
pub(crate) const MAX_HISTORY: u32 = 500;

/// Most bytes one admin connection may send: a class-list import is one request carrying
/// every new account's name and password hash (about 200 bytes each: 20,000 accounts fit);
/// only root and the service user can write to the socket, so this only bounds a mistake.
pub(crate) const MAX_ADMIN_REQUEST_BYTES: u64 = 4 * 1024 * 1024;

/// Connections the monitoring listener serves at once: Prometheus keeps one open and an
/// administrator's curl is another; past that, a caller is refused rather than queued.
pub(crate) const MONITORING_CONNECTIONS: usize = 16;

/// Longest wait for the database writer to answer a readiness probe: a writer that takes
/// longer is behind, and `/readyz` says so instead of hanging the probe.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(2);
