//! The audit log: one JSON object per line for connections, logins, failures, message metadata
//! (never content, never passwords) and errors, each with the client address and listener.

use std::net::SocketAddr;

use serde_json::{Map, Value};

use super::LineFile;
use crate::time_format::now_rfc3339;

/// One audit event under construction.
pub struct AuditEvent {
    fields: Map<String, Value>,
}

impl AuditEvent {
    pub fn new(event: &str, peer: SocketAddr, listener: &str) -> AuditEvent {
        let mut fields = Map::new();
        fields.insert("ts".into(), now_rfc3339().into());
        fields.insert("event".into(), event.into());
        fields.insert("ip".into(), peer.ip().to_string().into());
        fields.insert("port".into(), peer.port().into());
        fields.insert("listener".into(), listener.into());
        AuditEvent { fields }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> AuditEvent {
        self.fields.insert(key.into(), value.into());
        self
    }
}

/// Cheap to clone; a disabled audit log accepts events and drops them.
#[derive(Clone, Default)]
pub struct Audit {
    file: Option<LineFile>,
}

impl Audit {
    pub fn new(file: Option<LineFile>) -> Audit {
        Audit { file }
    }

    pub fn record(&self, event: AuditEvent) {
        if let Some(file) = &self.file {
            match serde_json::to_vec(&event.fields) {
                Ok(line) => file.write_line(line),
                Err(error) => tracing::warn!(%error, "audit event not serialisable"),
            }
        }
    }

    pub fn flush(&self) {
        if let Some(file) = &self.file {
            file.flush();
        }
    }
}
