//! What moderation and rooms ask of the chat core: sanctions (live and stored), personal
//! notices, rooms and their members, requests to join, a legacy client's current room, and
//! the moderation log. Who may do what is decided by the caller (`crate::moderation`).

use std::time::Duration;

use bytes::Bytes;
use classcord_protocol::{Dialect, Role, RoomMode};

use super::channels::Admission;
use super::delivery::chat_line;
use super::moderation::OnlineTarget;
use super::rooms::{legacy_room_line, RoomCreated};
use super::{internal, Chat, ConnId};
use crate::names::{channel_name_error, AccountKey, ChannelKey};
use crate::store::{
    ModerationEntry, ModerationWrite, RoomChange, SanctionChange, SanctionKind, StoredSanction,
    Subject,
};
use crate::vocabulary::{Answer, Notice, Refused, RoomListing, RoomMembers};

/// A stored account, as moderation needs it.
#[derive(Debug, Clone)]
pub(crate) struct AccountInfo {
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) banned: bool,
}

/// A moderator's answer to a request to join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestAnswer {
    Accept,
    Reject(Option<String>),
}

impl Chat {
    pub(crate) fn role(&self, id: ConnId) -> Role {
        self.hub.role(id)
    }

    pub(crate) fn online_target(&self, name: &str) -> Option<OnlineTarget> {
        self.hub.online_target(name)
    }

    /// The address the account `name` last logged in from since the server started.
    pub(crate) fn last_address(&self, name: &str) -> Option<std::net::IpAddr> {
        self.hub.last_address(name)
    }

    /// The stored account of that name, if any.
    pub(crate) async fn account(&self, name: &str) -> Result<Option<AccountInfo>, Refused> {
        let record = self
            .store
            .find_user(&AccountKey::of(name))
            .await
            .map_err(internal)?;
        Ok(record.map(|record| AccountInfo {
            name: record.username,
            role: record.role,
            banned: record.banned,
        }))
    }

    /// Puts a sanction in force now and stores it (it survives a restart).
    pub(crate) async fn sanction(
        &self,
        kind: SanctionKind,
        subject: Subject,
        label: &str,
        duration: Option<Duration>,
    ) -> Result<(), Refused> {
        self.hub
            .set_sanction(kind, subject.clone(), label, duration);
        let until_ms = duration.map(|d| crate::time_format::now_ms() + d.as_millis() as i64);
        self.store
            .moderate(ModerationWrite::Sanction(SanctionChange::Set(
                StoredSanction {
                    kind,
                    subject,
                    label: label.to_owned(),
                    until_ms,
                },
            )))
            .await
            .map_err(internal)
    }

    /// Lifts `kind` from the account `name` and from guests sanctioned under that name.
    /// Returns how many sanctions were lifted.
    pub(crate) async fn lift(&self, kind: SanctionKind, name: &str) -> Result<usize, Refused> {
        let lifted = self.hub.lift_sanctions(kind, name);
        for subject in &lifted {
            self.store
                .moderate(ModerationWrite::Sanction(SanctionChange::Lift {
                    kind,
                    subject: subject.clone(),
                }))
                .await
                .map_err(internal)?;
        }
        Ok(lifted.len())
    }

    /// A personal notice from the server.
    pub(crate) fn tell(&self, id: ConnId, notice: &Notice) {
        self.hub.tell(id, notice)
    }

    /// Who is online, as `/who` answers.
    pub(crate) fn who(&self, viewer: Role) -> Answer {
        Answer::Who {
            online: self.hub.online(),
            viewer,
        }
    }

    /// Adds a line to the moderation log (committed in order with the action's writes).
    pub(crate) async fn log_moderation(&self, entry: ModerationEntry) -> Result<(), Refused> {
        self.store
            .moderate(ModerationWrite::Log(entry))
            .await
            .map_err(internal)
    }

    pub(crate) async fn moderation_log(&self, limit: u32) -> Result<Vec<ModerationEntry>, Refused> {
        self.store.moderation_log(limit).await.map_err(internal)
    }

    /// Creates a room with a mode (or changes an existing room's mode) and stores it.
    pub(crate) async fn create_room(
        &self,
        creator: Option<&str>,
        room: &str,
        mode: RoomMode,
    ) -> Result<(String, RoomCreated), Refused> {
        if let Some(problem) = channel_name_error(room) {
            return Err(Refused::InvalidChannel(problem));
        }
        let (name, created) = self
            .hub
            .create_room(room, mode, creator.map(AccountKey::of))?;
        self.store
            .moderate(ModerationWrite::Room(RoomChange::Create {
                name: name.clone(),
                mode,
                created_by: creator.map(str::to_owned),
            }))
            .await
            .map_err(internal)?;
        Ok((name, created))
    }

    /// Closes a room: its members go back to the default one; its messages stay stored.
    pub(crate) async fn close_room(&self, room: &str) -> Result<String, Refused> {
        let name = self.hub.close_room(room)?;
        self.store
            .moderate(ModerationWrite::Room(RoomChange::Close {
                name: name.clone(),
            }))
            .await
            .map_err(internal)?;
        Ok(name)
    }

    pub(crate) fn room_members(&self, room: &str) -> Result<RoomMembers, Refused> {
        self.hub.room_members(room)
    }

    /// Makes an account a stored member of a room, and tells it when it is online.
    pub(crate) async fn invite(&self, account: &str, room: &str) -> Result<String, Refused> {
        let room = self.add_member(room, account).await?;
        if let Some(target) = self.hub.online_target(account) {
            self.hub
                .tell(target.id, &Notice::Invited { room: room.clone() });
        }
        Ok(room)
    }

    /// Makes an account a member of a room, live and stored. Returns the room's name.
    async fn add_member(&self, room: &str, account: &str) -> Result<String, Refused> {
        let key = AccountKey::of(account);
        let room = self.hub.allow(room, &key)?;
        self.store
            .moderate(ModerationWrite::Room(RoomChange::AddMember {
                room: ChannelKey::of(&room),
                account: key,
            }))
            .await
            .map_err(internal)?;
        Ok(room)
    }

    /// Answers a request to join a moderated room. An accepted account becomes a stored
    /// member; an accepted guest may stay for this connection. The requester is told.
    pub(crate) async fn answer_request(
        &self,
        name: &str,
        room: &str,
        answer: RequestAnswer,
    ) -> Result<String, Refused> {
        let request = self.hub.take_request(name, room)?;
        let room = request.room;
        match answer {
            RequestAnswer::Reject(reason) => {
                self.hub.tell(
                    request.requester,
                    &Notice::RequestRefused {
                        room: room.clone(),
                        reason,
                    },
                );
            }
            RequestAnswer::Accept => {
                if let Some(account) = &request.account {
                    self.add_member(&room, account).await?;
                }
                let lines = self
                    .enter(request.requester, &room, Admission::Granted)
                    .await?;
                self.hub.push(request.requester, lines);
            }
        }
        Ok(room)
    }

    /// Whether `room` names the default room (everyone is in it: `/join` there is `/leave`).
    pub(crate) fn is_default_room(&self, room: &str) -> bool {
        ChannelKey::of(room) == self.hub.default_key
    }

    /// `/join #room`: enters a room (or asks to). A legacy client makes it its current room
    /// and reads its recent messages prefixed with its name; a v2 client gets the `join`
    /// answer and the history, as for a typed `join`.
    pub(crate) async fn enter_room(&self, id: ConnId, room: &str) -> Result<Vec<Bytes>, Refused> {
        self.enter(id, room, Admission::Checked).await
    }

    async fn enter(
        &self,
        id: ConnId,
        room: &str,
        admission: Admission,
    ) -> Result<Vec<Bytes>, Refused> {
        if self.hub.dialect(id).receives_v2_lines() {
            return self.join_admitted(id, room, admission).await;
        }
        let joined = self.join_channel(id, room, admission).await?;
        self.hub.set_current_room(id, Some(ChannelKey::of(&joined)));
        let in_room = Notice::InRoom {
            room: joined.clone(),
            default: self.hub.settings.default_channel.clone(),
        };
        let mut lines = vec![self.hub.words.notice(Dialect::Legacy, &in_room)];
        lines.extend(self.legacy_replay(&joined).await?);
        Ok(lines)
    }

    /// The last messages of a room as a legacy client reads them, within the reply budget.
    async fn legacy_replay(&self, room: &str) -> Result<Vec<Bytes>, Refused> {
        if self.history_replay == 0 {
            return Ok(Vec::new());
        }
        let stored = self
            .store
            .channel_history(&ChannelKey::of(room), self.history_replay, None)
            .await
            .map_err(internal)?;
        let mut lines: Vec<Bytes> = stored
            .into_iter()
            .map(|message| legacy_room_line(&chat_line(message)))
            .collect();
        let fits = super::fitting_tail(&lines, self.limits.max_reply_bytes, Bytes::len);
        Ok(lines.split_off(lines.len() - fits))
    }

    /// `/leave`: a legacy client goes back to the default room (leaving its current one).
    pub(crate) fn leave_room(&self, id: ConnId) -> Result<Answer, Refused> {
        let default = self.hub.settings.default_channel.clone();
        match self.hub.current_room(id) {
            None => Ok(Answer::InDefaultRoom { default }),
            Some(room) => {
                // Leaving the room also makes the default one current again.
                self.leave(id, &room)?;
                Ok(Answer::LeftRoom { room, default })
            }
        }
    }

    pub(crate) fn rooms_for(&self, id: ConnId) -> Vec<RoomListing> {
        self.hub.rooms_for(id)
    }
}
