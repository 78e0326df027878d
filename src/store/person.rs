//! Everything the database holds about one person, for an access request (RGPD): their
//! account, rooms, sanctions, the moderation log's lines about them, reports they made or
//! that name them, and every message they sent or received. Read on any connection (the
//! server's reader, or the file when no server runs).

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::names::AccountKey;
use crate::time_format::rfc3339_ms;

/// What `classcord user export` writes (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PersonExport {
    /// The name asked for, and the one the messages are stored under.
    pub(crate) name: String,
    pub(crate) exported_at: String,
    /// None for a guest (or a deleted account): only messages remain.
    pub(crate) account: Option<ExportedAccount>,
    pub(crate) rooms: Vec<String>,
    pub(crate) sanctions: Vec<ExportedSanction>,
    pub(crate) moderation: Vec<ExportedModeration>,
    pub(crate) reports_made: Vec<ExportedReport>,
    pub(crate) reports_about: Vec<ExportedReport>,
    pub(crate) messages_sent: Vec<ExportedMessage>,
    pub(crate) private_messages_received: Vec<ExportedMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExportedAccount {
    pub(crate) username: String,
    pub(crate) role: String,
    pub(crate) created_at: String,
    pub(crate) last_login_at: Option<String>,
    pub(crate) banned: bool,
    /// Its password is checked by the school's directory (none is stored here).
    pub(crate) directory: bool,
    /// Imported from a class list.
    pub(crate) imported: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExportedSanction {
    pub(crate) kind: String,
    /// When it ends; none: until lifted.
    pub(crate) until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExportedModeration {
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) target: Option<String>,
    pub(crate) duration_secs: Option<i64>,
    pub(crate) reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExportedReport {
    pub(crate) at: String,
    pub(crate) reporter: String,
    pub(crate) sender: String,
    pub(crate) message_id: i64,
    pub(crate) content: String,
    pub(crate) reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ExportedMessage {
    pub(crate) id: i64,
    pub(crate) at: String,
    pub(crate) from: String,
    /// The room; none for a private message.
    pub(crate) channel: Option<String>,
    /// The recipient of a private message.
    pub(crate) to: Option<String>,
    pub(crate) content: String,
}

/// Reads everything stored about `name` (its stored spelling, when it has an account).
pub(crate) fn export(conn: &Connection, name: &str) -> rusqlite::Result<PersonExport> {
    let key = AccountKey::of(name);
    let account = conn
        .query_row(
            "SELECT username, role, created_at, last_login_at, banned, directory,
                    import_key IS NOT NULL
             FROM users WHERE name_key = ?1",
            [key.as_str()],
            |row| {
                Ok(ExportedAccount {
                    username: row.get(0)?,
                    role: row.get(1)?,
                    created_at: rfc3339_ms(row.get(2)?),
                    last_login_at: row.get::<_, Option<i64>>(3)?.map(rfc3339_ms),
                    banned: row.get(4)?,
                    directory: row.get(5)?,
                    imported: row.get(6)?,
                })
            },
        )
        .optional()?;
    let name = account
        .as_ref()
        .map_or_else(|| name.to_owned(), |a| a.username.clone());
    let rooms = conn
        .prepare(
            "SELECT COALESCE(channels.name, room_members.channel_key) FROM room_members
             LEFT JOIN channels ON channels.name_key = room_members.channel_key
             WHERE account_key = ?1 ORDER BY 1",
        )?
        .query_map([key.as_str()], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let sanctions = conn
        .prepare(
            "SELECT kind, until FROM sanctions
             WHERE (subject_kind = 'account' AND subject = ?1) OR label = ?2",
        )?
        .query_map(params![key.as_str(), name], |row| {
            Ok(ExportedSanction {
                kind: row.get(0)?,
                until: row.get::<_, Option<i64>>(1)?.map(rfc3339_ms),
            })
        })?
        .collect::<Result<_, _>>()?;
    let moderation = conn
        .prepare(
            "SELECT created_at, actor, action, target, duration_secs, reason FROM moderation
             WHERE target = ?1 OR actor = ?1 ORDER BY id",
        )?
        .query_map([&name], |row| {
            Ok(ExportedModeration {
                at: rfc3339_ms(row.get(0)?),
                actor: row.get(1)?,
                action: row.get(2)?,
                target: row.get(3)?,
                duration_secs: row.get(4)?,
                reason: row.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let reports = |column: &str| -> rusqlite::Result<Vec<ExportedReport>> {
        conn.prepare(&format!(
            "SELECT created_at, reporter, sender, message_id, content, reason FROM reports
             WHERE {column} = ?1 ORDER BY id"
        ))?
        .query_map([&name], |row| {
            Ok(ExportedReport {
                at: rfc3339_ms(row.get(0)?),
                reporter: row.get(1)?,
                sender: row.get(2)?,
                message_id: row.get(3)?,
                content: row.get(4)?,
                reason: row.get(5)?,
            })
        })?
        .collect()
    };
    let messages = |column: &str| -> rusqlite::Result<Vec<ExportedMessage>> {
        conn.prepare(&format!(
            "SELECT id, created_at, sender, channel, recipient, content FROM messages
             WHERE {column} = ?1 ORDER BY id"
        ))?
        .query_map([&name], |row| {
            Ok(ExportedMessage {
                id: row.get(0)?,
                at: rfc3339_ms(row.get(1)?),
                from: row.get(2)?,
                channel: row.get(3)?,
                to: row.get(4)?,
                content: row.get(5)?,
            })
        })?
        .collect()
    };
    Ok(PersonExport {
        exported_at: crate::time_format::now_rfc3339(),
        account,
        rooms,
        sanctions,
        moderation,
        reports_made: reports("reporter")?,
        reports_about: reports("sender")?,
        messages_sent: messages("sender")?,
        private_messages_received: messages("recipient")?,
        name,
    })
}
