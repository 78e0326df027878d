//! Sessions of the chat: a token for an account's connection, a login with it instead of
//! the password (a page that reloads), its end at a logout. The store keeps the tokens'
//! hashes and ends them on a password change, a ban or the account's deletion.

use super::accounts::{LoggedIn, LoginRefused};
use super::state::Identity;
use super::{internal, Chat, ConnId};
use crate::names::AccountKey;
use crate::store::{SessionLookup, SessionToken, SessionWrite, TokenHash};
use crate::vocabulary::{AuthFailureReason, Refused};

/// A token just given, and how long it lasts.
pub(crate) struct OpenedSession {
    pub(crate) token: SessionToken,
    pub(crate) lifetime_secs: u64,
}

impl Chat {
    /// A session for the account the connection is logged in as (guests have none).
    pub(crate) async fn open_session(&self, id: ConnId) -> Result<OpenedSession, Refused> {
        if self.accounts.session_hours == 0 {
            return Err(Refused::SessionsOff);
        }
        let Identity::User(name) = self.hub.identity(id) else {
            return Err(Refused::SessionNeedsAccount);
        };
        let lifetime_secs = u64::from(self.accounts.session_hours) * 3600;
        let token = self
            .store
            .open_session(AccountKey::of(&name), lifetime_secs as i64 * 1000)
            .await
            .map_err(internal)?;
        Ok(OpenedSession {
            token,
            lifetime_secs,
        })
    }

    /// Logs the connection in with a session token: the account it was given to, as a login
    /// with the password would (banned and excluded accounts stay out). A token that was never
    /// given counts as a failed login; an expired one does not (the pupil logs in again).
    pub(crate) async fn resume(
        &self,
        id: ConnId,
        token: &str,
    ) -> Result<(String, TokenHash), LoginRefused> {
        let hash = TokenHash::of(token);
        let expired = |reason| LoginRefused {
            reason,
            error: Refused::SessionExpired,
        };
        let lookup = self
            .store
            .session(hash)
            .await
            .map_err(|error| LoginRefused {
                reason: None,
                error: internal(error),
            })?;
        let key = match lookup {
            SessionLookup::Unknown => return Err(expired(Some(AuthFailureReason::UnknownSession))),
            SessionLookup::Expired => return Err(expired(None)),
            SessionLookup::Valid(key) => key,
        };
        let record = self
            .store
            .find_user(&key)
            .await
            .map_err(|error| LoginRefused {
                reason: None,
                error: internal(error),
            })?
            .ok_or_else(|| expired(None))?;
        let name = self
            .admit(
                id,
                LoggedIn {
                    username: record.username,
                    role: record.role,
                    banned: record.banned,
                },
            )
            .await?;
        Ok((name, hash))
    }

    /// Ends a session: its token opens nothing from now on.
    pub(crate) async fn close_session(&self, hash: TokenHash) -> Result<(), Refused> {
        self.store
            .close_sessions(SessionWrite::Close { hash })
            .await
            .map_err(internal)
    }
}
