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
use crate::fixed::{MONITORING_CONNECTIONS, READY_TIMEOUT};
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

/// Serves until `stop`; connections under way finish their request.
pub(crate) async fn serve(
    listener: TcpListener,
    ctx: Arc<Context>,
    tracker: TaskTracker,
    stop: CancellationToken,
) {
    let router = router(Arc::clone(&ctx));
    let permits = Arc::new(Semaphore::new(MONITORING_CONNECTIONS));
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
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            ctx.record_refusal(Refusal::ServerFull, peer, ListenerKind::Metrics, None);
            continue;
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
