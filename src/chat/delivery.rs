//! Delivery: checking where a message may go, fanning committed messages out (serialised
//! once, the same bytes to every recipient's bounded queue), and server notices.

use std::collections::HashSet;

use bytes::{Bytes, BytesMut};
use classcord_protocol::server_line::{NoticeEvent, Subtype};
use classcord_protocol::{ChatLine, Role, ServerLine, Target};

use super::rooms::legacy_room_line;
use super::state::{ConnId, Hub, Identity, State};
use crate::config::PrivateMessages;
use crate::names::{ChannelKey, NameKey};
use crate::store::{CommitSink, SenderKind, StoredMessage};
use crate::time_format::rfc3339_ms;
use crate::vocabulary::{Notice, Refused};

/// Where an accepted message goes, with names resolved to their canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Route {
    pub(super) sender: String,
    pub(super) sender_kind: SenderKind,
    pub(super) destination: Destination,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Destination {
    Channel(String),
    User(String),
}

impl Hub {
    /// Checks that an identified connection may send to `target` and resolves the names.
    pub(super) fn route(&self, id: ConnId, target: &Target) -> Result<Route, Refused> {
        let mut guard = self.lock();
        let state = &mut *guard;
        if state
            .members
            .get(&id)
            .and_then(|m| m.identity.name())
            .is_some()
        {
            state.check_not_muted(id)?;
        }
        let member = state.members.get(&id).ok_or(Refused::ConnectionClosed)?;
        let sender = Hub::identified_name(state, id)?.to_owned();
        let sender_kind = match member.identity {
            Identity::Guest(_) => SenderKind::Guest,
            _ => SenderKind::Account,
        };
        let current_room = member
            .current_room
            .as_ref()
            .and_then(|key| state.channels.get(key))
            .map(|channel| channel.name.clone());
        let destination = match target {
            Target::Global => Destination::Channel(
                current_room.unwrap_or_else(|| self.settings.default_channel.clone()),
            ),
            Target::Channel(name) => {
                let key = ChannelKey::of(name);
                if !member.channels.contains(&key) {
                    return Err(Refused::JoinBeforeWriting {
                        channel: name.clone(),
                    });
                }
                // A channel something was said in is kept, even when it empties.
                let channel = state
                    .channels
                    .get_mut(&key)
                    .ok_or_else(|| Refused::ChannelGone {
                        channel: name.clone(),
                    })?;
                channel.used = true;
                Destination::Channel(channel.name.clone())
            }
            Target::Private(to) => {
                let key = NameKey::of(to);
                let recipient = state
                    .online
                    .get(&key)
                    .and_then(|rid| state.members.get(rid))
                    .filter(|m| m.identity.name().is_some())
                    .ok_or_else(|| Refused::UserOffline { name: to.clone() })?;
                if key == NameKey::of(&sender) {
                    return Err(Refused::PrivateToSelf);
                }
                self.check_private_policy(member.role, recipient.role)?;
                Destination::User(recipient.identity.name().unwrap_or_default().to_owned())
            }
        };
        Ok(Route {
            sender,
            sender_kind,
            destination,
        })
    }

    /// Whether `[classroom] private_messages` lets a sender of this role write privately to
    /// a recipient of that one: teachers and administrators always may.
    fn check_private_policy(&self, sender: Role, recipient: Role) -> Result<(), Refused> {
        if sender >= Role::Moderator {
            return Ok(());
        }
        match self.settings.private_messages {
            PrivateMessages::All => Ok(()),
            PrivateMessages::Teachers if recipient >= Role::Moderator => Ok(()),
            PrivateMessages::Teachers => Err(Refused::PrivateOnlyToTeachers),
            PrivateMessages::None => Err(Refused::PrivateClosed),
        }
    }

    /// A server notice to every identified connection: a `system` line for v2 clients, an
    /// ordinary global message from the reserved sender for legacy ones.
    pub(super) fn notice(&self, event: NoticeEvent, notice: &Notice) {
        let lines = self.words.everyone(event, notice);
        let state = self.lock();
        for member in state.members.values() {
            if member.identity.name().is_some() {
                member.outbound.push(member.dialect.pick(&lines).clone());
            }
        }
    }
}

impl State {
    fn deliver(&self, sender_conn: ConnId, message: StoredMessage, default_key: &ChannelKey) {
        let recipient_key = message.recipient.as_deref().map(NameKey::of);
        let channel_key = message.channel.as_deref().map(ChannelKey::of);
        let chat = chat_line(message);
        let line = ServerLine::Message(&chat).encode();
        if let Some(key) = recipient_key {
            let target = self.online.get(&key).and_then(|id| self.members.get(id));
            if let Some(member) = target {
                member.outbound.push(line);
            }
        } else if let Some(key) = channel_key {
            let Some(channel) = self.channels.get(&key) else {
                return;
            };
            // Legacy members of another room than the default one (after `/join`) read its
            // messages with the room's name in front; encoded only when one is there.
            let mut legacy_line = None;
            for (id, outbound) in &channel.members {
                if *id == sender_conn {
                    continue;
                }
                let legacy = key != *default_key
                    && self
                        .members
                        .get(id)
                        .is_some_and(|member| !member.dialect.receives_v2_lines());
                if legacy {
                    outbound.push(
                        legacy_line
                            .get_or_insert_with(|| legacy_room_line(&chat))
                            .clone(),
                    );
                } else {
                    outbound.push(line.clone());
                }
            }
        }
    }
}

impl State {
    /// Delivers consecutive messages of the default room (encoded, with their senders) and
    /// empties `run`: every member gets them in one buffer, without its own messages.
    fn deliver_run(&self, default_key: &ChannelKey, run: &mut Vec<(ConnId, Bytes)>) {
        let members = self
            .channels
            .get(default_key)
            .map(|channel| &channel.members);
        match (members, run.as_slice()) {
            (None, _) | (_, []) => {}
            (Some(members), [(sender, line)]) => {
                for (id, outbound) in members {
                    if id != sender {
                        outbound.push(line.clone());
                    }
                }
            }
            (Some(members), lines) => {
                let joined = |skip: Option<ConnId>| {
                    let mut buffer =
                        BytesMut::with_capacity(lines.iter().map(|(_, line)| line.len()).sum());
                    for (sender, line) in lines {
                        if Some(*sender) != skip {
                            buffer.extend_from_slice(line);
                        }
                    }
                    buffer.freeze()
                };
                let senders: HashSet<ConnId> = lines.iter().map(|(sender, _)| *sender).collect();
                let shared = joined(None);
                for (id, outbound) in members {
                    let for_member = if senders.contains(id) {
                        joined(Some(*id))
                    } else {
                        shared.clone()
                    };
                    if !for_member.is_empty() {
                        outbound.push(for_member);
                    }
                }
            }
        }
        run.clear();
    }
}

/// A stored message as clients see it.
pub(super) fn chat_line(message: StoredMessage) -> ChatLine {
    ChatLine {
        subtype: if message.recipient.is_some() {
            Subtype::Private
        } else {
            Subtype::Global
        },
        from: message.sender,
        to: message.recipient,
        channel: message.channel,
        content: message.content,
        timestamp: rfc3339_ms(message.created_at_ms),
        id: Some(message.id),
    }
}

impl CommitSink for Hub {
    /// Fans a committed batch out in commit order. Consecutive messages of the default room
    /// (most of a busy classroom's traffic) reach each member as one buffer holding all of
    /// them, so a batch of K messages costs each member one queue operation, not K.
    fn committed(&self, messages: Vec<(ConnId, StoredMessage)>) {
        let started = std::time::Instant::now();
        let state = self.lock();
        let mut run = Vec::new();
        for (sender_conn, message) in messages {
            let in_default_room = message.recipient.is_none()
                && message.channel.as_deref() == Some(self.settings.default_channel.as_str());
            if in_default_room {
                run.push((
                    sender_conn,
                    ServerLine::Message(&chat_line(message)).encode(),
                ));
            } else {
                state.deliver_run(&self.default_key, &mut run);
                state.deliver(sender_conn, message, &self.default_key);
            }
        }
        state.deliver_run(&self.default_key, &mut run);
        drop(state);
        self.fanout_seconds.observe(started.elapsed().as_secs_f64());
    }

    fn failed(&self, sender_conns: Vec<ConnId>) {
        let state = self.lock();
        for id in sender_conns {
            if let Some(member) = state.members.get(&id) {
                member
                    .outbound
                    .push(self.words.notice(member.dialect, &Notice::NotStored));
            }
        }
    }
}
