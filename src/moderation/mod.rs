//! Moderation and room actions, whoever asks (a teacher's slash command, a typed v2 request,
//! the admin socket): who may do what, checked when each action runs; each action's effect
//! through the chat core; and its record in the moderation table and the audit log.

pub(crate) mod countdown;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use classcord_protocol::server_line::NoticeEvent;
use classcord_protocol::{Action, CommandInfo, ErrorCode, ProtocolError, Role, COMMANDS};

use crate::chat::{AccountError, Answer, ConnId, NameKind, RoomCreated};
use crate::context::Context;
use crate::logging::AuditEvent;
use crate::protocol::names::{AccountKey, NameKey};
use crate::store::{ModerationEntry, SanctionKind, Subject, UserChange};

/// Who runs an action.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub(crate) name: String,
    pub(crate) role: Role,
    /// The actor's connection (none for the admin socket).
    pub(crate) conn: Option<ConnId>,
}

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

    fn connection(&self) -> Result<ConnId, ProtocolError> {
        self.conn.ok_or_else(|| {
            ProtocolError::new(
                ErrorCode::InvalidCommand,
                "Only from a chat client: rooms are about a connection.",
            )
        })
    }
}

/// What an action answers its actor.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Text, one line each (legacy clients read it as messages from the server).
    Text(Vec<String>),
    /// Lines already in the actor's dialect (entering a room).
    Lines(Vec<Bytes>),
}

fn text(line: impl Into<String>) -> Result<Outcome, ProtocolError> {
    Ok(Outcome::Text(vec![line.into()]))
}

/// Refuses `actor` a command its role does not allow.
pub(crate) fn check_role(actor: &Actor, info: &CommandInfo) -> Result<(), ProtocolError> {
    if actor.role >= info.role {
        return Ok(());
    }
    let who = match info.role {
        Role::Admin => "administrators",
        _ => "teachers (moderators)",
    };
    Err(ProtocolError::new(
        ErrorCode::Forbidden,
        format!("/{} is for {who}: nothing was done.", info.word),
    ))
}

/// Runs one action for `actor`. Rights are read now, so a demoted moderator has lost them.
pub(crate) async fn execute(
    ctx: &Arc<Context>,
    actor: &Actor,
    action: Action,
) -> Result<Outcome, ProtocolError> {
    if let Some(info) = CommandInfo::of(action.word()) {
        check_role(actor, info)?;
    }
    action.check_bounds().map_err(|problem| {
        ProtocolError::new(
            ErrorCode::InvalidCommand,
            format!("/{}: {problem}.", action.word()),
        )
    })?;
    let chat = &ctx.chat;
    match action {
        Action::Help => Ok(Outcome::Text(help(actor.role))),
        Action::Who => Ok(Outcome::Text(chat.who(actor.role))),
        Action::Rooms => Ok(Outcome::Text(chat.rooms_for(actor.connection()?))),
        Action::Join { room } if chat.is_default_room(&room) => {
            text(chat.leave_room(actor.connection()?)?)
        }
        Action::Join { room } => Ok(Outcome::Lines(
            chat.enter_room(actor.connection()?, &room).await?,
        )),
        Action::Leave => text(chat.leave_room(actor.connection()?)?),
        Action::RoomMembers { room } => Ok(Outcome::Text(chat.room_members(&room)?)),
        Action::Kick {
            user,
            duration_secs,
            reason,
        } => {
            kick(
                ctx,
                actor,
                &user,
                duration_secs.map(Duration::from_secs),
                reason,
            )
            .await
        }
        Action::Ban { user, reason } => ban(ctx, actor, &user, reason).await,
        Action::Unban { user } => unban(ctx, actor, &user).await,
        Action::Mute {
            user,
            duration_secs,
        } => mute(ctx, actor, &user, duration_secs.map(Duration::from_secs)).await,
        Action::Unmute { user } => {
            if chat.lift(SanctionKind::Mute, &user).await? == 0 {
                return Err(nobody(&user, "is not muted"));
            }
            if let Some(target) = chat.online_target(&user) {
                chat.tell(
                    target.id,
                    "A teacher lifted your mute: you may write again.",
                );
            }
            record(ctx, actor, "unmute", Some(&user), None, None).await?;
            text(format!("{user} may write again."))
        }
        Action::Notice { text: notice } if notice.trim().is_empty() => Err(ProtocolError::new(
            ErrorCode::InvalidCommand,
            "The notice is empty.",
        )),
        Action::Notice { text: notice } => {
            chat.notice(NoticeEvent::Admin, &notice);
            record(ctx, actor, "notice", None, None, Some(&notice)).await?;
            text("Notice sent to everyone.")
        }
        Action::Shutdown { seconds, message } => {
            countdown::start(ctx, Duration::from_secs(seconds), message.clone());
            record(
                ctx,
                actor,
                "shutdown",
                None,
                Some(seconds),
                message.as_deref(),
            )
            .await?;
            text(format!(
                "The server stops in {seconds} s (/shutdown cancel to stop it)."
            ))
        }
        Action::ShutdownCancel => {
            if !countdown::cancel(ctx) {
                return Err(ProtocolError::new(
                    ErrorCode::InvalidCommand,
                    "No shutdown is under way.",
                ));
            }
            record(ctx, actor, "shutdown cancel", None, None, None).await?;
            text("Shutdown cancelled.")
        }
        Action::Accept { user, room } => {
            let room = chat.answer_request(&user, &room, Answer::Accept).await?;
            record(ctx, actor, "accept", Some(&user), None, Some(&room)).await?;
            text(format!("{user} joined {room}."))
        }
        Action::Reject { user, room, reason } => {
            let room = chat
                .answer_request(&user, &room, Answer::Reject(reason.clone()))
                .await?;
            let detail = format!("{room}{}", because(reason.as_deref()));
            record(ctx, actor, "reject", Some(&user), None, Some(&detail)).await?;
            text(format!("{user} was told no for {room}."))
        }
        Action::Invite { user, room } => {
            let Some(account) = chat.account(&user).await? else {
                return Err(match chat.online_target(&user) {
                    Some(_) => ProtocolError::new(
                        ErrorCode::InvalidCommand,
                        format!("{user} is a guest: only accounts are members of a room."),
                    ),
                    None => nobody(&user, "has no account"),
                });
            };
            let room = chat.invite(&account.name, &room).await?;
            record(ctx, actor, "invite", Some(&account.name), None, Some(&room)).await?;
            text(format!("{} is now a member of {room}.", account.name))
        }
        Action::RoomCreate { room, mode } => {
            let creator = (actor.conn.is_some()).then_some(actor.name.as_str());
            let (room, created) = chat.create_room(creator, &room, mode).await?;
            let detail = format!("{room} {}", mode.as_str());
            record(ctx, actor, "room create", None, None, Some(&detail)).await?;
            text(match created {
                RoomCreated::New => format!("{room} created ({}).", mode.as_str()),
                RoomCreated::ModeChanged => format!("{room} is now {}.", mode.as_str()),
            })
        }
        Action::RoomClose { room } => {
            let room = chat.close_room(&room).await?;
            record(ctx, actor, "room close", None, None, Some(&room)).await?;
            text(format!("{room} closed; its messages stay in the history."))
        }
    }
}

/// The commands this role may use, one line each.
fn help(role: Role) -> Vec<String> {
    let mut lines = vec!["Commands (//text sends a message that starts with /):".to_owned()];
    lines.extend(
        COMMANDS
            .iter()
            .filter(|info| info.role <= role)
            .map(|info| format!("{} — {}", info.usage, info.summary)),
    );
    lines
}

/// Someone a sanction names: online now, or a stored account.
struct Target {
    name: String,
    role: Role,
    subject: Subject,
    online: Option<ConnId>,
    kind: NameKind,
}

async fn find_target(ctx: &Context, actor: &Actor, name: &str) -> Result<Target, ProtocolError> {
    let target = match ctx.chat.online_target(name) {
        Some(online) => Target {
            subject: online.subject(),
            name: online.name,
            role: online.role,
            online: Some(online.id),
            kind: online.kind,
        },
        None => match ctx.chat.account(name).await? {
            Some(account) => Target {
                subject: Subject::Account(AccountKey::of(&account.name)),
                name: account.name,
                role: account.role,
                online: None,
                kind: NameKind::Account,
            },
            None => return Err(nobody(name, "is neither online nor an account")),
        },
    };
    if NameKey::of(&target.name) == NameKey::of(&actor.name) {
        return Err(ProtocolError::new(
            ErrorCode::Forbidden,
            "You cannot do that to yourself.",
        ));
    }
    check_rank(actor, &target.name, target.role)?;
    Ok(target)
}

/// A moderator acts on users only; an administrator on anyone.
fn check_rank(actor: &Actor, target: &str, role: Role) -> Result<(), ProtocolError> {
    if actor.role < Role::Admin && role >= Role::Moderator {
        return Err(ProtocolError::new(
            ErrorCode::Forbidden,
            format!(
                "{target} is a {}: only an administrator may do that.",
                role.as_str()
            ),
        ));
    }
    Ok(())
}

/// ": reason", or nothing.
fn because(reason: Option<&str>) -> String {
    reason.map(|r| format!(": {r}")).unwrap_or_default()
}

/// An account change refused by the chat core, as the actor reads it.
fn account_error(error: AccountError) -> ProtocolError {
    let code = match &error {
        AccountError::NoSuchUser(_) => ErrorCode::NoSuchUser,
        AccountError::Storage(_) => ErrorCode::StorageError,
        _ => ErrorCode::InvalidCommand,
    };
    ProtocolError::new(code, error.to_string())
}

fn nobody(name: &str, what: &str) -> ProtocolError {
    ProtocolError::new(ErrorCode::NoSuchUser, format!("{name} {what}."))
}

fn for_how_long(duration: Option<Duration>) -> String {
    duration.map_or_else(String::new, |d| {
        format!(" for {}", humantime::format_duration(d))
    })
}

async fn kick(
    ctx: &Context,
    actor: &Actor,
    name: &str,
    duration: Option<Duration>,
    reason: Option<String>,
) -> Result<Outcome, ProtocolError> {
    let target = find_target(ctx, actor, name).await?;
    if target.online.is_none() && duration.is_none() {
        return Err(nobody(&target.name, "is not online"));
    }
    if let Some(duration) = duration {
        ctx.chat
            .sanction(
                SanctionKind::Exclusion,
                target.subject.clone(),
                &target.name,
                Some(duration),
            )
            .await?;
    }
    let how_long = for_how_long(duration);
    if target.online.is_some() {
        let because = because(reason.as_deref());
        ctx.chat.kick(
            &target.name,
            &format!("You were disconnected by a teacher{how_long}{because}."),
        );
    }
    record(
        ctx,
        actor,
        "kick",
        Some(&target.name),
        duration.map(|d| d.as_secs()),
        reason.as_deref(),
    )
    .await?;
    let address = match target.kind {
        NameKind::Guest if duration.is_some() => " (a guest: their address)",
        _ => "",
    };
    text(format!("{} was kicked{how_long}{address}.", target.name))
}

async fn ban(
    ctx: &Context,
    actor: &Actor,
    name: &str,
    reason: Option<String>,
) -> Result<Outcome, ProtocolError> {
    let target = find_target(ctx, actor, name).await?;
    let by = if actor.conn.is_some() {
        "a teacher"
    } else {
        "an administrator"
    };
    let told = format!("You were banned by {by}{}.", because(reason.as_deref()));
    match target.kind {
        NameKind::Account => {
            ctx.chat
                .change_account_telling(&target.name, UserChange::Banned(true), Some(&told))
                .await
                .map_err(account_error)?;
        }
        NameKind::Guest => {
            ctx.chat
                .sanction(
                    SanctionKind::Exclusion,
                    target.subject.clone(),
                    &target.name,
                    None,
                )
                .await?;
            ctx.chat.kick(&target.name, &told);
        }
    }
    record(
        ctx,
        actor,
        "ban",
        Some(&target.name),
        None,
        reason.as_deref(),
    )
    .await?;
    text(format!(
        "{} is banned (/unban {} to lift it).",
        target.name, target.name
    ))
}

async fn unban(ctx: &Context, actor: &Actor, name: &str) -> Result<Outcome, ProtocolError> {
    let mut lifted = ctx.chat.lift(SanctionKind::Exclusion, name).await?;
    if let Some(account) = ctx.chat.account(name).await? {
        check_rank(actor, &account.name, account.role)?;
        if account.banned {
            ctx.chat
                .change_account(&account.name, UserChange::Banned(false))
                .await
                .map_err(account_error)?;
            lifted += 1;
        }
    }
    if lifted == 0 {
        return Err(nobody(name, "is neither banned nor kicked for a time"));
    }
    record(ctx, actor, "unban", Some(name), None, None).await?;
    text(format!("{name} may come back."))
}

async fn mute(
    ctx: &Context,
    actor: &Actor,
    name: &str,
    duration: Option<Duration>,
) -> Result<Outcome, ProtocolError> {
    let target = find_target(ctx, actor, name).await?;
    ctx.chat
        .sanction(
            SanctionKind::Mute,
            target.subject.clone(),
            &target.name,
            duration,
        )
        .await?;
    let how_long = for_how_long(duration);
    if let Some(id) = target.online {
        ctx.chat.tell(
            id,
            &format!("A teacher muted you{how_long}: your messages will not be sent."),
        );
    }
    record(
        ctx,
        actor,
        "mute",
        Some(&target.name),
        duration.map(|d| d.as_secs()),
        None,
    )
    .await?;
    text(format!("{} is muted{how_long}.", target.name))
}

/// Writes an action to the moderation table and the audit log.
async fn record(
    ctx: &Context,
    actor: &Actor,
    action: &'static str,
    target: Option<&str>,
    duration_secs: Option<u64>,
    reason: Option<&str>,
) -> Result<(), ProtocolError> {
    tracing::info!(actor = ?actor.name, action, target = ?target, duration_secs, "moderation");
    ctx.metrics.moderation(action);
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
    ctx.audit.record(event);
    ctx.chat
        .log_moderation(ModerationEntry {
            actor: actor.name.clone(),
            action: action.to_owned(),
            target: target.map(str::to_owned),
            duration_secs,
            reason: reason.map(str::to_owned),
            at: String::new(),
        })
        .await
}
