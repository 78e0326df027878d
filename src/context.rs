//! What every connection task shares: configuration, the chat core, the gate, logs,
//! metrics and the shutdown signal.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::chat::Chat;
use crate::config::Config;
use crate::gate::Gate;
use crate::logging::{Audit, AuthFailure};
use crate::metrics::{Gauges, Metrics};
use crate::transport::Tls;

pub(crate) struct Context {
    pub(crate) config: Arc<Config>,
    pub(crate) chat: Chat,
    pub(crate) gate: Arc<Gate>,
    /// The TLS transport, when a TLS port is configured.
    pub(crate) tls: Option<Arc<Tls>>,
    pub(crate) audit: Audit,
    pub(crate) auth_failures: AuthFailure,
    pub(crate) metrics: Metrics,
    /// Cancelled when the server stops.
    pub(crate) shutdown: CancellationToken,
    /// Cancelled when something inside the server (a `/shutdown` countdown) asks for the
    /// graceful stop; the process then stops as on SIGTERM.
    pub(crate) stop_requested: CancellationToken,
    /// The `/shutdown` countdown under way.
    pub(crate) countdown: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
}

impl Context {
    /// Every metric, in the Prometheus text format.
    pub(crate) fn render_metrics(&self) -> String {
        self.metrics.render(&Gauges {
            connections_open: self.gate.open_connections(),
            users_online: self.chat.online_count(),
            messages_stored: self.chat.messages_stored(),
            certificate_not_after: self.tls.as_ref().and_then(|tls| tls.not_after()),
        })
    }
}
