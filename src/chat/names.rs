//! Names: identifying a connection as an account or a guest, freeing names, and the registry
//! of account names that guests may never take (kept live by every account change).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use classcord_protocol::server_line::Badge;
use classcord_protocol::{Role, ServerLine};

use super::state::{ConnId, Hub, Identity, State};
use crate::names::{AccountKey, NameKey};
use crate::store::Subject;
use crate::vocabulary::CloseReason;
use crate::vocabulary::{Notice, Refused};

impl Hub {
    pub(super) fn identity(&self, id: ConnId) -> Identity {
        self.lock()
            .members
            .get(&id)
            .map(|m| m.identity.clone())
            .unwrap_or(Identity::Anonymous)
    }

    /// Logs a connection in as `username` (canonical spelling). `reply` is queued before any
    /// other line can reach the connection. An older connection of the same account is closed.
    pub(super) fn login(
        &self,
        id: ConnId,
        username: &str,
        role: Role,
        reply: Bytes,
    ) -> Result<(), Refused> {
        let mut state = self.lock();
        let previous = match state.members.get(&id) {
            None => return Ok(()),
            Some(member) => member.identity.clone(),
        };
        if let Some(left) = state.excluded(&Subject::Account(AccountKey::of(username))) {
            return Err(Refused::LoginExcluded(left));
        }
        let key = NameKey::of(username);
        match &previous {
            Identity::User(name) if AccountKey::of(name) == AccountKey::of(username) => {
                // Logging in again as oneself: just confirm.
                state.members[&id].outbound.push(reply);
                return Ok(());
            }
            Identity::User(_) => return Err(Refused::AlreadyLoggedIn),
            Identity::Guest(_) | Identity::Anonymous => {}
        }
        if let Some(old_id) = state.online.get(&key).copied().filter(|old| *old != id) {
            // Two accounts made before look-alike names were refused: both may log in, not
            // at the same time (the live state knows one name per look).
            let same_account = state.members.get(&old_id).is_some_and(|old| {
                matches!(&old.identity, Identity::User(name)
                    if AccountKey::of(name) == AccountKey::of(username))
            });
            if !same_account {
                return Err(Refused::LookAlikeOnline);
            }
            if let Some(old) = state.members.get(&old_id) {
                old.outbound
                    .push(self.words.notice(old.dialect, &Notice::Replaced));
                old.outbound.close(CloseReason::Replaced);
            }
            state.release_name(old_id, &self.default_key);
        }
        if let Identity::Guest(old_name) = &previous {
            state.release_name(id, &self.default_key);
            state.announce_status(
                Some(id),
                old_name,
                classcord_protocol::server_line::OFFLINE,
                None,
            );
        }
        state.members[&id].outbound.push(reply);
        if let Some(member) = state.members.get_mut(&id) {
            member.role = role;
            let address = member.peer.ip();
            state.last_address.insert(AccountKey::of(username), address);
        }
        self.identify(&mut state, id, Identity::User(username.to_owned()));
        Ok(())
    }

    /// Gives an anonymous connection a guest name: the one asked for when it is free,
    /// otherwise the first free `name_2`, `name_3`, … Registered names are never given.
    /// Asking for a registered name tells that the account exists: `probe_allowed` (the
    /// address's login budget) is charged for it, so names cannot be probed faster than
    /// passwords can.
    pub(super) fn claim_guest(
        &self,
        id: ConnId,
        requested: &str,
        probe_allowed: impl FnOnce() -> bool,
    ) -> Result<String, Refused> {
        let mut state = self.lock();
        let Some(member) = state.members.get(&id) else {
            return Err(Refused::ConnectionClosed);
        };
        if let Some(name) = member.identity.name() {
            return Ok(name.to_owned());
        }
        let address = Subject::Address(member.peer.ip());
        if let Some(left) = state.excluded(&address) {
            return Err(Refused::GuestExcluded(left));
        }
        let requested_key = NameKey::of(requested);
        let names_an_account =
            state.registered.contains(&requested_key) || state.registering.contains(&requested_key);
        if names_an_account && !probe_allowed() {
            return Err(Refused::TooManyNameProbes);
        }
        let name = std::iter::once(requested.to_owned())
            .chain((2..=999).map(|n| format!("{requested}_{n}")))
            .find(|candidate| self.is_free(&state, &NameKey::of(candidate)))
            .ok_or(Refused::NoFreeGuestName)?;
        self.identify(&mut state, id, Identity::Guest(name.clone()));
        Ok(name)
    }

    fn is_free(&self, state: &State, key: &NameKey) -> bool {
        *key != self.reserved_key
            && !state.registered.contains(key)
            && !state.registering.contains(key)
            && !state.online.contains_key(key)
    }

    /// Reserves a name for an account being created. Fails when the name is registered,
    /// being registered, reserved, or used by anyone online (guests included).
    pub(super) fn reserve_registration(
        self: &Arc<Self>,
        username: &str,
    ) -> Result<NameReservation, NameTaken> {
        let key = NameKey::of(username);
        let mut state = self.lock();
        if state.online.contains_key(&key) {
            return Err(NameTaken::Online);
        }
        if !self.is_free(&state, &key) {
            return Err(NameTaken::Registered);
        }
        state.registering.insert(key.clone());
        Ok(NameReservation {
            hub: Arc::clone(self),
            key: Some(key),
            confirmed: false,
        })
    }

    /// Adds account names found in the database (at start).
    pub(super) fn register_names(&self, keys: Vec<NameKey>) {
        self.lock().registered.extend(keys);
    }

    /// The account no longer exists: its name is free again.
    pub(super) fn unregister_name(&self, username: &str) {
        self.lock().registered.remove(&NameKey::of(username));
    }

    pub(super) fn identified_name(state: &State, id: ConnId) -> Result<&str, Refused> {
        state
            .members
            .get(&id)
            .and_then(|m| m.identity.name())
            .ok_or(Refused::NotLoggedIn)
    }

    /// Marks a connection identified: it joins the default channel and everyone is told.
    fn identify(&self, state: &mut State, id: ConnId, identity: Identity) {
        let Some(member) = state.members.get_mut(&id) else {
            return;
        };
        let name = identity.name().unwrap_or_default().to_owned();
        let badge = super::presence::badge(&identity, member.role);
        member.identity = identity;
        member.channels.insert(self.default_key.clone());
        let outbound = member.outbound.clone();
        if member.dialect.receives_presence() {
            state.watchers.insert(id, outbound.clone());
        }
        state.online.insert(NameKey::of(&name), id);
        if let Some(channel) = state.channels.get_mut(&self.default_key) {
            channel.members.insert(id, outbound);
        }
        state.announce_status(
            Some(id),
            &name,
            classcord_protocol::server_line::ONLINE,
            badge,
        );
    }
}

/// Why a name cannot become an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameTaken {
    /// An account has it (or is being created with it), or it is the notice sender's.
    Registered,
    /// Someone online (a guest, most likely) uses it.
    Online,
}

/// Holds a name while its account is created; dropping it without [`confirm`] frees the name.
///
/// [`confirm`]: NameReservation::confirm
pub(crate) struct NameReservation {
    hub: Arc<Hub>,
    key: Option<NameKey>,
    confirmed: bool,
}

impl NameReservation {
    /// The account exists: the name stays protected.
    pub(crate) fn confirm(mut self) {
        self.confirmed = true;
    }
}

impl Drop for NameReservation {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let mut state = self.hub.lock();
        state.registering.remove(&key);
        if self.confirmed {
            state.registered.insert(key);
        }
    }
}

impl State {
    /// Takes a connection's name and channels away (it is being replaced or renamed).
    pub(super) fn release_name(&mut self, id: ConnId, default_key: &crate::names::ChannelKey) {
        let Some(member) = self.members.get_mut(&id) else {
            return;
        };
        let identity = std::mem::replace(&mut member.identity, Identity::Anonymous);
        let channels = std::mem::take(&mut member.channels);
        let pending = std::mem::take(&mut member.pending);
        member.current_room = None;
        member.role = Role::User;
        self.watchers.remove(&id);
        self.drop_requests(id, &pending);
        for key in &channels {
            self.leave_channel(key, id, default_key);
        }
        if let Some(name) = identity.name() {
            for key in channels.iter().filter(|k| *k != default_key) {
                self.channel_event(
                    key,
                    classcord_protocol::server_line::ChannelEvent::Leave,
                    name,
                );
            }
            let key = NameKey::of(name);
            if self.online.get(&key) == Some(&id) {
                self.online.remove(&key);
            }
        }
    }
}

/// The `users` reply: every identified name once, sorted, as many as fit in `max_bytes`.
impl Hub {
    pub(super) fn users_line(&self, max_bytes: usize) -> Bytes {
        users_line(&self.lock(), max_bytes)
    }
}

fn users_line(state: &State, max_bytes: usize) -> Bytes {
    let mut people: Vec<(&str, Option<Badge>)> = state
        .online
        .values()
        .filter_map(|id| {
            let member = state.members.get(id)?;
            let name = member.identity.name()?;
            Some((name, super::presence::badge(&member.identity, member.role)))
        })
        .collect();
    people.sort_by_key(|(name, _)| name.to_lowercase());
    // A name with a badge is written twice (in the list and in the badges).
    let fits = super::fitting(people.iter(), max_bytes - 64, |(name, badge)| {
        super::json_string_bound(name) * if badge.is_some() { 2 } else { 1 } + 12
    });
    let more = fits < people.len();
    people.truncate(fits);
    let badges: BTreeMap<&str, Badge> = people
        .iter()
        .filter_map(|(name, badge)| Some((*name, (*badge)?)))
        .collect();
    ServerLine::Users {
        users: people.into_iter().map(|(name, _)| name).collect(),
        more,
        badges,
    }
    .encode()
}
