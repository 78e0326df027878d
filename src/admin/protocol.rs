//! The admin socket's protocol: one JSON [`Request`] per line in, one JSON [`Response`] per
//! line out. The same types serialise on one end and parse on the other.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use classcord_protocol::Role;

use crate::store::{AccountMessages, ModerationEntry, PersonExport, RosterWrite};
use crate::vocabulary::{OnlineUser, ReportListing};

/// Also the subcommands of `classcord admin` (the account variants are for `classcord user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "command", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    /// Check that the server answers: prints its version and database, exits non-zero when
    /// it does not answer (container and monitoring health checks).
    Status,
    /// Send a notice to every connected user (legacy clients see a message from "Serveur").
    Notice { text: String },
    /// Disconnect a user now; with --duration, they cannot come back until it ends.
    Kick {
        user: String,
        /// How long they stay out: 30s, 10m, 2h, 1d.
        #[arg(long)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<String>,
        /// Told to the user and kept in the moderation log.
        #[arg(long)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Ban an account (a guest: its address) and disconnect it.
    Ban {
        user: String,
        #[arg(long)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Lift a ban or a timed kick.
    Unban { user: String },
    /// Refuse a user's messages, for --duration or until unmute.
    Mute {
        user: String,
        #[arg(long)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<String>,
    },
    /// Let a muted user write again.
    Unmute { user: String },
    /// Stop the server after a countdown announced to everyone ("cancel" stops it).
    Shutdown {
        /// Seconds (or 2m, 1h) before the stop, or "cancel".
        #[arg(value_name = "SECONDS|cancel")]
        when: String,
        /// Said with every announcement.
        #[arg(long)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Run any teacher's slash command as the console, e.g. "/room create #maths moderated".
    Run { slash: String },
    /// Print the last moderation actions (who, what, whom, how long, why, when).
    Log {
        #[arg(long, default_value_t = 50)]
        #[serde(default = "default_log_limit")]
        limit: u32,
    },
    /// Print the last messages reported to the teachers (who, whose, where, the text, why).
    Reports {
        #[arg(long, default_value_t = 50)]
        #[serde(default = "default_log_limit")]
        limit: u32,
    },
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
    /// Delete an account and disconnect it; its messages stay unless `messages` is
    /// `erase` (an erasure request).
    #[command(skip)]
    UserDelete {
        user: String,
        #[serde(default)]
        messages: AccountMessages,
    },
    /// Everything stored about a person (account, role, dates, rooms, sanctions, reports,
    /// messages sent and received), for an access request.
    #[command(skip)]
    UserExport { user: String },
    /// Give an account a role; it has (or loses) the rights at once.
    #[command(skip)]
    UserRole { user: String, role: Role },
    /// A class list's accounts (passwords hashed by the client), rooms and memberships,
    /// written all or nothing.
    #[command(skip)]
    UserImport { write: RosterWrite },
}

fn default_log_limit() -> u32 {
    50
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
            Request::Mute { .. } => "mute",
            Request::Unmute { .. } => "unmute",
            Request::Shutdown { .. } => "shutdown",
            Request::Run { .. } => "run",
            Request::Log { .. } => "log",
            Request::Reports { .. } => "reports",
            Request::UserRole { .. } => "user-role",
            Request::Users => "users",
            Request::ReloadTls => "reload-tls",
            Request::Metrics => "metrics",
            Request::UserAdd { .. } => "user-add",
            Request::UserPasswd { .. } => "user-passwd",
            Request::UserDelete {
                messages: AccountMessages::Erase,
                ..
            } => "user-erase",
            Request::UserDelete { .. } => "user-delete",
            Request::UserExport { .. } => "user-export",
            Request::UserImport { .. } => "user-import",
        }
    }

    /// Whether the request changes something (the audit log records those; reads are only
    /// logged).
    pub(crate) fn is_change(&self) -> bool {
        !matches!(
            self,
            Request::Status
                | Request::Users
                | Request::Metrics
                | Request::Log { .. }
                | Request::Reports { .. }
        )
    }

    /// The account a request acts on, if any.
    pub(crate) fn user(&self) -> Option<&str> {
        match self {
            Request::Kick { user, .. }
            | Request::Ban { user, .. }
            | Request::Unban { user }
            | Request::Mute { user, .. }
            | Request::Unmute { user }
            | Request::UserAdd { user, .. }
            | Request::UserPasswd { user, .. }
            | Request::UserDelete { user, .. }
            | Request::UserExport { user }
            | Request::UserRole { user, .. } => Some(user),
            Request::Status
            | Request::Notice { .. }
            | Request::Users
            | Request::ReloadTls
            | Request::Metrics
            | Request::Shutdown { .. }
            | Request::Run { .. }
            | Request::UserImport { .. }
            | Request::Reports { .. }
            | Request::Log { .. } => None,
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
    /// A moderation action's answer, one line each.
    Said {
        lines: Vec<String>,
    },
    Log {
        entries: Vec<ModerationEntry>,
    },
    Reports {
        reports: Vec<ReportListing>,
    },
    Export {
        export: Box<PersonExport>,
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
