//! Accounts: registration and login from clients, and the administrator's account changes
//! (create, delete, password, ban). Every write goes through the store's writer, and the
//! live name registry changes with it, so a guest can never take a name that has an account.

use classcord_protocol::server_line::Outcome;
use classcord_protocol::ServerLine;

use super::names::NameTaken;
use super::{internal, Chat, ConnId};
use crate::config::Registration;
use crate::directory::{Directory, DirectoryAnswer};
use crate::names::AccountKey;
use crate::store::{
    CreateUser, PasswordCheck, RosterConflict, RosterWrite, StoreError, UserChange, UserUpdate,
};
use crate::vocabulary::{AuthFailureReason, NameProblem, Notice, PasswordProblem, Refused};

/// A refused login: the reply for the client and, for the fail2ban log, why.
#[derive(Debug)]
pub(crate) struct LoginRefused {
    /// `None` when the refusal is not an authentication failure (already logged in).
    pub(crate) reason: Option<AuthFailureReason>,
    pub(crate) error: Refused,
}

impl LoginRefused {
    fn failed(reason: AuthFailureReason) -> LoginRefused {
        LoginRefused {
            reason: Some(reason),
            error: match reason {
                AuthFailureReason::Banned => Refused::LoginBanned { reason: None },
                _ => Refused::LoginFailed,
            },
        }
    }
}

/// An account whose password (or session token) was just checked.
pub(super) struct LoggedIn {
    pub(super) username: String,
    pub(super) role: classcord_protocol::Role,
    pub(super) banned: bool,
}

/// Why an administrator's account change did not happen.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AccountError {
    #[error("invalid username: {0:?}")]
    InvalidName(NameProblem),
    #[error("user {0:?} already exists")]
    Taken(String),
    #[error("the name {0:?} is taken by someone online (a guest): kick them first")]
    Online(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("invalid room name {0:?}")]
    InvalidRoom(String),
    #[error(transparent)]
    Conflict(#[from] RosterConflict),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl Chat {
    fn password_error(&self, password: &str) -> Option<PasswordProblem> {
        crate::password::password_error(
            password,
            self.limits.min_password_chars,
            self.limits.max_password_bytes,
        )
    }

    /// A client's `register`.
    pub(crate) async fn register(&self, username: &str, password: String) -> Result<(), Refused> {
        if self.accounts.registration == Registration::Closed {
            return Err(Refused::RegistrationClosed);
        }
        if let Some(problem) = self.username_error(username) {
            return Err(Refused::InvalidUsername(problem));
        }
        if let Some(problem) = self.password_error(&password) {
            return Err(Refused::InvalidPassword(problem));
        }
        let reservation = self
            .hub
            .reserve_registration(username)
            .map_err(|_| Refused::UsernameTaken)?;
        let hash = self.passwords.hash(password).await.map_err(internal)?;
        match self
            .store
            .create_user(username, hash)
            .await
            .map_err(internal)?
        {
            CreateUser::Created => {
                reservation.confirm();
                Ok(())
            }
            CreateUser::AlreadyExists => Err(Refused::UsernameTaken),
        }
    }

    /// A client's `login`: checks the password and identifies the connection. Returns the
    /// account's canonical name.
    pub(crate) async fn login(
        &self,
        id: ConnId,
        username: &str,
        password: String,
    ) -> Result<String, LoginRefused> {
        let malformed_name = crate::names::login_name_error(
            username,
            self.limits.max_username_chars,
            &self.hub.settings.notice_sender,
        );
        if malformed_name.is_some() || password.len() > self.limits.max_password_bytes {
            return Err(LoginRefused::failed(AuthFailureReason::Malformed));
        }
        let record = self
            .store
            .find_user(&AccountKey::of(username))
            .await
            .map_err(|error| LoginRefused {
                reason: None,
                error: internal(error),
            })?;
        let account = match &self.directory {
            Some(directory)
                if directory.checks_every_login()
                    || record
                        .as_ref()
                        .is_none_or(|r| r.checked_by == PasswordCheck::Directory) =>
            {
                self.directory_login(directory, username, &password).await?
            }
            _ => {
                let stored_hash = record.as_ref().map(|r| r.password_hash.clone());
                let matches = self.passwords.verify(password, stored_hash).await;
                match record {
                    None => return Err(LoginRefused::failed(AuthFailureReason::UnknownUser)),
                    Some(_) if !matches => {
                        return Err(LoginRefused::failed(AuthFailureReason::WrongPassword))
                    }
                    Some(record) => LoggedIn {
                        username: record.username,
                        role: record.role,
                        banned: record.banned,
                    },
                }
            }
        };
        self.admit(id, account).await
    }

    /// Identifies the connection as an account whose password (or session) was checked,
    /// unless it is banned or excluded. Returns the account's canonical name.
    pub(super) async fn admit(
        &self,
        id: ConnId,
        account: LoggedIn,
    ) -> Result<String, LoginRefused> {
        if account.banned {
            // The pupil reads why (the reason the teacher gave), not only that.
            let reason = self
                .store
                .ban_reason(&account.username)
                .await
                .unwrap_or_default();
            return Err(LoginRefused {
                reason: Some(AuthFailureReason::Banned),
                error: Refused::LoginBanned { reason },
            });
        }
        let reply = ServerLine::Login {
            status: Outcome::Ok,
            username: &account.username,
            role: self
                .hub
                .dialect(id)
                .receives_v2_lines()
                .then_some(account.role),
        }
        .encode();
        self.hub
            .login(id, &account.username, account.role, reply)
            .map_err(|error| LoginRefused {
                reason: None,
                error,
            })?;
        self.store.record_login(&account.username);
        self.forget_expired_channels();
        Ok(account.username)
    }

    /// A login checked by the school directory: the account is created or given the role of
    /// the directory's groups. A directory that does not answer fails the login without
    /// counting it against the user.
    async fn directory_login(
        &self,
        directory: &Directory,
        username: &str,
        password: &str,
    ) -> Result<LoggedIn, LoginRefused> {
        match directory.authenticate(username, password).await {
            Ok(DirectoryAnswer::Accepted(role)) => {
                let account =
                    self.store
                        .directory_account(username, role)
                        .await
                        .map_err(|error| LoginRefused {
                            reason: None,
                            error: internal(error),
                        })?;
                if account.created {
                    self.hub
                        .register_names(vec![crate::names::NameKey::of(&account.username)]);
                    tracing::info!(user = ?account.username, role = role.as_str(), "ldap: account created");
                }
                Ok(LoggedIn {
                    username: account.username,
                    role,
                    banned: account.banned,
                })
            }
            Ok(DirectoryAnswer::WrongPassword) => {
                Err(LoginRefused::failed(AuthFailureReason::WrongPassword))
            }
            Ok(DirectoryAnswer::UnknownUser) => {
                Err(LoginRefused::failed(AuthFailureReason::UnknownUser))
            }
            Err(error) => {
                tracing::warn!(%error, user = ?username, "ldap: login not checked");
                Err(LoginRefused {
                    reason: None,
                    error: Refused::DirectoryUnavailable,
                })
            }
        }
    }

    /// Creates an account from an administrator's command (the password already hashed).
    pub(crate) async fn create_account(
        &self,
        username: &str,
        password_hash: String,
    ) -> Result<(), AccountError> {
        if let Some(reason) = self.username_error(username) {
            return Err(AccountError::InvalidName(reason));
        }
        let reservation = self
            .hub
            .reserve_registration(username)
            .map_err(|taken| match taken {
                NameTaken::Registered => AccountError::Taken(username.to_owned()),
                NameTaken::Online => AccountError::Online(username.to_owned()),
            })?;
        match self.store.create_user(username, password_hash).await? {
            CreateUser::Created => {
                reservation.confirm();
                Ok(())
            }
            CreateUser::AlreadyExists => Err(AccountError::Taken(username.to_owned())),
        }
    }

    /// Writes a class list's accounts, rooms and memberships, all or nothing; the live
    /// registry of names, rooms and roles changes with it.
    pub(crate) async fn import_roster(&self, write: RosterWrite) -> Result<(), AccountError> {
        let rooms = write
            .rooms
            .iter()
            .chain(write.members.iter().map(|(room, _)| room));
        if let Some(room) = rooms
            .into_iter()
            .find(|room| crate::names::channel_name_error(room).is_some())
        {
            return Err(AccountError::InvalidRoom(room.clone()));
        }
        let mut reservations = Vec::with_capacity(write.accounts.len());
        for account in &write.accounts {
            let username = &account.username;
            if let Some(reason) = self.username_error(username) {
                return Err(AccountError::InvalidName(reason));
            }
            reservations.push(self.hub.reserve_registration(username).map_err(
                |taken| match taken {
                    NameTaken::Registered => AccountError::Taken(username.clone()),
                    NameTaken::Online => AccountError::Online(username.clone()),
                },
            )?);
        }
        self.store.import_roster(write.clone()).await??;
        for reservation in reservations {
            reservation.confirm();
        }
        self.hub.add_roster_rooms(&write.rooms, &write.members);
        for (username, role) in &write.roles {
            self.hub.set_role(username, *role);
        }
        Ok(())
    }

    /// Applies an administrator's change to an existing account. A ban or a deletion also
    /// disconnects the account; a deletion frees its name.
    pub(crate) async fn change_account(
        &self,
        username: &str,
        change: UserChange,
    ) -> Result<(), AccountError> {
        self.change_account_telling(username, change, None).await
    }

    /// [`Chat::change_account`], telling a disconnected account `why` (a teacher's ban)
    /// instead of the administrator's standard notice.
    pub(crate) async fn change_account_telling(
        &self,
        username: &str,
        change: UserChange,
        why: Option<Notice>,
    ) -> Result<(), AccountError> {
        let kick_reason = match &change {
            UserChange::Banned(true) => Some(why.unwrap_or(Notice::AccountBanned)),
            UserChange::Delete(_) => Some(why.unwrap_or(Notice::AccountDeleted)),
            UserChange::Banned(false) | UserChange::Password(_) | UserChange::Role(_) => None,
        };
        let deleted = matches!(change, UserChange::Delete(_));
        let role = match &change {
            UserChange::Role(role) => Some(*role),
            _ => None,
        };
        match self
            .store
            .update_user(AccountKey::of(username), change)
            .await?
        {
            UserUpdate::NoSuchUser => return Err(AccountError::NoSuchUser(username.to_owned())),
            UserUpdate::Done => {}
        }
        if let Some(reason) = kick_reason {
            if self.hub.identity_is_account(username) {
                self.hub.kick(username, &reason);
            }
        }
        if deleted {
            self.hub.unregister_name(username);
            self.hub.forget_account(&AccountKey::of(username));
        }
        if let Some(role) = role {
            self.hub.set_role(username, role);
        }
        Ok(())
    }
}
