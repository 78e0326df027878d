//! Moderation and room actions, one owner for both ways of asking: the slash commands people
//! type in any client's chat box (`/kick bob 10m noisy`), parsed from a message's content,
//! and the same actions as typed v2 requests (`{"type":"command","action":"kick",...}`).
//! Also who may use each action ([`Role`]) and the help text.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What an account may do. Ordered: a higher role may do everything a lower one may.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    User,
    /// A teacher.
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "user" => Some(Role::User),
            "moderator" => Some(Role::Moderator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who may join a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomMode {
    /// Anyone identified.
    Open,
    /// Members; others ask, and a moderator accepts or rejects.
    Moderated,
    /// Members only, added by a moderator's invitation.
    Private,
}

impl RoomMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomMode::Open => "open",
            RoomMode::Moderated => "moderated",
            RoomMode::Private => "private",
        }
    }

    pub fn parse(text: &str) -> Option<RoomMode> {
        match text {
            "open" => Some(RoomMode::Open),
            "moderated" => Some(RoomMode::Moderated),
            "private" => Some(RoomMode::Private),
            _ => None,
        }
    }
}

/// One moderation or room action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Help,
    Who,
    Kick {
        user: String,
        /// Without it, the user may come back at once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_secs: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Ban {
        user: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Unban {
        user: String,
    },
    Mute {
        user: String,
        /// Without it, until `unmute`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_secs: Option<u64>,
    },
    Unmute {
        user: String,
    },
    Notice {
        text: String,
    },
    Shutdown {
        seconds: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    ShutdownCancel,
    Accept {
        user: String,
        room: String,
    },
    Reject {
        user: String,
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Invite {
        user: String,
        room: String,
    },
    RoomCreate {
        room: String,
        mode: RoomMode,
    },
    RoomClose {
        room: String,
    },
    RoomMembers {
        room: String,
    },
    /// Makes a room the current one (legacy clients: their global messages go to it).
    Join {
        room: String,
    },
    /// Back to the default room.
    Leave,
    Rooms,
}

/// Longest duration a kick or a mute may have.
pub const MAX_SANCTION: Duration = Duration::from_secs(366 * 24 * 3600);
/// Longest shutdown countdown.
pub const MAX_COUNTDOWN: Duration = Duration::from_secs(24 * 3600);
const LONGEST_COUNTDOWN: &str = "the longest countdown is one day";

/// One slash command: its word and who may use it (how to write it and what it does are
/// sentences: the server's catalogue has them, `usage-WORD` and `summary-WORD`).
pub struct CommandInfo {
    pub word: &'static str,
    pub role: Role,
}

/// Every slash command, in the order `/help` lists them.
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        word: "help",
        role: Role::User,
    },
    CommandInfo {
        word: "who",
        role: Role::User,
    },
    CommandInfo {
        word: "rooms",
        role: Role::User,
    },
    CommandInfo {
        word: "join",
        role: Role::User,
    },
    CommandInfo {
        word: "leave",
        role: Role::User,
    },
    CommandInfo {
        word: "kick",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "ban",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "unban",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "mute",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "unmute",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "notice",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "accept",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "reject",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "invite",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "room",
        role: Role::Moderator,
    },
    CommandInfo {
        word: "shutdown",
        role: Role::Admin,
    },
];

/// What the content of a chat message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slash {
    /// Ordinary chat (no slash, or a `/word` that is not a command, like `/shrug`).
    Chat,
    /// `//text`: chat, sent as `/text`.
    Escaped(String),
    /// A command to run.
    Action(Action),
    /// A known command used the wrong way: never sent as chat.
    Usage { word: &'static str, problem: String },
}

/// Reads a message's content as a slash command, if it is one.
pub fn parse_slash(content: &str) -> Slash {
    let Some(rest) = content.strip_prefix('/') else {
        return Slash::Chat;
    };
    if rest.starts_with('/') {
        return Slash::Escaped(rest.to_owned());
    }
    let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let lowered = word.to_lowercase();
    let Some(info) = COMMANDS.iter().find(|info| info.word == lowered) else {
        return Slash::Chat;
    };
    match parse_args(info.word, args.trim()) {
        Ok(action) => Slash::Action(action),
        Err(problem) => Slash::Usage {
            word: info.word,
            problem,
        },
    }
}

impl CommandInfo {
    pub fn of(word: &str) -> Option<&'static CommandInfo> {
        COMMANDS.iter().find(|info| info.word == word)
    }
}

/// Splits off the first word of `text`.
fn next_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

fn required<'a>(word: &'a str, what: &str) -> Result<&'a str, String> {
    if word.is_empty() {
        Err(format!("missing {what}"))
    } else {
        Ok(word)
    }
}

/// `#room` with its `#` (added when the user left it out).
fn room_name(word: &str) -> Result<String, String> {
    let word = required(word, "room")?;
    Ok(if word.starts_with('#') {
        word.to_owned()
    } else {
        format!("#{word}")
    })
}

fn optional_text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A duration such as `90s`, `10m`, `2h`, `1d` or `1h30m`, within `max`.
pub fn parse_duration(text: &str, max: Duration) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|_| format!("{text:?} is not a duration (write 30s, 10m, 2h or 1d)"))?;
    if duration.is_zero() {
        return Err("the duration must be longer than zero".to_owned());
    }
    if duration > max {
        return Err(format!(
            "the longest duration is {}",
            humantime::format_duration(max)
        ));
    }
    Ok(duration)
}

/// A shutdown countdown in seconds: a number of seconds (0 stops at once) or a duration such
/// as `2m`, at most [`MAX_COUNTDOWN`].
pub fn parse_countdown(text: &str) -> Result<u64, String> {
    let seconds = match text.parse::<u64>() {
        Ok(seconds) => seconds,
        Err(_) => parse_duration(text, MAX_COUNTDOWN)?.as_secs(),
    };
    if seconds > MAX_COUNTDOWN.as_secs() {
        return Err(LONGEST_COUNTDOWN.to_owned());
    }
    Ok(seconds)
}

/// Whether a word is meant as a duration (starts with a digit).
fn looks_like_duration(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
}

fn parse_args(word: &'static str, args: &str) -> Result<Action, String> {
    let (first, rest) = next_word(args);
    let action = match word {
        "help" => Action::Help,
        "who" => Action::Who,
        "rooms" => Action::Rooms,
        "leave" => Action::Leave,
        "join" => Action::Join {
            room: room_name(first)?,
        },
        "kick" | "mute" => {
            let user = required(first, "NAME")?.to_owned();
            let (maybe_duration, after) = next_word(rest);
            let (duration_secs, reason) = if looks_like_duration(maybe_duration) {
                let duration = parse_duration(maybe_duration, MAX_SANCTION)?;
                (Some(duration.as_secs()), optional_text(after))
            } else {
                (None, optional_text(rest))
            };
            if word == "kick" {
                Action::Kick {
                    user,
                    duration_secs,
                    reason,
                }
            } else {
                if reason.is_some() {
                    return Err("after NAME, only a duration (such as 10m)".to_owned());
                }
                Action::Mute {
                    user,
                    duration_secs,
                }
            }
        }
        "ban" => Action::Ban {
            user: required(first, "NAME")?.to_owned(),
            reason: optional_text(rest),
        },
        "unban" | "unmute" => {
            let user = required(first, "NAME")?.to_owned();
            if !rest.is_empty() {
                return Err("only a NAME is expected".to_owned());
            }
            if word == "unban" {
                Action::Unban { user }
            } else {
                Action::Unmute { user }
            }
        }
        "notice" => Action::Notice {
            text: optional_text(args).ok_or("missing TEXT")?,
        },
        "accept" | "invite" => {
            let user = required(first, "NAME")?.to_owned();
            let (room, extra) = next_word(rest);
            if !extra.is_empty() {
                return Err("only NAME and #room are expected".to_owned());
            }
            let room = room_name(room)?;
            if word == "accept" {
                Action::Accept { user, room }
            } else {
                Action::Invite { user, room }
            }
        }
        "reject" => {
            let user = required(first, "NAME")?.to_owned();
            let (room, reason) = next_word(rest);
            Action::Reject {
                user,
                room: room_name(room)?,
                reason: optional_text(reason),
            }
        }
        "room" => {
            let (room, extra) = next_word(rest);
            let room = room_name(room)?;
            match first {
                "create" => {
                    let (mode, extra) = next_word(extra);
                    let mode =
                        RoomMode::parse(mode).ok_or("the mode is open, moderated or private")?;
                    if !extra.is_empty() {
                        return Err("nothing is expected after the mode".to_owned());
                    }
                    Action::RoomCreate { room, mode }
                }
                "close" if extra.is_empty() => Action::RoomClose { room },
                "members" if extra.is_empty() => Action::RoomMembers { room },
                _ => return Err("create, close or members, then #room".to_owned()),
            }
        }
        "shutdown" => {
            if first == "cancel" && rest.is_empty() {
                Action::ShutdownCancel
            } else {
                Action::Shutdown {
                    seconds: parse_countdown(required(first, "SECONDS")?)?,
                    message: optional_text(rest),
                }
            }
        }
        _ => unreachable!("every word of COMMANDS has its arguments"),
    };
    Ok(action)
}

impl Action {
    /// The command word, for logs, the moderation table and typed replies.
    pub fn word(&self) -> &'static str {
        match self {
            Action::Help => "help",
            Action::Who => "who",
            Action::Kick { .. } => "kick",
            Action::Ban { .. } => "ban",
            Action::Unban { .. } => "unban",
            Action::Mute { .. } => "mute",
            Action::Unmute { .. } => "unmute",
            Action::Notice { .. } => "notice",
            Action::Shutdown { .. } | Action::ShutdownCancel => "shutdown",
            Action::Accept { .. } => "accept",
            Action::Reject { .. } => "reject",
            Action::Invite { .. } => "invite",
            Action::RoomCreate { .. } | Action::RoomClose { .. } | Action::RoomMembers { .. } => {
                "room"
            }
            Action::Join { .. } => "join",
            Action::Leave => "leave",
            Action::Rooms => "rooms",
        }
    }

    /// Refuses what no command line could have asked for (typed requests carry raw numbers):
    /// durations of zero or past [`MAX_SANCTION`], countdowns past [`MAX_COUNTDOWN`].
    pub fn check_bounds(&self) -> Result<(), String> {
        match self {
            Action::Kick {
                duration_secs: Some(secs),
                ..
            }
            | Action::Mute {
                duration_secs: Some(secs),
                ..
            } => {
                if *secs == 0 {
                    Err("the duration must be longer than zero".to_owned())
                } else if *secs > MAX_SANCTION.as_secs() {
                    Err(format!(
                        "the longest duration is {}",
                        humantime::format_duration(MAX_SANCTION)
                    ))
                } else {
                    Ok(())
                }
            }
            Action::Shutdown { seconds, .. } if *seconds > MAX_COUNTDOWN.as_secs() => {
                Err(LONGEST_COUNTDOWN.to_owned())
            }
            _ => Ok(()),
        }
    }

    /// The lowest role that may run this action.
    pub fn required_role(&self) -> Role {
        CommandInfo::of(self.word()).map_or(Role::Admin, |info| info.role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(text: &str) -> Action {
        match parse_slash(text) {
            Slash::Action(action) => action,
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn chat_stays_chat() {
        assert_eq!(parse_slash("hello"), Slash::Chat);
        assert_eq!(parse_slash("/shrug"), Slash::Chat);
        assert_eq!(parse_slash("/"), Slash::Chat);
        assert_eq!(parse_slash(" /kick bob"), Slash::Chat);
        assert_eq!(
            parse_slash("//kick bob"),
            Slash::Escaped("/kick bob".into())
        );
    }

    #[test]
    fn commands_and_their_arguments() {
        assert_eq!(
            action("/kick bob 10m talks too much"),
            Action::Kick {
                user: "bob".into(),
                duration_secs: Some(600),
                reason: Some("talks too much".into())
            }
        );
        assert_eq!(
            action("/KICK bob noisy"),
            Action::Kick {
                user: "bob".into(),
                duration_secs: None,
                reason: Some("noisy".into())
            }
        );
        assert_eq!(
            action("/mute bob 1h30m"),
            Action::Mute {
                user: "bob".into(),
                duration_secs: Some(5400)
            }
        );
        assert_eq!(
            action("/room create maths moderated"),
            Action::RoomCreate {
                room: "#maths".into(),
                mode: RoomMode::Moderated
            }
        );
        assert_eq!(
            action("/shutdown 2m back soon"),
            Action::Shutdown {
                seconds: 120,
                message: Some("back soon".into())
            }
        );
        assert_eq!(action("/shutdown cancel"), Action::ShutdownCancel);
        assert_eq!(
            action("/reject bob #maths not today"),
            Action::Reject {
                user: "bob".into(),
                room: "#maths".into(),
                reason: Some("not today".into())
            }
        );
    }

    #[test]
    fn misuse_is_a_usage_error_never_chat() {
        for text in [
            "/kick",
            "/kick bob 10x",
            "/kick bob 0s",
            "/mute bob 999d",
            "/mute bob 10m why",
            "/room create #x public",
            "/room open #x",
            "/shutdown soon",
            "/notice   ",
            "/accept bob",
        ] {
            assert!(
                matches!(parse_slash(text), Slash::Usage { .. }),
                "{text:?} gave {:?}",
                parse_slash(text)
            );
        }
    }

    #[test]
    fn typed_requests_read_the_same_actions() {
        let typed: Action = serde_json::from_str(
            r##"{"action":"kick","user":"bob","duration_secs":600,"reason":"noisy"}"##,
        )
        .unwrap();
        assert_eq!(typed, action("/kick bob 10m noisy"));
        let room: Action =
            serde_json::from_str(r##"{"action":"room_create","room":"#maths","mode":"private"}"##)
                .unwrap();
        assert_eq!(room, action("/room create #maths private"));
    }

    #[test]
    fn typed_durations_are_bounded() {
        let huge: Action = serde_json::from_str(
            r#"{"action":"mute","user":"bob","duration_secs":18446744073709551615}"#,
        )
        .unwrap();
        assert!(huge.check_bounds().is_err());
        let zero: Action =
            serde_json::from_str(r#"{"action":"kick","user":"bob","duration_secs":0}"#).unwrap();
        assert!(zero.check_bounds().is_err());
        let long: Action =
            serde_json::from_str(r#"{"action":"shutdown","seconds":90000}"#).unwrap();
        assert!(long.check_bounds().is_err());
        assert!(action("/kick bob 366d").check_bounds().is_ok());
    }

    #[test]
    fn roles_are_ordered_and_every_command_has_one() {
        assert!(Role::User < Role::Moderator && Role::Moderator < Role::Admin);
        assert_eq!(action("/who").required_role(), Role::User);
        assert_eq!(action("/kick bob").required_role(), Role::Moderator);
        assert_eq!(action("/shutdown 10").required_role(), Role::Admin);
    }
}
