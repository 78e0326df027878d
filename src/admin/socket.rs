//! The admin socket of a running server (a Unix socket, mode 0600: the file permissions are
//! the access control). Every request is executed through the chat core, so account changes
//! go through the store's single writer and reach the live name registry at once; each is
//! logged and audited (never a password hash).

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use classcord_protocol::action::{parse_countdown, parse_duration, MAX_SANCTION};
use classcord_protocol::{parse_slash, Action, DurationError, Slash};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

use super::protocol::{Request, Response};
use crate::chat::AccountError;
use crate::context::Context;
use crate::fixed::MAX_ADMIN_REQUEST_BYTES;
use crate::logging::AuditEvent;
use crate::moderation::Actor;
use crate::store::UserChange;
use crate::texts::Texts;
use crate::vocabulary::Answer;

/// What the admin socket needs from the running server.
pub(crate) struct Control {
    pub(crate) ctx: Arc<Context>,
    /// The database file, canonical (what `status` answers), resolved once at start.
    pub(crate) database: PathBuf,
}

/// Binds the socket with mode 0600, replacing a stale one left by a crash, but never the
/// socket of another server that still answers on it.
pub(crate) fn bind(path: &Path) -> std::io::Result<UnixListener> {
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
pub(crate) async fn serve(
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

/// Answers each request line of one admin connection; a line that is not a request (invalid
/// UTF-8 or JSON, unknown command) is answered with a refusal.
async fn handle(stream: UnixStream, control: Arc<Control>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read.take(MAX_ADMIN_REQUEST_BYTES));
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let response = match serde_json::from_slice::<Request>(&line) {
            Ok(request) => control.execute(request).await,
            Err(error) => Response::refused(format!("invalid request: {error}")),
        };
        let mut bytes = serde_json::to_vec(&response).expect("responses serialise");
        bytes.push(b'\n');
        if write.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

/// The moderation action an admin request asks for.
fn moderation_action(request: Request, texts: &Texts) -> Result<Action, String> {
    let refused = |error: DurationError| texts.usage_problem(error.problem, Some(&error.text));
    let duration = |text: Option<String>| {
        text.map(|text| parse_duration(&text, MAX_SANCTION).map(|d| d.as_secs()))
            .transpose()
            .map_err(refused)
    };
    Ok(match request {
        Request::Kick {
            user,
            duration: how_long,
            reason,
        } => Action::Kick {
            user,
            duration_secs: duration(how_long)?,
            reason,
        },
        Request::Ban { user, reason } => Action::Ban { user, reason },
        Request::Unban { user } => Action::Unban { user },
        Request::Mute {
            user,
            duration: how_long,
        } => Action::Mute {
            user,
            duration_secs: duration(how_long)?,
        },
        Request::Unmute { user } => Action::Unmute { user },
        Request::Shutdown { when, .. } if when == "cancel" => Action::ShutdownCancel,
        Request::Shutdown { when, message } => Action::Shutdown {
            seconds: parse_countdown(&when).map_err(refused)?,
            message,
        },
        Request::Run { slash } => match parse_slash(slash.trim()) {
            Slash::Action(action) => action,
            Slash::Usage {
                word,
                problem,
                text,
            } => {
                let problem = texts.usage_problem(problem, text.as_deref());
                return Err(format!("usage: {} ({problem})", texts.usage(word)));
            }
            Slash::Chat | Slash::Escaped(_) | Slash::Private { .. } => {
                return Err(format!("{slash:?} is not a command (/help lists them)"))
            }
        },
        other => return Err(format!("{} is not a moderation action", other.action())),
    })
}

impl Control {
    /// Runs a moderation action as the console (an administrator).
    async fn moderate(&self, action: Action) -> Response {
        let texts = self.ctx.renderer.texts();
        match self.ctx.moderation.execute(&Actor::console(), action).await {
            Ok(Answer::Lines(_)) => Response::Done,
            Ok(answer) => Response::Said {
                lines: texts.answer(&answer, self.ctx.config.limits.max_reply_bytes, false),
            },
            Err(refused) => Response::refused(texts.refused(&refused)),
        }
    }

    pub(crate) async fn execute(&self, request: Request) -> Response {
        let action = request.action();
        let is_change = request.is_change();
        let user = request.user().map(str::to_owned);
        let response = self.run(request).await;
        let outcome = match &response {
            Response::Refused { error } => error.as_str(),
            _ => "ok",
        };
        tracing::info!(action, user = ?user, outcome, "admin command");
        if is_change {
            let mut event = AuditEvent::admin(action).with("outcome", outcome);
            if let Some(user) = user {
                event = event.with("user", user);
            }
            self.ctx.audit.record(event);
        }
        response
    }

    async fn run(&self, request: Request) -> Response {
        let chat = &self.ctx.chat;
        let texts = self.ctx.renderer.texts();
        let done = |result: Result<(), AccountError>| match result {
            Ok(()) => Response::Done,
            Err(AccountError::Taken(user)) => Response::Taken { user },
            Err(AccountError::InvalidName(problem)) => {
                Response::refused(format!("invalid username: {}", texts.name_problem(problem)))
            }
            Err(error) => Response::refused(error),
        };
        match request {
            Request::Status => Response::Status {
                database: self.database.clone(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            Request::Notice { text } => self.moderate(Action::Notice { text }).await,
            Request::Kick { .. }
            | Request::Ban { .. }
            | Request::Unban { .. }
            | Request::Mute { .. }
            | Request::Unmute { .. }
            | Request::Shutdown { .. }
            | Request::Run { .. } => match moderation_action(request, texts) {
                Ok(action) => self.moderate(action).await,
                Err(error) => Response::refused(error),
            },
            Request::Log { limit } => match chat.moderation_log(limit.min(10_000)).await {
                Ok(entries) => Response::Log { entries },
                Err(refused) => Response::refused(texts.refused(&refused)),
            },
            Request::Reports { limit } => match chat.reports(limit.min(10_000)).await {
                Ok(reports) => Response::Reports { reports },
                Err(refused) => Response::refused(texts.refused(&refused)),
            },
            Request::UserRole { user, role } => {
                done(chat.change_account(&user, UserChange::Role(role)).await)
            }
            Request::UserDelete { user, messages } => done(
                chat.change_account(&user, UserChange::Delete(messages))
                    .await,
            ),
            Request::UserExport { user } => match chat.person(&user).await {
                Ok(export) => Response::Export {
                    export: Box::new(export),
                },
                Err(refused) => Response::refused(texts.refused(&refused)),
            },
            Request::UserPasswd {
                user,
                password_hash,
            } => match crate::password::check_hash(&password_hash) {
                Ok(()) => done(
                    chat.change_account(&user, UserChange::Password(password_hash))
                        .await,
                ),
                Err(error) => Response::refused(error),
            },
            Request::UserAdd {
                user,
                password_hash,
            } => match crate::password::check_hash(&password_hash) {
                Ok(()) => done(chat.create_account(&user, password_hash).await),
                Err(error) => Response::refused(error),
            },
            Request::UserImport { write } => {
                match write
                    .accounts
                    .iter()
                    .try_for_each(|account| crate::password::check_hash(&account.password_hash))
                {
                    Ok(()) => done(chat.import_roster(write).await),
                    Err(error) => Response::refused(error),
                }
            }
            Request::Users => Response::Users {
                users: chat.online(),
            },
            Request::Metrics => Response::Metrics {
                text: self.ctx.scrape(crate::metrics::Format::Prometheus).await,
            },
            Request::ReloadTls => match &self.ctx.tls {
                None => Response::refused("TLS is not enabled"),
                Some(tls) => match tls.reload_logged().await {
                    Ok(()) => Response::Done,
                    Err(error) => Response::refused(error),
                },
            },
        }
    }
}
