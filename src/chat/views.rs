//! What administrators see and do to live connections: the online list and kicks.

use std::net::SocketAddr;

use classcord_protocol::{ErrorCode, ProtocolError, Refusal, Role};
use serde::{Deserialize, Serialize};

use super::outbound::CloseReason;
use super::state::{Hub, Identity};
use crate::protocol::names::NameKey;

/// Whether an online name is an account or a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NameKind {
    Account,
    Guest,
}

/// One identified connection, as `classcord admin users` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OnlineUser {
    pub(crate) name: String,
    pub(crate) address: SocketAddr,
    pub(crate) kind: NameKind,
    /// Guests are users (absent from servers older than moderation).
    #[serde(default)]
    pub(crate) role: Role,
}

impl Hub {
    /// Closes the connection of `username` after telling it why. False when it is not online.
    pub(super) fn kick(&self, username: &str, reason: &str) -> bool {
        let state = self.lock();
        let Some(member) = state
            .online
            .get(&NameKey::of(username))
            .and_then(|id| state.members.get(id))
        else {
            return false;
        };
        let line = match member
            .dialect
            .refusal(&ProtocolError::new(ErrorCode::Kicked, reason))
        {
            Refusal::Line(line) => line,
            Refusal::Say | Refusal::Ignored(_) => self.said_by_server(reason),
        };
        member.outbound.push(line);
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

    pub(super) fn users_line(&self, max_bytes: usize) -> bytes::Bytes {
        super::names::users_line(&self.lock(), max_bytes)
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
