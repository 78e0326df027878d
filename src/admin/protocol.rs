//! The admin socket's protocol: one JSON [`Request`] per line in, one JSON [`Response`] per
//! line out. The same types serialise on one end and parse on the other.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::chat::OnlineUser;

/// Longest request line the server reads.
pub(crate) const MAX_REQUEST_BYTES: u64 = 8 * 1024;

/// Also the subcommands of `classcord admin` (the account variants are for `classcord user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "command", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// Which database the server uses (so that a command knows it is talking about the
    /// same file) and its version.
    #[command(skip)]
    Status,
    /// Send a notice to every connected user (legacy clients see a message from "Serveur").
    Notice { text: String },
    /// Disconnect a user now.
    Kick { user: String },
    /// Ban an account and disconnect it.
    Ban { user: String },
    /// Lift an account's ban.
    Unban { user: String },
    /// List connected users.
    Users,
    /// Load the TLS certificate files again (as SIGHUP does).
    ReloadTls,
    /// Print the server's counters in the Prometheus text format.
    Metrics,
    /// Create an account; the password is hashed by the client, never sent.
    #[command(skip)]
    UserAdd { user: String, password_hash: String },
    /// Replace an account's password (hashed by the client).
    #[command(skip)]
    UserPasswd { user: String, password_hash: String },
    /// Delete an account and disconnect it; its messages stay.
    #[command(skip)]
    UserDelete { user: String },
}

impl Request {
    /// The request's name, for logs (never its secrets).
    pub(crate) fn action(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Notice { .. } => "notice",
            Request::Kick { .. } => "kick",
            Request::Ban { .. } => "ban",
            Request::Unban { .. } => "unban",
            Request::Users => "users",
            Request::ReloadTls => "reload-tls",
            Request::Metrics => "metrics",
            Request::UserAdd { .. } => "user-add",
            Request::UserPasswd { .. } => "user-passwd",
            Request::UserDelete { .. } => "user-delete",
        }
    }

    /// Whether the request changes something (the audit log records those; reads are only
    /// logged).
    pub(crate) fn is_change(&self) -> bool {
        !matches!(self, Request::Status | Request::Users | Request::Metrics)
    }

    /// The account a request acts on, if any.
    pub(crate) fn user(&self) -> Option<&str> {
        match self {
            Request::Kick { user }
            | Request::Ban { user }
            | Request::Unban { user }
            | Request::UserAdd { user, .. }
            | Request::UserPasswd { user, .. }
            | Request::UserDelete { user } => Some(user),
            Request::Status
            | Request::Notice { .. }
            | Request::Users
            | Request::ReloadTls
            | Request::Metrics => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub(crate) enum Response {
    Done,
    Status {
        database: PathBuf,
        version: String,
    },
    Users {
        users: Vec<OnlineUser>,
    },
    Metrics {
        text: String,
    },
    /// The account name is taken (`user-add`).
    Taken {
        user: String,
    },
    Refused {
        error: String,
    },
}

impl Response {
    pub(crate) fn refused(error: impl std::fmt::Display) -> Response {
        Response::Refused {
            error: error.to_string(),
        }
    }
}
