//! The admin control socket of a running server (Unix socket, mode 0600: the file permissions
//! are the access control). One JSON request per line, one JSON answer per line:
//!
//! ```text
//! {"command":"notice","text":"Maintenance à 18h"}   → {"ok":true}
//! {"command":"kick","user":"bob"}                   → {"ok":true} or {"ok":false,"error":"..."}
//! {"command":"ban","user":"bob"} / "unban"          → the account flag, and a kick for ban
//! {"command":"users"}                               → {"ok":true,"users":[{"name":..,"ip":..,"guest":..}]}
//! {"command":"reload-tls"}                          → {"ok":true}
//! {"command":"metrics"}                             → {"ok":true,"text":"<Prometheus text>"}
//! ```

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::transport::Tls;

/// Longest request line accepted.
const MAX_REQUEST: u64 = 8 * 1024;

/// One admin request; also the `classcord admin` subcommands.
#[derive(Debug, Deserialize, Serialize, clap::Subcommand)]
#[serde(tag = "command", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// Send a notice to every connected user (legacy clients see a message from "Serveur").
    Notice { text: String },
    /// Disconnect a user now.
    Kick { user: String },
    /// Ban an account and disconnect it.
    Ban { user: String },
    /// Lift an account's ban.
    Unban { user: String },
    /// List connected users.
    Users,
    /// Load the TLS certificate files again (as SIGHUP does).
    ReloadTls,
    /// Print the server's counters in the Prometheus text format.
    Metrics,
}

/// What the control socket needs from the running server.
pub struct Control {
    pub ctx: Arc<Context>,
    pub tls: Option<Arc<Tls>>,
}

/// Binds the socket with mode 0600, replacing a stale one left by a crash, but never the
/// socket of another server that still answers on it.
pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "another ClassCord server is using this admin socket",
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Serves admin connections until `stop`, then removes the socket file.
pub async fn serve(
    listener: UnixListener,
    path: PathBuf,
    control: Arc<Control>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(handle(stream, Arc::clone(&control)));
            }
            Err(error) => {
                tracing::warn!(%error, "admin socket: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    let _ = std::fs::remove_file(&path);
}

async fn handle(stream: UnixStream, control: Arc<Control>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_REQUEST)).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let answer = match serde_json::from_str::<Request>(&line) {
            Ok(request) => control.execute(request).await,
            Err(error) => json!({"ok": false, "error": format!("invalid request: {error}")}),
        };
        let mut bytes = answer.to_string().into_bytes();
        bytes.push(b'\n');
        if write.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

impl Control {
    pub async fn execute(&self, request: Request) -> Value {
        tracing::info!(?request, "admin command");
        match request {
            Request::Notice { text } => {
                self.ctx.hub.notice("admin", &text);
                json!({"ok": true})
            }
            Request::Kick { user } => {
                if self
                    .ctx
                    .hub
                    .kick(&user, "Disconnected by an administrator.")
                {
                    json!({"ok": true})
                } else {
                    json!({"ok": false, "error": format!("{user:?} is not online")})
                }
            }
            Request::Ban { user } => self.set_banned(user, true).await,
            Request::Unban { user } => self.set_banned(user, false).await,
            Request::Users => {
                let users: Vec<Value> = self
                    .ctx
                    .hub
                    .online()
                    .into_iter()
                    .map(|(name, peer, guest)| json!({"name": name, "ip": peer.ip().to_string(), "guest": guest}))
                    .collect();
                json!({"ok": true, "users": users})
            }
            Request::Metrics => json!({"ok": true, "text": self.ctx.render_metrics()}),
            Request::ReloadTls => match &self.tls {
                None => json!({"ok": false, "error": "TLS is not enabled"}),
                Some(tls) => match tls.reload_logged().await {
                    Ok(()) => json!({"ok": true}),
                    Err(error) => json!({"ok": false, "error": error.to_string()}),
                },
            },
        }
    }

    /// Sets the account's ban flag in the database; a ban also closes its connection.
    async fn set_banned(&self, user: String, banned: bool) -> Value {
        let database = self.ctx.config.storage.database.clone();
        let name = user.clone();
        let result = tokio::task::spawn_blocking(move || {
            crate::admin::Admin::open(&database)?.set_banned(&name, banned)
        })
        .await;
        match result {
            Ok(Ok(())) => {
                if banned {
                    self.ctx
                        .hub
                        .kick(&user, "Account banned by an administrator.");
                }
                json!({"ok": true})
            }
            Ok(Err(error)) => json!({"ok": false, "error": error.to_string()}),
            Err(error) => json!({"ok": false, "error": error.to_string()}),
        }
    }
}
