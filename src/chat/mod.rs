//! The chat core behind one facade, [`Chat`]: accounts, names, channels, presence and
//! messages. Sessions and the admin socket talk to it only; it keeps the live state in
//! memory ([`Hub`], one lock never held across an await, split by concern into `names`,
//! `channels`, `presence`, `delivery` and `views`) and reaches the database through the
//! store, whose single writer thread commits every write of a running server. A message is
//! committed before the store hands it back to the hub for fan-out.

mod accounts;
mod actions;
mod channels;
mod delivery;
mod hours;
mod moderation;
mod names;
mod outbound;
mod presence;
mod removal;
mod retention;
mod rooms;
mod sanctions;
mod sessions;
mod state;
mod views;
mod words;

use crate::metrics::Metrics;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use classcord_protocol::server_line::{NoticeEvent, Outcome};
use classcord_protocol::{Dialect, ServerLine, Target};

pub(crate) use accounts::AccountError;
pub(crate) use accounts::LoginRefused;
pub(crate) use actions::RequestAnswer;
pub(crate) use channels::JoinOutcome;
pub(crate) use outbound::{Closer, LineQueue, Outbound, QueueLimits};
pub(crate) use rooms::RoomCreated;
pub(crate) use state::{ConnId, Identity};
pub(crate) use words::Words;

use crate::config::{AccountsSection, Config, LimitsSection};
use crate::fixed::{MAX_CONVERSATIONS, MAX_HISTORY};
use crate::names::{channel_name_error, state_error, username_error, AccountKey, ChannelKey};
use crate::password::Passwords;
use crate::store::{NewMessage, Store, StoreError, StoreOptions, StoreWriterThread, StoredMessage};
use crate::vocabulary::{NameProblem, Notice, OnlineUser, Refused};
use channels::Admission;
use delivery::{chat_line, Destination};
use state::{Hub, Settings};

/// How many of the last items fit in `budget` bytes, given each item's encoded size.
fn fitting_tail<T>(items: &[T], budget: usize, size: impl Fn(&T) -> usize) -> usize {
    fitting(items.iter().rev(), budget, size)
}

/// How many of `items`, in order, fit in `budget` bytes.
pub(super) fn fitting<'a, T: 'a>(
    items: impl Iterator<Item = &'a T>,
    budget: usize,
    size: impl Fn(&T) -> usize,
) -> usize {
    let mut used = 0;
    items
        .take_while(|item| {
            used += size(item);
            used <= budget
        })
        .count()
}

/// An upper bound of the bytes `text` takes as an escaped JSON string in a list (quotes,
/// comma, and up to 12 bytes for a character outside ASCII).
pub(super) fn json_string_bound(text: &str) -> usize {
    3 + text
        .chars()
        .map(|c| if c.is_ascii() { 2 } else { 12 })
        .sum::<usize>()
}

/// Name of a guest whose first message carries no `from`.
const DEFAULT_GUEST_NAME: &str = "invité";

/// The facade. Cheap to share behind an `Arc`.
pub(crate) struct Chat {
    hub: Arc<Hub>,
    store: Store,
    passwords: Passwords,
    limits: LimitsSection,
    accounts: AccountsSection,
    /// The school directory, when `[ldap]` names one.
    directory: Option<crate::directory::Directory>,
    history_replay: u32,
    /// `[classroom] hours`: when pupils may write.
    hours: crate::opening_hours::OpeningHours,
    /// `[storage] retention_days` (0: messages are kept).
    retention_days: u32,
    messages_expired: prometheus_client::metrics::counter::Counter,
    messages_removed: prometheus_client::metrics::counter::Counter,
}

/// Whose history a page is.
#[derive(Clone, Copy)]
enum HistoryOf<'a> {
    Channel(&'a str),
    Person(&'a str),
}

/// What a sent message was, for the audit log (never its content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sent {
    pub(crate) sender: String,
    pub(crate) channel: Option<String>,
    pub(crate) recipient: Option<String>,
    pub(crate) length: usize,
}

fn internal(error: impl std::fmt::Display) -> Refused {
    tracing::error!(%error, "internal error while serving a request");
    Refused::Storage
}

impl Chat {
    /// Opens the database (creating and migrating it if needed), starts its writer thread and
    /// loads what the live state needs: account names and channels.
    pub(crate) async fn open(
        config: &Config,
        passwords: Passwords,
        metrics: &Metrics,
        words: Arc<dyn Words>,
        directory: Option<crate::directory::Directory>,
    ) -> Result<(Chat, StoreWriterThread), StoreError> {
        let hub = Arc::new(Hub::new(
            Settings {
                notice_sender: config.server.notice_sender.clone(),
                default_channel: config.server.default_channel.clone(),
                max_channels: config.limits.max_channels,
                max_channels_per_account: config.limits.max_channels_per_account,
                private_messages: config.classroom.private_messages,
            },
            metrics.fanout.clone(),
            words,
        ));
        let options = StoreOptions {
            path: config.storage.database.clone(),
            synchronous: config.storage.synchronous,
            max_batch: config.storage.max_batch,
            queue: config.storage.write_queue,
        };
        let (store, writer) = Store::open(
            &options,
            Arc::clone(&hub) as _,
            metrics.commit_latency.clone(),
        )?;
        hub.register_names(store.registered_names().await?);
        // Channels in which nothing was ever said do not outlive a restart.
        let default_key = ChannelKey::of(&config.server.default_channel);
        let (kept, unused): (Vec<_>, Vec<_>) = store
            .channels()
            .await?
            .into_iter()
            .partition(|c| c.used || ChannelKey::of(&c.name) == default_key);
        for channel in unused {
            store.forget_channel(&channel.name);
        }
        hub.add_channels(kept);
        hub.add_rooms(store.rooms().await?);
        let now = crate::time_format::now_ms();
        for sanction in store.sanctions().await? {
            let left = sanction
                .until_ms
                .map(|until| std::time::Duration::from_millis((until - now).max(0) as u64));
            hub.set_sanction(sanction.kind, sanction.subject, &sanction.label, left);
        }
        let chat = Chat {
            hub,
            store,
            passwords,
            limits: config.limits.clone(),
            accounts: config.accounts.clone(),
            directory,
            history_replay: config.storage.history_replay,
            retention_days: config.storage.retention_days,
            // A configuration file was validated when loaded; one built in code is told.
            hours: crate::opening_hours::OpeningHours::parse(&config.classroom.hours)
                .unwrap_or_else(|reason| {
                    tracing::error!(%reason, "classroom.hours ignored: always open");
                    Default::default()
                }),
            messages_expired: metrics.messages_expired.clone(),
            messages_removed: metrics.messages_removed.clone(),
        };
        Ok((chat, writer))
    }

    pub(crate) fn attach(&self, peer: SocketAddr, outbound: Outbound) -> ConnId {
        self.hub.attach(peer, outbound)
    }

    /// The connection closed: it leaves, and the others are told.
    pub(crate) fn detach(&self, id: ConnId) {
        self.hub.detach(id);
        self.forget_expired_channels();
    }

    /// Waits (at most `limit`) until a connection that was asked to close has left and its
    /// departure was announced: a teacher's answer then comes after the student's `offline`
    /// line, as the last line of the burst (some legacy clients show only that one).
    pub(crate) async fn wait_gone(&self, id: ConnId, limit: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let departed = self.hub.departures.notified();
            tokio::pin!(departed);
            departed.as_mut().enable();
            if !self.hub.is_attached(id) {
                return;
            }
            if tokio::time::timeout_at(deadline, departed).await.is_err() {
                return;
            }
        }
    }

    pub(crate) fn set_dialect(&self, id: ConnId, dialect: Dialect) {
        self.hub.set_dialect(id, dialect)
    }

    /// What the connection speaks (legacy until it said `hello`).
    pub(crate) fn dialect(&self, id: ConnId) -> Dialect {
        self.hub.dialect(id)
    }

    pub(crate) fn identity(&self, id: ConnId) -> Identity {
        self.hub.identity(id)
    }

    /// Why a user name is refused, or `None`.
    fn username_error(&self, username: &str) -> Option<NameProblem> {
        username_error(
            username,
            self.limits.max_username_chars,
            &self.hub.settings.notice_sender,
        )
    }

    /// Names an anonymous connection as a guest (from its first message, or `guest`); an
    /// identified connection keeps its name.
    pub(crate) fn claim_guest(
        &self,
        id: ConnId,
        requested: Option<String>,
        probe_allowed: impl FnOnce() -> bool,
    ) -> Result<String, Refused> {
        if let Some(name) = self.hub.identity(id).name() {
            return Ok(name.to_owned());
        }
        if !self.accounts.guests {
            return Err(Refused::GuestsClosed);
        }
        let requested = requested
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_GUEST_NAME.to_owned());
        if let Some(problem) = self.username_error(&requested) {
            return Err(Refused::InvalidUsername(problem));
        }
        self.hub.claim_guest(id, &requested, probe_allowed)
    }

    /// Succeeds once the database has taken a write transaction (the readiness probe).
    pub(crate) async fn probe_store(&self) -> Result<(), StoreError> {
        self.store.probe().await
    }

    /// Checks a message and queues it for commit; it is fanned out once committed.
    pub(crate) async fn send(
        &self,
        id: ConnId,
        sender_ip: Arc<str>,
        target: &Target,
        content: String,
    ) -> Result<Sent, Refused> {
        let length = self.check_content(&content)?;
        self.check_hours(id)?;
        let route = self.hub.route(id, target)?;
        let (channel, recipient) = match route.destination {
            Destination::Channel(channel) => (Some(channel), None),
            Destination::User(user) => (None, Some(user)),
        };
        let sent = Sent {
            sender: route.sender.clone(),
            channel: channel.clone(),
            recipient: recipient.clone(),
            length,
        };
        self.store
            .submit_message(NewMessage {
                received: std::time::Instant::now(),
                sender_conn: id,
                sender: route.sender,
                sender_kind: route.sender_kind,
                sender_ip,
                channel,
                recipient,
                content,
            })
            .await
            .map_err(internal)?;
        Ok(sent)
    }

    /// Refuses content no message may carry; its length in characters otherwise.
    pub(crate) fn check_content(&self, content: &str) -> Result<usize, Refused> {
        if content.contains('\0') {
            return Err(Refused::NulByte);
        }
        let max_chars = self.limits.max_content_chars;
        let length = content.chars().count();
        if length > max_chars {
            return Err(Refused::ContentTooLong { max_chars });
        }
        Ok(length)
    }

    pub(crate) fn set_status(&self, id: ConnId, state: &str) -> Result<(), Refused> {
        if let Some(problem) = state_error(state, self.limits.max_state_chars) {
            return Err(Refused::InvalidState(problem));
        }
        self.hub.set_status(id, state)
    }

    /// The `users` reply, cut (with `"more": true`) where it would pass the reply limit.
    pub(crate) fn users_line(&self) -> Bytes {
        self.hub.users_line(self.limits.max_reply_bytes)
    }

    /// Joins a channel (created and stored if new); the reply, then the replay of its
    /// recent history when one is configured.
    pub(crate) async fn join(&self, id: ConnId, channel: &str) -> Result<Vec<Bytes>, Refused> {
        self.join_admitted(id, channel, Admission::Checked).await
    }

    async fn join_admitted(
        &self,
        id: ConnId,
        channel: &str,
        admission: Admission,
    ) -> Result<Vec<Bytes>, Refused> {
        let channel = self.join_channel(id, channel, admission).await?;
        let mut lines = vec![ServerLine::Join {
            status: Outcome::Ok,
            channel: &channel,
        }
        .encode()];
        if self.history_replay > 0 {
            lines.push(
                self.history_line(&channel, self.history_replay, None)
                    .await?,
            );
        }
        Ok(lines)
    }

    /// Adds the connection to the channel (a valid name), storing the channel when this
    /// created it. Returns the channel's canonical name.
    async fn join_channel(
        &self,
        id: ConnId,
        channel: &str,
        admission: Admission,
    ) -> Result<String, Refused> {
        if let Some(problem) = channel_name_error(channel) {
            return Err(Refused::InvalidChannel(problem));
        }
        let JoinOutcome {
            channel,
            created_by,
        } = self.hub.join(id, channel, admission)?;
        if let Some(creator) = created_by {
            self.store
                .ensure_channel(&channel, Some(&creator))
                .await
                .map_err(internal)?;
            tracing::info!(channel = ?channel, "channel created");
        }
        Ok(channel)
    }

    /// Tells the store to forget the channels that emptied without ever being used.
    pub(super) fn forget_expired_channels(&self) {
        for name in self.hub.take_expired() {
            tracing::debug!(channel = ?name, "unused channel removed");
            self.store.forget_channel(&name);
        }
    }

    pub(crate) fn leave(&self, id: ConnId, channel: &str) -> Result<Bytes, Refused> {
        let channel = self.hub.leave(id, channel)?;
        self.forget_expired_channels();
        Ok(ServerLine::Leave {
            status: Outcome::Ok,
            channel: &channel,
        }
        .encode())
    }

    /// The `channels` reply (the rooms this connection may see), cut (with `"more": true`)
    /// where it would pass the reply limit.
    pub(crate) fn channels_line(&self, id: ConnId) -> Bytes {
        let channels = self.hub.channels_for(id);
        let fits = fitting(channels.iter(), self.limits.max_reply_bytes - 64, |info| {
            json_string_bound(&info.name) + 32
        });
        ServerLine::Channels {
            channels: &channels[..fits],
            more: fits < channels.len(),
        }
        .encode()
    }

    /// The last messages of a channel the connection is in (the default channel if none).
    pub(crate) async fn history(
        &self,
        id: ConnId,
        channel: Option<String>,
        limit: Option<u32>,
        before: Option<i64>,
    ) -> Result<Bytes, Refused> {
        let channel = channel.unwrap_or_else(|| self.hub.settings.default_channel.clone());
        let channel = self.hub.member_channel(id, &channel)?;
        let limit = limit.unwrap_or(self.history_replay).min(MAX_HISTORY);
        self.history_line(&channel, limit, before).await
    }

    /// One page of a channel's history: at most `limit` messages older than `before`, the
    /// newest of them that fit in one reply line; `more` when older ones remain.
    async fn history_line(
        &self,
        channel: &str,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Bytes, Refused> {
        let stored = self
            .store
            .channel_history(&ChannelKey::of(channel), limit.saturating_add(1), before)
            .await
            .map_err(internal)?;
        Ok(self.history_page(HistoryOf::Channel(channel), stored, limit))
    }

    /// A page of the private conversation between the connection's account and `with`
    /// (guests have none: a guest's name goes to the next guest, never its messages).
    pub(crate) async fn private_history(
        &self,
        id: ConnId,
        with: &str,
        limit: Option<u32>,
        before: Option<i64>,
    ) -> Result<Bytes, Refused> {
        let me = self.account_name(id)?;
        let with = self.canonical_name(with).await?;
        let limit = limit.unwrap_or(self.history_replay).min(MAX_HISTORY);
        let stored = self
            .store
            .private_history(&me, &with, limit.saturating_add(1), before)
            .await
            .map_err(internal)?;
        Ok(self.history_page(HistoryOf::Person(&with), stored, limit))
    }

    /// The people of the account's private conversations, most recent first.
    pub(crate) async fn conversations_line(&self, id: ConnId) -> Result<Bytes, Refused> {
        let me = self.account_name(id)?;
        let people = self
            .store
            .conversations(&me, MAX_CONVERSATIONS)
            .await
            .map_err(internal)?;
        Ok(ServerLine::Conversations { people: &people }.encode())
    }

    /// The name of the account the connection is logged in as.
    fn account_name(&self, id: ConnId) -> Result<String, Refused> {
        match self.hub.identity(id) {
            Identity::User(name) => Ok(name),
            Identity::Guest(_) => Err(Refused::PrivateHistoryNeedsAccount),
            Identity::Anonymous => Err(Refused::NotLoggedIn),
        }
    }

    /// An account's name as stored (`Chloé` for `chloé`); another name as it is (a guest's).
    async fn canonical_name(&self, name: &str) -> Result<String, Refused> {
        let record = self
            .store
            .find_user(&AccountKey::of(name))
            .await
            .map_err(internal)?;
        Ok(record.map_or_else(|| name.to_owned(), |record| record.username))
    }

    /// The reply for messages read with one more than `limit` asked for: the newest that
    /// fit in one line, and `more` when older ones remain.
    fn history_page(&self, of: HistoryOf<'_>, mut stored: Vec<StoredMessage>, limit: u32) -> Bytes {
        let mut more = stored.len() > limit as usize;
        if more {
            stored.remove(0);
        }
        let messages: Vec<_> = stored.into_iter().map(chat_line).collect();
        let label = match of {
            HistoryOf::Channel(name) | HistoryOf::Person(name) => name,
        };
        let budget = self
            .limits
            .max_reply_bytes
            .saturating_sub(256 + label.len() * 12);
        let fits = fitting_tail(&messages, budget, |message| {
            let optional = |text: &Option<String>| text.as_deref().map_or(0, json_string_bound);
            json_string_bound(&message.content)
                + json_string_bound(&message.from)
                + optional(&message.to)
                + optional(&message.channel)
                + 128
        });
        more |= fits < messages.len();
        let (channel, with) = match of {
            HistoryOf::Channel(name) => (Some(name), None),
            HistoryOf::Person(name) => (None, Some(name)),
        };
        ServerLine::History {
            channel,
            with,
            messages: &messages[messages.len() - fits..],
            more,
        }
        .encode()
    }

    /// A notice to everyone identified.
    pub(crate) fn notice(&self, event: NoticeEvent, notice: &Notice) {
        self.hub.notice(event, notice)
    }

    /// Closes the connection of `username` after telling it why. False when it is not online.
    pub(crate) fn kick(&self, username: &str, why: &Notice) -> bool {
        self.hub.kick(username, why)
    }

    pub(crate) fn online(&self) -> Vec<OnlineUser> {
        self.hub.online()
    }

    pub(crate) fn online_count(&self) -> usize {
        self.hub.online_count()
    }

    /// From now on, departures are not announced.
    pub(crate) fn begin_shutdown(&self) {
        self.hub.begin_shutdown()
    }

    /// Resolves once every write queued before it is committed.
    pub(crate) async fn flush(&self) -> Result<(), StoreError> {
        self.store.flush().await
    }

    pub(crate) fn messages_stored(&self) -> u64 {
        self.store.messages_stored()
    }
}
