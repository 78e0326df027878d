//! Persistence in SQLite: one writer thread (group commit) and one read connection.
//!
//! Messages go through [`Store::submit_message`]; the writer commits them in batches and
//! only then hands them to the [`CommitSink`] (the hub), so nothing a client saw can be lost.

mod conversations;
mod message;
mod moderation;
mod person;
mod removal;
mod reports;
mod roster;
pub(crate) mod schema;
mod sessions;
mod writer;

use prometheus_client::metrics::histogram::Histogram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

use crate::config::Synchronous;
use crate::names::{AccountKey, ChannelKey, NameKey};
pub(crate) use message::StoredMessage;
pub(crate) use moderation::{
    ModerationEntry, RoomChange, SanctionChange, SanctionKind, StoredRooms, StoredSanction, Subject,
};
pub(crate) use person::{export as person_export, PersonExport};
pub(crate) use removal::{Removal, Removed};
pub(crate) use reports::NewReport;
#[cfg(test)]
pub(crate) use roster::ExistingAccount;
pub(crate) use roster::{
    apply as apply_roster, NewAccount, RosterConflict, RosterSnapshot, RosterWrite,
};
pub(crate) use sessions::{SessionLookup, SessionToken, SessionWrite, TokenHash};
use writer::WriteOp;
pub(crate) use writer::{insert_user, update_user};
pub(crate) use writer::{
    AccountMessages, CommitSink, DirectoryAccount, NewMessage, SenderKind, UserChange, UserUpdate,
};

#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the database schema version {found} is newer than this program ({supported})")]
    TooNew { found: i64, supported: i64 },
    #[error("the store writer has stopped")]
    WriterStopped,
    #[error("background task failed: {0}")]
    Task(String),
}

/// A registered account as the login path needs it.
#[derive(Debug, Clone)]
pub(crate) struct UserRecord {
    pub(crate) username: String,
    pub(crate) password_hash: String,
    pub(crate) banned: bool,
    pub(crate) role: classcord_protocol::Role,
    /// Whether the school directory checks its password (none is stored).
    pub(crate) checked_by: PasswordCheck,
}

/// Who checks an account's password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasswordCheck {
    /// Its stored hash.
    Local,
    /// The school directory (`[ldap]`).
    Directory,
}

/// A channel as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredChannel {
    pub(crate) name: String,
    /// The account that created it (none for channels made before this was recorded).
    pub(crate) created_by: Option<String>,
    /// A message was sent in it once.
    pub(crate) used: bool,
}

/// Outcome of an account creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateUser {
    Created,
    AlreadyExists,
}

/// A write of moderation's own tables.
#[derive(Debug, Clone)]
pub(crate) enum ModerationWrite {
    Room(RoomChange),
    Sanction(SanctionChange),
    Log(ModerationEntry),
}

/// Cheap to clone; every clone talks to the same writer thread and read connection.
#[derive(Clone)]
pub(crate) struct Store {
    writer: mpsc::Sender<WriteOp>,
    reader: Arc<Mutex<Connection>>,
    /// A read connection of its own for logins: history reads never hold them up.
    auth_reader: Arc<Mutex<Connection>>,
    /// Messages committed since start.
    stored: Arc<AtomicU64>,
}

/// Keeps the writer thread; dropping every [`Store`] and then joining this flushes everything.
pub(crate) struct StoreWriterThread(std::thread::JoinHandle<()>);

impl StoreWriterThread {
    /// Waits for the writer to commit what is queued (call after the last `Store` is dropped).
    pub(crate) fn join(self) {
        if self.0.join().is_err() {
            tracing::error!("store writer thread panicked");
        }
    }
}

/// Settings the store needs from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct StoreOptions {
    pub(crate) path: PathBuf,
    pub(crate) synchronous: Synchronous,
    pub(crate) max_batch: usize,
    pub(crate) queue: usize,
}

impl Store {
    /// Opens (creating and migrating if needed) the database, and starts the writer thread.
    pub(crate) fn open(
        options: &StoreOptions,
        sink: Arc<dyn CommitSink>,
        commit_latency: Histogram,
    ) -> Result<(Store, StoreWriterThread), StoreError> {
        if let Some(dir) = options.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
                path: dir.to_owned(),
                source,
            })?;
        }
        let write_conn = open_connection(&options.path, options.synchronous)?;
        schema::migrate(&write_conn)?;
        let read_conn = open_connection(&options.path, options.synchronous)?;
        read_conn.pragma_update(None, "query_only", true)?;
        let auth_conn = open_connection(&options.path, options.synchronous)?;
        auth_conn.pragma_update(None, "query_only", true)?;
        let (tx, rx) = mpsc::channel(options.queue);
        let max_batch = options.max_batch;
        let stored = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&stored);
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                let pipeline = writer::Pipeline {
                    sink,
                    stored: counter,
                    commit_latency,
                };
                writer::run(write_conn, rx, &pipeline, max_batch)
            })
            .map_err(|e| StoreError::Task(e.to_string()))?;
        Ok((
            Store {
                writer: tx,
                reader: Arc::new(Mutex::new(read_conn)),
                auth_reader: Arc::new(Mutex::new(auth_conn)),
                stored,
            },
            StoreWriterThread(thread),
        ))
    }

    /// Messages committed since the server started.
    pub(crate) fn messages_stored(&self) -> u64 {
        self.stored.load(Ordering::Relaxed)
    }

    /// Succeeds once a write transaction on the database has committed: the writer thread
    /// runs and the file takes writes (the readiness probe).
    pub(crate) async fn probe(&self) -> Result<(), StoreError> {
        let (reply, done) = oneshot::channel();
        self.writer
            .send(WriteOp::Probe { reply })
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        done.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Queues a message for commit; waits only while the writer's queue is full.
    pub(crate) async fn submit_message(&self, message: NewMessage) -> Result<(), StoreError> {
        self.writer
            .send(WriteOp::Message(message))
            .await
            .map_err(|_| StoreError::WriterStopped)
    }

    pub(crate) async fn create_user(
        &self,
        username: &str,
        password_hash: String,
    ) -> Result<CreateUser, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.write(WriteOp::CreateUser {
            username: username.to_owned(),
            password_hash,
            reply,
        })
        .await?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Changes or deletes an existing account.
    pub(crate) async fn update_user(
        &self,
        key: AccountKey,
        change: UserChange,
    ) -> Result<UserUpdate, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.write(WriteOp::UpdateUser { key, change, reply })
            .await?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Writes a class list's accounts, rooms and memberships in one transaction, unless
    /// something it creates appeared since it was planned.
    pub(crate) async fn import_roster(
        &self,
        write: RosterWrite,
    ) -> Result<Result<(), RosterConflict>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.write(WriteOp::Roster { write, reply }).await?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Creates or updates the account of a login the school directory accepted.
    pub(crate) async fn directory_account(
        &self,
        username: &str,
        role: classcord_protocol::Role,
    ) -> Result<DirectoryAccount, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.write(WriteOp::DirectoryAccount {
            username: username.to_owned(),
            role,
            reply,
        })
        .await?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Records a successful login time; nobody waits for it.
    pub(crate) fn record_login(&self, username: &str) {
        let op = WriteOp::RecordLogin {
            key: AccountKey::of(username),
        };
        if self.writer.try_send(op).is_err() {
            tracing::debug!("login time not recorded: store queue full");
        }
    }

    /// Remembers a channel so that it survives restarts.
    pub(crate) async fn ensure_channel(
        &self,
        name: &str,
        created_by: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write(WriteOp::EnsureChannel {
            name: name.to_owned(),
            created_by: created_by.map(str::to_owned),
        })
        .await
    }

    /// Deletes a channel that is empty and was never used; nobody waits for it.
    pub(crate) fn forget_channel(&self, name: &str) {
        let op = WriteOp::ForgetChannel {
            name: name.to_owned(),
        };
        if self.writer.try_send(op).is_err() {
            tracing::debug!("channel not forgotten: store queue full");
        }
    }

    /// Queues a moderation write (room, sanction, log line), committed in order with the
    /// rest; waits only while the writer's queue is full.
    pub(crate) async fn moderate(&self, op: ModerationWrite) -> Result<(), StoreError> {
        self.write(match op {
            ModerationWrite::Room(change) => WriteOp::Room(change),
            ModerationWrite::Sanction(change) => WriteOp::Sanction(change),
            ModerationWrite::Log(entry) => WriteOp::Moderation(entry),
        })
        .await
    }

    /// Takes messages out of the history, committed in order with everything before it.
    pub(crate) async fn remove(&self, removal: Removal) -> Result<Removed, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.write(WriteOp::Remove { removal, reply }).await?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Stores a report, committed in order with the rest.
    pub(crate) async fn report(&self, report: NewReport) -> Result<(), StoreError> {
        self.write(WriteOp::Report(report)).await
    }

    /// The last `limit` reports, newest first.
    pub(crate) async fn reports(
        &self,
        limit: u32,
    ) -> Result<Vec<crate::vocabulary::ReportListing>, StoreError> {
        self.read(move |conn| reports::list(conn, limit)).await
    }

    /// Everything stored about a person.
    pub(crate) async fn person(&self, name: &str) -> Result<PersonExport, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| person::export(conn, &name)).await
    }

    /// One stored message, by id.
    pub(crate) async fn message(&self, id: i64) -> Result<Option<StoredMessage>, StoreError> {
        self.read(move |conn| reports::message(conn, id)).await
    }

    /// The last `limit` messages `sender` wrote, newest first.
    pub(crate) async fn last_messages_of(
        &self,
        sender: &str,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let sender = sender.to_owned();
        self.read(move |conn| reports::last_of(conn, &sender, limit))
            .await
    }

    /// Removes every message written before `before_ms`, in batches of `batch` (each its own
    /// operation of the writer, so messages keep being committed between them). Returns how
    /// many went.
    pub(crate) async fn expire(&self, before_ms: i64, batch: usize) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let removal = Removal::Expired {
                before_ms,
                limit: batch,
            };
            let removed = match self.remove(removal).await? {
                Removed::Count(count) => count,
                Removed::Messages(messages) => messages.len(),
            };
            total += removed;
            if removed < batch {
                return Ok(total);
            }
        }
    }

    /// Opens a session for an account: its token, once committed (a reload right after
    /// finds it).
    pub(crate) async fn open_session(
        &self,
        account: AccountKey,
        lifetime_ms: i64,
    ) -> Result<SessionToken, StoreError> {
        let token = SessionToken::generate()
            .map_err(|_| StoreError::Task("no random numbers for a session token".into()))?;
        self.write(WriteOp::Session(SessionWrite::Open {
            hash: token.hash(),
            account,
            lifetime_ms,
        }))
        .await?;
        self.flush().await?;
        Ok(token)
    }

    /// Ends sessions: one (a logout) or those whose time is over, once committed (a token
    /// tried right after a logout opens nothing).
    pub(crate) async fn close_sessions(&self, write: SessionWrite) -> Result<(), StoreError> {
        self.write(WriteOp::Session(write)).await?;
        self.flush().await
    }

    /// What a session token opens now.
    pub(crate) async fn session(&self, hash: TokenHash) -> Result<SessionLookup, StoreError> {
        let now = crate::time_format::now_ms();
        Self::read_on(Arc::clone(&self.auth_reader), move |conn| {
            sessions::lookup(conn, hash, now)
        })
        .await
    }

    /// A page of the private conversation between two people, oldest first.
    pub(crate) async fn private_history(
        &self,
        me: &str,
        other: &str,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let (me, other) = (me.to_owned(), other.to_owned());
        let before = before.unwrap_or(i64::MAX);
        self.read(move |conn| conversations::page(conn, &me, &other, limit, before))
            .await
    }

    /// Whom a person exchanged private messages with, most recent first.
    pub(crate) async fn conversations(
        &self,
        me: &str,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let me = me.to_owned();
        self.read(move |conn| conversations::people(conn, &me, limit))
            .await
    }

    /// Resolves once everything queued before it is committed.
    pub(crate) async fn flush(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.write(WriteOp::Flush { reply }).await?;
        answer.await.map_err(|_| StoreError::WriterStopped)
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        self.writer
            .send(op)
            .await
            .map_err(|_| StoreError::WriterStopped)
    }

    pub(crate) async fn find_user(
        &self,
        key: &AccountKey,
    ) -> Result<Option<UserRecord>, StoreError> {
        let name_key = key.as_str().to_owned();
        Self::read_on(Arc::clone(&self.auth_reader), move |conn| {
            conn.prepare_cached(
                "SELECT username, password_hash, banned, role, directory FROM users
                 WHERE name_key = ?1",
            )?
            .query_row([name_key], |row| {
                Ok(UserRecord {
                    username: row.get(0)?,
                    password_hash: row.get(1)?,
                    banned: row.get(2)?,
                    role: moderation::parse_role(&row.get::<_, String>(3)?),
                    checked_by: if row.get::<_, bool>(4)? {
                        PasswordCheck::Directory
                    } else {
                        PasswordCheck::Local
                    },
                })
            })
            .optional()
        })
        .await
    }

    /// The last `limit` messages of a channel older than `before` (any when `None`), oldest
    /// first.
    pub(crate) async fn channel_history(
        &self,
        channel: &ChannelKey,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let channel_key = channel.as_str().to_owned();
        let before = before.unwrap_or(i64::MAX);
        self.read(move |conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id, created_at, sender, channel, recipient, content FROM messages
                 WHERE channel_key = ?1 AND id < ?3 ORDER BY id DESC LIMIT ?2",
            )?;
            let mut rows = statement
                .query_map(
                    rusqlite::params![channel_key, limit, before],
                    message::stored_message_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            rows.reverse();
            Ok(rows)
        })
        .await
    }

    /// Name keys of every registered user (the chat core protects them from guests).
    pub(crate) async fn registered_names(&self) -> Result<Vec<NameKey>, StoreError> {
        self.read(|conn| {
            conn.prepare("SELECT username FROM users")?
                .query_map([], |row| {
                    row.get::<_, String>(0).map(|name| NameKey::of(&name))
                })?
                .collect()
        })
        .await
    }

    /// Every stored channel: its name, its creator, and whether a message was ever sent in it.
    pub(crate) async fn channels(&self) -> Result<Vec<StoredChannel>, StoreError> {
        self.read(|conn| {
            conn.prepare(
                "SELECT name, created_by,
                        kept OR EXISTS (SELECT 1 FROM messages WHERE channel_key = channels.name_key)
                 FROM channels ORDER BY name",
            )?
            .query_map([], |row| {
                Ok(StoredChannel {
                    name: row.get(0)?,
                    created_by: row.get(1)?,
                    used: row.get(2)?,
                })
            })?
            .collect()
        })
        .await
    }

    /// Room modes and members (at start).
    pub(crate) async fn rooms(&self) -> Result<StoredRooms, StoreError> {
        self.read(moderation::rooms).await
    }

    /// Sanctions in force (at start).
    pub(crate) async fn sanctions(&self) -> Result<Vec<StoredSanction>, StoreError> {
        let now = crate::time_format::now_ms();
        self.read(move |conn| moderation::sanctions(conn, now))
            .await
    }

    /// Why the account `name` was last banned, if a reason was given.
    pub(crate) async fn ban_reason(&self, name: &str) -> Result<Option<String>, StoreError> {
        let name = name.to_owned();
        // On the logins' connection, as the password check before it.
        Self::read_on(Arc::clone(&self.auth_reader), move |conn| {
            moderation::ban_reason(conn, &name)
        })
        .await
    }

    /// The last entries of the moderation log, oldest first.
    pub(crate) async fn moderation_log(
        &self,
        limit: u32,
    ) -> Result<Vec<ModerationEntry>, StoreError> {
        self.read(move |conn| moderation::log(conn, limit)).await
    }

    /// Runs a query on the read connection, off the async threads.
    async fn read<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        Self::read_on(Arc::clone(&self.reader), query).await
    }

    async fn read_on<T, F>(reader: Arc<Mutex<Connection>>, query: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        tokio::task::spawn_blocking(move || {
            let conn = reader
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            query(&conn).map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

/// Opens a connection with the pragmas every connection of ours uses.
pub(crate) fn open_connection(
    path: &Path,
    synchronous: Synchronous,
) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let mode = match synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    conn.pragma_update(None, "synchronous", mode)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}
