//! What the server counts and measures. Counters and histograms live in one
//! `prometheus-client` registry and are updated on the way; values that already exist
//! elsewhere (open connections, users online, process figures) are read when a scrape
//! comes. Served by the HTTP listener (`http`) and printed by `classcord admin metrics`.

mod exposition;
mod labels;
mod process;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub(crate) use exposition::Format;
use labels::{
    ActionLabels, BuildLabels, CloseLabels, CodeLabels, ListenerLabels, LogLabels, LoginLabels,
    RateLimitLabels, RefusalLabels,
};
pub(crate) use labels::{LogName, LoginResult, RateLimit};

use crate::config::ListenerKind;
use crate::vocabulary::CloseReason;
use crate::vocabulary::Refusal;

/// Counters and histograms shared by every connection (cheap atomics on hot paths).
pub(crate) struct Metrics {
    registry: Registry,
    logins: Family<LoginLabels, Counter>,
    registrations: Counter,
    bad_input: Counter,
    accepted: Family<ListenerLabels, Counter>,
    sessions: Family<ListenerLabels, Gauge>,
    refused: Family<RefusalLabels, Counter>,
    closed: Family<CloseLabels, Counter>,
    ignored: Family<CodeLabels, Counter>,
    moderation: Family<ActionLabels, Counter>,
    rate_limited: Family<RateLimitLabels, Counter>,
    /// From a message's arrival to the commit of the transaction that holds it.
    pub(crate) commit_latency: Histogram,
    /// Handing one committed batch to every recipient's queue.
    pub(crate) fanout: Histogram,
    /// One argon2 hash or check, on a hashing thread.
    pub(crate) password_hash: Histogram,
    /// Messages removed because they passed the retention period.
    pub(crate) messages_expired: Counter,
    /// Messages removed by a teacher or an erasure.
    pub(crate) messages_removed: Counter,
}

/// One session in `classcord_sessions_open`, until dropped.
pub(crate) struct OpenSession(Gauge);

impl Drop for OpenSession {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Values read elsewhere when a scrape comes.
pub(crate) struct Gauges {
    pub(crate) connections_open: usize,
    pub(crate) users_online: usize,
    pub(crate) messages_stored: u64,
    /// Unix time the TLS certificate in service expires, when TLS is on.
    pub(crate) certificate_not_after: Option<i64>,
    /// Lines each log file dropped because its disk could not keep up.
    pub(crate) dropped_lines: [(LogName, u64); 2],
}

/// The commit the binary was built from (`build.rs`), or "unknown".
const COMMIT: &str = env!("CLASSCORD_COMMIT");

impl Default for Metrics {
    fn default() -> Self {
        let mut metrics = Metrics {
            logins: Family::default(),
            registrations: Counter::default(),
            bad_input: Counter::default(),
            accepted: Family::default(),
            sessions: Family::default(),
            refused: Family::default(),
            closed: Family::default(),
            ignored: Family::default(),
            moderation: Family::default(),
            rate_limited: Family::default(),
            // 100 µs to 3.3 s.
            commit_latency: Histogram::new(exponential_buckets(0.000_1, 2.0, 16)),
            // 10 µs to 0.33 s.
            fanout: Histogram::new(exponential_buckets(0.000_01, 2.0, 16)),
            // 5 ms to 2.6 s.
            password_hash: Histogram::new(exponential_buckets(0.005, 2.0, 10)),
            messages_expired: Counter::default(),
            messages_removed: Counter::default(),
            registry: Registry::default(),
        };
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                commit: COMMIT,
            })
            .set(1);
        // Names without the `_total` of counters: the encoder adds it.
        metrics.registry.register(
            "classcord_build_info",
            "The running version and the commit it was built from (always 1)",
            build,
        );
        metrics.registry.register(
            "classcord_logins",
            "Login attempts by result",
            metrics.logins.clone(),
        );
        metrics.registry.register(
            "classcord_registrations",
            "Accounts created",
            metrics.registrations.clone(),
        );
        metrics.registry.register(
            "classcord_bad_input",
            "Lines refused as malformed",
            metrics.bad_input.clone(),
        );
        metrics.registry.register(
            "classcord_connections_accepted",
            "Connections accepted by the gate, by listener",
            metrics.accepted.clone(),
        );
        metrics.registry.register(
            "classcord_sessions_open",
            "Connections past the gate and their handshake, by listener",
            metrics.sessions.clone(),
        );
        metrics.registry.register(
            "classcord_connections_refused",
            "Connections refused before their session, by listener and reason",
            metrics.refused.clone(),
        );
        metrics.registry.register(
            "classcord_connections_closed",
            "Connections ended, by reason (slow_consumer: it did not read what it was sent)",
            metrics.closed.clone(),
        );
        metrics.registry.register(
            "classcord_legacy_requests_ignored",
            "Legacy clients' requests refused silently, as the original server did",
            metrics.ignored.clone(),
        );
        metrics.registry.register(
            "classcord_moderation_actions",
            "Moderation actions done (from teachers' clients and the admin socket)",
            metrics.moderation.clone(),
        );
        metrics.registry.register(
            "classcord_rate_limited",
            "Requests and connections refused by a rate limit, by kind",
            metrics.rate_limited.clone(),
        );
        metrics.registry.register(
            "classcord_messages_expired",
            "Messages removed from the database because they passed [storage] retention_days",
            metrics.messages_expired.clone(),
        );
        metrics.registry.register(
            "classcord_messages_removed",
            "Messages removed from the database by a teacher (/delete, /purge) or an erasure",
            metrics.messages_removed.clone(),
        );
        metrics.registry.register(
            "classcord_commit_latency_seconds",
            "Time from a message's arrival to the commit of the transaction holding it",
            metrics.commit_latency.clone(),
        );
        metrics.registry.register(
            "classcord_fanout_seconds",
            "Time to hand one committed batch of messages to every recipient's queue",
            metrics.fanout.clone(),
        );
        metrics.registry.register(
            "classcord_password_hash_seconds",
            "Time of one argon2 password hash or check",
            metrics.password_hash.clone(),
        );
        metrics.registry.register(
            "process_start_time_seconds",
            "Unix time the process started",
            ConstGauge::new(unix_seconds(SystemTime::now())),
        );
        metrics.start_at_zero();
        metrics
    }
}

fn unix_seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs_f64()
}

impl Metrics {
    /// Creates the series every alert and dashboard reads, at 0: a rate over a series
    /// that appears with its first event would miss that event.
    fn start_at_zero(&self) {
        for result in [LoginResult::Ok, LoginResult::Failed] {
            let _ = self.logins.get_or_create(&LoginLabels { result });
        }
        for listener in [
            ListenerKind::Plain,
            ListenerKind::Tls,
            ListenerKind::Web,
            ListenerKind::WebTls,
        ] {
            let _ = self.accepted.get_or_create(&ListenerLabels { listener });
            let _ = self.sessions.get_or_create(&ListenerLabels { listener });
            for reason in Refusal::ALL {
                let _ = self
                    .refused
                    .get_or_create(&RefusalLabels { listener, reason });
            }
        }
        for kind in RateLimit::ALL {
            let _ = self.rate_limited.get_or_create(&RateLimitLabels { kind });
        }
        let _ = self.closed.get_or_create(&CloseLabels {
            reason: CloseReason::SlowConsumer.as_str(),
        });
    }

    pub(crate) fn login(&self, result: LoginResult) {
        self.logins.get_or_create(&LoginLabels { result }).inc();
    }

    pub(crate) fn registration(&self) {
        self.registrations.inc();
    }

    pub(crate) fn bad_input(&self) {
        self.bad_input.inc();
    }

    pub(crate) fn accepted(&self, listener: ListenerKind) {
        self.accepted
            .get_or_create(&ListenerLabels { listener })
            .inc();
    }

    /// Counts one session open on `listener` until the guard is dropped.
    pub(crate) fn session_open(&self, listener: ListenerKind) -> OpenSession {
        let gauge = self
            .sessions
            .get_or_create(&ListenerLabels { listener })
            .clone();
        gauge.inc();
        OpenSession(gauge)
    }

    pub(crate) fn refused(&self, listener: ListenerKind, reason: Refusal) {
        self.refused
            .get_or_create(&RefusalLabels { listener, reason })
            .inc();
        if reason == Refusal::ConnectionRate {
            self.rate_limited(RateLimit::Connections);
        }
    }

    pub(crate) fn closed(&self, reason: &'static str) {
        self.closed.get_or_create(&CloseLabels { reason }).inc();
    }

    /// A legacy client's request refused without an error line (the original was silent).
    pub(crate) fn ignored(&self, code: &'static str) {
        self.ignored.get_or_create(&CodeLabels { code }).inc();
    }

    /// A moderation action done (kick, mute, room create…).
    pub(crate) fn moderation(&self, action: &'static str) {
        self.moderation
            .get_or_create(&ActionLabels { action })
            .inc();
    }

    pub(crate) fn rate_limited(&self, kind: RateLimit) {
        self.rate_limited
            .get_or_create(&RateLimitLabels { kind })
            .inc();
    }

    /// Every metric in `format`: the registry, then the values read now.
    pub(crate) fn render(&self, gauges: &Gauges, format: Format) -> String {
        let mut open_metrics = String::new();
        let now = read_now(gauges);
        // Writing to a String cannot fail.
        let _ = encode_registry(&mut open_metrics, &self.registry)
            .and_then(|()| encode_registry(&mut open_metrics, &now))
            .and_then(|()| encode_eof(&mut open_metrics));
        format.convert_open_metrics(open_metrics)
    }
}

/// A registry of the values read at scrape time.
fn read_now(gauges: &Gauges) -> Registry {
    let mut registry = Registry::default();
    registry.register(
        "classcord_connections_open",
        "Connections currently open",
        ConstGauge::new(gauges.connections_open as i64),
    );
    registry.register(
        "classcord_users_online",
        "Identified connections (users and guests)",
        ConstGauge::new(gauges.users_online as i64),
    );
    registry.register(
        "classcord_messages_stored",
        "Messages committed to the database since start",
        ConstCounter::new(gauges.messages_stored),
    );
    if let Some(not_after) = gauges.certificate_not_after {
        registry.register(
            "classcord_certificate_expiry_timestamp_seconds",
            "Unix time after which the TLS certificate in service expires",
            ConstGauge::new(not_after),
        );
    }
    let dropped = Family::<LogLabels, Counter>::default();
    for (log, lines) in gauges.dropped_lines {
        dropped.get_or_create(&LogLabels { log }).inc_by(lines);
    }
    registry.register(
        "classcord_log_lines_dropped",
        "Lines the audit and authentication logs dropped because the disk was too slow \
         (fail2ban never saw the authentication ones)",
        dropped,
    );
    process::register(&mut registry);
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauges() -> Gauges {
        Gauges {
            connections_open: 3,
            users_online: 2,
            messages_stored: 7,
            certificate_not_after: Some(1_900_000_000),
            dropped_lines: [(LogName::Audit, 0), (LogName::Auth, 4)],
        }
    }

    #[test]
    fn renders_prometheus_text() {
        let metrics = Metrics::default();
        metrics.login(LoginResult::Ok);
        metrics.login(LoginResult::Failed);
        metrics.login(LoginResult::Failed);
        metrics.refused(ListenerKind::Tls, Refusal::NotAllowed);
        metrics.commit_latency.observe(0.002);
        let text = metrics.render(&gauges(), Format::Prometheus);
        assert!(text.contains("classcord_certificate_expiry_timestamp_seconds 1900000000\n"));
        assert!(
            text.contains("classcord_logins_total{result=\"failed\"} 2\n"),
            "{text}"
        );
        assert!(text.contains(
            "classcord_connections_refused_total{listener=\"tls\",reason=\"not_allowed\"} 1\n"
        ));
        assert!(text.contains(
            "# TYPE classcord_messages_stored_total counter\nclasscord_messages_stored_total 7\n"
        ));
        assert!(text.contains("classcord_log_lines_dropped_total{log=\"auth\"} 4\n"));
        assert!(text.contains("classcord_commit_latency_seconds_count 1\n"));
        assert!(text.contains(&format!(
            "classcord_build_info{{version=\"{}\",commit=\"{COMMIT}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        )));
        assert!(!text.contains("# EOF"), "{text}");
    }

    #[test]
    fn renders_open_metrics() {
        let metrics = Metrics::default();
        metrics.registration();
        let text = metrics.render(&gauges(), Format::OpenMetrics);
        assert!(text
            .contains("# TYPE classcord_registrations counter\nclasscord_registrations_total 1\n"));
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
