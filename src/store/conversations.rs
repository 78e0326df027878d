//! Private conversations read back: one conversation's pages, and whom a person talked to.
//! Names are the ones stored with the messages (an account's canonical name).

use rusqlite::{params, Connection};

use super::message::{stored_message_from_row, StoredMessage};

/// The last `limit` private messages between `me` and `other` older than `before`, oldest
/// first. Each direction is read from its index, newest first, and the two are merged.
pub(super) fn page(
    conn: &Connection,
    me: &str,
    other: &str,
    limit: u32,
    before: i64,
) -> rusqlite::Result<Vec<StoredMessage>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, created_at, sender, channel, recipient, content FROM (
             SELECT * FROM (SELECT * FROM messages
                 WHERE recipient = ?1 AND sender = ?2 AND id < ?4 ORDER BY id DESC LIMIT ?3)
             UNION ALL
             SELECT * FROM (SELECT * FROM messages
                 WHERE recipient = ?2 AND sender = ?1 AND id < ?4 ORDER BY id DESC LIMIT ?3)
         ) ORDER BY id DESC LIMIT ?3",
    )?;
    let mut rows = statement
        .query_map(params![me, other, limit, before], stored_message_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.reverse();
    Ok(rows)
}

/// The people `me` sent private messages to or received some from, the most recent
/// conversation first, at most `limit`.
pub(super) fn people(conn: &Connection, me: &str, limit: u32) -> rusqlite::Result<Vec<String>> {
    conn.prepare_cached(
        "SELECT other FROM (
             SELECT recipient AS other, MAX(id) AS last FROM messages
                 WHERE sender = ?1 AND recipient IS NOT NULL GROUP BY recipient
             UNION ALL
             SELECT sender AS other, MAX(id) AS last FROM messages
                 WHERE recipient = ?1 GROUP BY sender
         ) GROUP BY other ORDER BY MAX(last) DESC LIMIT ?2",
    )?
    .query_map(params![me, limit], |row| row.get(0))?
    .collect()
}
