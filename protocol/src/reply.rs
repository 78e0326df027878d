//! Server lines as a client reads them (the load generator, the tests): the owned,
//! deserialising counterpart of [`ServerLine`](crate::ServerLine), with the same field names.

use serde::Deserialize;

use crate::error::ErrorCode;
use crate::server_line::{ChannelEvent, ChannelInfo, ChatLine, NoticeEvent, Outcome};

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    Register {
        status: Outcome,
    },
    Login {
        status: Outcome,
        username: String,
    },
    Error {
        /// Absent only from servers older than error codes.
        code: Option<ErrorCode>,
        message: String,
    },
    Message(ChatLine),
    Status {
        user: String,
        state: String,
    },
    Users {
        users: Vec<String>,
        #[serde(default)]
        more: bool,
    },
    Guest {
        status: Outcome,
        username: String,
    },
    Hello {
        version: u64,
        server: String,
        features: Vec<String>,
        /// Absent from servers older than it.
        #[serde(default)]
        default_channel: Option<String>,
        /// Absent from servers older than it.
        #[serde(default)]
        max_content_chars: Option<usize>,
        /// Absent from servers older than it.
        #[serde(default)]
        commands: Option<Vec<String>>,
    },
    System {
        event: NoticeEvent,
        message: String,
    },
    Join {
        status: Outcome,
        channel: String,
    },
    Leave {
        status: Outcome,
        channel: String,
    },
    Channel {
        event: ChannelEvent,
        channel: String,
        user: String,
    },
    Channels {
        channels: Vec<ChannelInfo>,
        #[serde(default)]
        more: bool,
    },
    History {
        #[serde(default)]
        channel: Option<String>,
        #[serde(default)]
        with: Option<String>,
        messages: Vec<ChatLine>,
        #[serde(default)]
        more: bool,
    },
    Command {
        action: String,
        status: Outcome,
        lines: Vec<String>,
    },
}

impl Reply {
    /// Parses one line as sent by a ClassCord server (newline optional).
    pub fn parse(line: &[u8]) -> Result<Reply, serde_json::Error> {
        serde_json::from_slice(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_line::{error_line, ServerLine, Subtype};
    use crate::ProtocolError;

    #[test]
    fn every_server_line_reads_back() {
        let chat = ChatLine {
            subtype: Subtype::Private,
            from: "élise".into(),
            to: Some("bob".into()),
            channel: None,
            content: "psst 😀".into(),
            timestamp: "2026-11-21T13:08:33.123Z".into(),
            id: Some(4),
        };
        assert_eq!(
            Reply::parse(&ServerLine::Message(&chat).encode()).unwrap(),
            Reply::Message(chat)
        );
        let refused = error_line(&ProtocolError::new(ErrorCode::LoginFailed, "Login failed."));
        assert_eq!(
            Reply::parse(&refused).unwrap(),
            Reply::Error {
                code: Some(ErrorCode::LoginFailed),
                message: "Login failed.".into()
            }
        );
        let users = ServerLine::Users {
            users: vec!["a", "b"],
            more: false,
            badges: Default::default(),
        };
        assert_eq!(
            Reply::parse(&users.encode()).unwrap(),
            Reply::Users {
                users: vec!["a".into(), "b".into()],
                more: false
            }
        );
    }
}
