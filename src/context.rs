//! What every connection task shares: configuration, hub, store, gate, password hashing,
//! logs and the shutdown signal.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::gate::Gate;
use crate::hub::Hub;
use crate::logging::{Audit, AuthFailure};
use crate::metrics::{Gauges, Metrics};
use crate::password::Passwords;
use crate::store::Store;

pub struct Context {
    pub config: Arc<Config>,
    pub hub: Arc<Hub>,
    pub store: Store,
    pub gate: Arc<Gate>,
    pub passwords: Passwords,
    pub audit: Audit,
    pub auth_failures: AuthFailure,
    pub metrics: Metrics,
    /// Cancelled when the server stops.
    pub shutdown: CancellationToken,
}

impl Context {
    /// Every metric, in the Prometheus text format.
    pub fn render_metrics(&self) -> String {
        self.metrics.render(&Gauges {
            connections_open: self.gate.open_connections(),
            users_online: self.hub.online().len(),
            messages_stored: self.store.messages_stored(),
        })
    }
}
