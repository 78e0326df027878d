//! What every connection task shares: configuration, the chat core, the gate, logs,
//! metrics and the shutdown signal.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::chat::Chat;
use crate::config::Config;
use crate::gate::Gate;
use crate::logging::{Audit, AuthFailure};
use crate::metrics::{Format, Gauges, LogName, Metrics};
use crate::transport::Tls;

pub(crate) struct Context {
    pub(crate) config: Arc<Config>,
    pub(crate) chat: Chat,
    pub(crate) gate: Arc<Gate>,
    /// The TLS transport, when a TLS port is configured.
    pub(crate) tls: Option<Arc<Tls>>,
    pub(crate) audit: Audit,
    pub(crate) auth_failures: AuthFailure,
    pub(crate) metrics: Arc<Metrics>,
    /// Cancelled when the server stops.
    pub(crate) shutdown: CancellationToken,
    /// Cancelled when something inside the server (a `/shutdown` countdown) asks for the
    /// graceful stop; the process then stops as on SIGTERM.
    pub(crate) stop_requested: CancellationToken,
    /// The `/shutdown` countdown under way.
    pub(crate) countdown: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
}

impl Context {
    /// Every metric, in `format`, read off the async threads (the process figures come from
    /// `/proc`, whose file-descriptor directory holds one entry per connection).
    pub(crate) async fn scrape(self: &Arc<Self>, format: Format) -> String {
        let ctx = Arc::clone(self);
        tokio::task::spawn_blocking(move || ctx.render_metrics(format))
            .await
            .unwrap_or_default()
    }

    /// Every metric, in `format`.
    pub(crate) fn render_metrics(&self, format: Format) -> String {
        self.metrics.render(
            &Gauges {
                connections_open: self.gate.open_connections(),
                users_online: self.chat.online_count(),
                messages_stored: self.chat.messages_stored(),
                certificate_not_after: self.tls.as_ref().and_then(|tls| tls.not_after()),
                dropped_lines: [
                    (LogName::Audit, self.audit.dropped_lines()),
                    (LogName::Auth, self.auth_failures.dropped_lines()),
                ],
            },
            format,
        )
    }
}
