//! Starting and stopping a whole server: store, hub, gate, logs and listeners, and the
//! graceful shutdown path (stop accepting, tell users, close, flush the store).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::context::Context;
use crate::gate::Gate;
use crate::hub::{Hub, HubSettings};
use crate::listener::accept_loop;
use crate::logging::{Audit, AuthFailure, LineFile};
use crate::password::Passwords;
use crate::store::{Store, StoreOptions, StoreWriterThread};
use crate::transport::{Plain, Transport};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open log file {path}: {source}")]
    LogFile {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
}

/// Notice sent to everyone when the server stops.
const SHUTDOWN_NOTICE: &str = "Le serveur s'arrête. / The server is shutting down.";

/// A started server. Dropping it does not stop it: call [`RunningServer::shutdown`].
pub struct RunningServer {
    ctx: Arc<Context>,
    plain_addrs: Vec<SocketAddr>,
    stop_accepting: CancellationToken,
    tracker: TaskTracker,
    store_thread: StoreWriterThread,
}

impl RunningServer {
    /// Opens everything and starts accepting. Logs the bound addresses.
    pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
        let config = Arc::new(config);
        let hub = Arc::new(Hub::new(HubSettings {
            notice_sender: config.server.notice_sender.clone(),
            default_channel: config.server.default_channel.clone(),
        }));
        let options = StoreOptions {
            path: config.storage.database.clone(),
            synchronous: config.storage.synchronous,
            max_batch: config.storage.max_batch,
            queue: config.storage.write_queue,
        };
        let (store, store_thread) = Store::open(&options, Arc::clone(&hub) as _)?;
        hub.preload(
            store.registered_name_keys().await?,
            store.channel_names().await?,
        );
        tracing::info!(database = %config.storage.database.display(), "database ready");

        let ctx = Arc::new(Context {
            hub,
            store,
            gate: Arc::new(Gate::new(&config.gate)),
            passwords: Passwords::new(config.limits.max_concurrent_hashes).await?,
            audit: Audit::new(open_log(&config.logging.audit_file)?),
            auth_failures: AuthFailure::new(open_log(&config.logging.auth_file)?),
            shutdown: CancellationToken::new(),
            config: Arc::clone(&config),
        });
        let stop_accepting = CancellationToken::new();
        let tracker = TaskTracker::new();
        let mut plain_addrs = Vec::new();
        for addr in &config.listen.plain {
            let listener = bind(*addr).await?;
            let local = listener.local_addr().map_err(|source| ServerError::Bind {
                addr: *addr,
                source,
            })?;
            plain_addrs.push(local);
            spawn_listener(listener, Plain, &ctx, &tracker, &stop_accepting);
        }
        tokio::spawn(shrink_gate_periodically(
            Arc::clone(&ctx.gate),
            stop_accepting.clone(),
        ));
        Ok(RunningServer {
            ctx,
            plain_addrs,
            stop_accepting,
            tracker,
            store_thread,
        })
    }

    /// Addresses the plain listeners are bound to (useful with port 0).
    pub fn plain_addrs(&self) -> &[SocketAddr] {
        &self.plain_addrs
    }

    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// Stops accepting, tells connected users, closes every connection and flushes the store.
    pub async fn shutdown(self) {
        tracing::info!("shutting down");
        self.stop_accepting.cancel();
        self.ctx.hub.begin_shutdown();
        self.ctx.hub.notice("shutdown", SHUTDOWN_NOTICE);
        self.ctx.shutdown.cancel();
        self.tracker.close();
        let grace = Duration::from_secs(self.ctx.config.server.shutdown_grace_secs + 3);
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        if let Err(error) = self.ctx.store.flush().await {
            tracing::error!(%error, "final store flush failed");
        }
        self.ctx.audit.flush();
        self.ctx.auth_failures.flush();
        match Arc::try_unwrap(self.ctx) {
            Ok(ctx) => {
                drop(ctx);
                let thread = self.store_thread;
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            Err(_) => tracing::debug!("connections still hold the store; it was flushed"),
        }
        tracing::info!("stopped");
    }
}

fn spawn_listener<T: Transport>(
    listener: TcpListener,
    transport: T,
    ctx: &Arc<Context>,
    tracker: &TaskTracker,
    stop: &CancellationToken,
) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(listener = transport.name(), %addr, "listening on {addr} ({})", transport.name());
    }
    tokio::spawn(accept_loop(
        listener,
        Arc::new(transport),
        Arc::clone(ctx),
        tracker.clone(),
        stop.clone(),
    ));
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}

fn open_log(path: &Path) -> Result<Option<LineFile>, ServerError> {
    if path.as_os_str().is_empty() {
        return Ok(None);
    }
    LineFile::open(path)
        .map(Some)
        .map_err(|source| ServerError::LogFile {
            path: path.display().to_string(),
            source,
        })
}

async fn shrink_gate_periodically(gate: Arc<Gate>, stop: CancellationToken) {
    let mut ticks = tokio::time::interval(Gate::SHRINK_EVERY);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => gate.shrink(),
        }
    }
}
