//! Messages taken out of the history: one a teacher removes, a person's last ones
//! (`/purge`), everything a person sent or received (an erasure request), and those older
//! than the retention period. Operations of the single writer, so they commit in order with
//! the messages they remove.

use rusqlite::{params, Transaction};

use super::message::{stored_message_from_row, StoredMessage};

/// Which messages to remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Removal {
    /// One message, by id.
    One { id: i64 },
    /// The last `count` messages `sender` wrote in rooms (private ones are not shown to
    /// teachers, so they are not theirs to remove).
    LastOf { sender: String, count: usize },
    /// Every message `name` sent or received, in rooms and in private.
    Person { name: String },
    /// At most `limit` of the oldest messages, all written before `before_ms`.
    Expired { before_ms: i64, limit: usize },
}

/// What a removal took out: the messages themselves when they were named (their ids go to
/// the clients showing them, their text to the moderation log when it keeps it), or how
/// many for the bulk removals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Removed {
    Messages(Vec<StoredMessage>),
    Count(usize),
}

const COLUMNS: &str = "id, created_at, sender, channel, recipient, content";

impl Removal {
    pub(super) fn apply(&self, tx: &Transaction<'_>) -> rusqlite::Result<Removed> {
        let select = |sql: &str, values: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<_> {
            let messages = tx
                .prepare_cached(sql)?
                .query_map(values, stored_message_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            let mut delete = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
            for message in &messages {
                delete.execute([message.id])?;
            }
            Ok(Removed::Messages(messages))
        };
        match self {
            // A message of a room: private ones are not shown to teachers.
            Removal::One { id } => select(
                &format!("SELECT {COLUMNS} FROM messages WHERE id = ?1 AND channel IS NOT NULL"),
                &[id],
            ),
            // Newest first, from the end of the table: it stops after `count` matches.
            Removal::LastOf { sender, count } => select(
                &format!(
                    "SELECT {COLUMNS} FROM messages WHERE sender = ?1 AND channel IS NOT NULL
                     ORDER BY id DESC LIMIT ?2"
                ),
                &[sender, &(*count as i64)],
            ),
            Removal::Person { name } => {
                tx.prepare_cached("DELETE FROM reports WHERE reporter = ?1 OR sender = ?1")?
                    .execute([name])?;
                tx.prepare_cached("UPDATE moderation SET removed_text = NULL WHERE target = ?1")?
                    .execute([name])?;
                Ok(Removed::Count(
                    tx.prepare_cached("DELETE FROM messages WHERE sender = ?1 OR recipient = ?1")?
                        .execute([name])?,
                ))
            }
            Removal::Expired { before_ms, limit } => {
                // Reports and removed texts kept for the teachers expire with the messages
                // (two small tables).
                tx.prepare_cached("DELETE FROM reports WHERE created_at < ?1")?
                    .execute([before_ms])?;
                tx.prepare_cached(
                    "UPDATE moderation SET removed_text = NULL
                     WHERE created_at < ?1 AND removed_text IS NOT NULL",
                )?
                .execute([before_ms])?;
                // Ids grow with time: the expired messages are the table's first rows. Reading
                // them in id order and stopping at the first recent one never scans the
                // table (no index on the time is needed, none slows each insert).
                let mut last_expired = None;
                let mut rows =
                    tx.prepare_cached("SELECT id, created_at FROM messages ORDER BY id LIMIT ?1")?;
                let mut rows = rows.query([*limit as i64])?;
                while let Some(row) = rows.next()? {
                    let (id, created_at): (i64, i64) = (row.get(0)?, row.get(1)?);
                    if created_at >= *before_ms {
                        break;
                    }
                    last_expired = Some(id);
                }
                drop(rows);
                Ok(Removed::Count(match last_expired {
                    None => 0,
                    Some(last) => tx
                        .prepare_cached("DELETE FROM messages WHERE id <= ?1")?
                        .execute(params![last])?,
                }))
            }
        }
    }
}
