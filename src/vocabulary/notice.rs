//! What the server tells people on its own (not as the answer to their request): personal
//! notices from moderation and rooms, why a connection is closed, and notices to everyone.

use std::time::Duration;

/// Who banned someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Banner {
    Teacher,
    Administrator,
}

/// One notice, with what it needs to be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Notice {
    Muted {
        duration: Option<Duration>,
    },
    Unmuted,
    Invited {
        room: String,
    },
    RequestRefused {
        room: String,
        reason: Option<String>,
    },
    /// To the moderators: someone asks to join a moderated room.
    JoinRequest {
        name: String,
        room: String,
    },
    RoomClosed {
        room: String,
        default: String,
    },
    /// To the teachers online: someone reported a message.
    Reported {
        reporter: String,
        sender: String,
        /// The room it was written in; none for a private message.
        room: Option<String>,
        id: i64,
        excerpt: String,
        reason: Option<String>,
    },
    /// A legacy client entered a room: its global messages go there now.
    InRoom {
        room: String,
        default: String,
    },
    /// Closing: a teacher disconnected this connection.
    Kicked {
        duration: Option<Duration>,
        reason: Option<String>,
    },
    /// Closing: the account or the guest's address is banned.
    Banned {
        by: Banner,
        reason: Option<String>,
    },
    AccountBanned,
    AccountDeleted,
    /// Closing: the same account logged in on another connection.
    Replaced,
    /// The store could not commit the sender's message.
    NotStored,
    /// A moderator's announcement, in their words.
    Announcement(String),
    /// The server stops in `seconds`, with the administrator's message.
    Countdown {
        seconds: u64,
        message: Option<String>,
    },
    CountdownCancelled,
    /// The opening hours ended: pupils may write again then.
    HoursEnded {
        reopens: Option<super::Reopening>,
    },
    /// The server is stopping now.
    Stopping,
}
