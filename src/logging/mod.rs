//! Logging: human-readable `tracing` output on stderr, plus two files written by background
//! threads: the audit log (one JSON object per event) and the authentication-failure log
//! that fail2ban reads.

mod audit;
mod auth_failure;
mod line_file;

pub(crate) use audit::AuditKind;
pub(crate) use audit::{Audit, AuditEvent};

pub(crate) use auth_failure::{escape_user_text, AuthFailure};
pub(crate) use line_file::LineFile;

use tracing_subscriber::fmt::format::{Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Target of the authentication-failure lines that fail2ban's journal variant reads.
pub(crate) const AUTH_TARGET: &str = "classcord::auth";

/// rustls's own notices, off under the configured level: rustls (its `logging` feature, which
/// ldap3 turns on) would warn once per stunnel connection that sends an IP address as SNI,
/// and the server logs every failed handshake itself. A filter naming rustls
/// (`RUST_LOG=info,rustls=debug`) shows them.
const QUIET_TLS_LIBRARY: &str = "rustls=error";

/// `directives`, with rustls quiet unless they name it.
fn quiet_tls_library(directives: &str) -> String {
    if directives.contains("rustls") {
        directives.to_owned()
    } else {
        format!("{directives},{QUIET_TLS_LIBRARY}")
    }
}

/// Installs the stderr subscriber. `RUST_LOG`, when set, wins over the configured level;
/// neither can hide the authentication-failure lines. Calling it twice (tests) is harmless.
pub fn init_stderr(level: &str) {
    let filter = with_auth_lines(
        std::env::var(EnvFilter::DEFAULT_ENV)
            .ok()
            .and_then(|directives| EnvFilter::try_new(quiet_tls_library(&directives)).ok())
            .or_else(|| EnvFilter::try_new(quiet_tls_library(level)).ok())
            .unwrap_or_else(|| EnvFilter::new(quiet_tls_library("info"))),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    // systemd sets JOURNAL_STREAM when stderr goes to the journal.
    let _ = if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder
            .event_format(JournalPriority(Format::default()))
            .try_init()
    } else {
        builder.try_init()
    };
}

/// `filter`, with the authentication-failure lines always on, whatever it says.
fn with_auth_lines(filter: EnvFilter) -> EnvFilter {
    filter.add_directive(
        format!("{AUTH_TARGET}=warn")
            .parse()
            .expect("a valid directive"),
    )
}

/// For in-process test servers: the same filter, written where the test harness captures
/// output (shown only for a failing test).
pub fn init_for_tests(level: &str) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(with_auth_lines(EnvFilter::new(quiet_tls_library(level))))
        .with_test_writer()
        .try_init();
}

/// Prefixes each line with its syslog priority (`<4>` for a warning), which journald reads
/// and removes (systemd's `SyslogLevelPrefix=`, on by default): `journalctl -p warning`
/// then works, and the whole line, fields included, stays the journal message.
struct JournalPriority<F>(F);

impl<S, N, F> FormatEvent<S, N> for JournalPriority<F>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let priority = match *event.metadata().level() {
            tracing::Level::ERROR => 3,
            tracing::Level::WARN => 4,
            tracing::Level::INFO => 6,
            tracing::Level::DEBUG | tracing::Level::TRACE => 7,
        };
        write!(writer, "<{priority}>")?;
        self.0.format_event(ctx, writer, event)
    }
}
