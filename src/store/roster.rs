//! Accounts from a class list, as stored: what a planned import reads ([`RosterSnapshot`]),
//! and the import's writes ([`RosterWrite`]), applied in one transaction (the running
//! server's writer, or the file directly) after checking that nothing it creates appeared
//! since it was planned.

use std::collections::{HashMap, HashSet};

use classcord_protocol::Role;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::moderation::parse_role;
use crate::names::{AccountKey, ChannelKey};

/// An account an import creates (its password already hashed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub(crate) username: String,
    pub(crate) password_hash: String,
    pub(crate) role: Role,
    /// The class-list row it comes from (`users.import_key`).
    pub(crate) import_key: String,
}

/// Everything one import writes: all of it, or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterWrite {
    pub(crate) accounts: Vec<NewAccount>,
    /// Existing accounts whose role the list changes.
    pub(crate) roles: Vec<(String, Role)>,
    /// Private rooms to create (a room that exists keeps its mode).
    pub(crate) rooms: Vec<String>,
    /// (room, account) memberships to add.
    pub(crate) members: Vec<(String, String)>,
}

/// Why an import was not written: the database changed since it was planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RosterConflict {
    #[error("the account {0:?} was created since the import was planned: run the import again")]
    NameTaken(String),
    #[error(
        "the list row of {0:?} was imported since the import was planned: run the import again"
    )]
    AlreadyImported(String),
    #[error("the import names the account {0:?} (or its list row) twice")]
    Repeated(String),
}

/// An existing account, as an import plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExistingAccount {
    pub(crate) username: String,
    pub(crate) role: Role,
}

/// What the database holds that an import plan compares the list with.
#[derive(Debug, Default)]
pub(crate) struct RosterSnapshot {
    /// Every account by its key.
    pub(crate) accounts: HashMap<AccountKey, ExistingAccount>,
    /// Imported accounts by the key of their list row.
    pub(crate) imported: HashMap<String, AccountKey>,
    /// Every stored room.
    pub(crate) rooms: HashSet<ChannelKey>,
    /// (room, account) stored memberships.
    pub(crate) members: HashSet<(ChannelKey, AccountKey)>,
}

impl RosterSnapshot {
    pub(crate) fn read(conn: &Connection) -> rusqlite::Result<RosterSnapshot> {
        let mut snapshot = RosterSnapshot::default();
        let mut statement =
            conn.prepare("SELECT username, name_key, role, import_key FROM users")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let key = AccountKey::of(&row.get::<_, String>(1)?);
            if let Some(import_key) = row.get::<_, Option<String>>(3)? {
                snapshot.imported.insert(import_key, key.clone());
            }
            snapshot.accounts.insert(
                key,
                ExistingAccount {
                    username: row.get(0)?,
                    role: parse_role(&row.get::<_, String>(2)?),
                },
            );
        }
        let mut statement = conn.prepare("SELECT name_key FROM channels")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            snapshot
                .rooms
                .insert(ChannelKey::of(&row.get::<_, String>(0)?));
        }
        let mut statement = conn.prepare("SELECT channel_key, account_key FROM room_members")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            snapshot.members.insert((
                ChannelKey::of(&row.get::<_, String>(0)?),
                AccountKey::of(&row.get::<_, String>(1)?),
            ));
        }
        Ok(snapshot)
    }
}

/// Applies an import inside `tx`: checks first, so a conflict writes nothing.
pub(crate) fn apply(
    tx: &rusqlite::Transaction<'_>,
    write: &RosterWrite,
    now: i64,
) -> rusqlite::Result<Result<(), RosterConflict>> {
    // A write naming one account or row twice would fail on the unique indexes and roll back
    // the whole batch, other clients' messages included: refused here instead.
    let mut names = HashSet::new();
    let mut rows = HashSet::new();
    for account in &write.accounts {
        if !names.insert(AccountKey::of(&account.username))
            || !rows.insert(account.import_key.as_str())
        {
            return Ok(Err(RosterConflict::Repeated(account.username.clone())));
        }
    }
    for account in &write.accounts {
        let key = AccountKey::of(&account.username);
        let taken = tx
            .prepare_cached("SELECT 1 FROM users WHERE name_key = ?1")?
            .query_row([key.as_str()], |_| Ok(()))
            .optional()?;
        if taken.is_some() {
            return Ok(Err(RosterConflict::NameTaken(account.username.clone())));
        }
        let imported = tx
            .prepare_cached("SELECT 1 FROM users WHERE import_key = ?1")?
            .query_row([&account.import_key], |_| Ok(()))
            .optional()?;
        if imported.is_some() {
            return Ok(Err(RosterConflict::AlreadyImported(
                account.username.clone(),
            )));
        }
    }
    for account in &write.accounts {
        tx.prepare_cached(
            "INSERT INTO users (username, name_key, password_hash, role, created_at, import_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            account.username,
            AccountKey::of(&account.username).as_str(),
            account.password_hash,
            account.role.as_str(),
            now,
            account.import_key
        ])?;
    }
    for (username, role) in &write.roles {
        tx.prepare_cached("UPDATE users SET role = ?2 WHERE name_key = ?1")?
            .execute(params![AccountKey::of(username).as_str(), role.as_str()])?;
    }
    for room in &write.rooms {
        tx.prepare_cached(
            "INSERT INTO channels (name, name_key, created_at, mode, kept)
             VALUES (?1, ?2, ?3, 'private', 1) ON CONFLICT (name_key) DO NOTHING",
        )?
        .execute(params![room, ChannelKey::of(room).as_str(), now])?;
    }
    for (room, account) in &write.members {
        tx.prepare_cached(
            "INSERT INTO room_members (channel_key, account_key, added_at)
             VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            ChannelKey::of(room).as_str(),
            AccountKey::of(account).as_str(),
            now
        ])?;
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(name: &str, key: &str) -> NewAccount {
        NewAccount {
            username: name.into(),
            password_hash: "h".into(),
            role: Role::User,
            import_key: key.into(),
        }
    }

    #[test]
    fn a_conflict_writes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&conn).unwrap();
        let tx = conn.transaction().unwrap();
        let twice = RosterWrite {
            accounts: vec![account("lea", "row:a"), account("Lea", "row:b")],
            rooms: vec!["#2SIO1".into()],
            ..RosterWrite::default()
        };
        assert_eq!(
            apply(&tx, &twice, 1).unwrap(),
            Err(RosterConflict::Repeated("Lea".into()))
        );
        let first = RosterWrite {
            accounts: vec![account("lea", "row:a")],
            ..RosterWrite::default()
        };
        assert_eq!(apply(&tx, &first, 1).unwrap(), Ok(()));
        let again = RosterWrite {
            accounts: vec![account("noe", "row:a")],
            rooms: vec!["#2SIO2".into()],
            ..RosterWrite::default()
        };
        assert_eq!(
            apply(&tx, &again, 1).unwrap(),
            Err(RosterConflict::AlreadyImported("noe".into()))
        );
        let users: i64 = tx
            .query_row("SELECT count(*) FROM users", [], |row| row.get(0))
            .unwrap();
        let rooms: i64 = tx
            .query_row("SELECT count(*) FROM channels", [], |row| row.get(0))
            .unwrap();
        assert_eq!((users, rooms), (1, 0));
    }
}
