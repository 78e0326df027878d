//! Versioned schema: each migration runs once, in order, tracked by `PRAGMA user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Migration `n` (1-based) brings the schema from version `n - 1` to `n`.
const MIGRATIONS: &[&str] = &[
    // 1: users, channels, messages, bans.
    "CREATE TABLE users (
         id INTEGER PRIMARY KEY,
         username TEXT NOT NULL,
         name_key TEXT NOT NULL UNIQUE,
         password_hash TEXT NOT NULL,
         role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
         banned INTEGER NOT NULL DEFAULT 0,
         created_at INTEGER NOT NULL,
         last_login_at INTEGER
     );
     CREATE TABLE channels (
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         name_key TEXT NOT NULL UNIQUE,
         created_at INTEGER NOT NULL
     );
     CREATE TABLE messages (
         id INTEGER PRIMARY KEY,
         created_at INTEGER NOT NULL,
         sender TEXT NOT NULL,
         sender_is_guest INTEGER NOT NULL,
         sender_ip TEXT NOT NULL,
         channel TEXT,
         channel_key TEXT,
         recipient TEXT,
         content TEXT NOT NULL,
         CHECK ((channel IS NULL) <> (recipient IS NULL))
     );
     CREATE INDEX messages_by_channel ON messages (channel_key, id);
     CREATE TABLE bans (
         id INTEGER PRIMARY KEY,
         kind TEXT NOT NULL CHECK (kind IN ('user', 'ip')),
         target TEXT NOT NULL,
         reason TEXT NOT NULL DEFAULT '',
         created_at INTEGER NOT NULL,
         UNIQUE (kind, target)
     );",
    // 2: the bans table and the role column were never used (bans are the users.banned
    // flag); moderation brings roles back with its own migration.
    "DROP TABLE bans;
     ALTER TABLE users DROP COLUMN role;",
    // 3: who created a channel (per-account channel limits).
    "ALTER TABLE channels ADD COLUMN created_by TEXT;",
    // 4: moderation: roles, room modes and members, rooms kept even before their first
    // message (made with `/room create`), timed sanctions, the moderation log.
    "ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user'
         CHECK (role IN ('user', 'moderator', 'admin'));
     ALTER TABLE channels ADD COLUMN mode TEXT NOT NULL DEFAULT 'open'
         CHECK (mode IN ('open', 'moderated', 'private'));
     ALTER TABLE channels ADD COLUMN kept INTEGER NOT NULL DEFAULT 0;
     CREATE TABLE room_members (
         channel_key TEXT NOT NULL,
         account_key TEXT NOT NULL,
         added_at INTEGER NOT NULL,
         PRIMARY KEY (channel_key, account_key)
     );
     CREATE TABLE sanctions (
         kind TEXT NOT NULL CHECK (kind IN ('exclusion', 'mute')),
         subject_kind TEXT NOT NULL CHECK (subject_kind IN ('account', 'address')),
         subject TEXT NOT NULL,
         label TEXT NOT NULL,
         until INTEGER,
         PRIMARY KEY (kind, subject_kind, subject)
     );
     CREATE TABLE moderation (
         id INTEGER PRIMARY KEY,
         created_at INTEGER NOT NULL,
         actor TEXT NOT NULL,
         action TEXT NOT NULL,
         target TEXT,
         duration_secs INTEGER,
         reason TEXT
     );",
    // 5: accounts from the school: the key of the class-list row an account was imported
    // from (a re-import finds it again), and accounts whose password the school directory
    // checks (LDAP: no password stored, the hash column holds a value no password matches).
    "ALTER TABLE users ADD COLUMN import_key TEXT;
     CREATE UNIQUE INDEX users_by_import_key ON users (import_key) WHERE import_key IS NOT NULL;
     ALTER TABLE users ADD COLUMN directory INTEGER NOT NULL DEFAULT 0;",
    // 6: classroom safety: messages reported to the teachers (with the text reported, which
    // stays readable when the message is removed), and the text of a removed message in the
    // moderation log when `[classroom] keep_removed_text` asks for it.
    "CREATE TABLE reports (
         id INTEGER PRIMARY KEY,
         created_at INTEGER NOT NULL,
         reporter TEXT NOT NULL,
         message_id INTEGER NOT NULL,
         sender TEXT NOT NULL,
         channel TEXT,
         recipient TEXT,
         content TEXT NOT NULL,
         reason TEXT
     );
     ALTER TABLE moderation ADD COLUMN removed_text TEXT;",
    // 7: sessions that survive a page reload (only the token's hash is kept), and private
    // conversations read back (a page's reload, a second device): indexes on private
    // messages only, so room messages are written as fast as before.
    "CREATE TABLE sessions (
         token_hash BLOB PRIMARY KEY,
         account_key TEXT NOT NULL,
         created_at INTEGER NOT NULL,
         expires_at INTEGER NOT NULL
     );
     CREATE INDEX sessions_by_account ON sessions (account_key);
     CREATE INDEX private_by_recipient ON messages (recipient, sender, id)
         WHERE recipient IS NOT NULL;
     CREATE INDEX private_by_sender ON messages (sender, recipient, id)
         WHERE recipient IS NOT NULL;",
];

/// The schema version this program writes.
pub(crate) const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies every migration the database has not seen yet, each in its own transaction.
pub(crate) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > CURRENT_VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: CURRENT_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_databases() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        migrate(&conn).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, CURRENT_VERSION);
        conn.pragma_update(None, "user_version", CURRENT_VERSION + 1)
            .unwrap();
        assert!(matches!(migrate(&conn), Err(StoreError::TooNew { .. })));
    }

    #[test]
    fn a_version_1_database_keeps_its_accounts() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO users (username, name_key, password_hash, role, created_at)
             VALUES ('Prof', 'prof', 'h', 'admin', 1)",
            [],
        )
        .unwrap();
        migrate(&conn).unwrap();
        let name: String = conn
            .query_row("SELECT username FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "Prof");
        // Version 1's role column was never used and went away in version 2; moderation's
        // roles start everyone as a user.
        let role: String = conn
            .query_row("SELECT role FROM users", [], |r| r.get(0))
            .unwrap();
        assert_eq!(role, "user");
        assert!(conn.prepare("SELECT * FROM bans").is_err());
    }
}
