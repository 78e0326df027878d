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
    /// Removes one message of a room from the history and from the clients showing it.
    Delete {
        id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Removes the last messages a person wrote in rooms.
    Purge {
        user: String,
        /// Without it, [`PURGE_DEFAULT`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Reports a message to the teachers: by its id, or (legacy clients, which show no ids)
    /// the last message a person wrote.
    Report {
        #[serde(flatten)]
        message: Reported,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The reports waiting for a teacher.
    Reports,
}

/// Which message a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reported {
    Id { id: i64 },
    LastOf { user: String },
}

/// Messages `/purge NAME` removes without a number.
pub const PURGE_DEFAULT: u32 = 10;
/// Most messages one `/purge` removes.
pub const PURGE_MAX: u32 = 200;

/// Longest duration a kick or a mute may have.
pub const MAX_SANCTION: Duration = Duration::from_secs(366 * 24 * 3600);
/// Longest shutdown countdown.
pub const MAX_COUNTDOWN: Duration = Duration::from_secs(24 * 3600);
/// The countdown of `/kill` without a number of seconds (the seeds' servers waited 10 s).
pub const KILL_COUNTDOWN_SECS: u64 = 10;

/// One slash command: its word and who may use it (how to write it and what it does are
/// sentences: the server's catalogue has them, `usage-WORD` and `summary-WORD`).
pub struct CommandInfo {
    pub word: &'static str,
    pub role: Role,
}

const fn command(word: &'static str, role: Role) -> CommandInfo {
    CommandInfo { word, role }
}

/// Every slash command, in the order `/help` lists them.
pub const COMMANDS: &[CommandInfo] = &[
    command("help", Role::User),
    command("who", Role::User),
    command("rooms", Role::User),
    command("join", Role::User),
    command("leave", Role::User),
    command("pm", Role::User),
    command("kick", Role::Moderator),
    command("ban", Role::Moderator),
    command("unban", Role::Moderator),
    command("mute", Role::Moderator),
    command("unmute", Role::Moderator),
    command("notice", Role::Moderator),
    command("accept", Role::Moderator),
    command("reject", Role::Moderator),
    command("invite", Role::Moderator),
    command("room", Role::Moderator),
    command("report", Role::User),
    command("reports", Role::Moderator),
    command("delete", Role::Moderator),
    command("purge", Role::Moderator),
    command("shutdown", Role::Admin),
];

/// Other words for the commands, one table: French as teachers type them (with and without
/// accents), and the seeds' own (`/kill`, `/msg`). The first alias of a command is the one
/// French help shows.
pub const ALIASES: &[(&str, &str)] = &[
    ("aide", "help"),
    ("qui", "who"),
    ("salons", "rooms"),
    ("rejoindre", "join"),
    ("quitter", "leave"),
    ("msg", "pm"),
    ("expulser", "kick"),
    ("bannir", "ban"),
    ("debannir", "unban"),
    ("débannir", "unban"),
    ("muet", "mute"),
    ("parole", "unmute"),
    ("annonce", "notice"),
    ("accepter", "accept"),
    ("refuser", "reject"),
    ("inviter", "invite"),
    ("salon", "room"),
    ("signaler", "report"),
    ("signalements", "reports"),
    ("supprimer", "delete"),
    ("effacer", "purge"),
    ("purger", "purge"),
    ("arret", "shutdown"),
    ("arrêt", "shutdown"),
    ("kill", "shutdown"),
];

/// What is wrong with a command's arguments (the server's catalogue words it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageProblem {
    MissingName,
    MissingRoom,
    MissingText,
    MissingSeconds,
    MissingMessage,
    /// A word that starts with a digit but is no duration.
    NotADuration,
    ZeroDuration,
    DurationTooLong {
        max: Duration,
    },
    CountdownTooLong,
    OnlyDurationAfterName,
    OnlyName,
    OnlyNameAndRoom,
    BadMode,
    NothingAfterMode,
    RoomSubcommand,
    /// `/delete` without the number of a message.
    MissingMessageId,
    /// `/report` with neither a message's number nor a name.
    MissingMessageOrName,
    /// A number of messages of zero or past the largest.
    BadCount {
        max: u32,
    },
}

/// A refused duration: what was written, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    pub text: String,
    pub problem: UsageProblem,
}

/// What the content of a chat message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slash {
    /// Ordinary chat (no slash, or a `/word` that is not a command, like `/shrug`).
    Chat,
    /// `//text`: chat, sent as `/text`.
    Escaped(String),
    /// A command to run.
    Action(Action),
    /// `/pm NAME text`: a private message typed in the chat box (seed 004).
    Private { to: String, text: String },
    /// A known command used the wrong way: never sent as chat. `text` is what was written
    /// when the problem is about it (a duration).
    Usage {
        word: &'static str,
        problem: UsageProblem,
        text: Option<String>,
    },
}

/// The command a typed word names (its own word or an alias, in any case).
/// Every word [`parse_slash`] reads as a command, in lower case: the commands' words and their
/// aliases. Any other `/word` is a chat message (a client shows it as sent).
pub fn command_words() -> &'static [&'static str] {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        COMMANDS
            .iter()
            .map(|info| info.word)
            .chain(ALIASES.iter().map(|(alias, _)| *alias))
            .collect()
    })
}

pub fn command_word(typed: &str) -> Option<&'static str> {
    let lowered = typed.to_lowercase();
    COMMANDS
        .iter()
        .map(|info| info.word)
        .find(|word| *word == lowered)
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == lowered)
                .map(|(_, word)| *word)
        })
}

/// Reads a message's content as a slash command, if it is one.
pub fn parse_slash(content: &str) -> Slash {
    let Some(rest) = content.strip_prefix('/') else {
        return Slash::Chat;
    };
    if rest.starts_with('/') {
        return Slash::Escaped(rest.to_owned());
    }
    let (typed, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let Some(word) = command_word(typed) else {
        return Slash::Chat;
    };
    let args = args.trim();
    if word == "pm" {
        let (to, text) = next_name(args);
        return match (to.is_empty(), text.trim().is_empty()) {
            (true, _) => usage(word, UsageProblem::MissingName),
            (false, true) => usage(word, UsageProblem::MissingMessage),
            (false, false) => Slash::Private {
                to,
                text: text.trim().to_owned(),
            },
        };
    }
    let kill = typed.eq_ignore_ascii_case("kill");
    match parse_args(word, args, kill) {
        Ok(action) => Slash::Action(action),
        Err(Misuse { problem, text }) => Slash::Usage {
            word,
            problem,
            text,
        },
    }
}

fn usage(word: &'static str, problem: UsageProblem) -> Slash {
    Slash::Usage {
        word,
        problem,
        text: None,
    }
}

impl CommandInfo {
    pub fn of(word: &str) -> Option<&'static CommandInfo> {
        COMMANDS.iter().find(|info| info.word == word)
    }
}

/// Why a command line was refused, with the piece of text it is about.
struct Misuse {
    problem: UsageProblem,
    text: Option<String>,
}

impl From<UsageProblem> for Misuse {
    fn from(problem: UsageProblem) -> Misuse {
        Misuse {
            problem,
            text: None,
        }
    }
}

impl From<DurationError> for Misuse {
    fn from(error: DurationError) -> Misuse {
        Misuse {
            problem: error.problem,
            text: Some(error.text),
        }
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

/// Quotes that may hold a name with spaces: `"Zoé Élève"`, `« Zoé Élève »`, `“Zoé Élève”`.
const QUOTES: &[(char, char)] = &[('"', '"'), ('«', '»'), ('“', '”'), ('\'', '\'')];

/// Splits off a name: a quoted one (spaces allowed) or the first word.
fn next_name(text: &str) -> (String, &str) {
    let text = text.trim_start();
    for &(open, close) in QUOTES {
        if let Some(inner) = text.strip_prefix(open) {
            if let Some(end) = inner.find(close) {
                let name = inner[..end].trim().to_owned();
                return (name, inner[end + close.len_utf8()..].trim_start());
            }
        }
    }
    let (word, rest) = next_word(text);
    (word.to_owned(), rest)
}

/// Splits off a name that a `#room` follows: quoted, or everything before the first word
/// that starts with `#` (`/accept Zoé Élève #devoirs`, as the server suggests it).
fn name_before_room(text: &str) -> (String, &str) {
    let text = text.trim_start();
    if text.starts_with(|c| QUOTES.iter().any(|&(open, _)| open == c)) {
        return next_name(text);
    }
    let room = text
        .match_indices('#')
        .map(|(at, _)| at)
        .find(|&at| text[..at].ends_with(char::is_whitespace));
    match room {
        Some(at) => (text[..at].trim().to_owned(), &text[at..]),
        None => next_name(text),
    }
}

fn required(name: String, problem: UsageProblem) -> Result<String, UsageProblem> {
    if name.is_empty() {
        Err(problem)
    } else {
        Ok(name)
    }
}

/// `#room` with its `#` (added when the user left it out).
fn room_name(word: &str) -> Result<String, UsageProblem> {
    let word = required(word.to_owned(), UsageProblem::MissingRoom)?;
    Ok(if word.starts_with('#') {
        word
    } else {
        format!("#{word}")
    })
}

fn optional_text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The seconds of one unit word (`m`, `min`, `minutes`, `h`, `heures`, `j`, `jours`, `d`…).
fn unit_seconds(unit: &str) -> Option<u64> {
    Some(match unit.to_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" | "seconde" | "secondes" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" | "mn" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" | "heure" | "heures" => 3600,
        "d" | "day" | "days" | "j" | "jour" | "jours" => 86_400,
        "w" | "week" | "weeks" | "sem" | "semaine" | "semaines" => 7 * 86_400,
        _ => return None,
    })
}

/// Reads a compact duration: `90s`, `10m`, `2h`, `1d`, `1j`, `1h30` (minutes after hours),
/// `1h30m`, `60` (seconds, as seed 004's `/kick john 60`). `None` when it is not one.
fn compact_seconds(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut rest = text;
    let mut last_unit = None;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let letters = rest.len() - rest.trim_start_matches(char::is_alphabetic).len();
        let unit = if letters == 0 {
            match last_unit {
                // `1h30`: the number after hours is minutes, after minutes seconds.
                Some(3600) => 60,
                Some(60) => 1,
                None if rest.is_empty() => 1,
                _ => return None,
            }
        } else {
            unit_seconds(&rest[..letters])?
        };
        rest = &rest[letters..];
        total = total.checked_add(number.checked_mul(unit)?)?;
        last_unit = Some(unit);
    }
    Some(total)
}

/// A duration written at the start of `text`, and what follows it: one word (`10m`, `1h30`,
/// `60`) or a number and a unit word (`5 min`, `2 heures`).
fn leading_duration(text: &str) -> Option<(u64, &str)> {
    let (first, rest) = next_word(text);
    if first.chars().all(|c| c.is_ascii_digit()) {
        let (unit, after) = next_word(rest);
        if let (Some(unit), Ok(number)) = (unit_seconds(unit), first.parse::<u64>()) {
            return Some((number.checked_mul(unit)?, after));
        }
    }
    compact_seconds(first).map(|seconds| (seconds, rest))
}

/// A duration such as `90s`, `10m`, `5 min`, `2h`, `1h30`, `1d`, `1j` or `60` (seconds),
/// within `max`.
pub fn parse_duration(text: &str, max: Duration) -> Result<Duration, DurationError> {
    let error = |problem| DurationError {
        text: text.to_owned(),
        problem,
    };
    match leading_duration(text.trim()) {
        Some((seconds, "")) => check_duration(seconds, max).map_err(error),
        _ => Err(error(UsageProblem::NotADuration)),
    }
}

fn check_duration(seconds: u64, max: Duration) -> Result<Duration, UsageProblem> {
    if seconds == 0 {
        return Err(UsageProblem::ZeroDuration);
    }
    if seconds > max.as_secs() {
        return Err(UsageProblem::DurationTooLong { max });
    }
    Ok(Duration::from_secs(seconds))
}

/// A shutdown countdown in seconds: a number of seconds (0 stops at once) or a duration such
/// as `2m`, at most [`MAX_COUNTDOWN`].
pub fn parse_countdown(text: &str) -> Result<u64, DurationError> {
    let seconds = match text.trim().parse::<u64>() {
        Ok(seconds) => seconds,
        Err(_) => parse_duration(text, Duration::MAX)?.as_secs(),
    };
    if seconds > MAX_COUNTDOWN.as_secs() {
        return Err(DurationError {
            text: text.to_owned(),
            problem: UsageProblem::CountdownTooLong,
        });
    }
    Ok(seconds)
}

/// Whether a word is meant as a duration (starts with a digit).
fn looks_like_duration(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
}

/// A duration at the start of `text` (checked against [`MAX_SANCTION`]) and what follows.
fn sanction_duration(text: &str) -> Result<(Option<u64>, &str), Misuse> {
    let (first, _) = next_word(text);
    if !looks_like_duration(first) {
        return Ok((None, text));
    }
    let (seconds, after) = leading_duration(text).ok_or_else(|| Misuse {
        problem: UsageProblem::NotADuration,
        text: Some(first.to_owned()),
    })?;
    let duration = check_duration(seconds, MAX_SANCTION).map_err(|problem| Misuse {
        problem,
        text: Some(first.to_owned()),
    })?;
    Ok((Some(duration.as_secs()), after))
}

/// A room mode in English or French, with or without accents.
fn room_mode(word: &str) -> Option<RoomMode> {
    RoomMode::parse(word).or(match word.to_lowercase().as_str() {
        "ouvert" => Some(RoomMode::Open),
        "modere" | "modéré" => Some(RoomMode::Moderated),
        "prive" | "privé" => Some(RoomMode::Private),
        _ => None,
    })
}

fn parse_args(word: &'static str, args: &str, kill: bool) -> Result<Action, Misuse> {
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
            let (user, rest) = next_name(args);
            let user = required(user, UsageProblem::MissingName)?;
            let (duration_secs, after) = sanction_duration(rest)?;
            let reason = optional_text(after);
            if word == "kick" {
                Action::Kick {
                    user,
                    duration_secs,
                    reason,
                }
            } else {
                if reason.is_some() {
                    return Err(UsageProblem::OnlyDurationAfterName.into());
                }
                Action::Mute {
                    user,
                    duration_secs,
                }
            }
        }
        "ban" => {
            let (user, rest) = next_name(args);
            Action::Ban {
                user: required(user, UsageProblem::MissingName)?,
                reason: optional_text(rest),
            }
        }
        "unban" | "unmute" => {
            let (user, rest) = next_name(args);
            let user = required(user, UsageProblem::MissingName)?;
            if !rest.is_empty() {
                return Err(UsageProblem::OnlyName.into());
            }
            if word == "unban" {
                Action::Unban { user }
            } else {
                Action::Unmute { user }
            }
        }
        "notice" => Action::Notice {
            text: optional_text(args).ok_or(UsageProblem::MissingText)?,
        },
        "accept" | "invite" => {
            let (user, rest) = name_before_room(args);
            let user = required(user, UsageProblem::MissingName)?;
            let (room, extra) = next_word(rest);
            if !extra.is_empty() {
                return Err(UsageProblem::OnlyNameAndRoom.into());
            }
            let room = room_name(room)?;
            if word == "accept" {
                Action::Accept { user, room }
            } else {
                Action::Invite { user, room }
            }
        }
        "reject" => {
            let (user, rest) = name_before_room(args);
            let user = required(user, UsageProblem::MissingName)?;
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
            match first.to_lowercase().as_str() {
                "create" | "creer" | "créer" => {
                    let (mode, extra) = next_word(extra);
                    let mode = room_mode(mode).ok_or(UsageProblem::BadMode)?;
                    if !extra.is_empty() {
                        return Err(UsageProblem::NothingAfterMode.into());
                    }
                    Action::RoomCreate { room, mode }
                }
                "close" | "fermer" if extra.is_empty() => Action::RoomClose { room },
                "members" | "membres" if extra.is_empty() => Action::RoomMembers { room },
                _ => return Err(UsageProblem::RoomSubcommand.into()),
            }
        }
        "delete" => {
            let id = first
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or(UsageProblem::MissingMessageId)?;
            Action::Delete {
                id,
                reason: optional_text(rest),
            }
        }
        "purge" => {
            let (user, rest) = next_name(args);
            let user = required(user, UsageProblem::MissingName)?;
            let (number, after) = next_word(rest);
            let (count, reason) = match number.parse::<u32>() {
                Ok(count) => (Some(count), after),
                Err(_) if looks_like_duration(number) => {
                    return Err(UsageProblem::BadCount { max: PURGE_MAX }.into())
                }
                Err(_) => (None, rest),
            };
            let action = Action::Purge {
                user,
                count,
                reason: optional_text(reason),
            };
            action.check_bounds()?;
            action
        }
        "report" => {
            // A number is a message's id (v2 and web clients show them); anything else
            // names a person, whose last message is meant (legacy clients show no ids).
            let (message, reason) = match first.parse::<i64>() {
                Ok(id) if id > 0 => (Reported::Id { id }, rest),
                _ => {
                    let (user, reason) = next_name(args);
                    let user = required(user, UsageProblem::MissingMessageOrName)?;
                    (Reported::LastOf { user }, reason)
                }
            };
            Action::Report {
                message,
                reason: optional_text(reason),
            }
        }
        "reports" => Action::Reports,
        "shutdown" => {
            let cancel = ["cancel", "annuler"].contains(&first.to_lowercase().as_str());
            if cancel && rest.is_empty() {
                Action::ShutdownCancel
            } else if kill && first.is_empty() {
                Action::Shutdown {
                    seconds: KILL_COUNTDOWN_SECS,
                    message: None,
                }
            } else {
                if first.is_empty() {
                    return Err(UsageProblem::MissingSeconds.into());
                }
                Action::Shutdown {
                    seconds: parse_countdown(first)?,
                    message: optional_text(rest),
                }
            }
        }
        _ => unreachable!("every word of COMMANDS but pm has its arguments"),
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
            Action::Delete { .. } => "delete",
            Action::Purge { .. } => "purge",
            Action::Report { .. } => "report",
            Action::Reports => "reports",
        }
    }

    /// Refuses what no command line could have asked for (typed requests carry raw numbers):
    /// durations of zero or past [`MAX_SANCTION`], countdowns past [`MAX_COUNTDOWN`].
    pub fn check_bounds(&self) -> Result<(), UsageProblem> {
        match self {
            Action::Kick {
                duration_secs: Some(secs),
                ..
            }
            | Action::Mute {
                duration_secs: Some(secs),
                ..
            } => check_duration(*secs, MAX_SANCTION).map(|_| ()),
            Action::Shutdown { seconds, .. } if *seconds > MAX_COUNTDOWN.as_secs() => {
                Err(UsageProblem::CountdownTooLong)
            }
            Action::Purge {
                count: Some(count), ..
            } if *count == 0 || *count > PURGE_MAX => {
                Err(UsageProblem::BadCount { max: PURGE_MAX })
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
    fn removing_and_reporting_messages() {
        assert_eq!(
            action("/supprimer 42 grossier"),
            Action::Delete {
                id: 42,
                reason: Some("grossier".into())
            }
        );
        assert_eq!(
            action("/effacer \"Zoé Élève\" 3 insultes"),
            Action::Purge {
                user: "Zoé Élève".into(),
                count: Some(3),
                reason: Some("insultes".into())
            }
        );
        assert_eq!(
            action("/purge bob"),
            Action::Purge {
                user: "bob".into(),
                count: None,
                reason: None
            }
        );
        assert_eq!(
            action("/signaler 42 méchant"),
            Action::Report {
                message: Reported::Id { id: 42 },
                reason: Some("méchant".into())
            }
        );
        assert_eq!(
            action("/signaler bob"),
            Action::Report {
                message: Reported::LastOf { user: "bob".into() },
                reason: None
            }
        );
        assert_eq!(action("/signalements"), Action::Reports);
        for (text, problem) in [
            ("/delete", UsageProblem::MissingMessageId),
            ("/delete bob", UsageProblem::MissingMessageId),
            ("/purge bob 0", UsageProblem::BadCount { max: PURGE_MAX }),
            ("/purge bob 500", UsageProblem::BadCount { max: PURGE_MAX }),
            ("/report", UsageProblem::MissingMessageOrName),
        ] {
            assert!(
                matches!(parse_slash(text), Slash::Usage { problem: p, .. } if p == problem),
                "{text}"
            );
        }
        // Typed requests: the same actions as JSON.
        let typed: Action =
            serde_json::from_str(r#"{"action":"report","id":7,"reason":"x"}"#).unwrap();
        assert_eq!(
            typed,
            Action::Report {
                message: Reported::Id { id: 7 },
                reason: Some("x".into())
            }
        );
        let typed: Action = serde_json::from_str(r#"{"action":"report","user":"bob"}"#).unwrap();
        assert!(matches!(
            typed,
            Action::Report {
                message: Reported::LastOf { .. },
                ..
            }
        ));
    }

    #[test]
    fn french_words_quoted_names_and_the_seeds_commands() {
        assert_eq!(
            action("/expulser \"Zoé Élève\" 5m bavardage"),
            Action::Kick {
                user: "Zoé Élève".into(),
                duration_secs: Some(300),
                reason: Some("bavardage".into())
            }
        );
        assert_eq!(
            action("/kick « Zoé Élève » 5 min"),
            Action::Kick {
                user: "Zoé Élève".into(),
                duration_secs: Some(300),
                reason: None
            }
        );
        assert_eq!(
            action("/kick john 60"),
            Action::Kick {
                user: "john".into(),
                duration_secs: Some(60),
                reason: None
            }
        );
        assert_eq!(
            action("/Muet bob 1h30"),
            Action::Mute {
                user: "bob".into(),
                duration_secs: Some(5400)
            }
        );
        assert_eq!(
            action("/accepter Zoé Élève #devoirs"),
            Action::Accept {
                user: "Zoé Élève".into(),
                room: "#devoirs".into()
            }
        );
        assert_eq!(
            action("/refuser Zoé Élève #devoirs pas aujourd'hui"),
            Action::Reject {
                user: "Zoé Élève".into(),
                room: "#devoirs".into(),
                reason: Some("pas aujourd'hui".into())
            }
        );
        assert_eq!(
            action("/salon créer #maths modéré"),
            Action::RoomCreate {
                room: "#maths".into(),
                mode: RoomMode::Moderated
            }
        );
        assert_eq!(action("/arret annuler"), Action::ShutdownCancel);
        assert_eq!(
            action("/kill"),
            Action::Shutdown {
                seconds: KILL_COUNTDOWN_SECS,
                message: None
            }
        );
        assert_eq!(
            action("/kill 30 fin du cours"),
            Action::Shutdown {
                seconds: 30,
                message: Some("fin du cours".into())
            }
        );
        assert_eq!(
            parse_slash("/pm \"Zoé Élève\" tu as le corrigé ?"),
            Slash::Private {
                to: "Zoé Élève".into(),
                text: "tu as le corrigé ?".into()
            }
        );
        assert_eq!(action("/aide"), Action::Help);
        assert_eq!(action("/qui"), Action::Who);
        assert_eq!(
            parse_duration("2 heures", MAX_SANCTION),
            Ok(Duration::from_secs(7200))
        );
        assert_eq!(
            parse_duration("1j", MAX_SANCTION),
            Ok(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn every_alias_names_a_command() {
        for (alias, word) in ALIASES {
            assert!(CommandInfo::of(word).is_some(), "{alias} -> {word}");
            assert!(
                CommandInfo::of(alias).is_none(),
                "{alias} is a command word"
            );
        }
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
            "/pm bob",
            "/pm",
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
