//! What a connection speaks, and the one place that answers "which line does this client
//! get": error replies, presence lines, channel events and server notices differ between a
//! legacy client (never said `hello`) and a v2 client.

use bytes::Bytes;

use super::error::ErrorCode;

/// Whether a v2 client receives other users' `status` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Receive,
    /// Asked with `"presence": false` (bots, load generators).
    Quiet,
}

/// The dialect of one connection; every connection starts as [`Dialect::Legacy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// The Java clients of the original server: only the line kinds it sent.
    #[default]
    Legacy,
    /// Said `{"type":"hello","version":2}`.
    V2 { presence: Presence },
}

/// How a refusal reaches one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// An error line.
    Line,
    /// Legacy clients: the text as a message from the server (an error line would show as
    /// raw JSON in some of their windows).
    Say,
    /// Nothing: the original server stayed silent on this well-formed request.
    Ignored(ErrorCode),
}

impl Dialect {
    /// How a refused request is answered: some legacy clients print any line they do not
    /// handle as raw JSON in the chat window, so a legacy client gets an error line only
    /// where the original sent one, and moderation refusals as a message from the server.
    pub fn refusal(self, code: ErrorCode) -> Refusal {
        match self {
            Dialect::Legacy if SILENT_ON_LEGACY.contains(&code) => Refusal::Ignored(code),
            Dialect::Legacy if SAID_ON_LEGACY.contains(&code) => Refusal::Say,
            _ => Refusal::Line,
        }
    }

    /// Receives other users' `status` lines.
    pub fn receives_presence(self) -> bool {
        !matches!(
            self,
            Dialect::V2 {
                presence: Presence::Quiet
            }
        )
    }

    /// Receives the kinds of lines the original server never sent (`system`, `channel`).
    pub fn receives_v2_lines(self) -> bool {
        matches!(self, Dialect::V2 { .. })
    }

    /// Picks this client's copy of a line that exists in both dialects.
    pub fn pick(self, lines: &DialectLines) -> &Bytes {
        match self {
            Dialect::Legacy => &lines.legacy,
            Dialect::V2 { .. } => &lines.v2,
        }
    }
}

/// One event encoded once per dialect (a server notice: a message from the reserved sender
/// for legacy clients, a `system` line for v2 clients).
#[derive(Debug, Clone)]
pub struct DialectLines {
    pub legacy: Bytes,
    pub v2: Bytes,
}

/// Refusals of well-formed requests that the original server ignored without a word.
/// Everything else (register and login failures, unusable input, rate limits, storage
/// errors, closing reasons) is answered on every connection.
pub const SILENT_ON_LEGACY: &[ErrorCode] = &[
    // A private message to a user who has just gone offline.
    ErrorCode::UserOffline,
    // A `status` (or other request that needs a name) before the guest's first message.
    ErrorCode::NotLoggedIn,
    // A well-formed object whose `type` the server does not know.
    ErrorCode::UnknownType,
];

/// Refusals that did not exist in the original, told to a legacy client as a message from
/// the server so that its window stays readable.
/// (Refused slash commands are always told that way; see the server's session.)
pub const SAID_ON_LEGACY: &[ErrorCode] = &[
    ErrorCode::Muted,
    ErrorCode::Excluded,
    ErrorCode::Kicked,
    ErrorCode::PrivateRefused,
    ErrorCode::OutsideHours,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_clients_get_no_error_line_for_requests_the_original_ignored() {
        let offline = ErrorCode::UserOffline;
        assert_eq!(
            Dialect::Legacy.refusal(offline),
            Refusal::Ignored(ErrorCode::UserOffline)
        );
        let v2 = Dialect::V2 {
            presence: Presence::Receive,
        };
        assert_eq!(v2.refusal(offline), Refusal::Line);
        assert_eq!(
            Dialect::Legacy.refusal(ErrorCode::LoginFailed),
            Refusal::Line
        );
        assert_eq!(Dialect::Legacy.refusal(ErrorCode::Muted), Refusal::Say);
        assert_eq!(v2.refusal(ErrorCode::Muted), Refusal::Line);
    }

    #[test]
    fn presence_and_v2_lines_follow_the_dialect() {
        assert!(Dialect::Legacy.receives_presence());
        assert!(!Dialect::Legacy.receives_v2_lines());
        let quiet = Dialect::V2 {
            presence: Presence::Quiet,
        };
        assert!(!quiet.receives_presence());
        assert!(quiet.receives_v2_lines());
    }
}
