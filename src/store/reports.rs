//! Messages reported to the teachers: the report (who, which message, its text as it was,
//! why) written by the single writer, the list teachers and administrators read, and the
//! lookups a report needs (a message by id, a person's last messages).

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::message::{stored_message_from_row, StoredMessage};
use crate::vocabulary::ReportListing;

/// A report as it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewReport {
    pub(crate) reporter: String,
    pub(crate) message: StoredMessage,
    pub(crate) reason: Option<String>,
}

impl NewReport {
    pub(super) fn insert(&self, tx: &Transaction<'_>, now: i64) -> rusqlite::Result<()> {
        let message = &self.message;
        tx.prepare_cached(
            "INSERT INTO reports (created_at, reporter, message_id, sender, channel, recipient,
                                  content, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            now,
            self.reporter,
            message.id,
            message.sender,
            message.channel,
            message.recipient,
            message.content,
            self.reason
        ])?;
        Ok(())
    }
}

/// The last `limit` reports, newest first.
pub(super) fn list(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<ReportListing>> {
    conn.prepare_cached(
        "SELECT id, created_at, reporter, message_id, sender, channel, recipient, content, reason
         FROM reports ORDER BY id DESC LIMIT ?1",
    )?
    .query_map([limit], |row| {
        Ok(ReportListing {
            id: row.get(0)?,
            at_ms: row.get(1)?,
            reporter: row.get(2)?,
            message_id: row.get(3)?,
            sender: row.get(4)?,
            channel: row.get(5)?,
            recipient: row.get(6)?,
            content: row.get(7)?,
            reason: row.get(8)?,
        })
    })?
    .collect()
}

const COLUMNS: &str = "id, created_at, sender, channel, recipient, content";

/// One stored message.
pub(super) fn message(conn: &Connection, id: i64) -> rusqlite::Result<Option<StoredMessage>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?1"))?
        .query_row([id], stored_message_from_row)
        .optional()
}

/// The last `limit` messages `sender` wrote (rooms and private), newest first: read from the
/// end of the table, so it stops after `limit` matches.
pub(super) fn last_of(
    conn: &Connection,
    sender: &str,
    limit: u32,
) -> rusqlite::Result<Vec<StoredMessage>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE sender = ?1 ORDER BY id DESC LIMIT ?2"
    ))?
    .query_map(params![sender, limit], stored_message_from_row)?
    .collect()
}
