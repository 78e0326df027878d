//! What administrators see and do to live connections: the online list and kicks.

use super::state::{Hub, Identity};
use crate::names::NameKey;
use crate::vocabulary::{CloseReason, NameKind, Notice, OnlineUser};

impl Hub {
    /// Closes the connection of `username` after telling it why. False when it is not online.
    pub(super) fn kick(&self, username: &str, why: &Notice) -> bool {
        let state = self.lock();
        let Some(member) = state
            .online
            .get(&NameKey::of(username))
            .and_then(|id| state.members.get(id))
        else {
            return false;
        };
        member.outbound.push(self.words.notice(member.dialect, why));
        member.outbound.close(CloseReason::Kicked);
        true
    }

    /// Identified connections, sorted by name.
    pub(super) fn online(&self) -> Vec<OnlineUser> {
        let state = self.lock();
        let mut list: Vec<OnlineUser> = state
            .online
            .values()
            .filter_map(|id| {
                let member = state.members.get(id)?;
                let kind = match member.identity {
                    Identity::Guest(_) => NameKind::Guest,
                    _ => NameKind::Account,
                };
                Some(OnlineUser {
                    name: member.identity.name()?.to_owned(),
                    address: member.peer,
                    kind,
                    role: member.role,
                })
            })
            .collect();
        list.sort_by_key(|user| user.name.to_lowercase());
        list
    }

    /// How many connections are identified.
    pub(super) fn online_count(&self) -> usize {
        self.lock().online.len()
    }
}

impl Hub {
    /// True when `username` is online as an account (not a guest holding the same name).
    pub(super) fn identity_is_account(&self, username: &str) -> bool {
        let state = self.lock();
        state
            .online
            .get(&NameKey::of(username))
            .and_then(|id| state.members.get(id))
            .is_some_and(|member| matches!(member.identity, Identity::User(_)))
    }
}
