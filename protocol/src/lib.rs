//! The ClassCord wire protocol, shared by the server, the load generator and the tests:
//! what clients send ([`Command`], parsed leniently as legacy clients need, encoded
//! canonically for clients we write), what the server sends ([`ServerLine`], ASCII-only
//! JSON lines), error codes, and the [`Dialect`] that decides which line a client gets.

pub mod action;
pub mod command;
pub mod dialect;
pub mod error;
pub mod reply;
pub mod server_line;
pub mod wire;

pub use action::{
    command_word, parse_slash, Action, CommandInfo, DurationError, Reported, Role, RoomMode, Slash,
    UsageProblem, ALIASES, COMMANDS, PURGE_DEFAULT, PURGE_MAX,
};
pub use command::{malformed_login_user, parse_line, Command, Target};
pub use dialect::{Dialect, DialectLines, Presence, Refusal};
pub use error::{ErrorCode, Expected, LineProblem, ProtocolError};
pub use reply::Reply;
pub use server_line::{error_line, ChannelInfo, ChatLine, ServerLine, V2_FEATURES};
