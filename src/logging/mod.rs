//! Logging: human-readable `tracing` output on stderr, plus two files written by background
//! threads: the audit log (one JSON object per event) and the authentication-failure log
//! that fail2ban reads.

mod audit;
mod auth_failure;
mod line_file;

pub(crate) use audit::AuditKind;
pub(crate) use audit::{Audit, AuditEvent};
pub(crate) use auth_failure::AuthFailureReason;
pub(crate) use auth_failure::{escape_user_text, AuthFailure};
pub(crate) use line_file::LineFile;

use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber. `RUST_LOG`, when set, wins over the configured level.
/// Calling it twice (tests) is harmless.
pub fn init_stderr(level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
