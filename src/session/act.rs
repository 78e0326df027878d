//! Moderation and room actions from a client (a slash command typed in the chat box, or a
//! typed `command` request): who runs it, and the answer in the client's dialect, to that
//! client alone (messages from the server for legacy clients, one `command` line for v2).

use classcord_protocol::server_line::Outcome;
use classcord_protocol::{Action, CommandInfo, ErrorCode, ProtocolError, ServerLine};

use crate::moderation::{self, Actor};

use super::Session;

impl Session {
    /// The identified user running a command, with its role as it is now.
    fn actor(&self) -> Result<Actor, ProtocolError> {
        let name = self.identity_name().ok_or_else(|| {
            ProtocolError::new(ErrorCode::NotLoggedIn, "Not logged in: log in first.")
        })?;
        Ok(Actor {
            name,
            role: self.ctx.chat.role(self.id),
            conn: Some(self.id),
        })
    }

    /// Runs a moderation or room action and answers this connection alone.
    pub(super) async fn act(&mut self, action: Action) -> Result<(), ProtocolError> {
        let actor = self.actor()?;
        let word = action.word();
        match moderation::execute(&self.ctx, &actor, action).await {
            Ok(moderation::Outcome::Text(lines)) => self.answer(word, &lines),
            Ok(moderation::Outcome::Lines(lines)) => {
                for line in lines {
                    self.reply(line);
                }
            }
            Err(error) => self.command_refused(&error),
        }
        Ok(())
    }

    /// A known command used the wrong way: refused (for lack of rights first), never chat.
    pub(super) fn misused(&self, word: &str, problem: String) -> Result<(), ProtocolError> {
        let actor = self.actor()?;
        let Some(info) = CommandInfo::of(word) else {
            return Ok(());
        };
        let error = moderation::check_role(&actor, info)
            .err()
            .unwrap_or_else(|| {
                ProtocolError::new(
                    ErrorCode::InvalidCommand,
                    format!("Usage: {} ({problem}).", info.usage),
                )
            });
        self.command_refused(&error);
        Ok(())
    }

    /// A command's answer: messages from the server for legacy clients, one `command` line
    /// for v2 clients.
    fn answer(&self, word: &'static str, lines: &[String]) {
        if self.dialect.receives_v2_lines() {
            self.reply(
                ServerLine::Command {
                    action: word,
                    status: Outcome::Ok,
                    lines,
                }
                .encode(),
            );
        } else {
            for line in lines {
                self.reply(self.ctx.chat.said_by_server(line));
            }
        }
    }

    /// A refused command: legacy clients read the reason as a message from the server.
    fn command_refused(&self, error: &ProtocolError) {
        tracing::debug!(peer = %self.peer.addr, code = error.code.as_str(), "command refused");
        if self.dialect.receives_v2_lines() {
            self.reply(classcord_protocol::error_line(error));
        } else {
            self.reply(self.ctx.chat.said_by_server(&error.message));
        }
    }
}
