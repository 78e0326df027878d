//! The label sets of every metric family, and how the server's own kinds and reasons
//! are written as label values.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};

use crate::config::ListenerKind;
use crate::vocabulary::Refusal;

/// How a login attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LoginResult {
    Ok,
    Failed,
}

/// What a rate limit refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RateLimit {
    /// New connections from one address.
    Connections,
    /// Lines from one connection (past it the client is warned, then cut for flooding).
    Messages,
    /// Login and registration attempts from one address.
    Logins,
    /// Logins from one address waiting for a password hash at once.
    PendingLogins,
    /// History and join requests (database reads) from one connection.
    Reads,
    /// Guest names that would reveal whether an account exists.
    NameProbes,
}

impl RateLimit {
    pub(crate) const ALL: [RateLimit; 6] = [
        RateLimit::Connections,
        RateLimit::Messages,
        RateLimit::Logins,
        RateLimit::PendingLogins,
        RateLimit::Reads,
        RateLimit::NameProbes,
    ];
}

/// A log file of the server's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LogName {
    Audit,
    Auth,
}

macro_rules! label_value {
    ($kind:ty, |$value:ident| $text:expr) => {
        impl EncodeLabelValue for $kind {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
                let $value = *self;
                std::fmt::Write::write_str(encoder, $text)
            }
        }
    };
}

label_value!(ListenerKind, |listener| listener.as_str());
label_value!(Refusal, |refusal| refusal.as_str());
label_value!(LoginResult, |result| match result {
    LoginResult::Ok => "ok",
    LoginResult::Failed => "failed",
});
label_value!(RateLimit, |kind| match kind {
    RateLimit::Connections => "connections",
    RateLimit::Messages => "messages",
    RateLimit::Logins => "logins",
    RateLimit::PendingLogins => "pending_logins",
    RateLimit::Reads => "reads",
    RateLimit::NameProbes => "name_probes",
});
label_value!(LogName, |log| match log {
    LogName::Audit => "audit",
    LogName::Auth => "auth",
});

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct BuildLabels {
    pub(super) version: &'static str,
    pub(super) commit: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct LoginLabels {
    pub(super) result: LoginResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct ListenerLabels {
    pub(super) listener: ListenerKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct RefusalLabels {
    pub(super) listener: ListenerKind,
    pub(super) reason: Refusal,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct CloseLabels {
    pub(super) reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct CodeLabels {
    pub(super) code: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct ActionLabels {
    pub(super) action: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct RateLimitLabels {
    pub(super) kind: RateLimit,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(super) struct LogLabels {
    pub(super) log: LogName,
}
