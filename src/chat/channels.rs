//! Channels: joining, leaving, listing, and the join/leave events v2 members receive.

use classcord_protocol::server_line::ChannelEvent;
use classcord_protocol::{ChannelInfo, Role, ServerLine};

use super::rooms::Access;
use super::state::{ConnId, Hub, Identity, State};
use crate::names::{AccountKey, ChannelKey};
use crate::store::StoredChannel;
use crate::vocabulary::Refused;

/// Result of joining a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JoinOutcome {
    /// The channel's canonical name.
    pub(crate) channel: String,
    /// The channel did not exist before and must be stored: the account that created it.
    pub(crate) created_by: Option<String>,
}

/// Whether joining checks the room's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    Checked,
    /// A moderator accepted the request.
    Granted,
}

impl Hub {
    /// Adds an identified connection to a channel, creating the channel if needed: only
    /// accounts create channels, within the per-account and server limits.
    pub(super) fn join(
        &self,
        id: ConnId,
        channel: &str,
        admission: Admission,
    ) -> Result<JoinOutcome, Refused> {
        let mut state = self.lock();
        let name = Hub::identified_name(&state, id)?.to_owned();
        let key = ChannelKey::of(channel);
        let creator = if state.channels.contains_key(&key) {
            if admission == Admission::Checked {
                self.check_access(&mut state, id, &key)?;
            }
            None
        } else {
            Some(self.may_create_channel(&state, id)?)
        };
        let created_by = creator.is_some().then(|| name.clone());
        if let Some(creator) = creator {
            state.add_channel(key.clone(), channel, Some(creator), false);
        }
        let outbound = state.members[&id].outbound.clone();
        let entry = state.channels.get_mut(&key).expect("added above");
        let display = entry.name.clone();
        let already = entry.members.insert(id, outbound).is_some();
        if let Some(member) = state.members.get_mut(&id) {
            member.channels.insert(key.clone());
        }
        if !already && key != self.default_key {
            state.channel_event(&key, ChannelEvent::Join, &name);
        }
        Ok(JoinOutcome {
            channel: display,
            created_by,
        })
    }

    pub(super) fn leave(&self, id: ConnId, channel: &str) -> Result<String, Refused> {
        let mut state = self.lock();
        let name = Hub::identified_name(&state, id)?.to_owned();
        let key = ChannelKey::of(channel);
        if key == self.default_key {
            return Err(Refused::LeaveDefault {
                default: self.settings.default_channel.clone(),
            });
        }
        let removed = state
            .members
            .get_mut(&id)
            .is_some_and(|m| m.channels.remove(&key));
        if !removed {
            return Err(Refused::NotInChannel {
                channel: channel.to_owned(),
            });
        }
        let display = match state.channels.get(&key) {
            Some(entry) => entry.name.clone(),
            None => channel.to_owned(),
        };
        if let Some(member) = state.members.get_mut(&id) {
            if member.current_room.as_ref() == Some(&key) {
                member.current_room = None;
            }
        }
        state.leave_channel(&key, id, &self.default_key);
        state.channel_event(&key, ChannelEvent::Leave, &name);
        Ok(display)
    }

    /// The canonical name of a channel the connection is in.
    pub(super) fn member_channel(&self, id: ConnId, channel: &str) -> Result<String, Refused> {
        let state = self.lock();
        Hub::identified_name(&state, id)?;
        let key = ChannelKey::of(channel);
        match state.members.get(&id) {
            Some(member) if member.channels.contains(&key) => Ok(state.channels[&key].name.clone()),
            _ => Err(Refused::JoinFirst {
                channel: channel.to_owned(),
            }),
        }
    }

    /// Every known channel with its number of connected members.
    pub(super) fn channels_for(&self, id: ConnId) -> Vec<ChannelInfo> {
        let state = self.lock();
        let mut list: Vec<ChannelInfo> = state
            .channels
            .iter()
            // A private room is listed to its members and the teachers only.
            .filter(|(key, _)| !matches!(state.access(key, id), Access::Refused))
            .map(|(_, c)| ChannelInfo {
                name: c.name.clone(),
                members: c.members.len(),
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// Who creates a new channel, or why they may not.
    fn may_create_channel(&self, state: &State, id: ConnId) -> Result<AccountKey, Refused> {
        let Some(member) = state.members.get(&id) else {
            return Err(Refused::ConnectionClosed);
        };
        let Identity::User(account) = &member.identity else {
            return Err(Refused::GuestsCannotCreate);
        };
        let creator = AccountKey::of(account);
        let settings = &self.settings;
        let per_account_limit = if member.role >= Role::Moderator {
            usize::MAX
        } else {
            settings.max_channels_per_account
        };
        if state.channels.len() > settings.max_channels {
            return Err(Refused::ServerChannelsFull {
                max: settings.max_channels,
            });
        }
        let own = state
            .channels
            .values()
            .filter(|c| c.creator.as_ref() == Some(&creator))
            .count();
        if own >= per_account_limit {
            return Err(if per_account_limit == 0 {
                Refused::OnlyTeachersCreate
            } else {
                Refused::OwnChannelsFull { count: own }
            });
        }
        Ok(creator)
    }

    /// Adds channels found in the database (at start).
    pub(super) fn add_channels(&self, channels: Vec<StoredChannel>) {
        let mut state = self.lock();
        for channel in channels {
            let creator = channel.created_by.as_deref().map(AccountKey::of);
            state.add_channel(
                ChannelKey::of(&channel.name),
                &channel.name,
                creator,
                channel.used,
            );
        }
    }

    /// Names of the channels that emptied without ever being used, since the last call.
    pub(super) fn take_expired(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().expired)
    }
}

impl State {
    /// Tells the members of a channel who receive v2 lines that someone joined or left.
    pub(super) fn channel_event(&self, key: &ChannelKey, event: ChannelEvent, user: &str) {
        let Some(channel) = self.channels.get(key) else {
            return;
        };
        let line = ServerLine::Channel {
            event,
            channel: &channel.name,
            user,
        }
        .encode();
        for id in channel.members.keys() {
            if let Some(member) = self
                .members
                .get(id)
                .filter(|m| m.dialect.receives_v2_lines())
            {
                member.outbound.push_presence(line.clone());
            }
        }
    }
}
