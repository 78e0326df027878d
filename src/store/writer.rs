//! The single writer thread: drains the queue, commits a whole batch in one transaction
//! (group commit), then reports committed messages to the [`CommitSink`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::time_format::now_ms;

use prometheus_client::metrics::histogram::Histogram;
use rusqlite::{params, Connection};
use tokio::sync::{mpsc, oneshot};

use super::message::StoredMessage;
use super::moderation::{ModerationEntry, RoomChange, SanctionChange};
use super::removal::{Removal, Removed};
use super::reports::NewReport;
use super::roster::{RosterConflict, RosterWrite};
use super::{CreateUser, StoreError};
use crate::log_throttle::Throttle;
use crate::names::{AccountKey, ChannelKey};

/// A message accepted from a client, not yet committed.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    /// When the server read it (for the commit latency).
    pub(crate) received: Instant,
    /// Connection that sent it (for error reports and to skip the echo).
    pub(crate) sender_conn: u64,
    pub(crate) sender: String,
    pub(crate) sender_kind: SenderKind,
    /// The sender's IP address as text.
    pub(crate) sender_ip: Arc<str>,
    /// Exactly one of `channel` and `recipient` is set.
    pub(crate) channel: Option<String>,
    pub(crate) recipient: Option<String>,
    pub(crate) content: String,
}

/// Whether a message's sender had an account (the `sender_is_guest` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SenderKind {
    Account,
    Guest,
}

/// Who learns about commits: the hub fans committed messages out.
pub(crate) trait CommitSink: Send + Sync + 'static {
    /// Called in commit order, right after the transaction that holds them committed.
    fn committed(&self, messages: Vec<(u64, StoredMessage)>);
    /// Called when a batch could not be committed: nothing of it was stored or sent.
    fn failed(&self, sender_conns: Vec<u64>);
}

pub(super) enum WriteOp {
    Message(NewMessage),
    CreateUser {
        username: String,
        password_hash: String,
        reply: oneshot::Sender<Result<CreateUser, StoreError>>,
    },
    UpdateUser {
        key: AccountKey,
        change: UserChange,
        reply: oneshot::Sender<Result<UserUpdate, StoreError>>,
    },
    RecordLogin {
        key: AccountKey,
    },
    /// Creates or updates the account of a login the school directory accepted.
    DirectoryAccount {
        username: String,
        role: classcord_protocol::Role,
        reply: oneshot::Sender<Result<DirectoryAccount, StoreError>>,
    },
    EnsureChannel {
        name: String,
        created_by: Option<String>,
    },
    /// Deletes an empty channel in which nothing was ever said.
    ForgetChannel {
        name: String,
    },
    Room(RoomChange),
    /// A class list's accounts, rooms and memberships, all or nothing.
    Roster {
        write: RosterWrite,
        reply: RosterReply,
    },
    Sanction(SanctionChange),
    Moderation(ModerationEntry),
    /// A message reported to the teachers.
    Report(NewReport),
    /// A session opened or ended.
    Session(super::SessionWrite),
    /// Takes messages out of the history.
    Remove {
        removal: Removal,
        reply: oneshot::Sender<Result<Removed, StoreError>>,
    },
    Flush {
        reply: oneshot::Sender<()>,
    },
    /// Takes the database's write lock inside the batch's transaction (changing nothing):
    /// answered once that transaction committed, or with the error that stopped it.
    Probe {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// Where an import's outcome goes: written, refused for a conflict, or not committed.
pub(super) type RosterReply = oneshot::Sender<Result<Result<(), RosterConflict>, StoreError>>;

/// Where the writer's results go.
pub(super) struct Pipeline {
    pub(super) sink: Arc<dyn CommitSink>,
    /// Messages committed since start.
    pub(super) stored: Arc<AtomicU64>,
    pub(super) commit_latency: Histogram,
}

/// A change to an existing account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UserChange {
    Delete(AccountMessages),
    Password(String),
    Banned(bool),
    Role(classcord_protocol::Role),
}

/// What becomes of the messages of a deleted account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountMessages {
    /// They stay in the history under the name.
    #[default]
    Keep,
    /// An erasure request: the messages it sent and received, the reports it made or that
    /// name it, and removed texts of it kept in the moderation log go too.
    Erase,
}

/// Whether an account change found its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserUpdate {
    Done,
    NoSuchUser,
}

pub(super) fn run(
    mut conn: Connection,
    mut queue: mpsc::Receiver<WriteOp>,
    pipeline: &Pipeline,
    max_batch: usize,
) {
    let mut batch = Vec::with_capacity(max_batch);
    let mut failures = Throttle::default();
    while let Some(first) = queue.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        commit_batch(&mut conn, &mut batch, pipeline, &mut failures);
    }
    if let Err(error) = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE") {
        tracing::warn!(%error, "final WAL checkpoint failed");
    }
    tracing::debug!("store writer stopped");
}

/// Everything the batch produced, handed out only once the commit succeeded.
#[derive(Default)]
struct BatchResults {
    messages: Vec<(u64, StoredMessage)>,
    users: Vec<(oneshot::Sender<Result<CreateUser, StoreError>>, CreateUser)>,
    updates: Vec<(oneshot::Sender<Result<UserUpdate, StoreError>>, UserUpdate)>,
    rosters: Vec<(RosterReply, Result<(), RosterConflict>)>,
    directory_accounts: Vec<(
        oneshot::Sender<Result<DirectoryAccount, StoreError>>,
        DirectoryAccount,
    )>,
    removals: Vec<(oneshot::Sender<Result<Removed, StoreError>>, Removed)>,
    flushes: Vec<oneshot::Sender<()>>,
    probes: Vec<oneshot::Sender<Result<(), StoreError>>>,
    /// When each committed message arrived.
    received: Vec<Instant>,
}

fn commit_batch(
    conn: &mut Connection,
    batch: &mut Vec<WriteOp>,
    pipeline: &Pipeline,
    failures: &mut Throttle,
) {
    let now = now_ms();
    let mut results = BatchResults::default();
    // Every sender of the batch, known before anything runs: when one statement fails, the
    // whole transaction is rolled back, and each of them must be told (the operations after
    // the failing one are dropped with the batch).
    let sender_conns: Vec<u64> = batch
        .iter()
        .filter_map(|op| match op {
            WriteOp::Message(message) => Some(message.sender_conn),
            _ => None,
        })
        .collect();
    let outcome = (|| -> Result<(), StoreError> {
        let tx = conn.transaction()?;
        // Prepared once per batch (the statement cache hashes the SQL text at every lookup).
        let mut insert = None;
        for op in batch.drain(..) {
            match op {
                WriteOp::Message(message) => {
                    let conn_id = message.sender_conn;
                    results.received.push(message.received);
                    let insert = match &mut insert {
                        Some(insert) => insert,
                        None => insert.insert(tx.prepare_cached(INSERT_MESSAGE)?),
                    };
                    let stored = insert_message(insert, &tx, message, now)?;
                    results.messages.push((conn_id, stored));
                }
                WriteOp::CreateUser {
                    username,
                    password_hash,
                    reply,
                } => {
                    let outcome = insert_user(&tx, &username, &password_hash, now)?;
                    results.users.push((reply, outcome));
                }
                WriteOp::UpdateUser { key, change, reply } => {
                    let changed = update_user(&tx, &key, &change)?;
                    let outcome = if changed == 0 {
                        UserUpdate::NoSuchUser
                    } else {
                        UserUpdate::Done
                    };
                    results.updates.push((reply, outcome));
                }
                WriteOp::DirectoryAccount {
                    username,
                    role,
                    reply,
                } => {
                    let account = upsert_directory_account(&tx, &username, role, now)?;
                    results.directory_accounts.push((reply, account));
                }
                WriteOp::RecordLogin { key } => {
                    tx.prepare_cached("UPDATE users SET last_login_at = ?1 WHERE name_key = ?2")?
                        .execute(params![now, key.as_str()])?;
                }
                WriteOp::ForgetChannel { name } => {
                    tx.prepare_cached(
                        "DELETE FROM channels WHERE name_key = ?1 AND NOT kept AND NOT EXISTS
                         (SELECT 1 FROM messages WHERE channel_key = ?1)",
                    )?
                    .execute([ChannelKey::of(&name).as_str()])?;
                }
                WriteOp::EnsureChannel { name, created_by } => {
                    tx.prepare_cached(
                        "INSERT INTO channels (name, name_key, created_at, created_by)
                         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name_key) DO NOTHING",
                    )?
                    .execute(params![
                        name,
                        ChannelKey::of(&name).as_str(),
                        now,
                        created_by
                    ])?;
                }
                WriteOp::Room(change) => change.apply(&tx, now)?,
                WriteOp::Roster { write, reply } => {
                    let outcome = super::roster::apply(&tx, &write, now)?;
                    results.rosters.push((reply, outcome));
                }
                WriteOp::Sanction(change) => change.apply(&tx)?,
                WriteOp::Moderation(entry) => entry.insert(&tx, now)?,
                WriteOp::Report(report) => report.insert(&tx, now)?,
                WriteOp::Session(write) => write.apply(&tx, now)?,
                WriteOp::Remove { removal, reply } => {
                    let removed = removal.apply(&tx)?;
                    results.removals.push((reply, removed));
                }
                WriteOp::Flush { reply } => results.flushes.push(reply),
                WriteOp::Probe { reply } => {
                    // Told of the outcome whatever it is, this statement's failure included.
                    results.probes.push(reply);
                    // Any write statement takes the RESERVED lock, even one that matches
                    // no row: a read-only or locked file fails here.
                    tx.prepare_cached("DELETE FROM messages WHERE id < 0")?
                        .execute([])?;
                }
            }
        }
        drop(insert);
        tx.commit()?;
        Ok(())
    })();
    match outcome {
        Ok(()) => {
            if !results.messages.is_empty() {
                let committed = Instant::now();
                for received in results.received {
                    pipeline
                        .commit_latency
                        .observe(committed.duration_since(received).as_secs_f64());
                }
                pipeline
                    .stored
                    .fetch_add(results.messages.len() as u64, Ordering::Relaxed);
                pipeline.sink.committed(results.messages);
            }
            for reply in results.probes {
                let _ = reply.send(Ok(()));
            }
            for (reply, outcome) in results.users {
                let _ = reply.send(Ok(outcome));
            }
            for (reply, outcome) in results.updates {
                let _ = reply.send(Ok(outcome));
            }
            for (reply, outcome) in results.rosters {
                let _ = reply.send(Ok(outcome));
            }
            for (reply, account) in results.directory_accounts {
                let _ = reply.send(Ok(account));
            }
            for (reply, removed) in results.removals {
                let _ = reply.send(Ok(removed));
            }
        }
        Err(error) => {
            if let Some(unreported) = failures.report(std::time::Instant::now()) {
                tracing::error!(%error, unreported, "store batch not committed (messages refused with storage_error)");
            }
            pipeline.sink.failed(sender_conns);
            for reply in results.probes {
                let _ = reply.send(Err(StoreError::Task(error.to_string())));
            }
            for (reply, _) in results.users {
                let _ = reply.send(Err(StoreError::Task(error.to_string())));
            }
            for (reply, _) in results.rosters {
                let _ = reply.send(Err(StoreError::Task(error.to_string())));
            }
            for (reply, _) in results.directory_accounts {
                let _ = reply.send(Err(StoreError::Task(error.to_string())));
            }
            for (reply, _) in results.updates {
                let _ = reply.send(Err(StoreError::Task(error.to_string())));
            }
            for (reply, _) in results.removals {
                let _ = reply.send(Err(StoreError::Task(error.to_string())));
            }
        }
    }
    for reply in results.flushes {
        let _ = reply.send(());
    }
}

/// Creates an account unless its key is taken.
pub(crate) fn insert_user(
    conn: &rusqlite::Connection,
    username: &str,
    password_hash: &str,
    now: i64,
) -> rusqlite::Result<CreateUser> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO users (username, name_key, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name_key) DO NOTHING",
        )?
        .execute(params![
            username,
            AccountKey::of(username).as_str(),
            password_hash,
            now
        ])?;
    Ok(if inserted == 1 {
        CreateUser::Created
    } else {
        CreateUser::AlreadyExists
    })
}

/// The account of a directory login, as stored after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirectoryAccount {
    /// The stored name (the first login's spelling).
    pub(crate) username: String,
    pub(crate) created: bool,
    pub(crate) banned: bool,
}

/// What the password column of an account the directory checks holds: no password hash
/// matches it.
const NO_LOCAL_PASSWORD: &str = "!directory";

/// Creates the account of a directory login, or gives an existing one the directory's
/// role (an account of the same name becomes checked by the directory).
fn upsert_directory_account(
    tx: &rusqlite::Transaction<'_>,
    username: &str,
    role: classcord_protocol::Role,
    now: i64,
) -> rusqlite::Result<DirectoryAccount> {
    use rusqlite::OptionalExtension;
    let key = AccountKey::of(username);
    let existing: Option<(String, bool)> = tx
        .prepare_cached("SELECT username, banned FROM users WHERE name_key = ?1")?
        .query_row([key.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match existing {
        Some((stored, banned)) => {
            tx.prepare_cached("UPDATE users SET role = ?2, directory = 1 WHERE name_key = ?1")?
                .execute(params![key.as_str(), role.as_str()])?;
            Ok(DirectoryAccount {
                username: stored,
                created: false,
                banned,
            })
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO users (username, name_key, password_hash, role, created_at, directory)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1)",
            )?
            .execute(params![
                username,
                key.as_str(),
                NO_LOCAL_PASSWORD,
                role.as_str(),
                now
            ])?;
            Ok(DirectoryAccount {
                username: username.to_owned(),
                created: true,
                banned: false,
            })
        }
    }
}

/// Applies one account change; the number of rows it touched.
pub(crate) fn update_user(
    tx: &rusqlite::Transaction<'_>,
    key: &AccountKey,
    change: &UserChange,
) -> rusqlite::Result<usize> {
    match change {
        UserChange::Delete(messages) => {
            if *messages == AccountMessages::Erase {
                use rusqlite::OptionalExtension;
                let stored: Option<String> = tx
                    .prepare_cached("SELECT username FROM users WHERE name_key = ?1")?
                    .query_row([key.as_str()], |row| row.get(0))
                    .optional()?;
                if let Some(name) = stored {
                    super::removal::Removal::Person { name }.apply(tx)?;
                }
            }
            super::sessions::close_all(tx, key)?;
            // A later account of the same name inherits neither rooms nor sanctions.
            tx.prepare_cached("DELETE FROM room_members WHERE account_key = ?1")?
                .execute([key.as_str()])?;
            tx.prepare_cached(
                "DELETE FROM sanctions WHERE subject_kind = 'account' AND subject = ?1",
            )?
            .execute([key.as_str()])?;
            tx.prepare_cached("DELETE FROM users WHERE name_key = ?1")?
                .execute([key.as_str()])
        }
        UserChange::Password(hash) => {
            // Whoever knew the old password may hold a session: it ends with it.
            super::sessions::close_all(tx, key)?;
            tx.prepare_cached("UPDATE users SET password_hash = ?2 WHERE name_key = ?1")?
                .execute(params![key.as_str(), hash])
        }
        UserChange::Banned(banned) => {
            if *banned {
                super::sessions::close_all(tx, key)?;
            }
            tx.prepare_cached("UPDATE users SET banned = ?2 WHERE name_key = ?1")?
                .execute(params![key.as_str(), banned])
        }
        UserChange::Role(role) => tx
            .prepare_cached("UPDATE users SET role = ?2 WHERE name_key = ?1")?
            .execute(params![key.as_str(), role.as_str()]),
    }
}

/// How a message is stored.
const INSERT_MESSAGE: &str =
    "INSERT INTO messages (created_at, sender, sender_is_guest, sender_ip, channel, channel_key,
                           recipient, content)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Stores one message with the batch's prepared [`INSERT_MESSAGE`].
fn insert_message(
    insert: &mut rusqlite::Statement<'_>,
    tx: &rusqlite::Transaction<'_>,
    message: NewMessage,
    now: i64,
) -> Result<StoredMessage, StoreError> {
    let key = message
        .channel
        .as_deref()
        .map(|name| ChannelKey::of(name).as_str().to_owned());
    insert.execute(params![
        now,
        message.sender,
        message.sender_kind == SenderKind::Guest,
        &*message.sender_ip,
        message.channel,
        key,
        message.recipient,
        message.content,
    ])?;
    Ok(StoredMessage {
        id: tx.last_insert_rowid(),
        created_at_ms: now,
        sender: message.sender,
        channel: message.channel,
        recipient: message.recipient,
        content: message.content,
    })
}
