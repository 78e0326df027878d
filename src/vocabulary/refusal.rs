//! Why a connection was turned away before its session: the `reason` of logs, audit lines
//! and metrics.

/// Why a connection was turned away before its session (the `reason` of logs and metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Refusal {
    NotAllowed,
    ConnectionRate,
    TooManyFromAddress,
    ServerFull,
    BadProxyHeader,
    HandshakeFailed,
    HandshakeTimeout,
}

impl Refusal {
    pub(crate) const ALL: [Refusal; 7] = [
        Refusal::NotAllowed,
        Refusal::ConnectionRate,
        Refusal::TooManyFromAddress,
        Refusal::ServerFull,
        Refusal::BadProxyHeader,
        Refusal::HandshakeFailed,
        Refusal::HandshakeTimeout,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "not_allowed",
            Refusal::ConnectionRate => "connection_rate_limited",
            Refusal::TooManyFromAddress => "too_many_connections_from_address",
            Refusal::ServerFull => "server_full",
            Refusal::BadProxyHeader => "bad_proxy_header",
            Refusal::HandshakeFailed => "handshake_failed",
            Refusal::HandshakeTimeout => "handshake_timeout",
        }
    }

    /// Refusals worth a warning: someone outside the allowed networks, or a proxy that
    /// sends garbage. The others are routine (limits, stalled or failed handshakes).
    pub(crate) fn is_suspicious(self) -> bool {
        matches!(self, Refusal::NotAllowed | Refusal::BadProxyHeader)
    }
}
