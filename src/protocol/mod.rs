//! The ClassCord wire protocol: client commands in, server lines out, and the name rules both share.

pub mod command;
pub mod dialect;
pub mod error;
pub mod names;
pub mod server_line;
pub mod wire;

pub use command::{malformed_login_user, parse_line, Command, Target};
pub use error::{ErrorCode, ProtocolError};
pub use server_line::ServerLine;
