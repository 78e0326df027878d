//! Accept loops: one per bound address. Each accepted connection passes the gate (allowlist
//! before any byte is read, then the PROXY header of a trusted proxy, then rates and caps),
//! then its transport, then becomes a session. Accept errors (out of file descriptors…) are logged
//! and retried with back-off; they never stop the server.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::address::normalise;
use crate::context::Context;
use crate::proxy_header::{read_header, ProxyHeaderError, ProxyOutcome};
use crate::session::{self, Peer};
use crate::transport::{Established, Transport};
use crate::vocabulary::Refusal;

const MIN_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Accepts until `stop` is cancelled.
pub(crate) async fn accept_loop<T: Transport>(
    listener: TcpListener,
    transport: Arc<T>,
    ctx: Arc<Context>,
    tracker: TaskTracker,
    stop: CancellationToken,
) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((tcp, addr)) => {
                backoff = MIN_BACKOFF;
                let transport = Arc::clone(&transport);
                let ctx = Arc::clone(&ctx);
                tracker.spawn(admit(tcp, addr, transport, ctx));
            }
            Err(error) if is_per_connection(&error) => {
                tracing::debug!(%error, "accept: connection failed before it was accepted");
            }
            Err(error) => {
                tracing::error!(%error, listener = transport.kind().as_str(), retry_ms = backoff.as_millis() as u64,
                    "accept failed; retrying");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Errors that concern one connection only.
fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

async fn admit<T: Transport>(
    mut tcp: TcpStream,
    peer: SocketAddr,
    transport: Arc<T>,
    ctx: Arc<Context>,
) {
    let listener = transport.kind();
    let peer = SocketAddr::new(normalise(peer.ip()), peer.port());
    if !ctx.gate.is_allowed(peer.ip()) {
        return ctx.record_refusal(Refusal::NotAllowed, peer, listener, None);
    }
    // The PROXY header and the handshake share one deadline.
    let deadline = tokio::time::Instant::now() + ctx.config.handshake_timeout();
    let proxied = ctx.config.listen.proxy_protocol.contains(&listener)
        && ctx.gate.is_trusted_proxy(peer.ip());
    let addr = if proxied {
        // While the header is read, the connection counts against the relay's own caps.
        let relay_permit = match ctx.gate.admit(peer.ip()) {
            Ok(permit) => permit,
            Err(refusal) => return ctx.record_refusal(refusal, peer, listener, None),
        };
        // Boxed, as the handshake below: their state lives only while they run, not in
        // every connection's task for its whole life.
        let client = Box::pin(proxied_client(&mut tcp, peer, deadline)).await;
        drop(relay_permit);
        match client {
            Ok(addr) => addr,
            Err(error) => {
                return ctx.record_refusal(
                    Refusal::BadProxyHeader,
                    peer,
                    listener,
                    Some(error.to_string()),
                )
            }
        }
    } else {
        peer
    };
    let mut permit = match ctx.gate.admit(addr.ip()) {
        Ok(permit) => permit,
        Err(refusal) => return ctx.record_refusal(refusal, addr, listener, None),
    };
    let _ = tcp.set_nodelay(true);
    set_keepalive(&tcp, ctx.config.tcp_keepalive());
    let mut addr = addr;
    let stream = match tokio::time::timeout_at(deadline, Box::pin(transport.establish(tcp))).await {
        Ok(Ok(Established::Session(stream))) => stream,
        Ok(Ok(Established::Forwarded(stream, client))) => {
            // The proxy's place goes to the client it named, who passes the gate in turn.
            let client = SocketAddr::new(normalise(client), 0);
            tracing::debug!(%client, proxy = %addr, "X-Forwarded-For accepted");
            if !ctx.gate.is_allowed(client.ip()) {
                return ctx.record_refusal(Refusal::NotAllowed, client, listener, None);
            }
            drop(permit);
            permit = match ctx.gate.admit(client.ip()) {
                Ok(permit) => permit,
                Err(refusal) => return ctx.record_refusal(refusal, client, listener, None),
            };
            addr = client;
            stream
        }
        Ok(Ok(Established::Answered)) => return,
        Ok(Err(error)) => {
            return ctx.record_refusal(
                Refusal::HandshakeFailed,
                addr,
                listener,
                Some(error.to_string()),
            )
        }
        Err(_) => return ctx.record_refusal(Refusal::HandshakeTimeout, addr, listener, None),
    };
    ctx.metrics.accepted(listener);
    session::serve(stream, Peer::new(addr, listener), ctx, permit).await;
}

/// Turns on TCP keepalive, so that a peer that vanished (a PC switched off, a cable pulled)
/// is noticed and its connection closed: about `idle` plus five probes ten seconds apart.
fn set_keepalive(tcp: &TcpStream, idle: Duration) {
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval(Duration::from_secs(10))
        .with_retries(5);
    if let Err(error) = socket2::SockRef::from(tcp).set_tcp_keepalive(&keepalive) {
        tracing::debug!(%error, "cannot enable TCP keepalive");
    }
}

/// The client address a trusted proxy announces, or the proxy's own when it sends no header.
async fn proxied_client(
    tcp: &mut TcpStream,
    proxy: SocketAddr,
    deadline: tokio::time::Instant,
) -> Result<SocketAddr, ProxyHeaderError> {
    Ok(match read_header(tcp, deadline).await? {
        ProxyOutcome::Client(client) => {
            let client = SocketAddr::new(normalise(client.ip()), client.port());
            tracing::debug!(%client, %proxy, "PROXY header accepted");
            client
        }
        ProxyOutcome::Local | ProxyOutcome::NoHeader => proxy,
    })
}
