//! A message as the database holds it once committed, and how a row becomes one.

use rusqlite::Row;

/// A committed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredMessage {
    pub(crate) id: i64,
    pub(crate) created_at_ms: i64,
    pub(crate) sender: String,
    pub(crate) channel: Option<String>,
    pub(crate) recipient: Option<String>,
    pub(crate) content: String,
}

/// The columns `id, created_at, sender, channel, recipient, content`, in that order.
pub(super) fn stored_message_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        id: row.get(0)?,
        created_at_ms: row.get(1)?,
        sender: row.get(2)?,
        channel: row.get(3)?,
        recipient: row.get(4)?,
        content: row.get(5)?,
    })
}
