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

/// Monitoring connections one address may hold: no allowed machine can take them all and
/// blind the scrapes.
pub(crate) const MONITORING_PER_ADDRESS: usize = 4;

/// Monitoring connections kept for the addresses of `[metrics] scrapers` (Prometheus),
/// beside the shared ones: whatever others hold, the scrape goes through.
pub(crate) const MONITORING_RESERVED: usize = 2;

/// Longest wait for the database writer to answer a readiness probe: a writer that takes
/// longer is behind, and `/readyz` says so instead of hanging the probe.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The most private conversations a `conversations` reply lists (a page shows them after a
/// reload; older ones come back when someone writes again).
pub(crate) const MAX_CONVERSATIONS: u32 = 50;

/// How often messages past `[storage] retention_days` are looked for: a message is then kept
/// at most an hour longer than the period, and a pass that finds nothing costs one read.
pub(crate) const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// Messages removed by one operation of the store's writer when the retention period or an
/// erasure removes many: each batch is a few milliseconds of the writer's time, and chat
/// messages are committed between two batches.
pub(crate) const REMOVAL_BATCH: usize = 1000;

/// Reports one person may file in a row, and how often they get one back: enough for a pupil
/// who reports everything that hurt them in a bad moment, not for drowning the teachers.
pub(crate) const REPORT_BURST: u32 = 5;
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(120);

/// Reports `/signalements` shows (the newest): a teacher's window, not an archive
/// (`classcord admin reports --limit` reads further back).
pub(crate) const REPORTS_LISTED: u32 = 20;

/// How long after a connection was closed for flooding its address's new connections start
/// without a burst: a flood that reconnects at once gets the sustained rate only.
pub(crate) const FLOOD_COOLDOWN: Duration = Duration::from_secs(60);

/// Connections of its address's budget a flood closure costs (`[gate]
/// connections_per_ip_per_minute` refills them): a few closures and the flooder reconnects
/// slowly, while the address's other connections go on.
pub(crate) const FLOOD_RECONNECT_COST: u32 = 20;
