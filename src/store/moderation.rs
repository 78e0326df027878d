//! What moderation stores: room modes and members, timed sanctions (exclusions and mutes of
//! an account or an address) and the moderation log. The writes are operations of the single
//! writer; the reads load what the live state needs at start and what `admin log` shows.

use classcord_protocol::{Role, RoomMode};
use rusqlite::{params, Connection, Transaction};
use serde::{Deserialize, Serialize};

use crate::names::{AccountKey, ChannelKey};

/// A change to a room's mode or members.
#[derive(Debug, Clone)]
pub(crate) enum RoomChange {
    /// Creates the room with this mode, or sets the mode of an existing one.
    Create {
        name: String,
        mode: RoomMode,
        created_by: Option<String>,
    },
    /// Removes the room and its members (its messages stay in the history).
    Close { name: String },
    AddMember {
        room: ChannelKey,
        account: AccountKey,
    },
}

impl RoomChange {
    pub(super) fn apply(self, tx: &Transaction<'_>, now: i64) -> rusqlite::Result<()> {
        match self {
            RoomChange::Create {
                name,
                mode,
                created_by,
            } => {
                tx.prepare_cached(
                    "INSERT INTO channels (name, name_key, created_at, created_by, mode, kept)
                     VALUES (?1, ?2, ?3, ?4, ?5, 1)
                     ON CONFLICT (name_key) DO UPDATE SET mode = excluded.mode, kept = 1",
                )?
                .execute(params![
                    name,
                    ChannelKey::of(&name).as_str(),
                    now,
                    created_by,
                    mode.as_str()
                ])?;
            }
            RoomChange::Close { name } => {
                let key = ChannelKey::of(&name);
                tx.prepare_cached("DELETE FROM channels WHERE name_key = ?1")?
                    .execute([key.as_str()])?;
                tx.prepare_cached("DELETE FROM room_members WHERE channel_key = ?1")?
                    .execute([key.as_str()])?;
            }
            RoomChange::AddMember { room, account } => {
                tx.prepare_cached(
                    "INSERT INTO room_members (channel_key, account_key, added_at)
                     VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                )?
                .execute(params![room.as_str(), account.as_str(), now])?;
            }
        }
        Ok(())
    }
}

/// What a sanction does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SanctionKind {
    /// Cannot log in or become a guest (a timed kick, or a guest's ban).
    Exclusion,
    /// Messages refused.
    Mute,
}

impl SanctionKind {
    fn as_str(self) -> &'static str {
        match self {
            SanctionKind::Exclusion => "exclusion",
            SanctionKind::Mute => "mute",
        }
    }

    fn parse(text: &str) -> Option<SanctionKind> {
        match text {
            "exclusion" => Some(SanctionKind::Exclusion),
            "mute" => Some(SanctionKind::Mute),
            _ => None,
        }
    }
}

/// Whom a sanction applies to: an account, or the address of a guest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    Account(AccountKey),
    Address(std::net::IpAddr),
}

impl Subject {
    fn columns(&self) -> (&'static str, String) {
        match self {
            Subject::Account(key) => ("account", key.as_str().to_owned()),
            Subject::Address(ip) => ("address", ip.to_string()),
        }
    }

    fn from_columns(kind: &str, value: &str) -> Option<Subject> {
        match kind {
            "account" => Some(Subject::Account(AccountKey::of(value))),
            "address" => value.parse().ok().map(Subject::Address),
            _ => None,
        }
    }
}

/// A sanction as stored: `until_ms` is wall-clock time (it survives restarts); `None` lasts
/// until lifted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredSanction {
    pub(crate) kind: SanctionKind,
    pub(crate) subject: Subject,
    /// The name it was given under (a guest's name, for `unban NAME`).
    pub(crate) label: String,
    pub(crate) until_ms: Option<i64>,
}

#[derive(Debug, Clone)]
pub(crate) enum SanctionChange {
    Set(StoredSanction),
    Lift {
        kind: SanctionKind,
        subject: Subject,
    },
}

impl SanctionChange {
    pub(super) fn apply(self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        match self {
            SanctionChange::Set(sanction) => {
                let (subject_kind, subject) = sanction.subject.columns();
                tx.prepare_cached(
                    "INSERT INTO sanctions (kind, subject_kind, subject, label, until)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (kind, subject_kind, subject)
                     DO UPDATE SET label = excluded.label, until = excluded.until",
                )?
                .execute(params![
                    sanction.kind.as_str(),
                    subject_kind,
                    subject,
                    sanction.label,
                    sanction.until_ms
                ])?;
            }
            SanctionChange::Lift { kind, subject } => {
                let (subject_kind, subject) = subject.columns();
                tx.prepare_cached(
                    "DELETE FROM sanctions WHERE kind = ?1 AND subject_kind = ?2 AND subject = ?3",
                )?
                .execute(params![kind.as_str(), subject_kind, subject])?;
            }
        }
        Ok(())
    }
}

/// One line of the moderation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ModerationEntry {
    /// Who acted (`console` for the admin socket).
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) target: Option<String>,
    pub(crate) duration_secs: Option<u64>,
    pub(crate) reason: Option<String>,
    /// The text of a removed message, when `[classroom] keep_removed_text` keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) removed_text: Option<String>,
    /// Filled when read back.
    #[serde(default)]
    pub(crate) at: String,
}

impl ModerationEntry {
    pub(super) fn insert(self, tx: &Transaction<'_>, now: i64) -> rusqlite::Result<()> {
        tx.prepare_cached(
            "INSERT INTO moderation (created_at, actor, action, target, duration_secs, reason,
                                     removed_text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            now,
            self.actor,
            self.action,
            self.target,
            self.duration_secs.map(|secs| secs as i64),
            self.reason,
            self.removed_text
        ])?;
        Ok(())
    }
}

/// Room modes and stored members, loaded at start.
pub(crate) struct StoredRooms {
    pub(crate) modes: Vec<(ChannelKey, RoomMode)>,
    pub(crate) members: Vec<(ChannelKey, AccountKey)>,
}

pub(super) fn rooms(conn: &Connection) -> rusqlite::Result<StoredRooms> {
    let modes = conn
        .prepare("SELECT name_key, mode FROM channels WHERE mode <> 'open'")?
        .query_map([], |row| {
            let mode: String = row.get(1)?;
            Ok((
                ChannelKey::of(&row.get::<_, String>(0)?),
                RoomMode::parse(&mode).unwrap_or(RoomMode::Private),
            ))
        })?
        .collect::<Result<_, _>>()?;
    let members = conn
        .prepare("SELECT channel_key, account_key FROM room_members")?
        .query_map([], |row| {
            Ok((
                ChannelKey::of(&row.get::<_, String>(0)?),
                AccountKey::of(&row.get::<_, String>(1)?),
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(StoredRooms { modes, members })
}

/// Sanctions still in force at `now_ms`.
pub(super) fn sanctions(conn: &Connection, now_ms: i64) -> rusqlite::Result<Vec<StoredSanction>> {
    let rows = conn
        .prepare(
            "SELECT kind, subject_kind, subject, label, until FROM sanctions
             WHERE until IS NULL OR until > ?1",
        )?
        .query_map([now_ms], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<i64>>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, subject_kind, subject, label, until_ms)| {
            Some(StoredSanction {
                kind: SanctionKind::parse(&kind)?,
                subject: Subject::from_columns(&subject_kind, &subject)?,
                label,
                until_ms,
            })
        })
        .collect())
}

/// The last `limit` moderation entries, newest last.
pub(super) fn log(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<ModerationEntry>> {
    let mut entries = conn
        .prepare(
            "SELECT created_at, actor, action, target, duration_secs, reason, removed_text
             FROM moderation ORDER BY id DESC LIMIT ?1",
        )?
        .query_map([limit], |row| {
            Ok(ModerationEntry {
                at: crate::time_format::rfc3339_ms(row.get(0)?),
                actor: row.get(1)?,
                action: row.get(2)?,
                target: row.get(3)?,
                duration_secs: row.get::<_, Option<i64>>(4)?.map(|secs| secs as u64),
                reason: row.get(5)?,
                removed_text: row.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    entries.reverse();
    Ok(entries)
}

/// The reason of the last ban of `target` in the moderation log, if it had one.
pub(super) fn ban_reason(conn: &Connection, target: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT reason FROM moderation WHERE action = 'ban' AND target = ?1
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([target], |row| row.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// The role stored for an account (`user` when the column holds anything else).
pub(crate) fn parse_role(text: &str) -> Role {
    Role::parse(text).unwrap_or(Role::User)
}
