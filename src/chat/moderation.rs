//! Moderation in the live state: roles, who a moderation action names, sanctions (checked at
//! login, when a guest is named and when a message is sent) and personal notices from the
//! server.

use std::net::SocketAddr;
use std::time::Duration;

use classcord_protocol::Role;
use tokio::time::Instant;

use super::state::{ConnId, Hub, Identity, State};
use crate::names::{AccountKey, NameKey};
use crate::store::{SanctionKind, Subject};
use crate::vocabulary::{NameKind, Notice, Refused, Remaining};

/// Someone online that a moderation action names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OnlineTarget {
    pub(crate) id: ConnId,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) kind: NameKind,
    pub(crate) peer: SocketAddr,
}

impl OnlineTarget {
    /// What a sanction of this user applies to: the account, or a guest's address.
    pub(crate) fn subject(&self) -> Subject {
        match self.kind {
            NameKind::Account => Subject::Account(AccountKey::of(&self.name)),
            NameKind::Guest => Subject::Address(self.peer.ip()),
        }
    }
}

impl Hub {
    /// The role of an identified connection (guests and anonymous connections: `User`).
    pub(super) fn role(&self, id: ConnId) -> Role {
        self.lock().members.get(&id).map_or(Role::User, |m| m.role)
    }

    /// The connection online under `name`, if any.
    pub(super) fn online_target(&self, name: &str) -> Option<OnlineTarget> {
        let state = self.lock();
        let id = *state.online.get(&NameKey::of(name))?;
        let member = state.members.get(&id)?;
        let (name, kind) = match &member.identity {
            Identity::User(name) => (name.clone(), NameKind::Account),
            Identity::Guest(name) => (name.clone(), NameKind::Guest),
            Identity::Anonymous => return None,
        };
        Some(OnlineTarget {
            id,
            name,
            role: member.role,
            kind,
            peer: member.peer,
        })
    }

    /// The address the account `name` last logged in from since the server started.
    pub(super) fn last_address(&self, name: &str) -> Option<std::net::IpAddr> {
        self.lock().last_address.get(&AccountKey::of(name)).copied()
    }

    /// A role changed: the account's connection has (or loses) its rights at once.
    pub(super) fn set_role(&self, username: &str, role: Role) {
        let mut state = self.lock();
        let Some(id) = state.online.get(&NameKey::of(username)).copied() else {
            return;
        };
        if let Some(member) = state.members.get_mut(&id) {
            if matches!(&member.identity, Identity::User(name)
                if AccountKey::of(name) == AccountKey::of(username))
            {
                member.role = role;
            }
        }
    }

    pub(super) fn set_sanction(
        &self,
        kind: SanctionKind,
        subject: Subject,
        label: &str,
        duration: Option<Duration>,
    ) {
        let until = duration.map(|d| Instant::now() + d);
        self.lock().sanctions.set(kind, subject, label, until);
    }

    /// Lifts `kind` from the subjects named `name`: the account, and the addresses of guests
    /// sanctioned under that name. Returns what was lifted.
    pub(super) fn lift_sanctions(&self, kind: SanctionKind, name: &str) -> Vec<Subject> {
        let mut state = self.lock();
        let mut subjects = state.sanctions.labelled(kind, &NameKey::of(name));
        let account = Subject::Account(AccountKey::of(name));
        if !subjects.contains(&account) {
            subjects.push(account);
        }
        subjects.retain(|subject| state.sanctions.lift(kind, subject));
        subjects
    }

    /// A deleted account is a member of no room and under no sanction any more (a later
    /// account of the same name starts clean; the store deletes the same rows).
    pub(super) fn forget_account(&self, account: &AccountKey) {
        let mut state = self.lock();
        for channel in state.channels.values_mut() {
            channel.allowed.remove(account);
        }
        let subject = Subject::Account(account.clone());
        state.sanctions.lift(SanctionKind::Exclusion, &subject);
        state.sanctions.lift(SanctionKind::Mute, &subject);
    }

    /// A personal notice from the server to one connection.
    pub(super) fn tell(&self, id: ConnId, notice: &Notice) {
        let state = self.lock();
        self.tell_in(&state, id, notice);
    }

    /// A personal notice to every online moderator and administrator.
    pub(super) fn tell_moderators(&self, state: &State, notice: &Notice) {
        for (id, member) in &state.members {
            if member.role >= Role::Moderator && member.identity.name().is_some() {
                self.tell_in(state, *id, notice);
            }
        }
    }

    pub(super) fn tell_in(&self, state: &State, id: ConnId, notice: &Notice) {
        if let Some(member) = state.members.get(&id) {
            member
                .outbound
                .push(self.words.notice(member.dialect, notice));
        }
    }
}

impl State {
    /// How long the subject is still excluded, if it is.
    pub(super) fn excluded(&mut self, subject: &Subject) -> Option<Remaining> {
        self.sanctions.remaining(SanctionKind::Exclusion, subject)
    }

    /// Refuses a message from a muted sender (an account, or a guest's address).
    pub(super) fn check_not_muted(&mut self, id: ConnId) -> Result<(), Refused> {
        let Some(member) = self.members.get(&id) else {
            return Ok(());
        };
        let subject = match &member.identity {
            Identity::User(name) => Subject::Account(AccountKey::of(name)),
            _ => Subject::Address(member.peer.ip()),
        };
        match self.sanctions.remaining(SanctionKind::Mute, &subject) {
            None => Ok(()),
            Some(left) => Err(Refused::Muted(left)),
        }
    }
}
