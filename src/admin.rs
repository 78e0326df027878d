//! Offline administration on the database file: accounts (add, list, delete, ban, password)
//! and consistent backups. Safe while the server runs (SQLite WAL, busy timeout); a ban or a
//! new password applies at the user's next login.

use std::io::Write;
use std::path::Path;

use rusqlite::{params, Connection};

use crate::config::Synchronous;
use crate::protocol::names::{name_key, username_error};
use crate::store::{open_connection, schema, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("invalid username: {0}")]
    Username(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("user {0:?} already exists")]
    Exists(String),
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
    #[error("{0} already exists: remove it first")]
    BackupExists(String),
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot read the legacy users file: {0}")]
    Pickle(#[from] serde_pickle::Error),
    #[error("the legacy users file is not a dictionary of user names")]
    NotADictionary,
}

/// What `import-legacy` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: Vec<String>,
    /// Names that already had an account (left untouched).
    pub existing: Vec<String>,
    /// Entries that could not be imported, with the reason.
    pub refused: Vec<(String, String)>,
}

/// One account as `user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub username: String,
    pub role: String,
    pub banned: bool,
    pub created_at_ms: i64,
    pub last_login_at_ms: Option<i64>,
}

pub struct Admin {
    conn: Connection,
}

impl Admin {
    /// Opens (creating and migrating if needed) the database.
    pub fn open(path: &Path) -> Result<Admin, AdminError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = open_connection(path, Synchronous::Full)?;
        schema::migrate(&conn)?;
        Ok(Admin { conn })
    }

    pub fn add_user(
        &self,
        username: &str,
        password: &str,
        max_chars: usize,
        reserved: &str,
    ) -> Result<(), AdminError> {
        if let Some(reason) = username_error(username, max_chars, reserved) {
            return Err(AdminError::Username(reason));
        }
        let hash = crate::password::hash_now(password)?;
        let inserted = self.conn.execute(
            "INSERT INTO users (username, name_key, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name_key) DO NOTHING",
            params![username, name_key(username), hash, crate::store::now_ms()],
        )?;
        if inserted == 0 {
            return Err(AdminError::Exists(username.to_owned()));
        }
        Ok(())
    }

    pub fn set_password(&self, username: &str, password: &str) -> Result<(), AdminError> {
        let hash = crate::password::hash_now(password)?;
        self.update_user(
            username,
            "UPDATE users SET password_hash = ?2 WHERE name_key = ?1",
            &hash,
        )
    }

    pub fn set_banned(&self, username: &str, banned: bool) -> Result<(), AdminError> {
        let changed = self.conn.execute(
            "UPDATE users SET banned = ?2 WHERE name_key = ?1",
            params![name_key(username), banned],
        )?;
        if changed == 0 {
            return Err(AdminError::NoSuchUser(username.to_owned()));
        }
        Ok(())
    }

    fn update_user(&self, username: &str, sql: &str, value: &str) -> Result<(), AdminError> {
        let changed = self.conn.execute(sql, params![name_key(username), value])?;
        if changed == 0 {
            return Err(AdminError::NoSuchUser(username.to_owned()));
        }
        Ok(())
    }

    /// Deletes an account; its messages stay in the history under its name.
    pub fn delete_user(&self, username: &str) -> Result<(), AdminError> {
        let changed = self.conn.execute(
            "DELETE FROM users WHERE name_key = ?1",
            [name_key(username)],
        )?;
        if changed == 0 {
            return Err(AdminError::NoSuchUser(username.to_owned()));
        }
        Ok(())
    }

    pub fn users(&self) -> Result<Vec<UserSummary>, AdminError> {
        let mut statement = self.conn.prepare(
            "SELECT username, role, banned, created_at, last_login_at FROM users ORDER BY name_key",
        )?;
        let users = statement
            .query_map([], |row| {
                Ok(UserSummary {
                    username: row.get(0)?,
                    role: row.get(1)?,
                    banned: row.get(2)?,
                    created_at_ms: row.get(3)?,
                    last_login_at_ms: row.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(users)
    }

    /// Imports the accounts of the legacy Python server's `users.pkl`: a pickled dictionary
    /// mapping each user name to its plaintext password (or to a dictionary with a `password`
    /// key). Passwords are hashed with argon2id; existing accounts are left as they are.
    /// Unpickling builds plain values only: nothing in the file is executed.
    pub fn import_legacy_users(
        &self,
        pickle: &[u8],
        max_chars: usize,
        reserved: &str,
    ) -> Result<ImportReport, AdminError> {
        use serde_pickle::{HashableValue, Value};
        let options = serde_pickle::DeOptions::new()
            .decode_strings()
            .replace_unresolved_globals();
        let Value::Dict(entries) = serde_pickle::value_from_slice(pickle, options)? else {
            return Err(AdminError::NotADictionary);
        };
        let mut report = ImportReport::default();
        for (key, value) in entries {
            let name = match key {
                HashableValue::String(name) => name,
                other => {
                    report
                        .refused
                        .push((format!("{other:?}"), "user name is not text".into()));
                    continue;
                }
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
            let Some(password) = password.filter(|p| !p.is_empty()) else {
                report.refused.push((name, "no password".into()));
                continue;
            };
            match self.add_user(&name, &password, max_chars, reserved) {
                Ok(()) => report.imported.push(name),
                Err(AdminError::Exists(_)) => report.existing.push(name),
                Err(AdminError::Username(reason)) => report.refused.push((name, reason)),
                Err(other) => return Err(other),
            }
        }
        Ok(report)
    }

    /// Copies the live database into `target` with SQLite's online backup (consistent even
    /// while the server writes). Refuses to overwrite.
    pub fn backup(&self, target: &Path) -> Result<(), AdminError> {
        if target.exists() {
            return Err(AdminError::BackupExists(target.display().to_string()));
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
    pub fn export_messages(&self, out: &mut dyn Write) -> Result<usize, AdminError> {
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
