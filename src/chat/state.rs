//! The chat core's live state (who is connected under which name, channels and their
//! members, presence watchers, the registered-name registry) behind one lock that is never
//! held across an await. Each concern adds its `impl State` block in its own file.

use prometheus_client::metrics::histogram::Histogram;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use classcord_protocol::{Dialect, Role, RoomMode};

use super::outbound::Outbound;
use super::sanctions::Sanctions;
use super::words::Words;
use crate::config::PrivateMessages;
use crate::names::{AccountKey, ChannelKey, NameKey};

/// Identifies one connection for as long as it lives.
pub(crate) type ConnId = u64;

/// Who a connection speaks as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    Anonymous,
    Guest(String),
    User(String),
}

impl Identity {
    pub(crate) fn name(&self) -> Option<&str> {
        match self {
            Identity::Anonymous => None,
            Identity::Guest(name) | Identity::User(name) => Some(name),
        }
    }
}

/// What the core needs from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Sender of server notices; nobody may take this name.
    pub(crate) notice_sender: String,
    /// Channel of legacy "global" messages, that everyone is in.
    pub(crate) default_channel: String,
    /// Channels that may exist besides the default one.
    pub(crate) max_channels: usize,
    /// Channels one account may create.
    pub(crate) max_channels_per_account: usize,
    /// Whom pupils may write to privately.
    pub(crate) private_messages: PrivateMessages,
}

pub(super) struct Member {
    pub(super) peer: SocketAddr,
    pub(super) outbound: Outbound,
    pub(super) identity: Identity,
    /// The account's role, read at login and changed live (guests: `User`).
    pub(super) role: Role,
    pub(super) dialect: Dialect,
    pub(super) channels: HashSet<ChannelKey>,
    /// A legacy client's room after `/join`: its global messages go there.
    pub(super) current_room: Option<ChannelKey>,
    /// Moderated rooms this connection asked to join.
    pub(super) pending: HashSet<ChannelKey>,
}

pub(super) struct Channel {
    pub(super) name: String,
    pub(super) members: HashMap<ConnId, Outbound>,
    /// The account that created it, for the per-account limit.
    pub(super) creator: Option<AccountKey>,
    /// A message was sent in it, or a moderator made it: it is kept even when empty.
    pub(super) used: bool,
    pub(super) mode: RoomMode,
    /// Accounts that may join a moderated or private room without asking.
    pub(super) allowed: HashSet<AccountKey>,
    /// Requests to join a moderated room: the requesting connection and its name.
    pub(super) pending: HashMap<ConnId, String>,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) members: HashMap<ConnId, Member>,
    /// Name key of every identified connection.
    pub(super) online: HashMap<NameKey, ConnId>,
    /// Identified connections that receive presence lines (most; not quiet v2 clients), so a
    /// status change costs one push per watcher, not a scan of every connection.
    pub(super) watchers: HashMap<ConnId, Outbound>,
    pub(super) channels: HashMap<ChannelKey, Channel>,
    /// Names of every account: guests never get them. Kept in step with the database by
    /// every account change of the running server.
    pub(super) registered: HashSet<NameKey>,
    /// Names of accounts being created.
    pub(super) registering: HashSet<NameKey>,
    /// Channels removed because they emptied without ever being used, for the store to forget.
    pub(super) expired: Vec<String>,
    pub(super) sanctions: Sanctions,
    /// The address each account last logged in from (since start): a sanction of the
    /// account also keeps guests from that address out.
    pub(super) last_address: HashMap<AccountKey, std::net::IpAddr>,
    pub(super) shutting_down: bool,
}

/// The state and what every concern needs to use it.
pub(crate) struct Hub {
    pub(super) settings: Settings,
    pub(super) default_key: ChannelKey,
    pub(super) reserved_key: NameKey,
    next_id: AtomicU64,
    state: Mutex<State>,
    /// Time to hand each committed batch to its recipients' queues.
    pub(super) fanout_seconds: Histogram,
    /// The edge's words for what the core tells connections on its own.
    pub(super) words: Arc<dyn Words>,
    /// Woken after each connection has left (and its departure was announced).
    pub(super) departures: tokio::sync::Notify,
}

impl Hub {
    pub(super) fn new(settings: Settings, fanout_seconds: Histogram, words: Arc<dyn Words>) -> Hub {
        let mut state = State::default();
        let default_key = ChannelKey::of(&settings.default_channel);
        state.add_channel(default_key.clone(), &settings.default_channel, None, true);
        Hub {
            default_key,
            reserved_key: NameKey::of(&settings.notice_sender),
            next_id: AtomicU64::new(1),
            state: Mutex::new(state),
            settings,
            fanout_seconds,
            words,
            departures: tokio::sync::Notify::new(),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new, anonymous connection. It receives nothing until it identifies.
    pub(super) fn attach(&self, peer: SocketAddr, outbound: Outbound) -> ConnId {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().members.insert(
            id,
            Member {
                peer,
                outbound,
                identity: Identity::Anonymous,
                role: Role::User,
                dialect: Dialect::Legacy,
                channels: HashSet::new(),
                current_room: None,
                pending: HashSet::new(),
            },
        );
        id
    }
}

impl State {
    pub(super) fn add_channel(
        &mut self,
        key: ChannelKey,
        name: &str,
        creator: Option<AccountKey>,
        used: bool,
    ) -> bool {
        if self.channels.contains_key(&key) {
            return false;
        }
        self.channels.insert(
            key,
            Channel {
                name: name.to_owned(),
                members: HashMap::new(),
                creator,
                used,
                mode: RoomMode::Open,
                allowed: HashSet::new(),
                pending: HashMap::new(),
            },
        );
        true
    }

    /// Removes connection `id` from channel `key`; a channel left empty that was never used
    /// (and is not the default one) goes away.
    pub(super) fn leave_channel(&mut self, key: &ChannelKey, id: ConnId, default_key: &ChannelKey) {
        let Some(channel) = self.channels.get_mut(key) else {
            return;
        };
        channel.members.remove(&id);
        if channel.members.is_empty() && !channel.used && key != default_key {
            if let Some(gone) = self.channels.remove(key) {
                self.expired.push(gone.name);
            }
        }
    }
}
