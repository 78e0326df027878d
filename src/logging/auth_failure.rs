//! The authentication-failure line that `security/fail2ban/filter.d/classcord.conf` matches:
//!
//! ```text
//! 2026-11-21T13:08:33.123Z classcord auth_failure ip=192.168.1.20 port=51234 listener=plain reason=wrong_password user="bob"
//! ```
//!
//! The address comes first, right after fixed text; the only user-controlled text is last,
//! quoted, and escaped so it can hold no newline, quote, control character or ANSI escape.

use std::net::SocketAddr;

use super::LineFile;
use crate::config::ListenerKind;
use crate::time_format::now_rfc3339;
use crate::vocabulary::AuthFailureReason;

/// Writes failure lines to stderr (through `tracing`) and to the auth log file.
#[derive(Clone, Default)]
pub(crate) struct AuthFailure {
    file: Option<LineFile>,
}

impl AuthFailure {
    pub(crate) fn new(file: Option<LineFile>) -> AuthFailure {
        AuthFailure { file }
    }

    pub(crate) fn record(
        &self,
        peer: SocketAddr,
        listener: ListenerKind,
        reason: AuthFailureReason,
        user: &str,
    ) {
        let body = format!(
            "auth_failure ip={} port={} listener={} reason={} user=\"{}\"",
            peer.ip(),
            peer.port(),
            listener.as_str(),
            reason.as_str(),
            escape_user_text(user)
        );
        tracing::warn!(target: super::AUTH_TARGET, "{body}");
        if let Some(file) = &self.file {
            file.write_line(format!("{} classcord {body}", now_rfc3339()).into_bytes());
        }
    }

    pub(crate) fn flush(&self) {
        if let Some(file) = &self.file {
            file.flush();
        }
    }

    /// Lines that never reached the file (0 when there is none).
    pub(crate) fn dropped_lines(&self) -> u64 {
        self.file.as_ref().map_or(0, LineFile::dropped)
    }

    /// Opens the file again by name (after logrotate renamed it).
    pub(crate) fn reopen(&self) -> std::io::Result<()> {
        match &self.file {
            Some(file) => file.reopen(),
            None => Ok(()),
        }
    }
}

/// Keeps letters, digits, ASCII punctuation and spaces; everything else (quotes, backslashes,
/// control characters, line and paragraph separators, invisible characters) becomes `\u{..}`.
pub(crate) fn escape_user_text(text: &str) -> String {
    const MAX_CHARS: usize = 128;
    let mut out = String::with_capacity(text.len());
    for c in text.chars().take(MAX_CHARS) {
        let keep =
            (c.is_ascii_graphic() || c == ' ' || c.is_alphanumeric()) && c != '"' && c != '\\';
        if keep {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    if text.chars().count() > MAX_CHARS {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_user_text;

    #[test]
    fn hostile_text_is_neutralised() {
        let escaped = escape_user_text("a\"b\\c\nd\re\u{1b}[31m\u{2028}f\u{85}");
        assert!(!escaped.contains(['"', '\n', '\r', '\u{1b}', '\u{2028}', '\u{85}']));
        assert!(!escaped.replace("\\u{", "").contains('\\'));
        assert_eq!(escape_user_text("Invité_Zoé 2"), "Invité_Zoé 2");
    }
}
