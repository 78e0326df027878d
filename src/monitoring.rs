//! The monitoring listener (`[metrics] listen`): `GET /metrics` (Prometheus text or
//! OpenMetrics, as the scraper asks), `GET /healthz` (the process answers) and
//! `GET /readyz` (accepting, and the database takes writes). HTTP is hyper's, routing
//! axum's; the gate's allowlist applies before a byte is read, and a few connections at
//! most are served at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::address::normalise;
use crate::config::ListenerKind;
use crate::context::Context;
use crate::fixed::{
    MONITORING_CONNECTIONS, MONITORING_PER_ADDRESS, MONITORING_RESERVED, READY_TIMEOUT,
};
use crate::metrics::Format;
use crate::vocabulary::Refusal;

const RETRY_ACCEPT: Duration = Duration::from_millis(100);

fn router(ctx: Arc<Context>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(ctx)
}

async fn metrics(State(ctx): State<Arc<Context>>, headers: HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok());
    let format = Format::negotiate(accept);
    (
        [(header::CONTENT_TYPE, format.content_type())],
        ctx.scrape(format).await,
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready while the server accepts connections and a write transaction on the database
/// commits in time.
async fn readyz(State(ctx): State<Arc<Context>>) -> (StatusCode, String) {
    if ctx.shutdown.is_cancelled() || ctx.moderation.is_stopping() {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping\n".into());
    }
    match tokio::time::timeout(READY_TIMEOUT, ctx.chat.probe_store()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n".into()),
        Ok(Err(error)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database not writable: {error}\n"),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "database not writable: no commit within {} s\n",
                READY_TIMEOUT.as_secs()
            ),
        ),
    }
}

/// The connections the listener serves at once: shared ones, at most a few per address,
/// and some kept for the configured scrapers.
struct Slots {
    shared: Arc<Semaphore>,
    reserved: Arc<Semaphore>,
    scrapers: Vec<ipnet::IpNet>,
    per_address: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
}

/// One connection's place, given back when dropped.
struct Slot {
    _permit: tokio::sync::OwnedSemaphorePermit,
    slots: Arc<Slots>,
    ip: std::net::IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut per_address = self.slots.lock();
        if let Some(count) = per_address.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                per_address.remove(&self.ip);
            }
        }
    }
}

impl Slots {
    fn new(scrapers: Vec<ipnet::IpNet>) -> Arc<Slots> {
        Arc::new(Slots {
            shared: Arc::new(Semaphore::new(MONITORING_CONNECTIONS)),
            reserved: Arc::new(Semaphore::new(MONITORING_RESERVED)),
            scrapers,
            per_address: Default::default(),
        })
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<std::net::IpAddr, usize>> {
        self.per_address
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn take(self: &Arc<Self>, ip: std::net::IpAddr) -> Result<Slot, Refusal> {
        let scraper = self.scrapers.iter().any(|net| net.contains(&ip));
        let mut per_address = self.lock();
        let count = per_address.entry(ip).or_insert(0);
        let bound = MONITORING_PER_ADDRESS + if scraper { MONITORING_RESERVED } else { 0 };
        if *count >= bound {
            return Err(Refusal::TooManyFromAddress);
        }
        let permit = if scraper {
            Arc::clone(&self.reserved)
                .try_acquire_owned()
                .or_else(|_| Arc::clone(&self.shared).try_acquire_owned())
        } else {
            Arc::clone(&self.shared).try_acquire_owned()
        };
        let permit = permit.map_err(|_| Refusal::ServerFull)?;
        *count += 1;
        Ok(Slot {
            _permit: permit,
            slots: Arc::clone(self),
            ip,
        })
    }
}

/// Serves until `stop`; connections under way finish their request.
pub(crate) async fn serve(
    listener: TcpListener,
    ctx: Arc<Context>,
    tracker: TaskTracker,
    stop: CancellationToken,
) {
    let router = router(Arc::clone(&ctx));
    let slots = Slots::new(ctx.config.metrics.scrapers.clone());
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::debug!(%error, "metrics listener: accept failed");
                tokio::time::sleep(RETRY_ACCEPT).await;
                continue;
            }
        };
        let peer = SocketAddr::new(normalise(peer.ip()), peer.port());
        if !ctx.gate.is_allowed(peer.ip()) {
            ctx.record_refusal(Refusal::NotAllowed, peer, ListenerKind::Metrics, None);
            continue;
        }
        let permit = match slots.take(peer.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                ctx.record_refusal(refusal, peer, ListenerKind::Metrics, None);
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        let stop = stop.clone();
        tracker.spawn(async move {
            let _permit = permit;
            let connection =
                crate::http1::connection_builder().serve_connection(TokioIo::new(tcp), service);
            let mut connection = std::pin::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = outcome {
                tracing::debug!(%peer, %error, "metrics connection ended with an error");
            }
        });
    }
}
