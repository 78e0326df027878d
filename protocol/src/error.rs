//! Error codes carried by `{"type":"error"}` replies, and the error type the protocol layer returns.

use serde::{Deserialize, Serialize};

/// Machine-readable reason of an error reply (`code` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidJson,
    NotAnObject,
    MissingType,
    UnknownType,
    InvalidField,
    NestingTooDeep,
    LineTooLong,
    ContentTooLong,
    NulByte,
    InvalidUsername,
    InvalidPassword,
    UsernameTaken,
    LoginFailed,
    NotLoggedIn,
    AlreadyLoggedIn,
    UserOffline,
    InvalidChannel,
    NotInChannel,
    InvalidState,
    RateLimited,
    StorageError,
    IdentifyTimeout,
    Replaced,
    Kicked,
    /// The request is not allowed to this client (a guest creating a channel).
    Forbidden,
    /// Creating the channel would pass the per-account or server limit.
    TooManyChannels,
    /// The sender is muted by a moderator.
    Muted,
    /// The account or address is kicked for a time, or banned.
    Excluded,
    /// A moderation action names nobody the server knows.
    NoSuchUser,
    /// A command used the wrong way (arguments, duration).
    InvalidCommand,
    /// The room is moderated: the request to join waits for a moderator.
    JoinPending,
    /// The school limits private messages (`[classroom] private_messages`).
    PrivateRefused,
    /// A pupil wrote outside the school's opening hours (`[classroom] hours`).
    OutsideHours,
    /// A session token that is unknown, expired or revoked: log in with the password.
    SessionExpired,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::NotAnObject => "not_an_object",
            ErrorCode::MissingType => "missing_type",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::NestingTooDeep => "nesting_too_deep",
            ErrorCode::LineTooLong => "line_too_long",
            ErrorCode::ContentTooLong => "content_too_long",
            ErrorCode::NulByte => "nul_byte",
            ErrorCode::InvalidUsername => "invalid_username",
            ErrorCode::InvalidPassword => "invalid_password",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::LoginFailed => "login_failed",
            ErrorCode::NotLoggedIn => "not_logged_in",
            ErrorCode::AlreadyLoggedIn => "already_logged_in",
            ErrorCode::UserOffline => "user_offline",
            ErrorCode::InvalidChannel => "invalid_channel",
            ErrorCode::NotInChannel => "not_in_channel",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::StorageError => "storage_error",
            ErrorCode::IdentifyTimeout => "identify_timeout",
            ErrorCode::Replaced => "replaced",
            ErrorCode::Kicked => "kicked",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::TooManyChannels => "too_many_channels",
            ErrorCode::Muted => "muted",
            ErrorCode::Excluded => "excluded",
            ErrorCode::NoSuchUser => "no_such_user",
            ErrorCode::InvalidCommand => "invalid_command",
            ErrorCode::JoinPending => "join_pending",
            ErrorCode::PrivateRefused => "private_refused",
            ErrorCode::OutsideHours => "outside_hours",
            ErrorCode::SessionExpired => "session_expired",
        }
    }
}

/// A refusal to send back to the client as an error line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ProtocolError {
            code,
            message: message.into(),
        }
    }
}

/// Why a line could not be read as a request (the server's catalogue words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    NulByte,
    InvalidJson {
        line: usize,
        column: usize,
    },
    NestingTooDeep,
    NotAnObject,
    MissingType,
    TypeNotString,
    UnknownType {
        kind: String,
    },
    /// A typed `command` whose fields do not make an action (serde's words, shortened).
    InvalidCommand {
        detail: String,
    },
    PrivateNeedsTo,
    UnknownSubtype {
        subtype: String,
    },
    MissingField {
        kind: String,
        field: &'static str,
        expected: Expected,
    },
    WrongType {
        kind: String,
        field: &'static str,
        expected: Expected,
    },
}

/// What a field must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    String,
    Bool,
    Integer,
}

impl LineProblem {
    /// The `code` of the error line.
    pub fn code(&self) -> ErrorCode {
        match self {
            LineProblem::NulByte => ErrorCode::NulByte,
            LineProblem::InvalidJson { .. } => ErrorCode::InvalidJson,
            LineProblem::NestingTooDeep => ErrorCode::NestingTooDeep,
            LineProblem::NotAnObject => ErrorCode::NotAnObject,
            LineProblem::MissingType => ErrorCode::MissingType,
            LineProblem::UnknownType { .. } => ErrorCode::UnknownType,
            LineProblem::TypeNotString
            | LineProblem::InvalidCommand { .. }
            | LineProblem::PrivateNeedsTo
            | LineProblem::UnknownSubtype { .. }
            | LineProblem::MissingField { .. }
            | LineProblem::WrongType { .. } => ErrorCode::InvalidField,
        }
    }
}
