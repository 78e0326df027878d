//! The chat core, independent of sockets: who is online under which name, channels and their
//! members, and fan-out. Each outgoing line is serialised once and the same bytes go to every
//! recipient's bounded queue. The lock is never held across an await.

mod outbound;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

pub use outbound::{CloseReason, Closer, Outbound};

use crate::protocol::dialect::{Dialect, DialectLines};
use crate::protocol::error::{ErrorCode, ProtocolError};
use crate::protocol::names::{channel_key, name_key};
use crate::protocol::server_line::{error_line, ChannelInfo, ChatLine, ServerLine};
use crate::protocol::Target;
use crate::store::{CommitSink, StoreError, StoredMessage};
use crate::time_format::rfc3339_ms;

pub type ConnId = u64;

/// Who a connection speaks as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    Guest(String),
    User(String),
}

impl Identity {
    pub fn name(&self) -> Option<&str> {
        match self {
            Identity::Anonymous => None,
            Identity::Guest(name) | Identity::User(name) => Some(name),
        }
    }
}

/// Where an accepted message goes, with names resolved to their canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub sender: String,
    pub sender_is_guest: bool,
    pub channel: Option<String>,
    pub recipient: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HubSettings {
    pub notice_sender: String,
    pub default_channel: String,
}

struct Member {
    peer: SocketAddr,
    outbound: Outbound,
    identity: Identity,
    dialect: Dialect,
    /// Keys of the channels this connection is in.
    channels: HashSet<String>,
}

struct Channel {
    name: String,
    members: HashMap<ConnId, Outbound>,
}

#[derive(Default)]
struct State {
    members: HashMap<ConnId, Member>,
    /// Name key of every identified connection.
    online: HashMap<String, ConnId>,
    /// Identified connections that receive presence lines (most; not quiet v2 clients), so a
    /// status change costs one push per watcher, not a scan of every connection.
    watchers: HashMap<ConnId, Outbound>,
    channels: HashMap<String, Channel>,
    registered: HashSet<String>,
    registering: HashSet<String>,
    shutting_down: bool,
}

pub struct Hub {
    settings: HubSettings,
    default_key: String,
    next_id: AtomicU64,
    state: Mutex<State>,
}

impl Hub {
    pub fn new(settings: HubSettings) -> Hub {
        let default_key = channel_key(&settings.default_channel);
        let hub = Hub {
            default_key,
            next_id: AtomicU64::new(1),
            state: Mutex::new(State::default()),
            settings,
        };
        hub.preload(Vec::new(), vec![hub.settings.default_channel.clone()]);
        hub
    }

    /// Adds what the database knows: registered names (protected from guests) and channels.
    pub fn preload(&self, registered_keys: Vec<String>, channel_names: Vec<String>) {
        let mut state = self.lock();
        state.registered.extend(registered_keys);
        for name in channel_names {
            state.channels.entry(channel_key(&name)).or_insert(Channel {
                name,
                members: HashMap::new(),
            });
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new, anonymous connection. It receives nothing until it identifies.
    pub fn attach(&self, peer: SocketAddr, outbound: Outbound) -> ConnId {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().members.insert(
            id,
            Member {
                peer,
                outbound,
                identity: Identity::Anonymous,
                dialect: Dialect::Legacy,
                channels: HashSet::new(),
            },
        );
        id
    }

    /// Removes a closed connection and tells the others it went offline.
    pub fn detach(&self, id: ConnId) {
        let mut state = self.lock();
        let Some(member) = state.members.remove(&id) else {
            return;
        };
        state.watchers.remove(&id);
        let announce = !state.shutting_down;
        for key in &member.channels {
            if let Some(channel) = state.channels.get_mut(key) {
                channel.members.remove(&id);
            }
        }
        if let Some(name) = member.identity.name() {
            if announce {
                for key in member.channels.iter().filter(|k| **k != self.default_key) {
                    Self::channel_event(&state, key, "leave", name);
                }
            }
            let key = name_key(name);
            if state.online.get(&key) == Some(&id) {
                state.online.remove(&key);
                if announce {
                    let line = ServerLine::Status {
                        user: name,
                        state: "offline",
                    }
                    .encode();
                    Self::to_watchers(&state, None, &line);
                }
            }
        }
    }

    /// Records what the connection speaks (after `hello`).
    pub fn set_dialect(&self, id: ConnId, dialect: Dialect) {
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

    pub fn identity(&self, id: ConnId) -> Identity {
        self.lock()
            .members
            .get(&id)
            .map(|m| m.identity.clone())
            .unwrap_or(Identity::Anonymous)
    }

    /// Logs a connection in as `username` (canonical spelling). `reply` is queued before any
    /// other line can reach the connection. An older connection of the same account is closed.
    pub fn login(&self, id: ConnId, username: &str, reply: Bytes) -> Result<(), ProtocolError> {
        let mut state = self.lock();
        let previous = match state.members.get(&id) {
            None => return Ok(()),
            Some(member) => member.identity.clone(),
        };
        match &previous {
            Identity::User(name) if name_key(name) == name_key(username) => {
                // Logging in again as oneself: just confirm.
                state.members[&id].outbound.push(reply);
                return Ok(());
            }
            Identity::User(_) => {
                return Err(ProtocolError::new(
                    ErrorCode::AlreadyLoggedIn,
                    "Already logged in: reconnect to change account.",
                ))
            }
            Identity::Guest(_) | Identity::Anonymous => {}
        }
        let key = name_key(username);
        if let Some(old_id) = state.online.get(&key).copied() {
            if let Some(old) = state.members.get(&old_id) {
                old.outbound.push(error_line(&ProtocolError::new(
                    ErrorCode::Replaced,
                    "Logged in from another connection.",
                )));
                old.outbound.close(CloseReason::Replaced);
            }
            Self::release_name(&mut state, old_id, &self.default_key);
        }
        if let Identity::Guest(old_name) = &previous {
            Self::release_name(&mut state, id, &self.default_key);
            let line = ServerLine::Status {
                user: old_name,
                state: "offline",
            }
            .encode();
            Self::to_watchers(&state, Some(id), &line);
        }
        state.members[&id].outbound.push(reply);
        self.identify(&mut state, id, Identity::User(username.to_owned()));
        Ok(())
    }

    /// Gives an anonymous connection a guest name: the one asked for when it is free,
    /// otherwise the first free `name_2`, `name_3`, … Registered names are never given.
    pub fn claim_guest(&self, id: ConnId, requested: &str) -> Result<String, ProtocolError> {
        let mut state = self.lock();
        let Some(member) = state.members.get(&id) else {
            return Err(ProtocolError::new(
                ErrorCode::NotLoggedIn,
                "Connection closed.",
            ));
        };
        if let Some(name) = member.identity.name() {
            return Ok(name.to_owned());
        }
        let reserved = name_key(&self.settings.notice_sender);
        let is_free = |state: &State, candidate: &str| {
            let key = name_key(candidate);
            key != reserved
                && !state.registered.contains(&key)
                && !state.registering.contains(&key)
                && !state.online.contains_key(&key)
        };
        let name = std::iter::once(requested.to_owned())
            .chain((2..=999).map(|n| format!("{requested}_{n}")))
            .find(|candidate| is_free(&state, candidate))
            .ok_or_else(|| {
                ProtocolError::new(ErrorCode::UsernameTaken, "No free guest name left.")
            })?;
        self.identify(&mut state, id, Identity::Guest(name.clone()));
        Ok(name)
    }

    /// Reserves a name for an account being created. Fails when the name is registered,
    /// being registered, or used by anyone online (guests included).
    pub fn reserve_registration(
        self: &Arc<Self>,
        username: &str,
    ) -> Result<NameReservation, ProtocolError> {
        let key = name_key(username);
        let mut state = self.lock();
        if state.registered.contains(&key)
            || state.registering.contains(&key)
            || state.online.contains_key(&key)
        {
            return Err(ProtocolError::new(
                ErrorCode::UsernameTaken,
                "Username already exists.",
            ));
        }
        state.registering.insert(key.clone());
        Ok(NameReservation {
            hub: Arc::clone(self),
            key,
            confirmed: false,
        })
    }

    /// The `users` reply: every identified name once, sorted.
    pub fn users_line(&self) -> Bytes {
        let state = self.lock();
        let mut names: Vec<&str> = state
            .online
            .values()
            .filter_map(|id| state.members.get(id)?.identity.name())
            .collect();
        names.sort_by_key(|name| name.to_lowercase());
        ServerLine::Users { users: names }.encode()
    }

    pub fn set_status(&self, id: ConnId, presence: &str) -> Result<(), ProtocolError> {
        let state = self.lock();
        let name = Self::identified_name(&state, id)?;
        let line = ServerLine::Status {
            user: name,
            state: presence,
        }
        .encode();
        Self::to_watchers(&state, Some(id), &line);
        Ok(())
    }

    /// Checks that an identified connection may send to `target` and resolves the names.
    pub fn route(&self, id: ConnId, target: &Target) -> Result<Route, ProtocolError> {
        let state = self.lock();
        let member = state
            .members
            .get(&id)
            .ok_or_else(|| ProtocolError::new(ErrorCode::NotLoggedIn, "Connection closed."))?;
        let sender = Self::identified_name(&state, id)?.to_owned();
        let sender_is_guest = matches!(member.identity, Identity::Guest(_));
        let mut route = Route {
            sender,
            sender_is_guest,
            channel: None,
            recipient: None,
        };
        match target {
            Target::Global => route.channel = Some(self.settings.default_channel.clone()),
            Target::Channel(name) => {
                let key = channel_key(name);
                if !member.channels.contains(&key) {
                    return Err(ProtocolError::new(
                        ErrorCode::NotInChannel,
                        format!("Join {name} before writing to it."),
                    ));
                }
                route.channel = Some(state.channels[&key].name.clone());
            }
            Target::Private(to) => {
                let key = name_key(to);
                let recipient = state
                    .online
                    .get(&key)
                    .and_then(|rid| state.members.get(rid))
                    .and_then(|m| m.identity.name())
                    .ok_or_else(|| {
                        ProtocolError::new(
                            ErrorCode::UserOffline,
                            format!("User '{to}' is not online."),
                        )
                    })?;
                if key == name_key(&route.sender) {
                    return Err(ProtocolError::new(
                        ErrorCode::InvalidField,
                        "You cannot send a private message to yourself.",
                    ));
                }
                route.recipient = Some(recipient.to_owned());
            }
        }
        Ok(route)
    }

    /// Adds an identified connection to a channel, creating the channel if needed.
    pub fn join(&self, id: ConnId, channel: &str) -> Result<JoinOutcome, ProtocolError> {
        let mut state = self.lock();
        let name = Self::identified_name(&state, id)?.to_owned();
        let key = channel_key(channel);
        let created = !state.channels.contains_key(&key);
        let outbound = state.members[&id].outbound.clone();
        let entry = state
            .channels
            .entry(key.clone())
            .or_insert_with(|| Channel {
                name: channel.to_owned(),
                members: HashMap::new(),
            });
        let display = entry.name.clone();
        let already = entry.members.insert(id, outbound).is_some();
        if let Some(member) = state.members.get_mut(&id) {
            member.channels.insert(key.clone());
        }
        if !already && key != self.default_key {
            Self::channel_event(&state, &key, "join", &name);
        }
        Ok(JoinOutcome {
            channel: display,
            created,
        })
    }

    pub fn leave(&self, id: ConnId, channel: &str) -> Result<String, ProtocolError> {
        let mut state = self.lock();
        let name = Self::identified_name(&state, id)?.to_owned();
        let key = channel_key(channel);
        if key == self.default_key {
            return Err(ProtocolError::new(
                ErrorCode::InvalidChannel,
                format!("Everyone stays in {}.", self.settings.default_channel),
            ));
        }
        let removed = state
            .members
            .get_mut(&id)
            .is_some_and(|m| m.channels.remove(&key));
        if !removed {
            return Err(ProtocolError::new(
                ErrorCode::NotInChannel,
                format!("You are not in {channel}."),
            ));
        }
        let display = match state.channels.get_mut(&key) {
            Some(entry) => {
                entry.members.remove(&id);
                entry.name.clone()
            }
            None => channel.to_owned(),
        };
        Self::channel_event(&state, &key, "leave", &name);
        Ok(display)
    }

    /// The canonical name of a channel the connection is in.
    pub fn member_channel(&self, id: ConnId, channel: &str) -> Result<String, ProtocolError> {
        let state = self.lock();
        Self::identified_name(&state, id)?;
        let key = channel_key(channel);
        match state.members.get(&id) {
            Some(member) if member.channels.contains(&key) => Ok(state.channels[&key].name.clone()),
            _ => Err(ProtocolError::new(
                ErrorCode::NotInChannel,
                format!("Join {channel} first."),
            )),
        }
    }

    /// Every known channel with its number of connected members.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        let state = self.lock();
        let mut list: Vec<ChannelInfo> = state
            .channels
            .values()
            .map(|c| ChannelInfo {
                name: c.name.clone(),
                members: c.members.len(),
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list
    }

    /// Closes the connection of `username` after telling it why. False when it is not online.
    pub fn kick(&self, username: &str, reason: &str) -> bool {
        let state = self.lock();
        let Some(member) = state
            .online
            .get(&name_key(username))
            .and_then(|id| state.members.get(id))
        else {
            return false;
        };
        member
            .outbound
            .push(error_line(&ProtocolError::new(ErrorCode::Kicked, reason)));
        member.outbound.close(CloseReason::Kicked);
        true
    }

    /// Identified connections: name, address, and whether it is a guest.
    pub fn online(&self) -> Vec<(String, SocketAddr, bool)> {
        let state = self.lock();
        let mut list: Vec<_> = state
            .online
            .values()
            .filter_map(|id| {
                let member = state.members.get(id)?;
                let name = member.identity.name()?.to_owned();
                Some((
                    name,
                    member.peer,
                    matches!(member.identity, Identity::Guest(_)),
                ))
            })
            .collect();
        list.sort_by_key(|(name, _, _)| name.to_lowercase());
        list
    }

    /// A server notice to every identified connection: a `system` line for v2 clients, an
    /// ordinary global message from the reserved sender for legacy ones.
    pub fn notice(&self, event: &str, text: &str) {
        let state = self.lock();
        let v2 = ServerLine::System {
            event,
            message: text,
        }
        .encode();
        let legacy = ChatLine {
            subtype: "global",
            from: self.settings.notice_sender.clone(),
            to: None,
            channel: Some(self.settings.default_channel.clone()),
            content: text.to_owned(),
            timestamp: rfc3339_ms(crate::store::now_ms()),
            id: None,
        };
        let lines = DialectLines {
            legacy: ServerLine::Message(&legacy).encode(),
            v2,
        };
        for member in state.members.values() {
            if member.identity.name().is_some() {
                member.outbound.push(member.dialect.pick(&lines).clone());
            }
        }
    }

    /// From now on, departures are not announced (everyone is leaving).
    pub fn begin_shutdown(&self) {
        self.lock().shutting_down = true;
    }

    fn identified_name(state: &State, id: ConnId) -> Result<&str, ProtocolError> {
        state
            .members
            .get(&id)
            .and_then(|m| m.identity.name())
            .ok_or_else(|| {
                ProtocolError::new(ErrorCode::NotLoggedIn, "Not logged in: log in first.")
            })
    }

    /// Marks a connection identified: it joins the default channel and everyone is told.
    fn identify(&self, state: &mut State, id: ConnId, identity: Identity) {
        let Some(member) = state.members.get_mut(&id) else {
            return;
        };
        let name = identity.name().unwrap_or_default().to_owned();
        member.identity = identity;
        member.channels.insert(self.default_key.clone());
        let outbound = member.outbound.clone();
        if member.dialect.receives_presence() {
            state.watchers.insert(id, outbound.clone());
        }
        state.online.insert(name_key(&name), id);
        if let Some(channel) = state.channels.get_mut(&self.default_key) {
            channel.members.insert(id, outbound);
        }
        let line = ServerLine::Status {
            user: &name,
            state: "online",
        }
        .encode();
        Self::to_watchers(state, Some(id), &line);
    }

    /// Takes a connection's name and channels away (it is being replaced or renamed).
    fn release_name(state: &mut State, id: ConnId, default_key: &str) {
        let Some(member) = state.members.get_mut(&id) else {
            return;
        };
        let identity = std::mem::replace(&mut member.identity, Identity::Anonymous);
        let channels = std::mem::take(&mut member.channels);
        state.watchers.remove(&id);
        for key in &channels {
            if let Some(channel) = state.channels.get_mut(key) {
                channel.members.remove(&id);
            }
        }
        if let Some(name) = identity.name() {
            for key in channels.iter().filter(|k| k.as_str() != default_key) {
                Self::channel_event(state, key, "leave", name);
            }
            let key = name_key(name);
            if state.online.get(&key) == Some(&id) {
                state.online.remove(&key);
            }
        }
    }

    /// Sends a presence line to every identified connection that wants them, but `except`.
    fn to_watchers(state: &State, except: Option<ConnId>, line: &Bytes) {
        for (id, outbound) in &state.watchers {
            if Some(*id) != except {
                outbound.push(line.clone());
            }
        }
    }

    /// Tells the v2 members of a channel that someone joined or left.
    fn channel_event(state: &State, key: &str, event: &'static str, user: &str) {
        let Some(channel) = state.channels.get(key) else {
            return;
        };
        let line = ServerLine::Channel {
            event,
            channel: &channel.name,
            user,
        }
        .encode();
        for id in channel.members.keys() {
            if let Some(member) = state
                .members
                .get(id)
                .filter(|m| m.dialect.receives_v2_lines())
            {
                member.outbound.push(line.clone());
            }
        }
    }

    fn deliver(&self, state: &State, sender_conn: ConnId, message: StoredMessage) {
        let recipient_key = message.recipient.as_deref().map(name_key);
        let channel_key = message.channel.as_deref().map(channel_key);
        let line = ServerLine::Message(&chat_line(message)).encode();
        if let Some(key) = recipient_key {
            let target = state.online.get(&key).and_then(|id| state.members.get(id));
            if let Some(member) = target {
                member.outbound.push(line);
            }
        } else if let Some(channel) = channel_key.and_then(|key| state.channels.get(&key)) {
            for (id, outbound) in &channel.members {
                if *id != sender_conn {
                    outbound.push(line.clone());
                }
            }
        }
    }
}

/// Result of [`Hub::join`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinOutcome {
    pub channel: String,
    pub created: bool,
}

/// Holds a name while its account is created; dropping it without [`confirm`] frees the name.
///
/// [`confirm`]: NameReservation::confirm
pub struct NameReservation {
    hub: Arc<Hub>,
    key: String,
    confirmed: bool,
}

impl NameReservation {
    /// The account exists: the name stays protected.
    pub fn confirm(mut self) {
        self.confirmed = true;
    }
}

impl Drop for NameReservation {
    fn drop(&mut self) {
        let mut state = self.hub.lock();
        state.registering.remove(&self.key);
        if self.confirmed {
            state.registered.insert(std::mem::take(&mut self.key));
        }
    }
}

/// A stored message as clients see it.
pub fn chat_line(message: StoredMessage) -> ChatLine {
    ChatLine {
        subtype: if message.recipient.is_some() {
            "private"
        } else {
            "global"
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
    fn committed(&self, messages: Vec<(u64, StoredMessage)>) {
        let state = self.lock();
        for (sender_conn, message) in messages {
            self.deliver(&state, sender_conn, message);
        }
    }

    fn failed(&self, sender_conns: Vec<u64>, error: &StoreError) {
        let line = error_line(&ProtocolError::new(
            ErrorCode::StorageError,
            format!("Message not sent: the server could not store it ({error})."),
        ));
        let state = self.lock();
        for id in sender_conns {
            if let Some(member) = state.members.get(&id) {
                member.outbound.push(line.clone());
            }
        }
    }
}
