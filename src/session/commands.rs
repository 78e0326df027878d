//! What each command does, once parsed: accounts, messages, presence, channels, history.

use crate::logging::AuditEvent;
use crate::protocol::dialect::{Dialect, Presence};
use crate::protocol::error::{ErrorCode, ProtocolError};
use crate::protocol::names::{
    channel_key, channel_name_error, name_key, state_error, username_error,
};
use crate::protocol::server_line::{ServerLine, V2_FEATURES};
use crate::protocol::{Command, Target};
use crate::store::{CreateUser, NewMessage};

use super::Session;

/// Name of a guest whose first message carries no `from`.
const DEFAULT_GUEST_NAME: &str = "invité";
/// Most messages one `history` request returns.
const MAX_HISTORY: u32 = 500;

fn login_failed() -> ProtocolError {
    ProtocolError::new(ErrorCode::LoginFailed, "Login failed.")
}

fn internal(error: impl std::fmt::Display) -> ProtocolError {
    tracing::error!(%error, "internal error while serving a request");
    ProtocolError::new(ErrorCode::StorageError, "Server error: try again later.")
}

impl Session {
    pub(super) async fn dispatch(&mut self, command: Command) -> Result<(), ProtocolError> {
        match command {
            Command::Register { username, password } => self.register(username, password).await,
            Command::Login { username, password } => self.login(username, password).await,
            Command::Message {
                target,
                content,
                from,
            } => self.message(target, content, from).await,
            Command::Status { state } => self.status(&state),
            Command::Users => {
                self.reply(self.ctx.hub.users_line());
                Ok(())
            }
            Command::Hello { version, presence } => {
                self.hello(version, presence);
                Ok(())
            }
            Command::Guest { name } => {
                let name = match self.ctx.hub.identity(self.id).name() {
                    Some(name) => name.to_owned(),
                    None => self.become_guest(name)?,
                };
                self.reply(
                    ServerLine::Guest {
                        status: "ok",
                        username: &name,
                    }
                    .encode(),
                );
                Ok(())
            }
            Command::Join { channel } => self.join(&channel).await,
            Command::Leave { channel } => {
                let channel = self.ctx.hub.leave(self.id, &channel)?;
                self.reply(
                    ServerLine::Leave {
                        status: "ok",
                        channel: &channel,
                    }
                    .encode(),
                );
                Ok(())
            }
            Command::Channels => {
                let channels = self.ctx.hub.channels();
                self.reply(
                    ServerLine::Channels {
                        channels: &channels,
                    }
                    .encode(),
                );
                Ok(())
            }
            Command::History { channel, limit } => {
                let channel =
                    channel.unwrap_or_else(|| self.ctx.config.server.default_channel.clone());
                let channel = self.ctx.hub.member_channel(self.id, &channel)?;
                let limit = limit
                    .unwrap_or(self.ctx.config.storage.history_replay)
                    .min(MAX_HISTORY);
                self.send_history(&channel, limit).await
            }
        }
    }

    fn hello(&mut self, version: u64, presence: Presence) {
        let version = version.min(2);
        if version >= 2 {
            self.dialect = Dialect::V2 { presence };
            self.ctx.hub.set_dialect(self.id, self.dialect);
        }
        let features: &[&str] = if version >= 2 { V2_FEATURES } else { &[] };
        self.reply(
            ServerLine::Hello {
                version,
                server: concat!("classcord/", env!("CARGO_PKG_VERSION")),
                features,
            }
            .encode(),
        );
    }

    fn check_auth_rate(&self, username: &str) -> Result<(), ProtocolError> {
        if self.ctx.gate.allow_auth(self.peer.addr.ip()) {
            return Ok(());
        }
        self.ctx
            .auth_failures
            .record(self.peer.addr, self.peer.listener, "rate_limited", username);
        Err(ProtocolError::new(
            ErrorCode::RateLimited,
            "Too many login attempts: wait a minute.",
        ))
    }

    fn auth_failure(&self, reason: &str, username: &str) {
        self.ctx.metrics.login(false);
        self.ctx
            .auth_failures
            .record(self.peer.addr, self.peer.listener, reason, username);
        self.ctx.audit.record(
            AuditEvent::new("login_failed", self.peer.addr, self.peer.listener)
                .with("reason", reason)
                .with("user", username),
        );
    }

    fn password_error(&self, password: &str) -> Option<String> {
        let limits = &self.ctx.config.limits;
        if password.len() > limits.max_password_bytes {
            return Some(format!(
                "Password longer than {} bytes.",
                limits.max_password_bytes
            ));
        }
        if password.chars().count() < limits.min_password_chars.max(1) {
            return Some(format!(
                "Password needs at least {} character(s).",
                limits.min_password_chars.max(1)
            ));
        }
        None
    }

    fn username_error(&self, username: &str) -> Option<String> {
        username_error(
            username,
            self.ctx.config.limits.max_username_chars,
            &self.ctx.config.server.notice_sender,
        )
    }

    async fn register(&mut self, username: String, password: String) -> Result<(), ProtocolError> {
        self.check_auth_rate(&username)?;
        if let Some(reason) = self.username_error(&username) {
            return Err(ProtocolError::new(ErrorCode::InvalidUsername, reason));
        }
        if let Some(reason) = self.password_error(&password) {
            return Err(ProtocolError::new(ErrorCode::InvalidPassword, reason));
        }
        let reservation = self.ctx.hub.reserve_registration(&username)?;
        let hash = self.ctx.passwords.hash(password).await.map_err(internal)?;
        match self
            .ctx
            .store
            .create_user(&username, hash)
            .await
            .map_err(internal)?
        {
            CreateUser::Created => {
                reservation.confirm();
                self.ctx.metrics.registration();
            }
            CreateUser::AlreadyExists => {
                return Err(ProtocolError::new(
                    ErrorCode::UsernameTaken,
                    "Username already exists.",
                ))
            }
        }
        self.ctx.audit.record(
            AuditEvent::new("register", self.peer.addr, self.peer.listener)
                .with("user", username.as_str()),
        );
        tracing::info!(peer = %self.peer.addr, user = ?username, "account registered");
        self.reply(ServerLine::Register { status: "ok" }.encode());
        Ok(())
    }

    async fn login(&mut self, username: String, password: String) -> Result<(), ProtocolError> {
        self.check_auth_rate(&username)?;
        if self.username_error(&username).is_some()
            || password.len() > self.ctx.config.limits.max_password_bytes
        {
            self.auth_failure("malformed", &username);
            return Err(login_failed());
        }
        let record = self
            .ctx
            .store
            .find_user(&name_key(&username))
            .await
            .map_err(internal)?;
        let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
        let matches = self.ctx.passwords.verify(password, stored_hash).await;
        let record = match record {
            None => {
                self.auth_failure("unknown_user", &username);
                return Err(login_failed());
            }
            Some(_) if !matches => {
                self.auth_failure("wrong_password", &username);
                return Err(login_failed());
            }
            Some(record) if record.banned => {
                self.auth_failure("banned", &username);
                return Err(ProtocolError::new(
                    ErrorCode::LoginFailed,
                    "Login failed: account banned.",
                ));
            }
            Some(record) => record,
        };
        let reply = ServerLine::Login {
            status: "ok",
            username: &record.username,
        }
        .encode();
        self.ctx.hub.login(self.id, &record.username, reply)?;
        self.identified = true;
        self.ctx.metrics.login(true);
        self.ctx.store.record_login(&record.username);
        self.ctx.audit.record(
            AuditEvent::new("login", self.peer.addr, self.peer.listener)
                .with("user", record.username.as_str()),
        );
        tracing::info!(peer = %self.peer.addr, listener = self.peer.listener, user = ?record.username, "logged in");
        Ok(())
    }

    /// Names an anonymous connection as a guest from its first message.
    fn become_guest(&mut self, from: Option<String>) -> Result<String, ProtocolError> {
        let requested = from
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_GUEST_NAME.to_owned());
        if let Some(reason) = self.username_error(&requested) {
            return Err(ProtocolError::new(ErrorCode::InvalidUsername, reason));
        }
        let name = self.ctx.hub.claim_guest(self.id, &requested)?;
        self.identified = true;
        self.ctx.audit.record(
            AuditEvent::new("guest", self.peer.addr, self.peer.listener)
                .with("user", name.as_str())
                .with("requested", requested.as_str()),
        );
        tracing::info!(peer = %self.peer.addr, listener = self.peer.listener, user = ?name, "guest joined");
        Ok(name)
    }

    async fn message(
        &mut self,
        target: Target,
        content: String,
        from: Option<String>,
    ) -> Result<(), ProtocolError> {
        if content.contains('\0') {
            return Err(ProtocolError::new(
                ErrorCode::NulByte,
                "NUL characters are not allowed.",
            ));
        }
        let max = self.ctx.config.limits.max_content_chars;
        if content.chars().count() > max {
            return Err(ProtocolError::new(
                ErrorCode::ContentTooLong,
                format!("Message longer than {max} characters: not sent."),
            ));
        }
        if !self.identified {
            self.become_guest(from)?;
        }
        let route = self.ctx.hub.route(self.id, &target)?;
        let length = content.chars().count();
        self.ctx.audit.record(
            AuditEvent::new("message", self.peer.addr, self.peer.listener)
                .with("user", route.sender.as_str())
                .with("channel", route.channel.clone())
                .with("to", route.recipient.clone())
                .with("length", length),
        );
        self.ctx
            .store
            .submit_message(NewMessage {
                sender_conn: self.id,
                sender: route.sender,
                sender_is_guest: route.sender_is_guest,
                sender_ip: self.peer.addr.ip(),
                channel: route.channel,
                recipient: route.recipient,
                content,
            })
            .await
            .map_err(internal)
    }

    fn status(&mut self, state: &str) -> Result<(), ProtocolError> {
        if let Some(reason) = state_error(state, self.ctx.config.limits.max_state_chars) {
            return Err(ProtocolError::new(ErrorCode::InvalidState, reason));
        }
        self.ctx.hub.set_status(self.id, state)
    }

    async fn join(&mut self, channel: &str) -> Result<(), ProtocolError> {
        if let Some(reason) = channel_name_error(channel) {
            return Err(ProtocolError::new(ErrorCode::InvalidChannel, reason));
        }
        let outcome = self.ctx.hub.join(self.id, channel)?;
        if outcome.created {
            self.ctx
                .store
                .ensure_channel(&outcome.channel)
                .await
                .map_err(internal)?;
            tracing::info!(channel = ?outcome.channel, "channel created");
        }
        self.reply(
            ServerLine::Join {
                status: "ok",
                channel: &outcome.channel,
            }
            .encode(),
        );
        let replay = self.ctx.config.storage.history_replay;
        if replay > 0 {
            self.send_history(&outcome.channel, replay).await?;
        }
        Ok(())
    }

    async fn send_history(&self, channel: &str, limit: u32) -> Result<(), ProtocolError> {
        let stored = self
            .ctx
            .store
            .channel_history(&channel_key(channel), limit)
            .await
            .map_err(internal)?;
        let messages: Vec<_> = stored.into_iter().map(crate::hub::chat_line).collect();
        self.reply(
            ServerLine::History {
                channel,
                messages: &messages,
            }
            .encode(),
        );
        Ok(())
    }
}
