//! One task per connection: reads frames, turns them into commands, and answers through the
//! connection's bounded outbound queue, which a second task writes to the socket.

mod act;
mod commands;
pub(crate) mod frame;
mod writer;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_util::codec::FramedRead;

use classcord_protocol::Dialect;

use crate::chat::{Closer, ConnId, LineQueue, Outbound, QueueLimits};
use crate::context::Context;
use crate::gate::ConnectionPermit;
use crate::gate::{LineBudget, ReadBudget};
use crate::logging::{AuditEvent, AuditKind};
use crate::metrics::RateLimit;
use crate::transport::ListenerKind;
use crate::vocabulary::{AuthFailureReason, CloseReason, Refused};
use frame::{Frame, LineCodec};

/// Bytes of read buffer a connection starts with (grows up to the maximum line).
const READ_BUFFER: usize = 1024;

/// Where a connection comes from.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// The client's address (from the PROXY header when a trusted proxy sent one).
    pub(crate) addr: SocketAddr,
    /// The address's IP as text, made once: every message stores and audits it.
    pub(crate) ip_text: Arc<str>,
    /// The listener that accepted it.
    pub(crate) listener: ListenerKind,
}

impl Peer {
    pub(crate) fn new(addr: SocketAddr, listener: ListenerKind) -> Peer {
        Peer {
            addr,
            ip_text: addr.ip().to_string().into(),
            listener,
        }
    }

    /// An audit event of this connection (address, port, listener).
    pub(crate) fn audit(&self, kind: AuditKind) -> AuditEvent {
        AuditEvent::connection(kind, &*self.ip_text, self.addr.port(), self.listener)
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum End {
    ClientClosed,
    ReadError(std::io::Error),
    IdentifyTimeout,
    /// Unidentified, and bytes that never became a line.
    UnfinishedLine,
    Shutdown,
    Closed(CloseReason),
}

impl End {
    fn as_str(&self) -> &'static str {
        match self {
            End::ClientClosed => "client_closed",
            End::ReadError(_) => "read_error",
            End::IdentifyTimeout => "identify_timeout",
            End::UnfinishedLine => "unfinished_line",
            End::Shutdown => "shutdown",
            End::Closed(reason) => reason.as_str(),
        }
    }
}

/// Serves one connection until it closes. `permit` holds its place in the gate's counts.
pub(crate) async fn serve<S>(stream: S, peer: Peer, ctx: Arc<Context>, permit: ConnectionPermit)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (reader, write_half) = tokio::io::split(stream);
    let queue = LineQueue::new(QueueLimits {
        lines: ctx.config.limits.outbound_queue,
        presence_bytes: ctx.config.limits.outbound_presence_bytes,
        soft_bytes: ctx.config.limits.outbound_queue_bytes,
        hard_bytes: ctx.config.limits.outbound_queue_hard_bytes,
        stall: ctx.config.slow_consumer_stall(),
    });
    let closer = Arc::new(Closer::default());
    let outbound = Outbound::new(Arc::clone(&queue), Arc::clone(&closer));
    let mut writer_task = tokio::spawn(writer::run(write_half, Arc::clone(&queue)));
    let id = ctx.chat.attach(peer.addr, outbound.clone());
    let _counted = ctx.metrics.session_open(peer.listener);
    ctx.audit.record(peer.audit(AuditKind::Connect));
    let listener = peer.listener.as_str();
    tracing::debug!(peer = %peer.addr, listener, "connection opened");

    let mut session = Session::new(id, peer.clone(), Arc::clone(&ctx), outbound);
    let end = session.read_loop(reader, &closer).await;
    let user = session.identity_name();
    ctx.chat.detach(id);
    drop(session);
    queue.finish();

    // Let queued lines (errors, the shutdown notice) reach the client, within limits.
    if matches!(end, End::Closed(CloseReason::SlowConsumer)) {
        writer_task.abort();
    } else {
        let grace = Duration::from_secs(ctx.config.server.shutdown_grace_secs.max(1));
        if tokio::time::timeout(grace, &mut writer_task).await.is_err() {
            writer_task.abort();
        }
    }
    let mut event = peer
        .audit(AuditKind::Disconnect)
        .with("reason", end.as_str());
    if let Some(user) = &user {
        event = event.with("user", user.as_str());
    }
    ctx.audit.record(event);
    ctx.metrics.closed(end.as_str());
    match &end {
        End::Closed(CloseReason::SlowConsumer) => tracing::warn!(
            peer = %peer.addr, listener, user = ?user,
            "slow consumer disconnected: it stopped reading what it is sent"
        ),
        End::Closed(CloseReason::Flooding) => tracing::warn!(
            peer = %peer.addr, listener, user = ?user,
            "connection closed for flooding"
        ),
        End::IdentifyTimeout => tracing::info!(
            peer = %peer.addr, listener, "closed: connection did not identify in time"
        ),
        End::UnfinishedLine => tracing::info!(
            peer = %peer.addr, listener,
            "closed: unidentified connection left a line unfinished"
        ),
        End::ReadError(error) => tracing::debug!(peer = %peer.addr, %error, "read error"),
        _ => tracing::debug!(peer = %peer.addr, reason = end.as_str(), "connection closed"),
    }
    drop(permit);
}

/// Per-connection protocol state.
struct Session {
    id: ConnId,
    peer: Peer,
    ctx: Arc<Context>,
    outbound: Outbound,
    identified: bool,
    /// The session this connection was given or logged in with (a logout ends it).
    session: Option<crate::store::TokenHash>,
    /// When the last well-formed request arrived (or the connection opened).
    last_request: Instant,
    /// Budget of requests that read the database.
    reads: ReadBudget,
    /// This connection's own budget of lines (the address has an outer one).
    lines: LineBudget,
    /// Lines refused by the rate limit in the current flood window.
    flood_strikes: u32,
    flood_window_start: Instant,
}

/// Flood strikes are counted over windows of this length.
const FLOOD_WINDOW: Duration = Duration::from_secs(10);

impl Session {
    fn new(id: ConnId, peer: Peer, ctx: Arc<Context>, outbound: Outbound) -> Session {
        let reads = crate::gate::per_connection_budget(
            ctx.config.limits.reads_per_second,
            ctx.config.limits.read_burst,
        );
        let lines = ctx.gate.line_budget(
            peer.addr.ip(),
            ctx.config.gate.messages_per_connection_per_second,
            ctx.config.gate.message_burst_per_connection,
        );
        Session {
            id,
            peer,
            ctx,
            outbound,
            identified: false,
            session: None,
            last_request: Instant::now(),
            reads,
            lines,
            flood_strikes: 0,
            flood_window_start: Instant::now(),
        }
    }

    /// What this connection speaks (stored once, with the chat core's member).
    fn dialect(&self) -> Dialect {
        self.ctx.chat.dialect(self.id)
    }

    fn identity_name(&self) -> Option<String> {
        self.ctx.chat.identity(self.id).name().map(str::to_owned)
    }

    async fn read_loop<R: AsyncRead + Unpin>(&mut self, reader: R, closer: &Closer) -> End {
        let codec = LineCodec::new(self.ctx.config.limits.max_line_bytes);
        let mut frames = FramedRead::with_capacity(reader, codec, READ_BUFFER);
        let first_check = self
            .ctx
            .config
            .unfinished_line_timeout()
            .min(self.ctx.config.identify_timeout());
        let check = tokio::time::sleep(first_check);
        tokio::pin!(check);
        loop {
            let frame = tokio::select! {
                biased;
                _ = closer.closed() => {
                    return End::Closed(closer.reason().unwrap_or(CloseReason::SlowConsumer));
                }
                _ = self.ctx.shutdown.cancelled() => return End::Shutdown,
                _ = &mut check, if !self.identified => {
                    match self.unidentified_deadline(frames.decoder()) {
                        Deadline::Next(at) => check.as_mut().reset(at),
                        Deadline::Passed(end) => return end,
                    }
                    continue;
                }
                frame = frames.next() => frame,
            };
            match frame {
                None => return End::ClientClosed,
                Some(Err(error)) => return End::ReadError(error),
                Some(Ok(Frame::TooLong)) => {
                    let max = self.ctx.config.limits.max_line_bytes;
                    self.refuse(&Refused::LineTooLong { max_bytes: max });
                }
                Some(Ok(Frame::Line(line))) => {
                    if !self
                        .ctx
                        .gate
                        .allow_message(&self.lines, self.peer.addr.ip())
                    {
                        if self.flood_strike() {
                            self.ctx.gate.flooded_from(self.peer.addr.ip());
                            closer.close(CloseReason::Flooding);
                        }
                        continue;
                    }
                    match classcord_protocol::parse_line(&line) {
                        Ok(command) => {
                            self.last_request = Instant::now();
                            // Boxed: a command's state (a login waiting for its hash, a
                            // history read) lives while it runs, not in the state of every
                            // idle connection.
                            if let Err(error) = Box::pin(self.dispatch(command)).await {
                                self.reply_error(&error);
                            }
                        }
                        Err(error) => {
                            if let Some(user) = classcord_protocol::malformed_login_user(&line) {
                                self.ctx.auth_failures.record(
                                    self.peer.addr,
                                    self.peer.listener,
                                    AuthFailureReason::Malformed,
                                    &user,
                                );
                            }
                            self.refuse(&Refused::from(error));
                        }
                    }
                }
            }
        }
    }

    /// For a connection that has not identified yet: closes it when it has left a line
    /// unfinished for too long (a real client sends whole lines) or has sent no well-formed
    /// request for the identify timeout (long: students take their time at a login window);
    /// otherwise says when to look again.
    fn unidentified_deadline(&self, codec: &LineCodec) -> Deadline {
        let now = Instant::now();
        let unfinished = self.ctx.config.unfinished_line_timeout();
        let unfinished_deadline = codec.unfinished_since().map(|since| since + unfinished);
        if unfinished_deadline.is_some_and(|at| at <= now) {
            self.reply_error(&Refused::UnfinishedLine);
            return Deadline::Passed(End::UnfinishedLine);
        }
        let idle_deadline = self.last_request + self.ctx.config.identify_timeout();
        if idle_deadline <= now {
            self.reply_error(&Refused::IdentifyTimeout);
            return Deadline::Passed(End::IdentifyTimeout);
        }
        // Bytes that arrive without finishing a line do not wake this task: look again
        // within one unfinished-line timeout.
        let next = unfinished_deadline.unwrap_or(now + unfinished);
        Deadline::Next(next.min(idle_deadline))
    }

    /// Counts a rate-limited line; true when the connection should be closed.
    fn flood_strike(&mut self) -> bool {
        if self.flood_window_start.elapsed() > FLOOD_WINDOW {
            self.flood_window_start = Instant::now();
            self.flood_strikes = 0;
        }
        self.flood_strikes += 1;
        self.ctx.metrics.rate_limited(RateLimit::Messages);
        if self.flood_strikes == 1 {
            tracing::info!(
                peer = %self.peer.addr, listener = self.peer.listener.as_str(),
                "refused: message rate limit reached"
            );
        }
        self.reply_error(&Refused::TooManyMessages);
        self.flood_strikes >= self.ctx.config.gate.flood_disconnect_after
    }

    /// Answers a malformed line and notes it in the audit log.
    fn refuse(&self, refused: &Refused) {
        let code = refused.code().as_str();
        self.ctx
            .audit
            .record(self.peer.audit(AuditKind::BadInput).with("code", code));
        tracing::debug!(peer = %self.peer.addr, code, "bad input");
        self.ctx.metrics.bad_input();
        self.reply_error(refused);
    }

    fn reply(&self, line: Bytes) {
        self.outbound.push(line);
    }

    /// Answers a refusal in this connection's dialect: legacy clients get no line for the
    /// well-formed requests the original server ignored.
    fn reply_error(&self, refused: &Refused) {
        match self.ctx.renderer.refusal(self.dialect(), refused) {
            Some(line) => self.reply(line),
            None => {
                let code = refused.code().as_str();
                tracing::debug!(peer = %self.peer.addr, code, "legacy request ignored");
                self.ctx.metrics.ignored(code);
            }
        }
    }
}

/// What [`Session::unidentified_deadline`] decided.
enum Deadline {
    Next(Instant),
    Passed(End),
}
