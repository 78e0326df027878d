//! Moderation and room actions, whoever asks (a teacher's slash command, a typed v2 request,
//! the admin socket): who may do what, checked when each action runs; each action's effect
//! through the chat core; and its record in the moderation table and the audit log. The
//! answers and refusals are typed (`crate::vocabulary`): the edge words them.

pub(crate) mod countdown;
mod removal;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use classcord_protocol::server_line::NoticeEvent;
use classcord_protocol::{Action, CommandInfo, Role};
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

use crate::chat::{AccountError, Chat, ConnId, RequestAnswer, RoomCreated};
use crate::logging::{Audit, AuditEvent};
use crate::metrics::Metrics;
use crate::names::{AccountKey, NameKey};
use crate::store::{ModerationEntry, SanctionKind, Subject, UserChange};
use crate::vocabulary::{Answer, Banner, NameKind, NobodyIs, Notice, Refused};

/// Who runs an action.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) name: String,
    pub(crate) role: Role,
    /// The actor's connection (none for the admin socket).
    pub(crate) conn: Option<ConnId>,
}

/// Longest wait for a kicked or banned connection to leave before the teacher is answered
/// (it leaves within milliseconds; a stuck writer is closed by the slow-consumer rules).
const DEPARTURE_WAIT: Duration = Duration::from_secs(2);

/// Name of the admin socket in the moderation log.
const CONSOLE: &str = "console";

impl Actor {
    /// The admin socket: an administrator with no connection.
    pub(crate) fn console() -> Actor {
        Actor {
            name: CONSOLE.to_owned(),
            role: Role::Admin,
            conn: None,
        }
    }

    fn connection(&self) -> Result<ConnId, Refused> {
        self.conn.ok_or(Refused::OnlyFromChatClient)
    }
}

/// The moderation service: what every action needs, and nothing else.
pub(crate) struct Moderation {
    chat: Arc<Chat>,
    audit: Audit,
    metrics: Arc<Metrics>,
    /// Cancelled when a `/shutdown` countdown ends: the process then stops as on SIGTERM.
    stop_requested: CancellationToken,
    /// The `/shutdown` countdown under way.
    countdown: Mutex<Option<AbortHandle>>,
    /// `[classroom] keep_removed_text`.
    keep_removed_text: bool,
    /// Reports each person may still file (by name key).
    report_budget: ReportBudget,
}

type ReportBudget = governor::RateLimiter<
    NameKey,
    governor::state::keyed::DefaultKeyedStateStore<NameKey>,
    crate::gate::TokioClock,
    governor::middleware::NoOpMiddleware<std::time::Instant>,
>;

fn report_budget() -> ReportBudget {
    let quota = governor::Quota::with_period(crate::fixed::REPORT_EVERY)
        .expect("a period longer than zero")
        .allow_burst(
            std::num::NonZeroU32::new(crate::fixed::REPORT_BURST).expect("a burst above zero"),
        );
    governor::RateLimiter::new(
        quota,
        governor::state::keyed::DefaultKeyedStateStore::default(),
        crate::gate::TokioClock,
    )
}

/// Refuses `actor` a command its role does not allow.
pub(crate) fn check_role(actor: &Actor, info: &CommandInfo) -> Result<(), Refused> {
    if actor.role >= info.role {
        return Ok(());
    }
    Err(Refused::CommandForbidden {
        word: info.word,
        needs: info.role,
    })
}

impl Moderation {
    pub(crate) fn new(
        chat: Arc<Chat>,
        audit: Audit,
        metrics: Arc<Metrics>,
        keep_removed_text: bool,
    ) -> Moderation {
        Moderation {
            chat,
            audit,
            metrics,
            stop_requested: CancellationToken::new(),
            countdown: Mutex::new(None),
            keep_removed_text,
            report_budget: report_budget(),
        }
    }

    /// Resolves when a `/shutdown` countdown has ended.
    pub(crate) async fn stop_requested(&self) {
        self.stop_requested.cancelled().await
    }

    /// A `/shutdown` countdown has ended: the server is about to stop.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stop_requested.is_cancelled()
    }

    /// Runs one action for `actor`. Rights are read now, so a demoted moderator has lost them.
    pub(crate) async fn execute(
        self: &Arc<Self>,
        actor: &Actor,
        action: Action,
    ) -> Result<Answer, Refused> {
        if let Some(info) = CommandInfo::of(action.word()) {
            check_role(actor, info)?;
        }
        action
            .check_bounds()
            .map_err(|problem| Refused::CommandBounds {
                word: action.word(),
                problem,
            })?;
        let chat = &self.chat;
        match action {
            Action::Help => Ok(Answer::Help { role: actor.role }),
            Action::Who => Ok(chat.who(actor.role)),
            Action::Rooms => Ok(Answer::Rooms(chat.rooms_for(actor.connection()?))),
            Action::Join { room } if chat.is_default_room(&room) => {
                chat.leave_room(actor.connection()?)
            }
            Action::Join { room } => Ok(Answer::Lines(
                chat.enter_room(actor.connection()?, &room).await?,
            )),
            Action::Leave => chat.leave_room(actor.connection()?),
            Action::RoomMembers { room } => Ok(Answer::RoomMembers(chat.room_members(&room)?)),
            Action::Kick {
                user,
                duration_secs,
                reason,
            } => {
                self.kick(actor, &user, duration_secs.map(Duration::from_secs), reason)
                    .await
            }
            Action::Ban { user, reason } => self.ban(actor, &user, reason).await,
            Action::Unban { user } => self.unban(actor, &user).await,
            Action::Mute {
                user,
                duration_secs,
            } => {
                self.mute(actor, &user, duration_secs.map(Duration::from_secs))
                    .await
            }
            Action::Unmute { user } => {
                if chat.lift(SanctionKind::Mute, &user).await? == 0 {
                    return Err(nobody(&user, NobodyIs::NotMuted));
                }
                if let Some(target) = chat.online_target(&user) {
                    chat.tell(target.id, &Notice::Unmuted);
                }
                self.record(actor, "unmute", Some(&user), None, None)
                    .await?;
                Ok(Answer::Unmuted { name: user })
            }
            Action::Notice { text } if text.trim().is_empty() => Err(Refused::EmptyNotice),
            Action::Notice { text } => {
                chat.notice(NoticeEvent::Admin, &Notice::Announcement(text.clone()));
                self.record(actor, "notice", None, None, Some(&text))
                    .await?;
                Ok(Answer::NoticeSent)
            }
            Action::Shutdown { seconds, message } => {
                self.start_countdown(Duration::from_secs(seconds), message.clone());
                self.record(actor, "shutdown", None, Some(seconds), message.as_deref())
                    .await?;
                Ok(Answer::ShutdownIn { seconds })
            }
            Action::ShutdownCancel => {
                if !self.cancel_countdown() {
                    return Err(Refused::NoShutdownUnderWay);
                }
                self.record(actor, "shutdown cancel", None, None, None)
                    .await?;
                Ok(Answer::ShutdownCancelled)
            }
            Action::Accept { user, room } => {
                let room = chat
                    .answer_request(&user, &room, RequestAnswer::Accept)
                    .await?;
                self.record(actor, "accept", Some(&user), None, Some(&room))
                    .await?;
                Ok(Answer::Accepted { name: user, room })
            }
            Action::Reject { user, room, reason } => {
                let room = chat
                    .answer_request(&user, &room, RequestAnswer::Reject(reason.clone()))
                    .await?;
                let detail = match &reason {
                    Some(reason) => format!("{room}: {reason}"),
                    None => room.clone(),
                };
                self.record(actor, "reject", Some(&user), None, Some(&detail))
                    .await?;
                Ok(Answer::Rejected { name: user, room })
            }
            Action::Invite { user, room } => {
                let Some(account) = chat.account(&user).await? else {
                    return Err(match chat.online_target(&user) {
                        Some(_) => Refused::GuestNotMember { name: user },
                        None => nobody(&user, NobodyIs::NoAccount),
                    });
                };
                let room = chat.invite(&account.name, &room).await?;
                self.record(actor, "invite", Some(&account.name), None, Some(&room))
                    .await?;
                Ok(Answer::Invited {
                    name: account.name,
                    room,
                })
            }
            Action::RoomCreate { room, mode } => {
                let creator = (actor.conn.is_some()).then_some(actor.name.as_str());
                let (room, created) = chat.create_room(creator, &room, mode).await?;
                let detail = format!("{room} {}", mode.as_str());
                self.record(actor, "room create", None, None, Some(&detail))
                    .await?;
                Ok(match created {
                    RoomCreated::New => Answer::RoomCreated { room, mode },
                    RoomCreated::ModeChanged => Answer::RoomModeChanged { room, mode },
                })
            }
            Action::Delete { id, reason } => self.delete(actor, id, reason).await,
            Action::Purge {
                user,
                count,
                reason,
            } => self.purge(actor, &user, count, reason).await,
            Action::Report { message, reason } => self.report(actor, message, reason).await,
            Action::Reports => self.reports().await,
            Action::RoomClose { room } => {
                let room = chat.close_room(&room).await?;
                self.record(actor, "room close", None, None, Some(&room))
                    .await?;
                Ok(Answer::RoomClosed { room })
            }
        }
    }

    async fn find_target(&self, actor: &Actor, name: &str) -> Result<Target, Refused> {
        let target = match self.chat.online_target(name) {
            Some(online) => Target {
                subject: online.subject(),
                address: Some(online.peer.ip()),
                name: online.name,
                role: online.role,
                online: Some(online.id),
                kind: online.kind,
            },
            None => match self.chat.account(name).await? {
                Some(account) => Target {
                    subject: Subject::Account(AccountKey::of(&account.name)),
                    address: self.chat.last_address(&account.name),
                    name: account.name,
                    role: account.role,
                    online: None,
                    kind: NameKind::Account,
                },
                None => return Err(nobody(name, NobodyIs::Unknown)),
            },
        };
        if NameKey::of(&target.name) == NameKey::of(&actor.name) {
            return Err(Refused::NotToYourself);
        }
        check_rank(actor, &target.name, target.role)?;
        Ok(target)
    }

    async fn kick(
        &self,
        actor: &Actor,
        name: &str,
        duration: Option<Duration>,
        reason: Option<String>,
    ) -> Result<Answer, Refused> {
        let target = self.find_target(actor, name).await?;
        if target.online.is_none() && duration.is_none() {
            return Err(nobody(&target.name, NobodyIs::NotOnline));
        }
        if let Some(duration) = duration {
            for subject in std::iter::once(target.subject.clone()).chain(target.account_address()) {
                self.chat
                    .sanction(
                        SanctionKind::Exclusion,
                        subject,
                        &target.name,
                        Some(duration),
                    )
                    .await?;
            }
        }
        if let Some(id) = target.online {
            self.chat.kick(
                &target.name,
                &Notice::Kicked {
                    duration,
                    reason: reason.clone(),
                },
            );
            self.chat.wait_gone(id, DEPARTURE_WAIT).await;
        }
        self.record(
            actor,
            "kick",
            Some(&target.name),
            duration.map(|d| d.as_secs()),
            reason.as_deref(),
        )
        .await?;
        Ok(Answer::Kicked {
            guest: target.kind == NameKind::Guest,
            name: target.name,
            duration,
        })
    }

    async fn ban(
        &self,
        actor: &Actor,
        name: &str,
        reason: Option<String>,
    ) -> Result<Answer, Refused> {
        let target = self.find_target(actor, name).await?;
        let told = Notice::Banned {
            by: if actor.conn.is_some() {
                Banner::Teacher
            } else {
                Banner::Administrator
            },
            reason: reason.clone(),
        };
        match target.kind {
            NameKind::Account => {
                if let Some(address) = target.account_address() {
                    // Lifted with the ban (`unban` lifts what was given under the name).
                    self.chat
                        .sanction(SanctionKind::Exclusion, address, &target.name, None)
                        .await?;
                }
                self.chat
                    .change_account_telling(&target.name, UserChange::Banned(true), Some(told))
                    .await
                    .map_err(account_error)?;
            }
            NameKind::Guest => {
                self.chat
                    .sanction(
                        SanctionKind::Exclusion,
                        target.subject.clone(),
                        &target.name,
                        None,
                    )
                    .await?;
                self.chat.kick(&target.name, &told);
            }
        }
        if let Some(id) = target.online {
            self.chat.wait_gone(id, DEPARTURE_WAIT).await;
        }
        self.record(actor, "ban", Some(&target.name), None, reason.as_deref())
            .await?;
        Ok(Answer::Banned { name: target.name })
    }

    async fn unban(&self, actor: &Actor, name: &str) -> Result<Answer, Refused> {
        let mut lifted = self.chat.lift(SanctionKind::Exclusion, name).await?;
        if let Some(account) = self.chat.account(name).await? {
            check_rank(actor, &account.name, account.role)?;
            if account.banned {
                self.chat
                    .change_account(&account.name, UserChange::Banned(false))
                    .await
                    .map_err(account_error)?;
                lifted += 1;
            }
        }
        if lifted == 0 {
            return Err(nobody(name, NobodyIs::NotSanctioned));
        }
        self.record(actor, "unban", Some(name), None, None).await?;
        Ok(Answer::Unbanned {
            name: name.to_owned(),
        })
    }

    async fn mute(
        &self,
        actor: &Actor,
        name: &str,
        duration: Option<Duration>,
    ) -> Result<Answer, Refused> {
        let target = self.find_target(actor, name).await?;
        self.chat
            .sanction(
                SanctionKind::Mute,
                target.subject.clone(),
                &target.name,
                duration,
            )
            .await?;
        if let Some(id) = target.online {
            self.chat.tell(id, &Notice::Muted { duration });
        }
        self.record(
            actor,
            "mute",
            Some(&target.name),
            duration.map(|d| d.as_secs()),
            None,
        )
        .await?;
        Ok(Answer::Muted {
            name: target.name,
            duration,
        })
    }

    /// Writes an action to the moderation table and the audit log.
    async fn record(
        &self,
        actor: &Actor,
        action: &'static str,
        target: Option<&str>,
        duration_secs: Option<u64>,
        reason: Option<&str>,
    ) -> Result<(), Refused> {
        self.record_with(actor, action, target, duration_secs, reason, None)
            .await
    }

    /// Like [`Moderation::record`], with the text of removed messages for the moderation
    /// log (never for the audit log or the server's log).
    async fn record_with(
        &self,
        actor: &Actor,
        action: &'static str,
        target: Option<&str>,
        duration_secs: Option<u64>,
        reason: Option<&str>,
        removed_text: Option<String>,
    ) -> Result<(), Refused> {
        tracing::info!(actor = ?actor.name, action, target = ?target, duration_secs, "moderation");
        self.metrics.moderation(action);
        let mut event = AuditEvent::moderation(&actor.name, action);
        if let Some(target) = target {
            event = event.with("target", target);
        }
        if let Some(secs) = duration_secs {
            event = event.with("duration_secs", secs);
        }
        if let Some(reason) = reason {
            event = event.with("reason", reason);
        }
        self.audit.record(event);
        self.chat
            .log_moderation(ModerationEntry {
                actor: actor.name.clone(),
                action: action.to_owned(),
                target: target.map(str::to_owned),
                duration_secs,
                reason: reason.map(str::to_owned),
                removed_text,
                at: String::new(),
            })
            .await
    }
}

/// Someone a sanction names: online now, or a stored account.
struct Target {
    name: String,
    role: Role,
    subject: Subject,
    online: Option<ConnId>,
    kind: NameKind,
    /// Where an account was last seen (its connection's, or its last login's address): its
    /// exclusion keeps guests from there out too, so a pupil cannot come straight back as a
    /// guest.
    address: Option<std::net::IpAddr>,
}

impl Target {
    /// The guests' address that an exclusion of this account also covers.
    fn account_address(&self) -> Option<Subject> {
        match self.kind {
            NameKind::Account => self.address.map(Subject::Address),
            NameKind::Guest => None,
        }
    }
}

/// A moderator acts on users only; an administrator on anyone.
fn check_rank(actor: &Actor, target: &str, role: Role) -> Result<(), Refused> {
    if actor.role < Role::Admin && role >= Role::Moderator {
        return Err(Refused::Outranks {
            name: target.to_owned(),
            role,
        });
    }
    Ok(())
}

/// An account change refused by the chat core, as the actor reads it.
fn account_error(error: AccountError) -> Refused {
    match error {
        AccountError::NoSuchUser(name) => nobody(&name, NobodyIs::NoAccount),
        other => {
            tracing::error!(error = %other, "account change failed during moderation");
            Refused::Storage
        }
    }
}

fn nobody(name: &str, what: NobodyIs) -> Refused {
    Refused::Nobody {
        name: name.to_owned(),
        what,
    }
}
