//! Messages leaving the screens and the history: teachers' removals (taken off the v2 and
//! web clients of the room at once), erasures, and what a report may name (a message the
//! reporter could read).

use std::collections::BTreeMap;

use classcord_protocol::ServerLine;

use super::state::{ConnId, Hub};
use super::{internal, Chat};
use crate::names::{ChannelKey, NameKey};
use crate::store::{NewReport, Removal, Removed, StoredMessage};
use crate::vocabulary::{Notice, Refused, ReportListing};

/// How many of a person's last messages are looked through for the one a legacy client
/// reports by name (the last one the reporter could read).
const REPORT_LOOKBACK: u32 = 50;

impl Chat {
    /// Removes messages; the rooms' v2 and web clients are told which, at once. Returns the
    /// messages named removals took out, or how many a bulk one did.
    pub(crate) async fn remove_messages(&self, removal: Removal) -> Result<Removed, Refused> {
        let removed = self.store.remove(removal).await.map_err(internal)?;
        match &removed {
            Removed::Messages(messages) => {
                self.messages_removed.inc_by(messages.len() as u64);
                self.hub.tell_removed(messages);
            }
            Removed::Count(count) => {
                self.messages_removed.inc_by(*count as u64);
            }
        }
        Ok(removed)
    }

    /// The message `id` of a room (private messages are not teachers' to remove).
    pub(crate) async fn room_message(&self, id: i64) -> Result<Option<StoredMessage>, Refused> {
        Ok(self
            .store
            .message(id)
            .await
            .map_err(internal)?
            .filter(|message| message.channel.is_some()))
    }

    /// The message `id`, when the connection could read it (in a room it is in, or a
    /// private message it sent or received).
    pub(crate) async fn readable_message(
        &self,
        id: ConnId,
        message_id: i64,
    ) -> Result<StoredMessage, Refused> {
        self.store
            .message(message_id)
            .await
            .map_err(internal)?
            .filter(|message| self.hub.can_read(id, message))
            .ok_or(Refused::NoSuchMessage { id: message_id })
    }

    /// The last message of `sender` the connection could read.
    pub(crate) async fn last_readable_of(
        &self,
        id: ConnId,
        sender: &str,
    ) -> Result<StoredMessage, Refused> {
        self.store
            .last_messages_of(sender, REPORT_LOOKBACK)
            .await
            .map_err(internal)?
            .into_iter()
            .find(|message| self.hub.can_read(id, message))
            .ok_or_else(|| Refused::NothingToReport {
                name: sender.to_owned(),
            })
    }

    /// Stores a report and tells the teachers online.
    pub(crate) async fn report(&self, report: NewReport) -> Result<(), Refused> {
        let notice = Notice::Reported {
            reporter: report.reporter.clone(),
            sender: report.message.sender.clone(),
            room: report.message.channel.clone(),
            id: report.message.id,
            excerpt: report.message.content.clone(),
            reason: report.reason.clone(),
        };
        self.store.report(report).await.map_err(internal)?;
        self.hub.tell_teachers(&notice);
        Ok(())
    }

    /// Everything stored about a person (an access request).
    pub(crate) async fn person(&self, name: &str) -> Result<crate::store::PersonExport, Refused> {
        self.store.person(name).await.map_err(internal)
    }

    /// The last `limit` reports, newest first.
    pub(crate) async fn reports(&self, limit: u32) -> Result<Vec<ReportListing>, Refused> {
        self.store.reports(limit).await.map_err(internal)
    }
}

impl Hub {
    /// Tells the v2 members of each room which of its messages were removed.
    fn tell_removed(&self, messages: &[StoredMessage]) {
        let mut by_room: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for message in messages {
            if let Some(room) = &message.channel {
                by_room.entry(room).or_default().push(message.id);
            }
        }
        let state = self.lock();
        for (room, ids) in by_room {
            let Some(channel) = state.channels.get(&ChannelKey::of(room)) else {
                continue;
            };
            let line = ServerLine::Removed {
                channel: &channel.name,
                ids: &ids,
            }
            .encode();
            for (member_id, outbound) in &channel.members {
                let v2 = state
                    .members
                    .get(member_id)
                    .is_some_and(|member| member.dialect.receives_v2_lines());
                if v2 {
                    outbound.push(line.clone());
                }
            }
        }
    }

    /// Whether the connection could read `message`: in a room it is in, or a private
    /// message it sent or received.
    fn can_read(&self, id: ConnId, message: &StoredMessage) -> bool {
        let state = self.lock();
        let Some(member) = state.members.get(&id) else {
            return false;
        };
        let Some(name) = member.identity.name() else {
            return false;
        };
        let own = NameKey::of(name);
        match (&message.channel, &message.recipient) {
            (Some(room), _) => member.channels.contains(&ChannelKey::of(room)),
            (None, Some(recipient)) => {
                NameKey::of(recipient) == own || NameKey::of(&message.sender) == own
            }
            (None, None) => false,
        }
    }

    /// A notice to every teacher and administrator online.
    fn tell_teachers(&self, notice: &Notice) {
        let state = self.lock();
        self.tell_moderators(&state, notice);
    }
}
