//! Rooms with a mode (open, moderated, private): who may join, requests to join a moderated
//! room and their answers, invitations, closing, and a legacy client's current room (its
//! global messages go there, and it reads the room's messages prefixed with its name).

use std::collections::HashSet;

use bytes::Bytes;
use classcord_protocol::{ChatLine, Role, RoomMode, ServerLine};

use super::state::{ConnId, Hub, Identity, State};
use crate::names::{AccountKey, ChannelKey, NameKey};
use crate::store::StoredRooms;
use crate::vocabulary::{Notice, Refused, RoomListing, RoomMembers};

/// May this connection join that room?
pub(super) enum Access {
    Allowed,
    /// A moderated room: the request goes to the moderators.
    Ask,
    Refused,
}

/// A request to join that a moderator answered.
pub(crate) struct JoinRequest {
    pub(crate) requester: ConnId,
    /// The requester's account, when it has one (its membership is stored).
    pub(crate) account: Option<String>,
    pub(crate) room: String,
}

/// What `/room create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoomCreated {
    New,
    ModeChanged,
}

impl State {
    pub(super) fn access(&self, key: &ChannelKey, id: ConnId) -> Access {
        let (Some(channel), Some(member)) = (self.channels.get(key), self.members.get(&id)) else {
            return Access::Refused;
        };
        let member_of_room = match &member.identity {
            Identity::User(name) => channel.allowed.contains(&AccountKey::of(name)),
            _ => false,
        };
        match channel.mode {
            RoomMode::Open => Access::Allowed,
            _ if member.role >= Role::Moderator || member_of_room => Access::Allowed,
            RoomMode::Moderated => Access::Ask,
            RoomMode::Private => Access::Refused,
        }
    }

    /// Forgets a connection's requests to join (it left, or changed identity).
    pub(super) fn drop_requests(&mut self, id: ConnId, rooms: &HashSet<ChannelKey>) {
        for key in rooms {
            if let Some(channel) = self.channels.get_mut(key) {
                channel.pending.remove(&id);
            }
        }
    }
}

impl Hub {
    /// Checks that `id` may enter an existing room; for a moderated one, records the request,
    /// tells the moderators and refuses with `join_pending`.
    pub(super) fn check_access(
        &self,
        state: &mut State,
        id: ConnId,
        key: &ChannelKey,
    ) -> Result<(), Refused> {
        let room = match state.channels.get(key) {
            Some(channel) => channel.name.clone(),
            None => return Ok(()),
        };
        match state.access(key, id) {
            Access::Allowed => Ok(()),
            Access::Refused => Err(Refused::RoomPrivate { room }),
            Access::Ask => {
                let name = Hub::identified_name(state, id)?.to_owned();
                let first_time = state
                    .channels
                    .get_mut(key)
                    .is_some_and(|channel| channel.pending.insert(id, name.clone()).is_none());
                if let Some(member) = state.members.get_mut(&id) {
                    member.pending.insert(key.clone());
                }
                if first_time {
                    self.tell_moderators(
                        state,
                        &Notice::JoinRequest {
                            name,
                            room: room.clone(),
                        },
                    );
                }
                Err(Refused::RoomModerated { room })
            }
        }
    }

    /// Modes and stored members of rooms (at start).
    pub(super) fn add_rooms(&self, rooms: StoredRooms) {
        let mut state = self.lock();
        for (key, mode) in rooms.modes {
            if let Some(channel) = state.channels.get_mut(&key) {
                channel.mode = mode;
            }
        }
        for (key, account) in rooms.members {
            if let Some(channel) = state.channels.get_mut(&key) {
                channel.allowed.insert(account);
            }
        }
    }

    /// Creates a room with a mode, or changes an existing room's mode.
    pub(super) fn create_room(
        &self,
        name: &str,
        mode: RoomMode,
        creator: Option<AccountKey>,
    ) -> Result<(String, RoomCreated), Refused> {
        let key = ChannelKey::of(name);
        if key == self.default_key {
            return Err(Refused::DefaultRoomStaysOpen {
                default: self.settings.default_channel.clone(),
            });
        }
        let mut state = self.lock();
        // The server-wide bound holds for teachers too (the channels besides the default one).
        let max = self.settings.max_channels;
        if !state.channels.contains_key(&key) && state.channels.len() > max {
            return Err(Refused::ServerChannelsFull { max });
        }
        let created = if state.add_channel(key.clone(), name, creator, true) {
            RoomCreated::New
        } else {
            RoomCreated::ModeChanged
        };
        let channel = state.channels.get_mut(&key).expect("added above");
        channel.mode = mode;
        channel.used = true;
        Ok((channel.name.clone(), created))
    }

    /// Removes a room: its members are told and leave it. Returns its name.
    pub(super) fn close_room(&self, name: &str) -> Result<String, Refused> {
        let key = ChannelKey::of(name);
        if key == self.default_key {
            return Err(Refused::DefaultRoomStays {
                default: self.settings.default_channel.clone(),
            });
        }
        let mut state = self.lock();
        let channel = state
            .channels
            .remove(&key)
            .ok_or_else(|| no_such_room(name))?;
        let closed = Notice::RoomClosed {
            room: channel.name.clone(),
            default: self.settings.default_channel.clone(),
        };
        for id in channel.members.keys().chain(channel.pending.keys()) {
            if let Some(member) = state.members.get_mut(id) {
                member.channels.remove(&key);
                member.pending.remove(&key);
                if member.current_room.as_ref() == Some(&key) {
                    member.current_room = None;
                }
            }
            self.tell_in(&state, *id, &closed);
        }
        Ok(channel.name)
    }

    /// The room's mode, its stored members and who is in it now.
    pub(super) fn room_members(&self, name: &str) -> Result<RoomMembers, Refused> {
        let state = self.lock();
        let channel = state
            .channels
            .get(&ChannelKey::of(name))
            .ok_or_else(|| no_such_room(name))?;
        let mut members: Vec<String> = channel
            .allowed
            .iter()
            .map(|key| key.as_str().to_owned())
            .collect();
        members.sort_unstable();
        let mut online: Vec<String> = channel
            .members
            .keys()
            .filter_map(|id| Some(state.members.get(id)?.identity.name()?.to_owned()))
            .collect();
        online.sort_by_key(|name| name.to_lowercase());
        let mut pending: Vec<String> = channel.pending.values().cloned().collect();
        pending.sort_unstable();
        Ok(RoomMembers {
            room: channel.name.clone(),
            mode: channel.mode,
            members,
            online,
            pending,
        })
    }

    /// A class list's rooms and members: a room that does not exist is created private (one
    /// that exists keeps its mode).
    pub(super) fn add_roster_rooms(&self, rooms: &[String], members: &[(String, String)]) {
        let mut state = self.lock();
        for name in rooms {
            let key = ChannelKey::of(name);
            if state.add_channel(key.clone(), name, None, true) {
                if let Some(channel) = state.channels.get_mut(&key) {
                    channel.mode = RoomMode::Private;
                }
            }
        }
        for (room, account) in members {
            if let Some(channel) = state.channels.get_mut(&ChannelKey::of(room)) {
                channel.allowed.insert(AccountKey::of(account));
            }
        }
    }

    /// Makes an account a member of a room (an invitation or an accepted request). Returns
    /// the room's name.
    pub(super) fn allow(&self, room: &str, account: &AccountKey) -> Result<String, Refused> {
        let mut state = self.lock();
        let channel = state
            .channels
            .get_mut(&ChannelKey::of(room))
            .ok_or_else(|| no_such_room(room))?;
        channel.allowed.insert(account.clone());
        Ok(channel.name.clone())
    }

    /// Takes the pending request of `name` to join `room`.
    pub(super) fn take_request(&self, name: &str, room: &str) -> Result<JoinRequest, Refused> {
        let mut state = self.lock();
        let key = ChannelKey::of(room);
        let channel = state
            .channels
            .get_mut(&key)
            .ok_or_else(|| no_such_room(room))?;
        let wanted = NameKey::of(name);
        let requester = channel
            .pending
            .iter()
            .find(|(_, asked)| NameKey::of(asked) == wanted)
            .map(|(id, _)| *id)
            .ok_or_else(|| Refused::NotAsked {
                name: name.to_owned(),
                room: room.to_owned(),
            })?;
        channel.pending.remove(&requester);
        let room = channel.name.clone();
        let member = state.members.get_mut(&requester);
        let account = member.and_then(|member| {
            member.pending.remove(&key);
            match &member.identity {
                Identity::User(name) => Some(name.clone()),
                _ => None,
            }
        });
        Ok(JoinRequest {
            requester,
            account,
            room,
        })
    }

    /// A legacy client's current room: where its global messages go (`None`: the default).
    pub(super) fn set_current_room(&self, id: ConnId, room: Option<ChannelKey>) {
        if let Some(member) = self.lock().members.get_mut(&id) {
            member.current_room = room;
        }
    }

    pub(super) fn current_room(&self, id: ConnId) -> Option<String> {
        let state = self.lock();
        let key = state.members.get(&id)?.current_room.as_ref()?;
        state.channels.get(key).map(|c| c.name.clone())
    }

    /// The rooms this connection may join, sorted by name.
    pub(super) fn rooms_for(&self, id: ConnId) -> Vec<RoomListing> {
        let state = self.lock();
        let mut rooms: Vec<RoomListing> = state
            .channels
            .iter()
            .filter_map(|(key, channel)| {
                let ask = match state.access(key, id) {
                    Access::Allowed => false,
                    Access::Ask => true,
                    Access::Refused => return None,
                };
                Some(RoomListing {
                    name: channel.name.clone(),
                    mode: channel.mode,
                    members: channel.members.len(),
                    ask,
                })
            })
            .collect();
        rooms.sort_by_cached_key(|room| (room.name.to_lowercase(), room.name.clone()));
        rooms
    }
}

/// A message of a room other than the default one, as legacy clients read it: an ordinary
/// global message whose text starts with the room's name.
pub(super) fn legacy_room_line(message: &ChatLine) -> Bytes {
    let mut line = message.clone();
    if let Some(channel) = &message.channel {
        line.content = format!("[{channel}] {}", message.content);
    }
    ServerLine::Message(&line).encode()
}

pub(super) fn no_such_room(name: &str) -> Refused {
    Refused::NoSuchRoom {
        room: name.to_owned(),
    }
}
