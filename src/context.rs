//! What every connection task shares (the edges' bag of running services): configuration,
//! the chat core, moderation, the renderer, the gate, logs, metrics and the shutdown signal.
//! Only the edges (listeners, sessions, the admin socket, monitoring, the server) know it;
//! every service below is handed what it needs.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::chat::Chat;
use crate::config::{Config, ListenerKind};
use crate::gate::Gate;
use crate::logging::{escape_user_text, Audit, AuditEvent, AuditKind, AuthFailure};
use crate::metrics::{Format, Gauges, LogName, Metrics};
use crate::moderation::Moderation;
use crate::render::Renderer;
use crate::transport::Tls;
use crate::vocabulary::Refusal;

pub(crate) struct Context {
    pub(crate) config: Arc<Config>,
    pub(crate) chat: Arc<Chat>,
    pub(crate) moderation: Arc<Moderation>,
    /// The words and lines of every connection.
    pub(crate) renderer: Arc<Renderer>,
    pub(crate) gate: Arc<Gate>,
    /// The TLS transport, when a TLS port is configured.
    pub(crate) tls: Option<Arc<Tls>>,
    pub(crate) audit: Audit,
    pub(crate) auth_failures: AuthFailure,
    pub(crate) metrics: Arc<Metrics>,
    /// Cancelled when the server stops.
    pub(crate) shutdown: CancellationToken,
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

    /// Logs, audits and counts a connection refused before its session.
    pub(crate) fn record_refusal(
        &self,
        refusal: Refusal,
        addr: SocketAddr,
        listener: ListenerKind,
        error: Option<String>,
    ) {
        let reason = refusal.as_str();
        let detail = error
            .as_deref()
            .map(|e| format!(": {}", escape_user_text(e)))
            .unwrap_or_default();
        let listener_name = listener.as_str();
        if refusal.is_suspicious() {
            tracing::warn!(peer = %addr, listener = listener_name, reason, "refused connection{detail}");
        } else {
            tracing::info!(peer = %addr, listener = listener_name, reason, "refused connection{detail}");
        }
        let mut event = AuditEvent::new(AuditKind::Refused, addr, listener).with("reason", reason);
        if let Some(error) = error {
            event = event.with("error", error);
        }
        self.audit.record(event);
        self.metrics.refused(listener, refusal);
    }
}
