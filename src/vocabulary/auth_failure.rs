//! Why an authentication failed: the `reason` of fail2ban lines and audit events.

/// Why an authentication failed: the `reason=` of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthFailureReason {
    /// A login line that did not parse, or with an impossible name or password.
    Malformed,
    UnknownUser,
    WrongPassword,
    Banned,
    /// Over the per-address login rate.
    RateLimited,
    /// A session token that was never given (or has ended): a guess, or a stolen old one.
    UnknownSession,
}

impl AuthFailureReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuthFailureReason::Malformed => "malformed",
            AuthFailureReason::UnknownUser => "unknown_user",
            AuthFailureReason::WrongPassword => "wrong_password",
            AuthFailureReason::Banned => "banned",
            AuthFailureReason::RateLimited => "rate_limited",
            AuthFailureReason::UnknownSession => "unknown_session",
        }
    }
}
