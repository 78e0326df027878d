//! Moderation and room actions from a client (a slash command typed in the chat box, or a
//! typed `command` request): who runs it, and the answer in the client's dialect, to that
//! client alone (messages from the server for legacy clients, one `command` line for v2).

use classcord_protocol::{Action, CommandInfo, UsageProblem};

use crate::moderation::{self, Actor};
use crate::vocabulary::Refused;

use super::Session;

impl Session {
    /// The identified user running a command, with its role as it is now.
    fn actor(&self) -> Result<Actor, Refused> {
        let name = self.identity_name().ok_or(Refused::NotLoggedIn)?;
        Ok(Actor {
            name,
            role: self.ctx.chat.role(self.id),
            conn: Some(self.id),
        })
    }

    /// Runs a moderation or room action and answers this connection alone.
    pub(super) async fn act(&mut self, action: Action) -> Result<(), Refused> {
        let actor = self.actor()?;
        let word = action.word();
        match self.ctx.moderation.execute(&actor, action).await {
            Ok(answer) => {
                for line in self.ctx.renderer.answer(self.dialect(), word, answer) {
                    self.reply(line);
                }
            }
            Err(refused) => self.command_refused(&refused),
        }
        Ok(())
    }

    /// A known command used the wrong way: refused (for lack of rights first), never chat.
    pub(super) fn misused(
        &self,
        word: &str,
        problem: UsageProblem,
        text: Option<String>,
    ) -> Result<(), Refused> {
        let actor = self.actor()?;
        let Some(info) = CommandInfo::of(word) else {
            return Ok(());
        };
        let refused = moderation::check_role(&actor, info)
            .err()
            .unwrap_or(Refused::Usage {
                word: info.word,
                problem,
                text,
            });
        self.command_refused(&refused);
        Ok(())
    }

    /// A refused command: legacy clients read the reason as a message from the server.
    fn command_refused(&self, refused: &Refused) {
        tracing::debug!(peer = %self.peer.addr, code = refused.code().as_str(), "command refused");
        self.reply(self.ctx.renderer.command_refused(self.dialect(), refused));
    }
}
