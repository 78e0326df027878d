//! The one renderer of the server's words: it turns refusals, answers and notices (typed, from
//! `crate::vocabulary`) into the line each dialect gets, with the words of the catalogue. A
//! legacy client reads the server's words as messages from the reserved sender; a v2 client
//! gets error, `command` and `system` lines.

use bytes::Bytes;
use classcord_protocol::server_line::{NoticeEvent, Outcome, Subtype};
use classcord_protocol::{
    error_line, ChatLine, Dialect, DialectLines, ErrorCode, ProtocolError, Refusal, ServerLine,
};

use crate::chat::Words;
use crate::config::Config;
use crate::texts::Texts;
use crate::time_format::{now_ms, rfc3339_ms};
use crate::vocabulary::{Answer, Notice, Refused};

/// The words and lines of every connection.
pub(crate) struct Renderer {
    texts: Texts,
    /// Sender of the server's messages to legacy clients.
    notice_sender: String,
    default_channel: String,
    max_reply_bytes: usize,
}

impl Renderer {
    pub(crate) fn new(config: &Config, texts: Texts) -> Renderer {
        Renderer {
            texts,
            notice_sender: config.server.notice_sender.clone(),
            default_channel: config.server.default_channel.clone(),
            max_reply_bytes: config.limits.max_reply_bytes,
        }
    }

    /// The catalogue (the admin socket words its answers with it too).
    pub(crate) fn texts(&self) -> &Texts {
        &self.texts
    }

    /// `text` as a legacy client reads the server's words: a global message from the
    /// reserved sender.
    fn said_by_server(&self, text: &str) -> Bytes {
        ServerLine::Message(&ChatLine {
            subtype: Subtype::Global,
            from: self.notice_sender.clone(),
            to: None,
            channel: Some(self.default_channel.clone()),
            content: text.to_owned(),
            timestamp: rfc3339_ms(now_ms()),
            id: None,
        })
        .encode()
    }

    /// `text` as an error line with `code`, or as the server's words.
    fn refusal_line(
        &self,
        form: Refusal,
        code: ErrorCode,
        text: impl FnOnce() -> String,
    ) -> Option<Bytes> {
        match form {
            Refusal::Line => Some(error_line(&ProtocolError {
                code,
                message: text(),
            })),
            Refusal::Say => Some(self.said_by_server(&text())),
            Refusal::Ignored(_) => None,
        }
    }

    /// A refused request, as this dialect gets it: `None` when the original server stayed
    /// silent (legacy clients, well-formed requests it ignored).
    pub(crate) fn refusal(&self, dialect: Dialect, refused: &Refused) -> Option<Bytes> {
        let code = refused.code();
        self.refusal_line(dialect.refusal(code), code, || self.texts.refused(refused))
    }

    /// A refused command: legacy clients read the reason as a message from the server.
    pub(crate) fn command_refused(&self, dialect: Dialect, refused: &Refused) -> Bytes {
        let form = if dialect.receives_v2_lines() {
            Refusal::Line
        } else {
            Refusal::Say
        };
        self.refusal_line(form, refused.code(), || self.texts.refused(refused))
            .expect("an error line or the server's words")
    }

    /// A command's answer: messages from the server for legacy clients, one `command` line
    /// for v2 clients; lines already made go as they are.
    pub(crate) fn answer(
        &self,
        dialect: Dialect,
        word: &'static str,
        answer: Answer,
    ) -> Vec<Bytes> {
        if let Answer::Lines(lines) = answer {
            return lines;
        }
        let v2 = dialect.receives_v2_lines();
        let lines = self.texts.answer(&answer, self.max_reply_bytes, !v2);
        if v2 {
            vec![ServerLine::Command {
                action: word,
                status: Outcome::Ok,
                lines: &lines,
            }
            .encode()]
        } else {
            lines.iter().map(|line| self.said_by_server(line)).collect()
        }
    }
}

impl Words for Renderer {
    fn notice(&self, dialect: Dialect, notice: &Notice) -> Bytes {
        let text = self.texts.notice(notice);
        let closing = match notice {
            Notice::Kicked { .. }
            | Notice::Banned { .. }
            | Notice::AccountBanned
            | Notice::AccountDeleted => Some(ErrorCode::Kicked),
            Notice::Replaced => Some(ErrorCode::Replaced),
            Notice::NotStored => Some(ErrorCode::StorageError),
            _ => None,
        };
        match closing {
            // A closing notice is never silent: a legacy client is told as the server's words.
            Some(code) => {
                let form = match dialect.refusal(code) {
                    Refusal::Ignored(_) => Refusal::Say,
                    form => form,
                };
                self.refusal_line(form, code, move || text)
                    .expect("an error line or the server's words")
            }
            None if dialect.receives_v2_lines() => ServerLine::System {
                event: NoticeEvent::Moderation,
                message: &text,
                join_request: match notice {
                    Notice::JoinRequest { name, room } => {
                        Some(classcord_protocol::server_line::JoinRequestRef { user: name, room })
                    }
                    _ => None,
                },
                closed_room: match notice {
                    Notice::RoomClosed { room, .. } => Some(room.as_str()),
                    _ => None,
                },
            }
            .encode(),
            None => self.said_by_server(&text),
        }
    }

    fn everyone(&self, event: NoticeEvent, notice: &Notice) -> DialectLines {
        let text = self.texts.notice(notice);
        DialectLines {
            legacy: self.said_by_server(&text),
            v2: ServerLine::System {
                event,
                message: &text,
                join_request: None,
                closed_room: None,
            }
            .encode(),
        }
    }
}
