//! One handler per command, once parsed: each asks the chat core, answers the client, and
//! notes in the logs what an administrator needs (never a password, never content).

use std::sync::Arc;

use classcord_protocol::server_line::Outcome;
use classcord_protocol::{
    parse_slash, Command, Dialect, Presence, ServerLine, Slash, Target, V2_FEATURES,
};

use crate::logging::{AuditEvent, AuditKind};
use crate::metrics::{LoginResult, RateLimit};
use crate::vocabulary::{AuthFailureReason, Refused};

use super::Session;

/// How a login was checked (the audit's `with`).
#[derive(Clone, Copy)]
enum LoginWith {
    Password,
    Session,
}

impl LoginWith {
    fn as_str(self) -> &'static str {
        match self {
            LoginWith::Password => "password",
            LoginWith::Session => "session",
        }
    }
}

impl Session {
    pub(super) async fn dispatch(&mut self, command: Command) -> Result<(), Refused> {
        match command {
            Command::Register { username, password } => self.register(username, password).await,
            Command::Login { username, password } => self.login(username, password).await,
            Command::Message {
                target,
                content,
                from,
            } => self.message(target, content, from).await,
            Command::Status { state } => self.ctx.chat.set_status(self.id, &state),
            Command::Users => {
                self.reply(self.ctx.chat.users_line());
                Ok(())
            }
            Command::Hello { version, presence } => {
                self.hello(version, presence);
                Ok(())
            }
            Command::Guest { name } => {
                let name = self.become_guest(name)?;
                self.reply(
                    ServerLine::Guest {
                        status: Outcome::Ok,
                        username: &name,
                    }
                    .encode(),
                );
                Ok(())
            }
            Command::Join { channel } => {
                self.charge_read()?;
                for line in self.ctx.chat.join(self.id, &channel).await? {
                    self.reply(line);
                }
                Ok(())
            }
            Command::Leave { channel } => {
                self.reply(self.ctx.chat.leave(self.id, &channel)?);
                Ok(())
            }
            Command::Channels => {
                self.reply(self.ctx.chat.channels_line(self.id));
                Ok(())
            }
            Command::History {
                channel,
                with,
                limit,
                before,
            } => {
                self.charge_read()?;
                let page = match with {
                    Some(with) => {
                        self.ctx
                            .chat
                            .private_history(self.id, &with, limit, before)
                            .await?
                    }
                    None => {
                        self.ctx
                            .chat
                            .history(self.id, channel, limit, before)
                            .await?
                    }
                };
                self.reply(page);
                Ok(())
            }
            Command::Conversations => {
                self.charge_read()?;
                self.reply(self.ctx.chat.conversations_line(self.id).await?);
                Ok(())
            }
            Command::Session => self.open_session().await,
            Command::Resume { token } => self.resume(token).await,
            Command::Logout => self.logout().await,
            Command::Act(action) => self.act(action).await,
        }
    }

    fn hello(&mut self, version: u64, presence: Presence) {
        let version = version.min(2);
        if version >= 2 {
            self.ctx.chat.set_dialect(self.id, Dialect::V2 { presence });
        }
        let features: &[&str] = if version >= 2 { V2_FEATURES } else { &[] };
        self.reply(
            ServerLine::Hello {
                version,
                server: concat!("classcord/", env!("CARGO_PKG_VERSION")),
                features,
                default_channel: &self.ctx.config.server.default_channel,
                max_content_chars: self.ctx.config.limits.max_content_chars,
                commands: if version >= 2 {
                    classcord_protocol::action::command_words()
                } else {
                    &[]
                },
            }
            .encode(),
        );
    }

    /// Requests that read the database spend this connection's read budget.
    fn charge_read(&self) -> Result<(), Refused> {
        self.reads.check().map_err(|_| {
            self.ctx.metrics.rate_limited(RateLimit::Reads);
            Refused::TooManyReads
        })
    }

    fn check_auth_rate(&self, username: &str) -> Result<(), Refused> {
        if self.ctx.gate.allow_auth(self.peer.addr.ip()) {
            return Ok(());
        }
        self.ctx.metrics.rate_limited(RateLimit::Logins);
        self.ctx.auth_failures.record(
            self.peer.addr,
            self.peer.listener,
            AuthFailureReason::RateLimited,
            username,
        );
        Err(Refused::TooManyLoginAttempts)
    }

    fn audit(&self, kind: AuditKind) -> AuditEvent {
        self.peer.audit(kind)
    }

    /// A place among this address's logins waiting for a password hash.
    fn pending_login(&self) -> Result<crate::gate::PendingLogin, Refused> {
        self.ctx
            .gate
            .pending_login(self.peer.addr.ip())
            .ok_or_else(|| {
                self.ctx.metrics.rate_limited(RateLimit::PendingLogins);
                Refused::TooManyPendingLogins
            })
    }

    async fn register(&mut self, username: String, password: String) -> Result<(), Refused> {
        self.check_auth_rate(&username)?;
        let _pending = self.pending_login()?;
        self.ctx.chat.register(&username, password).await?;
        self.ctx.metrics.registration();
        self.ctx.audit.record(
            self.audit(AuditKind::Register)
                .with("user", username.as_str()),
        );
        tracing::info!(peer = %self.peer.addr, user = ?username, "account registered");
        self.reply(
            ServerLine::Register {
                status: Outcome::Ok,
            }
            .encode(),
        );
        Ok(())
    }

    async fn login(&mut self, username: String, password: String) -> Result<(), Refused> {
        self.check_auth_rate(&username)?;
        let pending = self.pending_login()?;
        let outcome = self.ctx.chat.login(self.id, &username, password).await;
        drop(pending);
        self.after_login(outcome, &username, LoginWith::Password)
    }

    /// Logs in with a session token (a page that reloads): no password, so no hashing; the
    /// login budget is charged as for a password, and an unknown token is a failed login.
    async fn resume(&mut self, token: String) -> Result<(), Refused> {
        self.check_auth_rate("")?;
        let outcome = self.ctx.chat.resume(self.id, &token).await;
        let outcome = outcome.map(|(name, hash)| {
            self.session = Some(hash);
            name
        });
        self.after_login(outcome, "", LoginWith::Session)
    }

    /// A session token for this connection's account.
    async fn open_session(&mut self) -> Result<(), Refused> {
        self.charge_read()?;
        let opened = self.ctx.chat.open_session(self.id).await?;
        self.session = Some(opened.token.hash());
        self.reply(
            ServerLine::Session {
                token: opened.token.as_str(),
                expires_in_secs: opened.lifetime_secs,
            }
            .encode(),
        );
        Ok(())
    }

    /// Ends the session this connection was given or resumed (its token opens nothing more).
    async fn logout(&mut self) -> Result<(), Refused> {
        if let Some(hash) = self.session.take() {
            self.ctx.chat.close_session(hash).await?;
        }
        self.reply(
            ServerLine::Logout {
                status: Outcome::Ok,
            }
            .encode(),
        );
        Ok(())
    }

    /// What follows a login, whichever way: the metrics, the audit, the log, and for a
    /// failure the fail2ban line (`username`: what the client typed; none for a token).
    fn after_login(
        &mut self,
        outcome: Result<String, crate::chat::LoginRefused>,
        username: &str,
        with: LoginWith,
    ) -> Result<(), Refused> {
        match outcome {
            Ok(name) => {
                self.identified = true;
                self.ctx.metrics.login(LoginResult::Ok);
                self.ctx.audit.record(
                    self.audit(AuditKind::Login)
                        .with("user", name.as_str())
                        .with("with", with.as_str()),
                );
                tracing::info!(peer = %self.peer.addr, listener = self.peer.listener.as_str(), user = ?name, with = with.as_str(), "logged in");
                Ok(())
            }
            Err(refused) => {
                if let Some(reason) = refused.reason {
                    self.ctx.metrics.login(LoginResult::Failed);
                    self.ctx.auth_failures.record(
                        self.peer.addr,
                        self.peer.listener,
                        reason,
                        username,
                    );
                    self.ctx.audit.record(
                        self.audit(AuditKind::LoginFailed)
                            .with("reason", reason.as_str())
                            .with("user", username),
                    );
                }
                Err(refused.error)
            }
        }
    }

    /// Names an anonymous connection as a guest; an identified one keeps its name.
    fn become_guest(&mut self, from: Option<String>) -> Result<String, Refused> {
        if self.identified {
            return self.ctx.chat.claim_guest(self.id, None, || true);
        }
        let requested = from.clone().unwrap_or_default();
        let (gate, ip, metrics) = (&self.ctx.gate, self.peer.addr.ip(), &self.ctx.metrics);
        let name = self.ctx.chat.claim_guest(self.id, from, || {
            let allowed = gate.allow_auth(ip);
            if !allowed {
                metrics.rate_limited(RateLimit::NameProbes);
            }
            allowed
        })?;
        self.identified = true;
        self.ctx.audit.record(
            self.audit(AuditKind::Guest)
                .with("user", name.as_str())
                .with("requested", requested),
        );
        tracing::info!(peer = %self.peer.addr, listener = self.peer.listener.as_str(), user = ?name, "guest joined");
        Ok(name)
    }

    async fn message(
        &mut self,
        target: Target,
        content: String,
        from: Option<String>,
    ) -> Result<(), Refused> {
        self.ctx.chat.check_content(&content)?;
        let slash = parse_slash(&content);
        if !self.identified {
            self.become_guest(from)?;
        }
        let (target, content) = match slash {
            Slash::Chat => (target, content),
            Slash::Escaped(text) => (target, text),
            Slash::Private { to, text } => (Target::Private(to), text),
            Slash::Action(action) => return self.act(action).await,
            Slash::Usage {
                word,
                problem,
                text,
            } => return self.misused(word, problem, text),
        };
        let sent = self
            .ctx
            .chat
            .send(self.id, Arc::clone(&self.peer.ip_text), &target, content)
            .await?;
        self.ctx.audit.record(
            self.audit(AuditKind::Message)
                .with("user", sent.sender)
                .with("channel", sent.channel)
                .with("to", sent.recipient)
                .with("length", sent.length),
        );
        Ok(())
    }
}
