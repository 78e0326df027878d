//! Counters for monitoring, rendered in the Prometheus text format by `classcord admin metrics`
//! (for node_exporter's textfile collector, or any scraper that can run a command).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Counters shared by every connection; cheap atomics on hot paths, labelled maps elsewhere.
pub(crate) struct Metrics {
    started: Instant,
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    registrations: AtomicU64,
    bad_input: AtomicU64,
    accepted: Mutex<BTreeMap<&'static str, u64>>,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    closed: Mutex<BTreeMap<&'static str, u64>>,
    ignored: Mutex<BTreeMap<&'static str, u64>>,
    moderation: Mutex<BTreeMap<&'static str, u64>>,
}

/// How a login attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginResult {
    Ok,
    Failed,
}

/// Values read elsewhere at render time.
pub(crate) struct Gauges {
    pub(crate) connections_open: usize,
    pub(crate) users_online: usize,
    pub(crate) messages_stored: u64,
    /// Unix time the TLS certificate in service expires, when TLS is on.
    pub(crate) certificate_not_after: Option<i64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            logins_ok: AtomicU64::new(0),
            logins_failed: AtomicU64::new(0),
            registrations: AtomicU64::new(0),
            bad_input: AtomicU64::new(0),
            accepted: Mutex::default(),
            refused: Mutex::default(),
            closed: Mutex::default(),
            ignored: Mutex::default(),
            moderation: Mutex::default(),
        }
    }
}

fn bump(map: &Mutex<BTreeMap<&'static str, u64>>, key: &'static str) {
    *map.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_insert(0) += 1;
}

impl Metrics {
    pub(crate) fn login(&self, result: LoginResult) {
        let counter = match result {
            LoginResult::Ok => &self.logins_ok,
            LoginResult::Failed => &self.logins_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn registration(&self) {
        self.registrations.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn bad_input(&self) {
        self.bad_input.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn accepted(&self, listener: &'static str) {
        bump(&self.accepted, listener);
    }

    pub(crate) fn refused(&self, reason: &'static str) {
        bump(&self.refused, reason);
    }

    pub(crate) fn closed(&self, reason: &'static str) {
        bump(&self.closed, reason);
    }

    /// A legacy client's request refused without an error line (the original was silent).
    pub(crate) fn ignored(&self, code: &'static str) {
        bump(&self.ignored, code);
    }

    /// A moderation action done (kick, mute, room create…).
    pub(crate) fn moderation(&self, action: &'static str) {
        bump(&self.moderation, action);
    }

    /// The Prometheus text exposition of every metric.
    pub(crate) fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        let mut single = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        single(
            "classcord_uptime_seconds",
            "gauge",
            "Seconds since the server started.",
            format!("{:.0}", self.started.elapsed().as_secs_f64()),
        );
        single(
            "classcord_connections_open",
            "gauge",
            "Connections currently open.",
            gauges.connections_open.to_string(),
        );
        single(
            "classcord_users_online",
            "gauge",
            "Identified connections (users and guests).",
            gauges.users_online.to_string(),
        );
        single(
            "classcord_messages_stored_total",
            "counter",
            "Messages committed to the database since start.",
            gauges.messages_stored.to_string(),
        );
        if let Some(not_after) = gauges.certificate_not_after {
            single(
                "classcord_certificate_expiry_timestamp_seconds",
                "gauge",
                "Unix time after which the TLS certificate in service expires.",
                not_after.to_string(),
            );
        }
        single(
            "classcord_registrations_total",
            "counter",
            "Accounts created.",
            self.registrations.load(Ordering::Relaxed).to_string(),
        );
        single(
            "classcord_bad_input_total",
            "counter",
            "Lines refused as malformed.",
            self.bad_input.load(Ordering::Relaxed).to_string(),
        );
        let _ = writeln!(
            out,
            "# HELP classcord_logins_total Login attempts by result.\n# TYPE classcord_logins_total counter\n\
             classcord_logins_total{{result=\"ok\"}} {}\nclasscord_logins_total{{result=\"failed\"}} {}",
            self.logins_ok.load(Ordering::Relaxed),
            self.logins_failed.load(Ordering::Relaxed)
        );
        for (name, label, help, map) in [
            (
                "classcord_connections_accepted_total",
                "listener",
                "Connections accepted by the gate.",
                &self.accepted,
            ),
            (
                "classcord_connections_refused_total",
                "reason",
                "Connections refused before the session.",
                &self.refused,
            ),
            (
                "classcord_connections_closed_total",
                "reason",
                "Connections ended, by reason.",
                &self.closed,
            ),
            (
                "classcord_legacy_requests_ignored_total",
                "code",
                "Legacy clients' requests refused silently, as the original server did.",
                &self.ignored,
            ),
            (
                "classcord_moderation_actions_total",
                "action",
                "Moderation actions done (from teachers' clients and the admin socket).",
                &self.moderation,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (key, value) in map.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                let _ = writeln!(out, "{name}{{{label}=\"{key}\"}} {value}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let metrics = Metrics::default();
        metrics.login(LoginResult::Ok);
        metrics.login(LoginResult::Failed);
        metrics.login(LoginResult::Failed);
        metrics.refused("not_allowed");
        let text = metrics.render(&Gauges {
            connections_open: 3,
            users_online: 2,
            messages_stored: 7,
            certificate_not_after: Some(1_900_000_000),
        });
        assert!(text.contains("classcord_certificate_expiry_timestamp_seconds 1900000000\n"));
        assert!(
            text.contains("classcord_logins_total{result=\"failed\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("classcord_connections_refused_total{reason=\"not_allowed\"} 1\n"));
        assert!(text.contains(
            "# TYPE classcord_messages_stored_total counter\nclasscord_messages_stored_total 7\n"
        ));
        assert!(
            text.lines()
                .all(|l| l.starts_with('#') || l.split(' ').count() == 2),
            "{text}"
        );
    }
}
