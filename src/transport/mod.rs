//! Transports turn an accepted TCP stream into the byte stream a session reads and writes.
//! Plain TCP is the identity; TLS runs a rustls handshake; Web upgrades an HTTP request to a
//! WebSocket (over either). Nothing above this layer knows which one it got.

mod plain;
mod tls;
mod web;
mod websocket;

use std::future::Future;
use std::io;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

pub(crate) use plain::Plain;
pub(crate) use tls::TlsError;
pub(crate) use tls::{server_config, CertificatePaths, Tls};
pub(crate) use web::{host_name, Web, WebSettings};

pub(crate) use crate::config::ListenerKind;

pub(crate) trait Transport: Send + Sync + 'static {
    type Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static;

    fn kind(&self) -> ListenerKind;

    /// Prepares an accepted connection (for TLS: the handshake). Callers bound it in time.
    fn establish(
        &self,
        tcp: TcpStream,
    ) -> impl Future<Output = io::Result<Established<Self::Stream>>> + Send;
}

/// What an accepted connection became.
pub(crate) enum Established<S> {
    /// A byte stream for a session.
    Session(S),
    /// A byte stream for a session of the client a trusted proxy named (`X-Forwarded-For`).
    Forwarded(S, std::net::IpAddr),
    /// Served without a session (the web client's files), and finished.
    Answered,
}
