//! Teachers removing messages (`/delete ID`, `/purge NAME [N]`) and anyone reporting one
//! (`/report ID|NAME [reason]`, listed by `/reports`): rights, the chat core's removal and
//! notices, the moderation log (with the removed text only when the school keeps it).

use classcord_protocol::{Reported, Role, PURGE_DEFAULT};

use super::{Actor, Moderation};
use crate::fixed::REPORTS_LISTED;
use crate::names::NameKey;
use crate::store::{NewReport, Removal, Removed, StoredMessage};
use crate::vocabulary::{Answer, Refused};

impl Moderation {
    pub(super) async fn delete(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<String>,
    ) -> Result<Answer, Refused> {
        let message = self
            .chat
            .room_message(id)
            .await?
            .ok_or(Refused::NoSuchMessage { id })?;
        self.sender_name(actor, &message.sender).await?;
        let removed = match self.chat.remove_messages(Removal::One { id }).await? {
            Removed::Messages(messages) => messages,
            Removed::Count(_) => Vec::new(),
        };
        let Some(message) = removed.into_iter().next() else {
            // Removed by someone else in between.
            return Err(Refused::NoSuchMessage { id });
        };
        self.record_removal(
            actor,
            "delete",
            &message.sender,
            reason,
            std::slice::from_ref(&message),
        )
        .await?;
        Ok(Answer::Deleted {
            id,
            sender: message.sender,
        })
    }

    pub(super) async fn purge(
        &self,
        actor: &Actor,
        name: &str,
        count: Option<u32>,
        reason: Option<String>,
    ) -> Result<Answer, Refused> {
        let sender = self.sender_name(actor, name).await?;
        let count = count.unwrap_or(PURGE_DEFAULT) as usize;
        let removal = Removal::LastOf {
            sender: sender.clone(),
            count,
        };
        let removed = match self.chat.remove_messages(removal).await? {
            Removed::Messages(messages) => messages,
            Removed::Count(_) => Vec::new(),
        };
        self.record_removal(actor, "purge", &sender, reason, &removed)
            .await?;
        Ok(Answer::Purged {
            name: sender,
            count: removed.len(),
        })
    }

    pub(super) async fn report(
        &self,
        actor: &Actor,
        message: Reported,
        reason: Option<String>,
    ) -> Result<Answer, Refused> {
        let conn = actor.connection()?;
        if self
            .report_budget
            .check_key(&NameKey::of(&actor.name))
            .is_err()
        {
            return Err(Refused::TooManyReports);
        }
        let message = match message {
            Reported::Id { id } => self.chat.readable_message(conn, id).await?,
            Reported::LastOf { user } => self.chat.last_readable_of(conn, &user).await?,
        };
        if NameKey::of(&message.sender) == NameKey::of(&actor.name) {
            return Err(Refused::NotToYourself);
        }
        let sender = message.sender.clone();
        self.chat
            .report(NewReport {
                reporter: actor.name.clone(),
                message,
                reason: reason.clone(),
            })
            .await?;
        self.record(actor, "report", Some(&sender), None, reason.as_deref())
            .await?;
        Ok(Answer::ReportSent)
    }

    pub(super) async fn reports(&self) -> Result<Answer, Refused> {
        Ok(Answer::Reports(self.chat.reports(REPORTS_LISTED).await?))
    }

    /// The stored spelling of the person whose messages are removed, checked against the
    /// actor's rank: someone online, an account, or a guest gone offline (their messages
    /// are stored under the name they had).
    async fn sender_name(&self, actor: &Actor, name: &str) -> Result<String, Refused> {
        let (name, role) = match self.chat.online_target(name) {
            Some(online) => (online.name, online.role),
            None => match self.chat.account(name).await? {
                Some(account) => (account.name, account.role),
                None => (name.to_owned(), Role::User),
            },
        };
        super::check_rank(actor, &name, role)?;
        Ok(name)
    }

    /// The moderation log's line for a removal: who, whose, how many, why; the texts only
    /// when `[classroom] keep_removed_text` is on.
    async fn record_removal(
        &self,
        actor: &Actor,
        action: &'static str,
        sender: &str,
        reason: Option<String>,
        removed: &[StoredMessage],
    ) -> Result<(), Refused> {
        let ids: Vec<String> = removed.iter().map(|m| m.id.to_string()).collect();
        let detail = match reason {
            Some(reason) => format!("{reason} (ids {})", ids.join(",")),
            None => format!("ids {}", ids.join(",")),
        };
        let text = self.keep_removed_text.then(|| {
            removed
                .iter()
                .map(|m| m.content.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        });
        self.record_with(actor, action, Some(sender), None, Some(&detail), text)
            .await
    }
}
