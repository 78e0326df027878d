//! Starting and stopping a whole server: store, hub, gate, logs and listeners, and the
//! graceful shutdown path (stop accepting, tell users, close, flush the store).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use classcord_protocol::server_line::NoticeEvent;

use crate::certs::{CertError, CertRequest};
use crate::chat::{Chat, Words};
use crate::config::Config;
use crate::context::Context;
use crate::gate::Gate;
use crate::listener::accept_loop;
use crate::logging::{Audit, AuthFailure, LineFile};
use crate::metrics::Metrics;
use crate::moderation::Moderation;
use crate::password::Passwords;
use crate::render::Renderer;
use crate::store::StoreWriterThread;
use crate::texts::Texts;
use crate::transport::{
    CertificatePaths, ListenerKind, Plain, Tls, TlsError, Transport, Web, WebSettings,
};
use crate::vocabulary::Notice;

/// Why a server could not start (or reload its certificate).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ServerError(#[from] StartError);

#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
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
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectorySetupError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Certificate(#[from] CertError),
    #[error(transparent)]
    NotWritable(#[from] crate::writable::NotWritable),
    #[error("cannot open the admin socket {path}: {source}")]
    AdminSocket {
        path: String,
        source: std::io::Error,
    },
}

/// A started server. Dropping it does not stop it: call [`RunningServer::shutdown`].
pub struct RunningServer {
    ctx: Arc<Context>,
    plain_addrs: Vec<SocketAddr>,
    tls_addrs: Vec<SocketAddr>,
    web_addrs: Vec<SocketAddr>,
    metrics_addrs: Vec<SocketAddr>,
    tls: Option<Arc<Tls>>,
    stop_accepting: CancellationToken,
    tracker: TaskTracker,
    store_thread: StoreWriterThread,
}

impl RunningServer {
    /// Opens everything and starts accepting. Logs the bound addresses.
    pub async fn start(config: Config) -> Result<RunningServer, ServerError> {
        Ok(Self::open(config).await?)
    }

    async fn open(config: Config) -> Result<RunningServer, StartError> {
        let tls = &config.tls;
        let certificate_made = tls.generate_if_missing && !tls.cert.exists();
        crate::writable::check_folders(
            [
                &config.storage.database,
                &config.logging.audit_file,
                &config.logging.auth_file,
                &config.admin.socket,
            ]
            .into_iter()
            .chain(certificate_made.then_some(&tls.cert))
            .filter(|path| !path.as_os_str().is_empty())
            .map(std::path::PathBuf::as_path),
        )?;
        let config = Arc::new(config);
        let metrics = Arc::new(Metrics::default());
        let passwords = Passwords::new(
            config.limits.max_concurrent_hashes,
            metrics.password_hash.clone(),
        )
        .await?;
        let renderer = Arc::new(Renderer::new(&config, Texts::new(config.server.language)));
        let directory = crate::directory::Directory::open(&config.ldap)?;
        let (chat, store_thread) = Chat::open(
            &config,
            passwords,
            &metrics,
            Arc::clone(&renderer) as Arc<dyn Words>,
            directory,
        )
        .await?;
        let chat = Arc::new(chat);
        let audit = Audit::new(open_log(&config.logging.audit_file)?);
        let moderation = Arc::new(Moderation::new(
            Arc::clone(&chat),
            audit.clone(),
            Arc::clone(&metrics),
            config.classroom.keep_removed_text,
        ));
        tracing::info!(database = %config.storage.database.display(), "database ready");

        // Everything that can fail (certificates, sockets) comes before any task is spawned,
        // so a server that fails to start leaves nothing running.
        let tls = if config.listen.tls.is_empty() && config.listen.web_tls.is_empty() {
            None
        } else {
            ensure_certificate(&config)?;
            Some(Arc::new(Tls::load(
                CertificatePaths {
                    cert: config.tls.cert.clone(),
                    key: config.tls.key.clone(),
                },
                [config.listen.tls.clone(), config.listen.web_tls.clone()].concat(),
                crate::certs::MachineNames::of(&config.tls),
            )?))
        };
        let ctx = Arc::new(Context {
            chat,
            moderation,
            renderer,
            gate: Arc::new(Gate::new(&config.gate)),
            tls: tls.clone(),
            audit,
            auth_failures: AuthFailure::new(open_log(&config.logging.auth_file)?),
            metrics,
            shutdown: CancellationToken::new(),
            config: Arc::clone(&config),
        });
        let plain_listeners = bind_all(&config.listen.plain)?;
        let tls_listeners = bind_all(&config.listen.tls)?;
        let web_listeners = bind_all(&config.listen.web)?;
        let web_tls_listeners = bind_all(&config.listen.web_tls)?;
        let metrics_listeners = bind_all(&config.metrics.listen)?;
        let admin_socket = &config.admin.socket;
        let admin_listener = if admin_socket.as_os_str().is_empty() {
            None
        } else {
            Some(crate::admin::socket::bind(admin_socket).map_err(|source| {
                StartError::AdminSocket {
                    path: admin_socket.display().to_string(),
                    source,
                }
            })?)
        };

        let stop_accepting = CancellationToken::new();
        let tracker = TaskTracker::new();
        let plain = Arc::new(Plain);
        let plain_addrs = plain_listeners.iter().map(|(_, addr)| *addr).collect();
        spawn_listeners(
            plain_listeners,
            Arc::clone(&plain),
            &ctx,
            &tracker,
            &stop_accepting,
        );
        let tls_addrs = tls_listeners.iter().map(|(_, addr)| *addr).collect();
        let web_addrs = web_listeners
            .iter()
            .chain(&web_tls_listeners)
            .map(|(_, addr)| *addr)
            .collect();
        let served_hosts = served_hosts(&config);
        let web_settings = |kind: ListenerKind| WebSettings {
            allowed_origins: config.web.allowed_origins.clone(),
            served_hosts: served_hosts.clone(),
            max_frame_bytes: config.limits.max_line_bytes,
            ping_interval: Duration::from_secs(config.web.ping_interval_secs),
            forwarded_for_from: if config.listen.proxy_protocol.contains(&kind) {
                Vec::new()
            } else {
                config.gate.trusted_proxies.clone()
            },
        };
        let web = Arc::new(Web::new(
            Arc::clone(&plain),
            ListenerKind::Web,
            web_settings(ListenerKind::Web),
        ));
        spawn_listeners(web_listeners, web, &ctx, &tracker, &stop_accepting);
        if let Some(tls) = &tls {
            spawn_listeners(
                tls_listeners,
                Arc::clone(tls),
                &ctx,
                &tracker,
                &stop_accepting,
            );
            let web_tls = Arc::new(Web::new(
                Arc::clone(tls),
                ListenerKind::WebTls,
                web_settings(ListenerKind::WebTls),
            ));
            spawn_listeners(web_tls_listeners, web_tls, &ctx, &tracker, &stop_accepting);
        }
        let metrics_addrs = metrics_listeners.iter().map(|(_, addr)| *addr).collect();
        for (listener, addr) in metrics_listeners {
            tracing::info!(listener = "metrics", %addr, "monitoring on http://{addr}/metrics");
            tracker.spawn(crate::monitoring::serve(
                listener,
                Arc::clone(&ctx),
                tracker.clone(),
                stop_accepting.clone(),
            ));
        }
        if let Some(listener) = admin_listener {
            let database = &config.storage.database;
            let control = Arc::new(crate::admin::socket::Control {
                ctx: Arc::clone(&ctx),
                database: std::fs::canonicalize(database).unwrap_or_else(|_| database.clone()),
            });
            tracing::info!(socket = %admin_socket.display(), "admin socket ready");
            tracker.spawn(crate::admin::socket::serve(
                listener,
                admin_socket.clone(),
                control,
                stop_accepting.clone(),
            ));
        }
        tokio::spawn(shrink_gate_periodically(
            Arc::clone(&ctx.gate),
            stop_accepting.clone(),
        ));
        tokio::spawn(crate::memory::trim_after_peaks(stop_accepting.clone()));
        tokio::spawn(Arc::clone(&ctx.chat).keep_retention(stop_accepting.clone()));
        tokio::spawn(Arc::clone(&ctx.chat).announce_closing_hours(stop_accepting.clone()));
        Ok(RunningServer {
            ctx,
            plain_addrs,
            tls_addrs,
            web_addrs,
            metrics_addrs,
            tls,
            stop_accepting,
            tracker,
            store_thread,
        })
    }

    /// Addresses the plain listeners are bound to (useful with port 0).
    pub fn plain_addrs(&self) -> &[SocketAddr] {
        &self.plain_addrs
    }

    /// Addresses the TLS listeners are bound to.
    pub fn tls_addrs(&self) -> &[SocketAddr] {
        &self.tls_addrs
    }

    /// Loads the certificate files again for new TLS handshakes; on error the current
    /// certificate stays in service. Live connections are not touched either way.
    pub async fn reload_tls(&self) -> Result<(), ServerError> {
        match &self.tls {
            Some(tls) => Ok(tls.reload_logged().await.map_err(StartError::from)?),
            None => Ok(()),
        }
    }

    /// Opens the audit and authentication logs again by name (SIGUSR1, after logrotate).
    pub async fn reopen_logs(&self) {
        let ctx = Arc::clone(&self.ctx);
        // Waits for the writer threads: off the async threads.
        let Ok(outcomes) = tokio::task::spawn_blocking(move || {
            [
                ("audit", ctx.audit.reopen()),
                ("auth", ctx.auth_failures.reopen()),
            ]
        })
        .await
        else {
            return;
        };
        for (name, outcome) in outcomes {
            match outcome {
                Ok(()) => tracing::info!(log = name, "log file reopened"),
                Err(error) => tracing::error!(log = name, %error, "cannot reopen the log file"),
            }
        }
    }

    /// Every metric, in the Prometheus text format.
    pub fn render_metrics(&self) -> String {
        self.ctx.render_metrics(crate::metrics::Format::Prometheus)
    }

    /// Addresses the WebSocket listeners are bound to: `[listen] web` first, then `web_tls`.
    pub fn web_addrs(&self) -> &[SocketAddr] {
        &self.web_addrs
    }

    /// Addresses the monitoring HTTP listeners are bound to.
    pub fn metrics_addrs(&self) -> &[SocketAddr] {
        &self.metrics_addrs
    }

    /// Resolves when the server asks to be stopped (a `/shutdown` countdown ended); the
    /// caller then calls [`RunningServer::shutdown`].
    pub async fn stop_requested(&self) {
        self.ctx.moderation.stop_requested().await
    }

    /// Stops accepting, tells connected users, closes every connection and flushes the store.
    pub async fn shutdown(self) {
        tracing::info!("shutting down");
        self.stop_accepting.cancel();
        self.ctx.chat.begin_shutdown();
        self.ctx
            .chat
            .notice(NoticeEvent::Shutdown, &Notice::Stopping);
        self.ctx.shutdown.cancel();
        self.tracker.close();
        let grace = Duration::from_secs(self.ctx.config.server.shutdown_grace_secs + 3);
        if tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        if let Err(error) = self.ctx.chat.flush().await {
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

/// One accept loop per bound address, all through `transport`.
fn spawn_listeners<T: Transport>(
    listeners: Vec<(TcpListener, SocketAddr)>,
    transport: Arc<T>,
    ctx: &Arc<Context>,
    tracker: &TaskTracker,
    stop: &CancellationToken,
) {
    for (listener, addr) in listeners {
        let kind = transport.kind().as_str();
        tracing::info!(listener = kind, %addr, "listening on {addr} ({kind})");
        tokio::spawn(accept_loop(
            listener,
            Arc::clone(&transport),
            Arc::clone(ctx),
            tracker.clone(),
            stop.clone(),
        ));
    }
}

/// Binds every address, with the address each listener really got (port 0 picks one).
fn bind_all(addrs: &[SocketAddr]) -> Result<Vec<(TcpListener, SocketAddr)>, StartError> {
    addrs
        .iter()
        .map(|addr| {
            let listener = bind(*addr)?;
            let local = listener.local_addr().map_err(|source| StartError::Bind {
                addr: *addr,
                source,
            })?;
            Ok((listener, local))
        })
        .collect()
}

/// Creates the CA and server certificate on first start when allowed and missing.
fn ensure_certificate(config: &Config) -> Result<(), StartError> {
    let tls = &config.tls;
    if tls.cert.exists() || !tls.generate_if_missing {
        return Ok(());
    }
    let report = crate::certs::generate(&CertRequest {
        ca_cert: tls.ca_cert.clone(),
        ca_key: tls.ca_key.clone(),
        cert: tls.cert.clone(),
        key: tls.key.clone(),
        extra_sans: Vec::new(),
        machine_names: crate::certs::MachineNames::of(tls),
        ca_scope: tls.ca_scope.clone(),
        leaf_days: crate::certs::DEFAULT_LEAF_DAYS,
        ca_days: crate::certs::DEFAULT_CA_DAYS,
        existing: crate::certs::Existing::Refuse,
        ca: crate::certs::CaChoice::ReuseIfPresent,
    })?;
    tracing::warn!(
        cert = %report.cert.display(),
        ca = %report.ca_cert.display(),
        ca_fingerprint = %report.ca_fingerprint,
        "no TLS certificate found: generated one signed by the local CA; clients must trust {} (SHA-256 fingerprint {})",
        report.ca_cert.display(),
        report.ca_fingerprint
    );
    Ok(())
}

/// Pending connections the kernel may hold before the accept loop takes them (it caps this
/// at net.core.somaxconn). A whole school connecting at 8:00 must not overflow it.
const LISTEN_BACKLOG: u32 = 4096;

fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    let listen = || {
        let socket = match addr {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(LISTEN_BACKLOG)
    };
    listen().map_err(|source| StartError::Bind { addr, source })
}

fn open_log(path: &Path) -> Result<Option<LineFile>, StartError> {
    if path.as_os_str().is_empty() {
        return Ok(None);
    }
    LineFile::open(path)
        .map(Some)
        .map_err(|source| StartError::LogFile {
            path: path.display().to_string(),
            source,
        })
}

/// The names and addresses browsers may reach the web client under: this machine's (its
/// name, its interfaces, loopback), the addresses the web listeners are bound to, the TLS
/// certificate's names, `[web] host_names` and the hosts of `[web] allowed_origins`.
fn served_hosts(config: &Config) -> Vec<String> {
    // The machine's own names even in a container: harmless, and a browser on the host may
    // use them.
    let mut hosts =
        crate::certs::default_sans(&config.web.host_names, crate::certs::MachineNames::Include);
    hosts.extend(
        config
            .listen
            .web
            .iter()
            .chain(&config.listen.web_tls)
            .filter(|addr| !addr.ip().is_unspecified())
            .map(|addr| addr.ip().to_string()),
    );
    if let Ok(facts) = crate::certs::inspect::read_facts(&config.tls.cert) {
        hosts.extend(facts.dns_names);
        hosts.extend(facts.addresses.iter().map(ToString::to_string));
    }
    hosts.extend(config.web.allowed_origins.iter().filter_map(|origin| {
        let rest = origin.split_once("://")?.1.trim_end_matches('/');
        Some(crate::transport::host_name(rest))
    }));
    let mut hosts: Vec<String> = hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
    hosts.sort();
    hosts.dedup();
    hosts
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
