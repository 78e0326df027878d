//! Every line the server sends. Legacy shapes come first in each variant and never change;
//! v2-only kinds (`hello`, `system`, `channel`, `history`) are only sent to v2 clients.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::error::{ErrorCode, ProtocolError};
use super::wire::encode_line;

/// What the list of people shows beside a name: teachers, administrators and guests.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Badge {
    Teacher,
    Admin,
    Guest,
}

/// Global (a channel) or private (one user) message.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Subtype {
    Global,
    Private,
}

/// The `status` of a successful reply (the only value legacy clients know).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
}

/// Why a `system` line was sent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NoticeEvent {
    /// The server is stopping.
    Shutdown,
    /// An administrator's announcement.
    Admin,
    /// A moderation event for this user alone (a request answered, a mute, an invitation).
    Moderation,
    /// The school's opening hours ended.
    Hours,
}

/// What happened in a channel.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ChannelEvent {
    Join,
    Leave,
}

/// Presence states the server itself announces (clients may send any text).
pub const ONLINE: &str = "online";
pub const OFFLINE: &str = "offline";

/// A stored or live chat message as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChatLine {
    pub subtype: Subtype,
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub content: String,
    pub timestamp: String,
    /// Store id; absent on server notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// Who asks to join which room (in a teacher's `system` line).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct JoinRequestRef<'a> {
    pub user: &'a str,
    pub room: &'a str,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChannelInfo {
    pub name: String,
    pub members: usize,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerLine<'a> {
    Register {
        status: Outcome,
    },
    Login {
        status: Outcome,
        username: &'a str,
        /// The account's role, for v2 clients (a web page shows a teacher their buttons);
        /// never sent to legacy clients, whose login line stays the original's.
        #[serde(skip_serializing_if = "Option::is_none")]
        role: Option<crate::Role>,
    },
    Error {
        code: ErrorCode,
        message: &'a str,
        /// Same text as `message`: one legacy client reads this field.
        error: &'a str,
    },
    Message(&'a ChatLine),
    Status {
        user: &'a str,
        state: &'a str,
        /// On arrival, what the person is when not a pupil with an account (legacy clients
        /// ignore the extra field).
        #[serde(skip_serializing_if = "Option::is_none")]
        badge: Option<Badge>,
    },
    Users {
        users: Vec<&'a str>,
        /// Present (true) when the list was cut to stay under the reply size limit.
        #[serde(skip_serializing_if = "is_false")]
        more: bool,
        /// The teachers, administrators and guests among `users`.
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        badges: BTreeMap<&'a str, Badge>,
    },
    Guest {
        status: Outcome,
        username: &'a str,
    },
    Hello {
        version: u64,
        server: &'static str,
        features: &'static [&'static str],
        /// The room everyone is in (where a legacy client's messages go).
        default_channel: &'a str,
        /// The longest message content accepted, in characters (Unicode scalar values, not
        /// UTF-16 units): a client can refuse a longer one before sending it.
        max_content_chars: usize,
        /// The words read as commands after `/` (any other `/word` is a message).
        commands: &'static [&'static str],
    },
    System {
        event: NoticeEvent,
        message: &'a str,
        /// A request to join a moderated room, for the teachers' clients to show with
        /// accept and reject buttons.
        #[serde(skip_serializing_if = "Option::is_none")]
        join_request: Option<JoinRequestRef<'a>>,
        /// A room this user was in that a teacher closed: clients leave it.
        #[serde(skip_serializing_if = "Option::is_none")]
        closed_room: Option<&'a str>,
    },
    Join {
        status: Outcome,
        channel: &'a str,
    },
    Leave {
        status: Outcome,
        channel: &'a str,
    },
    Channel {
        event: ChannelEvent,
        channel: &'a str,
        user: &'a str,
    },
    Channels {
        channels: &'a [ChannelInfo],
        #[serde(skip_serializing_if = "is_false")]
        more: bool,
    },
    /// A room's page (`channel`) or a private conversation's (`with`).
    History {
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        with: Option<&'a str>,
        messages: &'a [ChatLine],
        /// Present (true) when older messages remain: ask again with `before` set to the
        /// `id` of the first message of this page.
        #[serde(skip_serializing_if = "is_false")]
        more: bool,
    },
    /// The people of the account's private conversations, most recent first.
    Conversations {
        people: &'a [String],
    },
    /// A session token (shown once; the server keeps only its hash) and how long it lasts.
    Session {
        token: &'a str,
        expires_in_secs: u64,
    },
    /// The session is over: its token no longer logs in.
    Logout {
        status: Outcome,
    },
    /// Messages of a room a teacher removed (v2 clients take them off the screen; legacy
    /// clients cannot, and get nothing).
    Removed {
        channel: &'a str,
        ids: &'a [i64],
    },
    /// The answer to a moderation or room action (v2 clients; legacy ones get the lines
    /// as messages from the server).
    Command {
        action: &'static str,
        status: Outcome,
        lines: &'a [String],
    },
}

fn is_false(flag: &bool) -> bool {
    !flag
}

/// What `hello` advertises.
pub const V2_FEATURES: &[&str] = &[
    "channels",
    "history",
    "system",
    "error_codes",
    "commands",
    "sessions",
    "private_history",
];

impl ServerLine<'_> {
    pub fn encode(&self) -> Bytes {
        encode_line(self)
    }
}

/// The error line for a refusal.
pub fn error_line(error: &ProtocolError) -> Bytes {
    ServerLine::Error {
        code: error.code,
        message: &error.message,
        error: &error.message,
    }
    .encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_replies_are_byte_exact() {
        let ok = ServerLine::Register {
            status: Outcome::Ok,
        }
        .encode();
        assert_eq!(&ok[..], b"{\"type\":\"register\",\"status\":\"ok\"}\n");
        let login = ServerLine::Login {
            status: Outcome::Ok,
            username: "bob",
            role: None,
        }
        .encode();
        assert_eq!(
            &login[..],
            b"{\"type\":\"login\",\"status\":\"ok\",\"username\":\"bob\"}\n"
        );
        let users = ServerLine::Users {
            users: vec!["a", "b"],
            more: false,
            badges: BTreeMap::new(),
        }
        .encode();
        assert_eq!(
            &users[..],
            b"{\"type\":\"users\",\"users\":[\"a\",\"b\"]}\n"
        );
        let error = error_line(&ProtocolError::new(ErrorCode::LoginFailed, "Login failed."));
        assert_eq!(
            &error[..],
            &b"{\"type\":\"error\",\"code\":\"login_failed\",\"message\":\"Login failed.\",\"error\":\"Login failed.\"}\n"[..]
        );
    }
}
