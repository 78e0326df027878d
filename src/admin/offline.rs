//! Work on the database file when no server runs on it: accounts (add, change, list),
//! consistent backups and the message export, and reading the legacy server's `users.pkl`.
//! Account changes use the same SQL as the running server's writer.

use std::io::Write;
use std::path::Path;

use rusqlite::Connection;

use crate::config::Synchronous;
use crate::names::{username_error, AccountKey};
use crate::store::{
    open_connection, schema, CreateUser, RosterConflict, RosterSnapshot, RosterWrite, StoreError,
    UserChange,
};
use crate::texts::admin_texts;

#[derive(Debug, thiserror::Error)]
pub(crate) enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "no database at {0}: check --config or --database (only `serve` and `user add` create one)"
    )]
    NoDatabase(String),
    #[error("invalid username: {0}")]
    Username(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("user {0:?} already exists")]
    Exists(String),
    #[error("{0} already exists: remove it first")]
    TargetExists(String),
    #[error(transparent)]
    Conflict(#[from] RosterConflict),
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot read the legacy users file: {0}")]
    Pickle(#[from] serde_pickle::Error),
    #[error("the legacy users file is not a dictionary of user names")]
    NotADictionary,
}

/// One entry of the legacy `users.pkl`: a name and its plaintext password, or why it cannot
/// be imported.
pub(crate) type LegacyEntry = Result<(String, String), (String, String)>;

/// One account as `user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserSummary {
    pub(crate) username: String,
    pub(crate) banned: bool,
    pub(crate) created_at_ms: i64,
    pub(crate) last_login_at_ms: Option<i64>,
}

/// Whether opening may create the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Create {
    /// `user add` on a fresh install.
    IfMissing,
    /// Every other command: a missing file means a wrong path, not an empty school.
    Never,
}

pub(crate) struct Admin {
    conn: Connection,
}

impl Admin {
    /// Opens (migrating if needed) the database.
    pub(crate) fn open(path: &Path, create: Create) -> Result<Admin, AdminError> {
        if create == Create::Never && !path.exists() {
            return Err(AdminError::NoDatabase(path.display().to_string()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = open_connection(path, Synchronous::Full)?;
        schema::migrate(&conn)?;
        Ok(Admin { conn })
    }

    /// Creates an account with an already computed password hash.
    pub(crate) fn add_user(
        &self,
        username: &str,
        password_hash: &str,
        max_chars: usize,
        reserved: &str,
    ) -> Result<(), AdminError> {
        if let Some(reason) = username_error(username, max_chars, reserved) {
            return Err(AdminError::Username(admin_texts().name_problem(reason)));
        }
        match crate::store::insert_user(
            &self.conn,
            username,
            password_hash,
            crate::time_format::now_ms(),
        )? {
            CreateUser::Created => Ok(()),
            CreateUser::AlreadyExists => Err(AdminError::Exists(username.to_owned())),
        }
    }

    /// Deletes an account, replaces its password or sets its ban flag.
    pub(crate) fn change_user(
        &self,
        username: &str,
        change: &UserChange,
    ) -> Result<(), AdminError> {
        let tx = self.conn.unchecked_transaction()?;
        let changed = crate::store::update_user(&tx, &AccountKey::of(username), change)?;
        tx.commit()?;
        if changed == 0 {
            return Err(AdminError::NoSuchUser(username.to_owned()));
        }
        Ok(())
    }

    /// What a class-list import compares its rows with.
    pub(crate) fn roster_snapshot(&self) -> Result<RosterSnapshot, AdminError> {
        Ok(RosterSnapshot::read(&self.conn)?)
    }

    /// Writes a class list's accounts, rooms and memberships in one transaction.
    pub(crate) fn import_roster(&self, write: &RosterWrite) -> Result<(), AdminError> {
        let tx = self.conn.unchecked_transaction()?;
        crate::store::apply_roster(&tx, write, crate::time_format::now_ms())??;
        tx.commit()?;
        Ok(())
    }

    /// Everything stored about a person (an access request).
    pub(crate) fn person(&self, name: &str) -> Result<crate::store::PersonExport, AdminError> {
        Ok(crate::store::person_export(&self.conn, name)?)
    }

    pub(crate) fn users(&self) -> Result<Vec<UserSummary>, AdminError> {
        let mut statement = self.conn.prepare(
            "SELECT username, banned, created_at, last_login_at FROM users ORDER BY name_key",
        )?;
        let users = statement
            .query_map([], |row| {
                Ok(UserSummary {
                    username: row.get(0)?,
                    banned: row.get(1)?,
                    created_at_ms: row.get(2)?,
                    last_login_at_ms: row.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(users)
    }

    /// Copies the live database into `target` with SQLite's online backup (consistent even
    /// while the server writes). Refuses to overwrite.
    pub(crate) fn backup(&self, target: &Path) -> Result<(), AdminError> {
        if target.exists() {
            return Err(AdminError::TargetExists(target.display().to_string()));
        }
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut copy = Connection::open(target)?;
        let backup = rusqlite::backup::Backup::new(&self.conn, &mut copy)?;
        backup.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        Ok(())
    }

    /// Writes every stored message as one JSON object per line, oldest first.
    pub(crate) fn export_messages(&self, out: &mut dyn Write) -> Result<usize, AdminError> {
        let mut statement = self.conn.prepare(
            "SELECT id, created_at, sender, sender_is_guest, sender_ip, channel, recipient, content
             FROM messages ORDER BY id",
        )?;
        let mut rows = statement.query([])?;
        let mut count = 0;
        while let Some(row) = rows.next()? {
            let created_at: i64 = row.get(1)?;
            let line = serde_json::json!({
                "id": row.get::<_, i64>(0)?,
                "timestamp": crate::time_format::rfc3339_ms(created_at),
                "from": row.get::<_, String>(2)?,
                "guest": row.get::<_, bool>(3)?,
                "ip": row.get::<_, String>(4)?,
                "channel": row.get::<_, Option<String>>(5)?,
                "to": row.get::<_, Option<String>>(6)?,
                "content": row.get::<_, String>(7)?,
            });
            serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            count += 1;
        }
        out.flush()?;
        Ok(count)
    }
}

/// Reads the legacy Python server's `users.pkl`: a pickled dictionary mapping each user name
/// to its plaintext password (or to a dictionary with a `password` key). Unpickling builds
/// plain values only: nothing in the file is executed.
pub(crate) fn read_legacy_users(pickle: &[u8]) -> Result<Vec<LegacyEntry>, AdminError> {
    use serde_pickle::{HashableValue, Value};
    let options = serde_pickle::DeOptions::new()
        .decode_strings()
        .replace_unresolved_globals();
    let Value::Dict(entries) = serde_pickle::value_from_slice(pickle, options)? else {
        return Err(AdminError::NotADictionary);
    };
    Ok(entries
        .into_iter()
        .map(|(key, value)| {
            let name = match key {
                HashableValue::String(name) => name,
                other => return Err((format!("{other:?}"), "user name is not text".into())),
            };
            let password = match value {
                Value::String(password) => Some(password),
                Value::Dict(fields) => fields
                    .into_iter()
                    .find(|(k, _)| matches!(k, HashableValue::String(k) if k == "password"))
                    .and_then(|(_, v)| match v {
                        Value::String(password) => Some(password),
                        _ => None,
                    }),
                _ => None,
            };
            match password.filter(|p| !p.is_empty()) {
                Some(password) => Ok((name, password)),
                None => Err((name, "no password".into())),
            }
        })
        .collect())
}
