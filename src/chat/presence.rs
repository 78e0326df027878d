//! Presence: dialects (who receives status lines), `status` changes, and the offline
//! announcement when a connection goes away.

use bytes::Bytes;
use classcord_protocol::server_line::{Badge, ChannelEvent, OFFLINE};
use classcord_protocol::{Dialect, Role, ServerLine};

use super::state::{ConnId, Hub, Identity, State};
use crate::names::NameKey;
use crate::vocabulary::Refused;

impl Hub {
    /// Records what the connection speaks (after `hello`).
    pub(super) fn set_dialect(&self, id: ConnId, dialect: Dialect) {
        let mut state = self.lock();
        let Some(member) = state.members.get_mut(&id) else {
            return;
        };
        member.dialect = dialect;
        let watcher = (dialect.receives_presence() && member.identity.name().is_some())
            .then(|| member.outbound.clone());
        match watcher {
            Some(outbound) => state.watchers.insert(id, outbound),
            None => state.watchers.remove(&id),
        };
    }

    pub(super) fn dialect(&self, id: ConnId) -> Dialect {
        self.lock()
            .members
            .get(&id)
            .map_or(Dialect::Legacy, |m| m.dialect)
    }

    /// Queues lines for one connection.
    pub(super) fn push(&self, id: ConnId, lines: Vec<Bytes>) {
        if let Some(member) = self.lock().members.get(&id) {
            for line in lines {
                member.outbound.push(line);
            }
        }
    }

    pub(super) fn set_status(&self, id: ConnId, presence: &str) -> Result<(), Refused> {
        let state = self.lock();
        let name = Hub::identified_name(&state, id)?;
        state.announce_status(Some(id), name, presence, None);
        Ok(())
    }

    /// Removes a closed connection and tells the others it went offline.
    pub(super) fn detach(&self, id: ConnId) {
        self.detach_member(id);
        self.departures.notify_waiters();
    }

    /// Whether the connection is still attached.
    pub(super) fn is_attached(&self, id: ConnId) -> bool {
        self.lock().members.contains_key(&id)
    }

    fn detach_member(&self, id: ConnId) {
        let mut state = self.lock();
        let Some(member) = state.members.remove(&id) else {
            return;
        };
        state.watchers.remove(&id);
        state.drop_requests(id, &member.pending);
        let announce = !state.shutting_down;
        for key in &member.channels {
            state.leave_channel(key, id, &self.default_key);
        }
        let Some(name) = member.identity.name() else {
            return;
        };
        if announce {
            for key in member.channels.iter().filter(|k| **k != self.default_key) {
                state.channel_event(key, ChannelEvent::Leave, name);
            }
        }
        let key = NameKey::of(name);
        if state.online.get(&key) == Some(&id) {
            state.online.remove(&key);
            if announce {
                state.announce_status(None, name, OFFLINE, None);
            }
        }
    }

    /// From now on, departures are not announced (everyone is leaving).
    pub(super) fn begin_shutdown(&self) {
        self.lock().shutting_down = true;
    }
}

/// What the list of people shows beside a name: teachers, administrators and guests.
pub(super) fn badge(identity: &Identity, role: Role) -> Option<Badge> {
    match (identity, role) {
        (Identity::Guest(_), _) => Some(Badge::Guest),
        (_, Role::Moderator) => Some(Badge::Teacher),
        (_, Role::Admin) => Some(Badge::Admin),
        (_, Role::User) => None,
    }
}

impl State {
    /// Tells every connection that wants presence lines, but `except`, the state of `user`
    /// (with their badge on arrival).
    pub(super) fn announce_status(
        &self,
        except: Option<ConnId>,
        user: &str,
        presence: &str,
        badge: Option<Badge>,
    ) {
        let line = ServerLine::Status {
            user,
            state: presence,
            badge,
        }
        .encode();
        self.to_watchers(except, &line);
    }

    fn to_watchers(&self, except: Option<ConnId>, line: &Bytes) {
        for (id, outbound) in &self.watchers {
            if Some(*id) != except {
                outbound.push_presence(line.clone());
            }
        }
    }
}
