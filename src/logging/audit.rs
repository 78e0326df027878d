//! The audit log: one JSON object per line for connections, logins, failures, message metadata
//! (never content, never passwords) and errors, each with the client address and listener.

use std::net::SocketAddr;

use serde_json::Value;

use super::LineFile;
use crate::config::ListenerKind;
use crate::time_format::now_rfc3339;

/// What an audit line records (its `event` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuditKind {
    Connect,
    Disconnect,
    Refused,
    BadInput,
    Register,
    Login,
    LoginFailed,
    Guest,
    Message,
    /// An administrator's command through the admin socket.
    Admin,
    /// A moderation action (from a teacher's client or the admin socket).
    Moderation,
}

impl AuditKind {
    fn as_str(self) -> &'static str {
        match self {
            AuditKind::Connect => "connect",
            AuditKind::Disconnect => "disconnect",
            AuditKind::Refused => "refused",
            AuditKind::BadInput => "bad_input",
            AuditKind::Register => "register",
            AuditKind::Login => "login",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::Guest => "guest",
            AuditKind::Message => "message",
            AuditKind::Admin => "admin",
            AuditKind::Moderation => "moderation",
        }
    }
}

/// One audit event under construction: its fields in the order they were given (`ts` and
/// `event` first), one value per key.
pub(crate) struct AuditEvent {
    fields: Vec<(&'static str, Value)>,
}

impl serde::Serialize for AuditEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, value) in &self.fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl AuditEvent {
    fn of(kind: AuditKind) -> AuditEvent {
        let mut fields = Vec::with_capacity(10);
        fields.push(("ts", now_rfc3339().into()));
        fields.push(("event", kind.as_str().into()));
        AuditEvent { fields }
    }

    /// An event of a connection that has no session (refused at the gate).
    pub(crate) fn new(kind: AuditKind, peer: SocketAddr, listener: ListenerKind) -> AuditEvent {
        AuditEvent::connection(kind, peer.ip().to_string(), peer.port(), listener)
    }

    /// An event of a session, whose address text (`ip`) is already made.
    pub(crate) fn connection(
        kind: AuditKind,
        ip: impl Into<Value>,
        port: u16,
        listener: ListenerKind,
    ) -> AuditEvent {
        AuditEvent::of(kind)
            .with("ip", ip)
            .with("port", port)
            .with("listener", listener.as_str())
    }

    /// An administrator's command (`action` names it, e.g. `ban`).
    pub(crate) fn admin(action: &str) -> AuditEvent {
        AuditEvent::of(AuditKind::Admin).with("action", action)
    }

    /// A moderation action: who did what.
    pub(crate) fn moderation(actor: &str, action: &str) -> AuditEvent {
        AuditEvent::of(AuditKind::Moderation)
            .with("actor", actor)
            .with("action", action)
    }

    pub(crate) fn with(mut self, key: &'static str, value: impl Into<Value>) -> AuditEvent {
        let value = value.into();
        match self
            .fields
            .iter_mut()
            .find(|(existing, _)| *existing == key)
        {
            Some((_, old)) => *old = value,
            None => self.fields.push((key, value)),
        }
        self
    }
}

/// Cheap to clone; a disabled audit log accepts events and drops them.
#[derive(Clone, Default)]
pub(crate) struct Audit {
    file: Option<LineFile>,
}

impl Audit {
    pub(crate) fn new(file: Option<LineFile>) -> Audit {
        Audit { file }
    }

    pub(crate) fn record(&self, event: AuditEvent) {
        if let Some(file) = &self.file {
            match serde_json::to_vec(&event) {
                Ok(line) => file.write_line(line),
                Err(error) => tracing::warn!(%error, "audit event not serialisable"),
            }
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
