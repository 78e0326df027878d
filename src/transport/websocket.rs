//! A WebSocket as the session's byte stream, with no task or pipe between them: reading
//! turns each text frame into one line, writing frames each line the session writes as one
//! text frame (every line of a batch in one buffer, so a fan-out burst is one system call).
//! Frame headers are tungstenite's; pings every interval, a browser silent for two is gone;
//! binary, oversize and malformed frames end the stream with the close frame saying why.

use std::future::Future;
use std::io::{self, Cursor, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tungstenite::protocol::frame::FrameHeader;

/// First size of the read buffer (it grows for longer frames): most connections sit idle.
const IDLE_BUFFER_BYTES: usize = 1024;
/// A buffer larger than this is let go once empty: an idle connection keeps no large buffer.
const KEPT_BUFFER_BYTES: usize = 64 * 1024;
/// The longest header of a server frame (no mask, a 64-bit length).
const MAX_HEADER_BYTES: usize = 10;
/// How long a closing stream waits for the browser's own close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Why the stream closes the WebSocket (the close frame's code and reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    /// The session ended (logout, kick, shutdown): its last lines were sent first.
    SessionEnded,
    /// The browser closed first: its close frame is answered.
    BrowserClosed,
    Binary,
    TooBig,
    Silent,
    Protocol,
}

impl Closing {
    fn code_and_reason(self, max_frame_bytes: usize) -> (u16, String) {
        match self {
            Closing::SessionEnded | Closing::BrowserClosed => (1000, "closed".to_owned()),
            Closing::Binary => (
                1003,
                "text frames only: one JSON object per frame".to_owned(),
            ),
            Closing::TooBig => (
                1009,
                format!("frame too large: at most {max_frame_bytes} bytes"),
            ),
            Closing::Silent => (1001, "no answer to ping".to_owned()),
            Closing::Protocol => (1002, "WebSocket protocol error".to_owned()),
        }
    }
}

/// The server's side of a WebSocket connection, read and written as lines.
pub(crate) struct WebSocketLines<S> {
    io: S,
    max_frame_bytes: usize,
    /// Bytes read from the socket, not yet parsed into frames.
    input: BytesMut,
    /// The line of the last text frame, with its `\n`, not yet all read by the session.
    line: Vec<u8>,
    line_read: usize,
    /// A fragmented text message being put together.
    fragments: Option<Vec<u8>>,
    /// Frames waiting for the socket, and how much of them it took.
    output: Vec<u8>,
    output_written: usize,
    /// The start of a line the session wrote without its end yet.
    unfinished: Vec<u8>,
    ping: tokio::time::Interval,
    silent_intervals: u32,
    /// Set once the close frame is queued: reads end, the browser's close is awaited.
    closing: Option<Closing>,
    /// While closing: until when the browser's close frame is awaited.
    grace: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WebSocketLines<S> {
    pub(crate) fn new(io: S, max_frame_bytes: usize, ping_interval: Duration) -> Self {
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_interval, ping_interval);
        // A busy runtime delays ticks; it must not count them twice.
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        WebSocketLines {
            io,
            max_frame_bytes,
            input: BytesMut::new(),
            line: Vec::new(),
            line_read: 0,
            fragments: None,
            output: Vec::new(),
            output_written: 0,
            unfinished: Vec::new(),
            ping,
            silent_intervals: 0,
            closing: None,
            grace: None,
        }
    }

    /// Queues one server frame (never masked).
    fn queue(&mut self, opcode: OpCode, payload: &[u8]) {
        let header = FrameHeader {
            opcode,
            ..FrameHeader::default()
        };
        // Writing to a Vec cannot fail.
        let _ = header.format(payload.len() as u64, &mut self.output);
        self.output.extend_from_slice(payload);
    }

    /// Queues the close frame (once) and ends the reading side.
    fn close(&mut self, closing: Closing) {
        if self.closing.is_some() {
            return;
        }
        let (code, reason) = closing.code_and_reason(self.max_frame_bytes);
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason.as_bytes());
        self.queue(OpCode::Control(Control::Close), &payload);
        self.closing = Some(closing);
    }

    /// Frames a line the session wrote (without its `\n`), after what it wrote before of it.
    fn queue_line(&mut self, end: &[u8]) {
        if self.unfinished.is_empty() {
            self.queue(OpCode::Data(Data::Text), end);
        } else {
            let mut line = std::mem::take(&mut self.unfinished);
            line.extend_from_slice(end);
            self.queue(OpCode::Data(Data::Text), &line);
        }
    }

    /// Takes one whole frame from the input, if there is one, and acts on it. `Ok(false)`:
    /// more bytes are needed.
    fn take_frame(&mut self) -> Result<bool, Closing> {
        let mut cursor = Cursor::new(&self.input[..]);
        let (header, length) = match FrameHeader::parse(&mut cursor) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return Ok(false),
            Err(_) => return Err(Closing::Protocol),
        };
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        if length > self.max_frame_bytes {
            return Err(Closing::TooBig);
        }
        let start = cursor.position() as usize;
        if self.input.len() - start < length {
            self.input.reserve(start + length - self.input.len());
            return Ok(false);
        }
        // A browser's frames are masked; the extensions' bits are never set.
        let Some(mask) = header.mask else {
            return Err(Closing::Protocol);
        };
        if header.rsv1 || header.rsv2 || header.rsv3 {
            return Err(Closing::Protocol);
        }
        self.input.advance(start);
        let mut payload = self.input.split_to(length);
        if self.input.is_empty() && self.input.capacity() > KEPT_BUFFER_BYTES {
            // A long frame passed: an idle connection keeps no large buffer.
            self.input = BytesMut::new();
        }
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i % 4];
        }
        self.silent_intervals = 0;
        match header.opcode {
            OpCode::Data(Data::Text) if self.fragments.is_none() => {
                if header.is_final {
                    self.deliver(&payload)?;
                } else {
                    self.fragments = Some(payload.to_vec());
                }
            }
            OpCode::Data(Data::Continue) => {
                let Some(mut message) = self.fragments.take() else {
                    return Err(Closing::Protocol);
                };
                if message.len() + payload.len() > self.max_frame_bytes {
                    return Err(Closing::TooBig);
                }
                message.extend_from_slice(&payload);
                if header.is_final {
                    self.deliver(&message)?;
                } else {
                    self.fragments = Some(message);
                }
            }
            OpCode::Data(Data::Binary) => return Err(Closing::Binary),
            OpCode::Control(Control::Ping) if header.is_final && length <= 125 => {
                self.queue(OpCode::Control(Control::Pong), &payload);
            }
            OpCode::Control(Control::Pong) => {}
            OpCode::Control(Control::Close) => return Err(Closing::BrowserClosed),
            _ => return Err(Closing::Protocol),
        }
        Ok(true)
    }

    /// A text message becomes the next line (one line: its own line breaks are spaces).
    fn deliver(&mut self, text: &[u8]) -> Result<(), Closing> {
        if std::str::from_utf8(text).is_err() {
            return Err(Closing::Protocol);
        }
        self.line.clear();
        self.line.extend(text.iter().map(|&b| match b {
            b'\n' | b'\r' => b' ',
            other => other,
        }));
        self.line.push(b'\n');
        self.line_read = 0;
        Ok(())
    }
}

impl<S: AsyncWrite + Unpin> WebSocketLines<S> {
    /// Writes queued frames until none is left or the socket is full.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.output_written < self.output.len() {
            let written =
                ready!(Pin::new(&mut self.io).poll_write(cx, &self.output[self.output_written..]))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.output_written += written;
        }
        self.output.clear();
        self.output_written = 0;
        if self.output.capacity() > KEPT_BUFFER_BYTES {
            // A burst passed: an idle connection keeps no large buffer.
            self.output = Vec::new();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WebSocketLines<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.line_read < this.line.len() {
                let rest = &this.line[this.line_read..];
                let count = rest.len().min(buf.remaining());
                buf.put_slice(&rest[..count]);
                this.line_read += count;
                return Poll::Ready(Ok(()));
            }
            if this.closing.is_some() {
                // The end of the input: the session ends and shuts the stream down.
                return Poll::Ready(Ok(()));
            }
            while this.ping.poll_tick(cx).is_ready() {
                this.silent_intervals += 1;
                if this.silent_intervals > 2 {
                    this.close(Closing::Silent);
                } else {
                    this.queue(OpCode::Control(Control::Ping), &[]);
                }
            }
            if this.closing.is_none() {
                match this.take_frame() {
                    Ok(true) => {
                        // A pong to send, perhaps: the socket takes what it can now.
                        if let Poll::Ready(Err(error)) = this.poll_drain(cx) {
                            return Poll::Ready(Err(error));
                        }
                        continue;
                    }
                    Ok(false) => {}
                    Err(closing) => this.close(closing),
                }
            }
            if this.closing.is_some() {
                let _ = this.poll_drain(cx);
                continue;
            }
            if let Poll::Ready(Err(error)) = this.poll_drain(cx) {
                return Poll::Ready(Err(error));
            }
            if this.input.capacity() - this.input.len() < IDLE_BUFFER_BYTES / 2 {
                this.input.reserve(IDLE_BUFFER_BYTES);
            }
            let filled = {
                let spare = this.input.spare_capacity_mut();
                let mut read = ReadBuf::uninit(spare);
                ready!(Pin::new(&mut this.io).poll_read(cx, &mut read))?;
                read.filled().len()
            };
            if filled == 0 {
                // The browser went without a close frame.
                this.closing = Some(Closing::BrowserClosed);
                return Poll::Ready(Ok(()));
            }
            // SAFETY: the inner stream initialised `filled` bytes of the spare capacity.
            unsafe { this.input.set_len(this.input.len() + filled) };
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WebSocketLines<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // Frames of an earlier write still waiting leave before any more are made: the buffer
        // holds one write's frames at most and never grows (copying them) while the socket is
        // full; the lines wait in the session's queue meanwhile, shared, uncopied.
        ready!(this.poll_drain(cx))?;
        // Room for every frame at once (a buffer can hold a whole run of lines: the frames of
        // lines of 24 bytes or more are at most an eighth longer). The buffer is empty here: a
        // new one is allocated rather than the old one grown, which would copy its old bytes.
        let taken: usize = bufs.iter().map(|buf| buf.len()).sum();
        let room = taken + taken / 8 + MAX_HEADER_BYTES;
        if this.output.capacity() < room {
            this.output = Vec::with_capacity(room);
        }
        for buf in bufs {
            let mut rest: &[u8] = buf;
            while let Some(end) = memchr::memchr(b'\n', rest) {
                this.queue_line(&rest[..end]);
                rest = &rest[end + 1..];
            }
            if !rest.is_empty() {
                this.unfinished.extend_from_slice(rest);
            }
        }
        // The socket takes what it can now; the rest leaves at the flush.
        if let Poll::Ready(Err(error)) = this.poll_drain(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(taken))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    /// Sends the close frame (why, if the browser's input ended it), waits a moment for the
    /// browser's own, then ends the connection.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let answered = this.closing == Some(Closing::BrowserClosed);
        this.close(Closing::SessionEnded);
        ready!(this.poll_drain(cx))?;
        ready!(Pin::new(&mut this.io).poll_flush(cx))?;
        if !answered {
            let grace = this
                .grace
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(CLOSE_GRACE)));
            // The closing handshake: what the browser still sends is read, for a moment,
            // until its close frame or its end.
            while grace.as_mut().poll(cx).is_pending() {
                let mut scratch = [0u8; 512];
                let mut read = ReadBuf::new(&mut scratch);
                match Pin::new(&mut this.io).poll_read(cx, &mut read) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(_)) => break,
                    Poll::Ready(Ok(())) if read.filled().is_empty() => break,
                    Poll::Ready(Ok(())) => {
                        this.input.extend_from_slice(read.filled());
                        if browser_close_seen(&mut this.input) {
                            break;
                        }
                    }
                }
            }
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// Whether the bytes hold the browser's close frame (the frames before it are dropped).
fn browser_close_seen(input: &mut BytesMut) -> bool {
    loop {
        let mut cursor = Cursor::new(&input[..]);
        let Ok(Some((header, length))) = FrameHeader::parse(&mut cursor) else {
            return false;
        };
        let start = cursor.position() as usize;
        let Ok(length) = usize::try_from(length) else {
            return true;
        };
        if header.opcode == OpCode::Control(Control::Close) {
            return true;
        }
        if input.len() - start < length {
            return false;
        }
        input.advance(start + length);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tokio::io::AsyncWriteExt;

    use super::*;
    use crate::short_writes::ShortWrites;

    /// The text frames' payloads in what the server sent.
    fn text_payloads(mut sent: &[u8]) -> Vec<Vec<u8>> {
        let mut payloads = Vec::new();
        while !sent.is_empty() {
            let mut cursor = Cursor::new(sent);
            let (header, length) = FrameHeader::parse(&mut cursor).unwrap().unwrap();
            assert_eq!(header.opcode, OpCode::Data(Data::Text));
            assert!(header.is_final && header.mask.is_none());
            let start = cursor.position() as usize;
            let end = start + length as usize;
            payloads.push(sent[start..end].to_vec());
            sent = &sent[end..];
        }
        payloads
    }

    proptest! {
        /// However the session cuts its lines into buffers and writes, and however little the
        /// socket takes at a time, each line leaves as one whole text frame, in order.
        #[test]
        fn every_line_is_one_frame_whatever_the_cuts_and_short_writes(
            lines in proptest::collection::vec("[a-zé\"{}:, ]{0,300}", 0..150),
            cuts in proptest::collection::vec(1usize..400, 1..30),
            limits in proptest::collection::vec(1usize..3000, 1..10),
            full_every in 2usize..7,
        ) {
            let stream: Vec<u8> = lines.iter().flat_map(|line| format!("{line}\n").into_bytes()).collect();
            let mut buffers: Vec<&[u8]> = Vec::new();
            let mut rest = &stream[..];
            for cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (head, tail) = rest.split_at((*cut).min(rest.len()));
                buffers.push(head);
                rest = tail;
            }
            let socket = ShortWrites { limits, full_every: Some(full_every), calls: 0, written: Vec::new() };
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let sent = runtime.block_on(async {
                let mut lines = WebSocketLines::new(socket, 1 << 20, Duration::from_secs(60));
                // As the session's writer does: several buffers per call, resumed after a
                // short write.
                let mut start = 0;
                let mut skip = 0;
                while start < buffers.len() {
                    let end = (start + 7).min(buffers.len());
                    let mut slices: Vec<IoSlice<'_>> = buffers[start..end].iter().map(|b| IoSlice::new(b)).collect();
                    let mut unwritten = &mut slices[..];
                    IoSlice::advance_slices(&mut unwritten, skip);
                    let total: usize = unwritten.iter().map(|s| s.len()).sum();
                    let taken = lines.write_vectored(unwritten).await.unwrap();
                    if taken == total {
                        start = end;
                        skip = 0;
                    } else {
                        skip += taken;
                    }
                }
                lines.flush().await.unwrap();
                lines.io.written
            });
            let expected: Vec<Vec<u8>> = lines.iter().map(|line| line.as_bytes().to_vec()).collect();
            prop_assert_eq!(text_payloads(&sent), expected);
        }
    }
}
