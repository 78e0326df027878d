//! Turns one received line (raw bytes, newline removed) into a typed [`Command`].
//!
//! Decoding: UTF-8, or Windows-1252 when the line is not valid UTF-8 (what Windows clients
//! send). Validation is strict on types and lenient on extra fields, as legacy clients expect.

use std::borrow::Cow;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::action::Action;
use super::dialect::Presence;
use super::error::{Expected, LineProblem};
use super::server_line::Subtype;
use super::wire::encode_line;

/// Where a chat message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The default channel (legacy "global" messages).
    Global,
    /// A named channel (v2 clients).
    Channel(String),
    /// One user (private message).
    Private(String),
}

/// Everything a client may ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Register {
        username: String,
        password: String,
    },
    Login {
        username: String,
        password: String,
    },
    Message {
        target: Target,
        content: String,
        from: Option<String>,
    },
    Status {
        state: String,
    },
    Users,
    /// `presence: false` asks not to receive status lines (bots, load generators).
    Hello {
        version: u64,
        presence: Presence,
    },
    /// Become a guest without sending a message (v2).
    Guest {
        name: Option<String>,
    },
    Join {
        channel: String,
    },
    Leave {
        channel: String,
    },
    Channels,
    /// A page of a room's history, or with `with` set, of the private conversation with
    /// that person.
    History {
        channel: Option<String>,
        with: Option<String>,
        limit: Option<u32>,
        /// Only messages older than this id (the next page).
        before: Option<i64>,
    },
    /// The people this account exchanged private messages with, most recent first.
    Conversations,
    /// Asks for a session token: a page that reloads comes back with it instead of the
    /// password (accounts only).
    Session,
    /// Logs in with a session token the server gave.
    Resume {
        token: String,
    },
    /// Ends the session the connection logged in with (its token stops working).
    Logout,
    /// A moderation or room action, typed (`{"type":"command","action":...}`).
    Act(Action),
}

impl Command {
    /// The canonical line for this request, as the clients we write send it (the server
    /// parses it back to the same command).
    pub fn encode(&self) -> Bytes {
        encode_line(&WireCommand::from(self))
    }
}

/// The JSON shape of each request.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireCommand<'a> {
    Register {
        username: &'a str,
        password: &'a str,
    },
    Login {
        username: &'a str,
        password: &'a str,
    },
    Message {
        subtype: Subtype,
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<&'a str>,
        content: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        from: Option<&'a str>,
    },
    Status {
        state: &'a str,
    },
    Users,
    Hello {
        version: u64,
        presence: bool,
    },
    Guest {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
    },
    Join {
        channel: &'a str,
    },
    Leave {
        channel: &'a str,
    },
    Channels,
    History {
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        with: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        before: Option<i64>,
    },
    Conversations,
    Session,
    Resume {
        token: &'a str,
    },
    Logout,
    Command(&'a Action),
}

impl<'a> From<&'a Command> for WireCommand<'a> {
    fn from(command: &'a Command) -> Self {
        match command {
            Command::Register { username, password } => {
                WireCommand::Register { username, password }
            }
            Command::Login { username, password } => WireCommand::Login { username, password },
            Command::Message {
                target,
                content,
                from,
            } => {
                let (subtype, to, channel) = match target {
                    Target::Global => (Subtype::Global, None, None),
                    Target::Channel(channel) => (Subtype::Global, None, Some(channel.as_str())),
                    Target::Private(to) => (Subtype::Private, Some(to.as_str()), None),
                };
                WireCommand::Message {
                    subtype,
                    to,
                    channel,
                    content,
                    from: from.as_deref(),
                }
            }
            Command::Status { state } => WireCommand::Status { state },
            Command::Users => WireCommand::Users,
            Command::Hello { version, presence } => WireCommand::Hello {
                version: *version,
                presence: *presence == Presence::Receive,
            },
            Command::Guest { name } => WireCommand::Guest {
                name: name.as_deref(),
            },
            Command::Join { channel } => WireCommand::Join { channel },
            Command::Leave { channel } => WireCommand::Leave { channel },
            Command::Channels => WireCommand::Channels,
            Command::History {
                channel,
                with,
                limit,
                before,
            } => WireCommand::History {
                channel: channel.as_deref(),
                with: with.as_deref(),
                limit: *limit,
                before: *before,
            },
            Command::Conversations => WireCommand::Conversations,
            Command::Session => WireCommand::Session,
            Command::Resume { token } => WireCommand::Resume { token },
            Command::Logout => WireCommand::Logout,
            Command::Act(action) => WireCommand::Command(action),
        }
    }
}

/// Parses one line. Never panics, whatever the bytes.
pub fn parse_line(raw: &[u8]) -> Result<Command, LineProblem> {
    let text = decode_text(raw)?;
    match PlainMessage::read(&text) {
        Some(message) => message.into_command(),
        None => parse_object(&text),
    }
}

/// Any line: parsed into a JSON object, then read by its `type`.
fn parse_object(text: &str) -> Result<Command, LineProblem> {
    let value: Value = serde_json::from_str(text).map_err(json_error)?;
    let Value::Object(object) = value else {
        return Err(LineProblem::NotAnObject);
    };
    command_from_object(object)
}

/// For a line that did not parse: if it was a `login` attempt, the user name it carried
/// (empty when absent or not a string), so malformed logins count as authentication failures.
pub fn malformed_login_user(raw: &[u8]) -> Option<String> {
    let text = decode_text(raw).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    let object = value.as_object()?;
    (object.get("type")?.as_str()? == "login").then(|| {
        object
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    })
}

/// Decodes a line: UTF-8 when valid, Windows-1252 otherwise. NUL bytes are refused.
fn decode_text(raw: &[u8]) -> Result<Cow<'_, str>, LineProblem> {
    if raw.contains(&0) {
        return Err(LineProblem::NulByte);
    }
    match std::str::from_utf8(raw) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw);
            Ok(text)
        }
    }
}

fn json_error(error: serde_json::Error) -> LineProblem {
    if error.to_string().contains("recursion limit") {
        LineProblem::NestingTooDeep
    } else {
        LineProblem::InvalidJson {
            line: error.line(),
            column: error.column(),
        }
    }
}

fn command_from_object(mut object: Map<String, Value>) -> Result<Command, LineProblem> {
    let kind = match object.remove("type") {
        None => return Err(LineProblem::MissingType),
        Some(Value::String(kind)) => kind,
        Some(_) => return Err(LineProblem::TypeNotString),
    };
    if kind == "command" {
        return action_command(object);
    }
    let mut fields = Fields {
        object,
        kind: &kind,
    };
    match kind.as_str() {
        "register" => Ok(Command::Register {
            username: fields.required_string("username")?,
            password: fields.required_string("password")?,
        }),
        "login" => Ok(Command::Login {
            username: fields.required_string("username")?,
            password: fields.required_string("password")?,
        }),
        "message" => message_command(MessageFields::take(&mut fields)?),
        "status" => Ok(Command::Status {
            state: fields.required_string("state")?,
        }),
        "users" => Ok(Command::Users),
        "hello" => Ok(Command::Hello {
            version: fields.required_u64("version")?,
            presence: match fields.optional_bool("presence")? {
                Some(false) => Presence::Quiet,
                Some(true) | None => Presence::Receive,
            },
        }),
        "guest" => Ok(Command::Guest {
            name: fields.optional_string("name")?,
        }),
        "join" => Ok(Command::Join {
            channel: fields.required_string("channel")?,
        }),
        "leave" => Ok(Command::Leave {
            channel: fields.required_string("channel")?,
        }),
        "channels" => Ok(Command::Channels),
        "history" => Ok(Command::History {
            channel: fields.optional_string("channel")?,
            with: fields.optional_string("with")?,
            limit: fields
                .optional_u64("limit")?
                .map(|limit| u32::try_from(limit).unwrap_or(u32::MAX)),
            before: fields
                .optional_u64("before")?
                .map(|id| i64::try_from(id).unwrap_or(i64::MAX)),
        }),
        "conversations" => Ok(Command::Conversations),
        "session" => Ok(Command::Session),
        "resume" => Ok(Command::Resume {
            token: fields.required_string("token")?,
        }),
        "logout" => Ok(Command::Logout),
        other => Err(LineProblem::UnknownType {
            kind: truncate_for_reply(other),
        }),
    }
}

/// A typed action: the object without its `type`, read as an [`Action`].
fn action_command(object: Map<String, Value>) -> Result<Command, LineProblem> {
    serde_json::from_value(Value::Object(object))
        .map(Command::Act)
        .map_err(|error| LineProblem::InvalidCommand {
            detail: truncate_for_reply(&error.to_string()),
        })
}

/// The line nearly every busy client sends, read straight into borrowed fields without
/// building a map: a `message` object whose known fields are strings or null, each given
/// once. Anything else (another type, a field of another type, a repeated field, which
/// this refuses) takes the general path, which decides and words every error.
#[derive(Deserialize)]
struct PlainMessage<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    subtype: Option<Cow<'a, str>>,
    #[serde(borrow)]
    to: Option<Cow<'a, str>>,
    #[serde(borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow)]
    from: Option<Cow<'a, str>>,
    #[serde(borrow)]
    content: Option<Cow<'a, str>>,
}

impl<'a> PlainMessage<'a> {
    /// The line as a plain message, if it is one.
    fn read(text: &'a str) -> Option<PlainMessage<'a>> {
        serde_json::from_str::<PlainMessage<'a>>(text)
            .ok()
            .filter(|message| message.kind == "message")
    }

    fn into_command(self) -> Result<Command, LineProblem> {
        message_command(MessageFields {
            content: self.content.map(Cow::into_owned),
            from: self.from.map(Cow::into_owned),
            to: self.to.map(Cow::into_owned),
            channel: self.channel.map(Cow::into_owned),
            subtype: self.subtype.map(Cow::into_owned),
        })
    }
}

/// The fields a `message` may carry, each already known to be a string when present.
struct MessageFields {
    content: Option<String>,
    from: Option<String>,
    to: Option<String>,
    channel: Option<String>,
    subtype: Option<String>,
}

impl MessageFields {
    fn take(fields: &mut Fields<'_>) -> Result<MessageFields, LineProblem> {
        Ok(MessageFields {
            content: fields.optional_string("content")?,
            from: fields.optional_string("from")?,
            to: fields.optional_string("to")?,
            channel: fields.optional_string("channel")?,
            subtype: fields.optional_string("subtype")?,
        })
    }
}

fn message_command(fields: MessageFields) -> Result<Command, LineProblem> {
    let MessageFields {
        content,
        from,
        to,
        channel,
        subtype,
    } = fields;
    // Some legacy clients announce themselves with an empty or absent content.
    let content = content.unwrap_or_default();
    let target = match subtype.as_deref() {
        Some("private") => match to {
            Some(to) if !to.is_empty() => Target::Private(to),
            _ => return Err(LineProblem::PrivateNeedsTo),
        },
        Some("global") | None => match (channel, to) {
            (Some(channel), _) => Target::Channel(channel),
            (None, Some(to)) if subtype.is_none() && to != "global" && !to.is_empty() => {
                Target::Private(to)
            }
            _ => Target::Global,
        },
        Some(other) => {
            return Err(LineProblem::UnknownSubtype {
                subtype: truncate_for_reply(other),
            })
        }
    };
    Ok(Command::Message {
        target,
        content,
        from,
    })
}

/// Typed access to the fields of one message, with error texts that name the field. Each
/// field is taken out of the object (read once, never copied).
struct Fields<'a> {
    object: Map<String, Value>,
    kind: &'a str,
}

impl Fields<'_> {
    fn optional_string(&mut self, name: &'static str) -> Result<Option<String>, LineProblem> {
        match self.object.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(self.wrong_type(name, Expected::String)),
        }
    }

    fn required_string(&mut self, name: &'static str) -> Result<String, LineProblem> {
        self.optional_string(name)?
            .ok_or_else(|| self.missing(name, Expected::String))
    }

    fn optional_bool(&self, name: &'static str) -> Result<Option<bool>, LineProblem> {
        match self.object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(self.wrong_type(name, Expected::Bool)),
        }
    }

    fn optional_u64(&self, name: &'static str) -> Result<Option<u64>, LineProblem> {
        match self.object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.wrong_type(name, Expected::Integer)),
            Some(_) => Err(self.wrong_type(name, Expected::Integer)),
        }
    }

    fn required_u64(&self, name: &'static str) -> Result<u64, LineProblem> {
        self.optional_u64(name)?
            .ok_or_else(|| self.missing(name, Expected::Integer))
    }

    fn missing(&self, field: &'static str, expected: Expected) -> LineProblem {
        LineProblem::MissingField {
            kind: self.kind.to_owned(),
            field,
            expected,
        }
    }

    fn wrong_type(&self, field: &'static str, expected: Expected) -> LineProblem {
        LineProblem::WrongType {
            kind: self.kind.to_owned(),
            field,
            expected,
        }
    }
}

/// Echoing client text back in an error is helpful, but only a short piece of it.
fn truncate_for_reply(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn code(raw: &[u8]) -> ErrorCode {
        parse_line(raw).unwrap_err().code()
    }

    #[test]
    fn legacy_shapes_parse() {
        assert_eq!(
            parse_line(br#"{"type":"login","username":"bob","password":"x"}"#).unwrap(),
            Command::Login {
                username: "bob".into(),
                password: "x".into()
            }
        );
        assert_eq!(
            parse_line(
                br#"{"type":"message","subtype":"global","to":"global","from":"a","content":"hi"}"#
            )
            .unwrap(),
            Command::Message {
                target: Target::Global,
                content: "hi".into(),
                from: Some("a".into())
            }
        );
        assert_eq!(
            parse_line(br#"{"type":"message","subtype":"private","to":"bob","content":"hi"}"#)
                .unwrap(),
            Command::Message {
                target: Target::Private("bob".into()),
                content: "hi".into(),
                from: None
            }
        );
        assert_eq!(
            parse_line(br#"{"type":"status","user":"spoof","state":"do not disturb"}"#).unwrap(),
            Command::Status {
                state: "do not disturb".into()
            }
        );
    }

    #[test]
    fn encoded_commands_parse_back() {
        let commands = [
            Command::Register {
                username: "élève".into(),
                password: "p\"w".into(),
            },
            Command::Login {
                username: "a".into(),
                password: "b".into(),
            },
            Command::Message {
                target: Target::Global,
                content: "salut".into(),
                from: Some("g".into()),
            },
            Command::Message {
                target: Target::Channel("#dev".into()),
                content: String::new(),
                from: None,
            },
            Command::Message {
                target: Target::Private("bob".into()),
                content: "psst".into(),
                from: None,
            },
            Command::Status {
                state: "away".into(),
            },
            Command::Users,
            Command::Hello {
                version: 2,
                presence: Presence::Quiet,
            },
            Command::Guest { name: None },
            Command::Join {
                channel: "#dev".into(),
            },
            Command::Leave {
                channel: "#dev".into(),
            },
            Command::Channels,
            Command::History {
                channel: None,
                with: None,
                limit: Some(5),
                before: Some(42),
            },
            Command::History {
                channel: None,
                with: Some("chloé".into()),
                limit: None,
                before: None,
            },
            Command::Conversations,
            Command::Session,
            Command::Resume {
                token: "0f".repeat(32),
            },
            Command::Logout,
        ];
        for command in commands {
            let line = command.encode();
            assert_eq!(parse_line(&line[..line.len() - 1]).unwrap(), command);
        }
    }

    #[test]
    fn windows_1252_lines_decode() {
        let raw = b"{\"type\":\"message\",\"content\":\"caf\xe9 \x80\"}";
        match parse_line(raw).unwrap() {
            Command::Message { content, .. } => assert_eq!(content, "café €"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_input_is_classified() {
        assert_eq!(code(b"{nope"), ErrorCode::InvalidJson);
        assert_eq!(code(b"[1,2]"), ErrorCode::NotAnObject);
        assert_eq!(code(b"\"text\""), ErrorCode::NotAnObject);
        assert_eq!(code(b"{}"), ErrorCode::MissingType);
        assert_eq!(code(br#"{"type":5}"#), ErrorCode::InvalidField);
        assert_eq!(code(br#"{"type":"dance"}"#), ErrorCode::UnknownType);
        assert_eq!(
            code(br#"{"type":"login","username":5,"password":"x"}"#),
            ErrorCode::InvalidField
        );
        assert_eq!(
            code(br#"{"type":"login","username":"a"}"#),
            ErrorCode::InvalidField
        );
        assert_eq!(code(b"{\"type\":\"users\"\0}"), ErrorCode::NulByte);
        let deep = format!(
            "{{\"type\":\"users\",\"x\":{}{}}}",
            "[".repeat(500),
            "]".repeat(500)
        );
        assert_eq!(code(deep.as_bytes()), ErrorCode::NestingTooDeep);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;
        use serde_json::json;

        fn text() -> impl Strategy<Value = String> {
            proptest::string::string_regex("(?s).{0,40}").unwrap()
        }

        fn command() -> impl Strategy<Value = Command> {
            let target = prop_oneof![
                Just(Target::Global),
                text().prop_map(Target::Channel),
                text()
                    .prop_filter("a private message names someone", |to| !to.is_empty())
                    .prop_map(Target::Private),
            ];
            prop_oneof![
                (text(), text())
                    .prop_map(|(username, password)| Command::Register { username, password }),
                (text(), text())
                    .prop_map(|(username, password)| Command::Login { username, password }),
                (target, text(), proptest::option::of(text())).prop_map(
                    |(target, content, from)| Command::Message {
                        target,
                        content,
                        from
                    }
                ),
                text().prop_map(|state| Command::Status { state }),
                Just(Command::Users),
                (any::<u64>(), any::<bool>()).prop_map(|(version, quiet)| Command::Hello {
                    version,
                    presence: if quiet {
                        Presence::Quiet
                    } else {
                        Presence::Receive
                    },
                }),
                proptest::option::of(text()).prop_map(|name| Command::Guest { name }),
                text().prop_map(|channel| Command::Join { channel }),
                text().prop_map(|channel| Command::Leave { channel }),
                Just(Command::Channels),
                (
                    proptest::option::of(text()),
                    proptest::option::of(text()),
                    proptest::option::of(any::<u32>()),
                    proptest::option::of(0..i64::MAX)
                )
                    .prop_map(|(channel, with, limit, before)| Command::History {
                        channel,
                        with,
                        limit,
                        before
                    }),
                Just(Command::Conversations),
                Just(Command::Session),
                text().prop_map(|token| Command::Resume { token }),
                Just(Command::Logout),
            ]
        }

        proptest! {
            /// Any bytes at all: an error or a command, never a panic.
            #[test]
            fn any_line_parses_or_is_refused(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
                let _ = parse_line(&raw);
                let _ = malformed_login_user(&raw);
            }

            /// A message object of any shape reads the same through the fast path as
            /// through the general one: same command, or the same problem.
            #[test]
            fn plain_messages_read_as_the_general_path_reads_them(
                fields in proptest::collection::vec(
                    (
                        prop_oneof![
                            Just("type"), Just("subtype"), Just("to"), Just("channel"),
                            Just("from"), Just("content"), Just("extra"),
                        ],
                        prop_oneof![
                            Just(json!("message")), Just(json!("global")), Just(json!("private")),
                            Just(json!("#cours")), Just(json!("")), Just(json!(null)),
                            Just(json!(7)), Just(json!(["x"])), Just(json!({"a": 1})),
                            text().prop_map(Value::from),
                        ],
                    ),
                    0..8,
                ),
            ) {
                // Written by hand so that a field may repeat, as a client's line may.
                let members: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{}:{value}", json!(name)))
                    .collect();
                let line = format!("{{\"type\":\"message\",{}}}", members.join(","));
                let line = line.replace(",}", "}");
                let fast = parse_line(line.as_bytes());
                let general = parse_object(&line);
                prop_assert_eq!(fast, general, "{}", line);
            }

            /// What the clients we write send is read back exactly.
            #[test]
            fn encoded_commands_always_parse_back(command in command()) {
                let line = command.encode();
                prop_assert!(line.is_ascii());
                prop_assert_eq!(parse_line(&line[..line.len() - 1]).unwrap(), command);
            }
        }
    }
}
