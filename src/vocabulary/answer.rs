//! What a moderation or room action did, as its actor is answered (the edge words it).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use classcord_protocol::{Role, RoomMode};

/// Whether an online name is an account or a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NameKind {
    Account,
    Guest,
}

/// One identified connection, as `/who` and `classcord admin users` show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct OnlineUser {
    pub(crate) name: String,
    pub(crate) address: SocketAddr,
    pub(crate) kind: NameKind,
    /// Guests are users (absent from servers older than moderation).
    #[serde(default)]
    pub(crate) role: Role,
}

/// A room as `/rooms` lists it to one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoomListing {
    pub(crate) name: String,
    pub(crate) mode: RoomMode,
    pub(crate) members: usize,
    /// Entering means asking a moderator.
    pub(crate) ask: bool,
}

/// A room's members as `/room members` shows them (each list sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoomMembers {
    pub(crate) room: String,
    pub(crate) mode: RoomMode,
    pub(crate) members: Vec<String>,
    pub(crate) online: Vec<String>,
    pub(crate) pending: Vec<String>,
}

/// A message reported to the teachers, as `/signalements` and `classcord admin reports`
/// list it (the text as it was reported, even if the message was removed since).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct ReportListing {
    pub(crate) id: i64,
    pub(crate) at_ms: i64,
    pub(crate) reporter: String,
    pub(crate) message_id: i64,
    pub(crate) sender: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) channel: Option<String>,
    /// Set for a private message (reported by its recipient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) recipient: Option<String>,
    pub(crate) content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

/// The answer to one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    Help {
        role: Role,
    },
    Who {
        online: Vec<OnlineUser>,
        /// Moderators also see addresses.
        viewer: Role,
    },
    Rooms(Vec<RoomListing>),
    RoomMembers(RoomMembers),
    /// Lines already made for this connection (entering a room: the `join` answer and the
    /// history, or a legacy client's notice and prefixed replay).
    Lines(Vec<Bytes>),
    InDefaultRoom {
        default: String,
    },
    LeftRoom {
        room: String,
        default: String,
    },
    Kicked {
        name: String,
        duration: Option<Duration>,
        /// A timed kick of a guest applies to its address.
        guest: bool,
    },
    Banned {
        name: String,
    },
    Unbanned {
        name: String,
    },
    Muted {
        name: String,
        duration: Option<Duration>,
    },
    Unmuted {
        name: String,
    },
    NoticeSent,
    ShutdownIn {
        seconds: u64,
    },
    ShutdownCancelled,
    Accepted {
        name: String,
        room: String,
    },
    Rejected {
        name: String,
        room: String,
    },
    Invited {
        name: String,
        room: String,
    },
    RoomCreated {
        room: String,
        mode: RoomMode,
    },
    RoomModeChanged {
        room: String,
        mode: RoomMode,
    },
    RoomClosed {
        room: String,
    },
    /// A message was removed (`sender` wrote it).
    Deleted {
        id: i64,
        sender: String,
    },
    /// The last `count` messages of `name` were removed.
    Purged {
        name: String,
        count: usize,
    },
    ReportSent,
    Reports(Vec<ReportListing>),
}
