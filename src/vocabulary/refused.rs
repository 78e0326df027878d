//! Why a request was refused, as data: the chat core, moderation and the session return a
//! [`Refused`]; the edge turns it into a code on the wire and the words the person reads.

use std::time::Duration;

use classcord_protocol::{ErrorCode, LineProblem, Role, UsageProblem};

use super::problems::{ChannelNameProblem, NameProblem, PasswordProblem, StateProblem};

/// How long a sanction still lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Remaining {
    For(Duration),
    UntilLifted,
}

/// When pupils may write again, outside the opening hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reopening {
    pub(crate) day: ReopeningDay,
    /// `07:30`.
    pub(crate) time: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReopeningDay {
    Today,
    Tomorrow,
    /// 1 is Monday, 7 Sunday.
    Weekday(u8),
}

/// What is missing about a name a moderation action gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NobodyIs {
    /// Neither online nor an account.
    Unknown,
    NotOnline,
    NoAccount,
    NotMuted,
    /// Neither banned nor kicked for a time.
    NotSanctioned,
}

/// A refused request, with what the refusal needs to be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A line the protocol crate could not read.
    Malformed(LineProblem),
    LineTooLong {
        max_bytes: usize,
    },
    NulByte,
    ContentTooLong {
        max_chars: usize,
    },
    InvalidUsername(NameProblem),
    InvalidPassword(PasswordProblem),
    InvalidState(StateProblem),
    InvalidChannel(ChannelNameProblem),
    /// The connection is closing.
    ConnectionClosed,
    NotLoggedIn,
    /// A database or internal error (logged for the administrator).
    Storage,
    UsernameTaken,
    NoFreeGuestName,
    /// `[accounts] registration = "closed"`.
    RegistrationClosed,
    /// `[accounts] guests = false`.
    GuestsClosed,
    LoginFailed,
    /// The account is banned; `reason` is the one the ban was given with, if any.
    LoginBanned {
        reason: Option<String>,
    },
    /// The school directory (`[ldap]`) gave no answer in time, or an error.
    DirectoryUnavailable,
    /// An account whose name looks the same is online.
    LookAlikeOnline,
    AlreadyLoggedIn,
    /// Logging in to an account excluded for a time (or until lifted).
    LoginExcluded(Remaining),
    /// A guest from an excluded address.
    GuestExcluded(Remaining),
    TooManyLoginAttempts,
    /// Asking for registered names as a guest faster than the login budget.
    TooManyNameProbes,
    TooManyPendingLogins,
    TooManyReads,
    TooManyMessages,
    UnfinishedLine,
    IdentifyTimeout,
    Muted(Remaining),
    JoinBeforeWriting {
        channel: String,
    },
    ChannelGone {
        channel: String,
    },
    UserOffline {
        name: String,
    },
    PrivateToSelf,
    /// `[classroom] private_messages = "teachers"`: a pupil wrote privately to a pupil.
    PrivateOnlyToTeachers,
    /// `[classroom] private_messages = "none"`: a pupil wrote privately.
    PrivateClosed,
    LeaveDefault {
        default: String,
    },
    NotInChannel {
        channel: String,
    },
    JoinFirst {
        channel: String,
    },
    GuestsCannotCreate,
    ServerChannelsFull {
        max: usize,
    },
    OnlyTeachersCreate,
    OwnChannelsFull {
        count: usize,
    },
    RoomPrivate {
        room: String,
    },
    RoomModerated {
        room: String,
    },
    DefaultRoomStaysOpen {
        default: String,
    },
    DefaultRoomStays {
        default: String,
    },
    NoSuchRoom {
        room: String,
    },
    NotAsked {
        name: String,
        room: String,
    },
    /// A command this role may not use.
    CommandForbidden {
        word: &'static str,
        needs: Role,
    },
    /// A command whose values pass the bounds (`problem` from the protocol crate's parser).
    CommandBounds {
        word: &'static str,
        problem: UsageProblem,
    },
    /// A known command written the wrong way; `text` is the piece it is about.
    Usage {
        word: &'static str,
        problem: UsageProblem,
        text: Option<String>,
    },
    OnlyFromChatClient,
    Nobody {
        name: String,
        what: NobodyIs,
    },
    NotToYourself,
    Outranks {
        name: String,
        role: Role,
    },
    EmptyNotice,
    NoShutdownUnderWay,
    GuestNotMember {
        name: String,
    },
    /// No message of a room has this id (or the asker could not read it).
    NoSuchMessage {
        id: i64,
    },
    /// A legacy client reported a person with no message it could read.
    NothingToReport {
        name: String,
    },
    /// More reports than a person may file in a while.
    TooManyReports,
    /// A pupil wrote outside `[classroom] hours`.
    OutsideHours {
        reopens: Option<Reopening>,
    },
    /// A session token that opens nothing (unknown, expired, ended).
    SessionExpired,
    /// `[accounts] session_hours = 0`.
    SessionsOff,
    /// A guest asked for a session (only accounts have one).
    SessionNeedsAccount,
    /// A guest asked for private messages stored (a guest's name goes to the next guest).
    PrivateHistoryNeedsAccount,
}

impl Refused {
    /// The `code` of the error line.
    pub(crate) fn code(&self) -> ErrorCode {
        use Refused::*;
        match self {
            Malformed(problem) => problem.code(),
            LineTooLong { .. } => ErrorCode::LineTooLong,
            NulByte => ErrorCode::NulByte,
            ContentTooLong { .. } => ErrorCode::ContentTooLong,
            InvalidUsername(_) => ErrorCode::InvalidUsername,
            InvalidPassword(_) => ErrorCode::InvalidPassword,
            InvalidState(_) => ErrorCode::InvalidState,
            InvalidChannel(_)
            | LeaveDefault { .. }
            | DefaultRoomStaysOpen { .. }
            | DefaultRoomStays { .. }
            | NoSuchRoom { .. } => ErrorCode::InvalidChannel,
            ConnectionClosed | NotLoggedIn => ErrorCode::NotLoggedIn,
            Storage => ErrorCode::StorageError,
            UsernameTaken | NoFreeGuestName => ErrorCode::UsernameTaken,
            LoginFailed
            | LoginBanned { .. }
            | DirectoryUnavailable
            | LookAlikeOnline
            | LoginExcluded(_) => ErrorCode::LoginFailed,
            AlreadyLoggedIn => ErrorCode::AlreadyLoggedIn,
            GuestExcluded(_) => ErrorCode::Excluded,
            TooManyLoginAttempts | TooManyNameProbes | TooManyPendingLogins | TooManyReads
            | TooManyMessages => ErrorCode::RateLimited,
            UnfinishedLine | IdentifyTimeout => ErrorCode::IdentifyTimeout,
            Muted(_) => ErrorCode::Muted,
            JoinBeforeWriting { .. }
            | ChannelGone { .. }
            | NotInChannel { .. }
            | JoinFirst { .. } => ErrorCode::NotInChannel,
            UserOffline { .. } => ErrorCode::UserOffline,
            PrivateOnlyToTeachers | PrivateClosed => ErrorCode::PrivateRefused,
            PrivateToSelf => ErrorCode::InvalidField,
            GuestsCannotCreate
            | RegistrationClosed
            | GuestsClosed
            | RoomPrivate { .. }
            | CommandForbidden { .. }
            | NotToYourself
            | Outranks { .. } => ErrorCode::Forbidden,
            ServerChannelsFull { .. } | OnlyTeachersCreate | OwnChannelsFull { .. } => {
                ErrorCode::TooManyChannels
            }
            RoomModerated { .. } => ErrorCode::JoinPending,
            NotAsked { .. } | Nobody { .. } => ErrorCode::NoSuchUser,
            CommandBounds { .. }
            | Usage { .. }
            | OnlyFromChatClient
            | EmptyNotice
            | NoShutdownUnderWay
            | GuestNotMember { .. }
            | NoSuchMessage { .. }
            | NothingToReport { .. } => ErrorCode::InvalidCommand,
            TooManyReports => ErrorCode::RateLimited,
            OutsideHours { .. } => ErrorCode::OutsideHours,
            SessionExpired => ErrorCode::SessionExpired,
            SessionsOff | SessionNeedsAccount | PrivateHistoryNeedsAccount => ErrorCode::Forbidden,
        }
    }
}

impl From<LineProblem> for Refused {
    /// A line the protocol crate refused. A NUL byte is refused as a NUL character in a
    /// message is: one refusal, one text.
    fn from(problem: LineProblem) -> Refused {
        match problem {
            LineProblem::NulByte => Refused::NulByte,
            problem => Refused::Malformed(problem),
        }
    }
}
