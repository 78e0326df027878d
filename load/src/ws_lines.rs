//! A WebSocket client as a byte stream of lines, as cheap to read as a plain connection: the
//! opening handshake is tungstenite's request and accept key (the answer read with httparse),
//! then each text frame read is one line and each line written one masked text frame
//! (tungstenite's frame headers and masking). Pings are answered; the server's frames are
//! not checked for UTF-8 (the scenarios read ASCII stamps), which tungstenite's stream did at
//! a cost that made the generator, not the server, the measure of a WebSocket fan-out.

use std::io::{self, Cursor};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use anyhow::{bail, Context as _};
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::{client::generate_request, derive_accept_key};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

/// Bytes asked of the socket at a time (as much as a plain connection's buffered reader).
const READ_BUFFER: usize = 16 * 1024;
/// The longest handshake answer read.
const MAX_ANSWER: usize = 16 * 1024;

pub struct WsLines<S> {
    io: S,
    /// Bytes read and not yet taken as frames.
    input: BytesMut,
    /// Bytes at the front of `input` that are the rest of the text frame being read out
    /// (its header taken), then whether its line end is still owed.
    payload_left: usize,
    line_end_owed: bool,
    /// Frames waiting for the socket (the client's lines, pongs).
    output: Vec<u8>,
    /// What was written after the last line end.
    unfinished: Vec<u8>,
    ended: bool,
}

/// Upgrades `io` to a WebSocket on `url` (`ws://host/ws`).
pub async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    url: &str,
) -> anyhow::Result<WsLines<S>> {
    let (request, key) = generate_request(url.into_client_request()?)?;
    io.write_all(&request).await?;
    io.flush().await?;
    let mut input = BytesMut::with_capacity(READ_BUFFER);
    let header_end = loop {
        if let Some(end) = memchr::memmem::find(&input, b"\r\n\r\n") {
            break end + 4;
        }
        if input.len() > MAX_ANSWER || io.read_buf(&mut input).await? == 0 {
            bail!("no WebSocket handshake answer");
        }
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut answer = httparse::Response::new(&mut headers);
    answer
        .parse(&input[..header_end])
        .context("malformed handshake answer")?;
    if answer.code != Some(101) {
        bail!("the upgrade was refused: HTTP {:?}", answer.code);
    }
    let accept = answer
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|h| h.value);
    if accept != Some(derive_accept_key(key.as_bytes()).as_bytes()) {
        bail!("wrong Sec-WebSocket-Accept in the handshake answer");
    }
    input.advance(header_end);
    Ok(WsLines {
        io,
        input,
        payload_left: 0,
        line_end_owed: false,
        output: Vec::new(),
        unfinished: Vec::new(),
        ended: false,
    })
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsLines<S> {
    /// Takes the next whole frame from the input: `Some(true)` a text frame's payload is now
    /// at the front of the input, to be read out (copied once, no buffer shared).
    fn take_frame(&mut self) -> io::Result<Option<bool>> {
        let mut cursor = Cursor::new(&self.input[..]);
        let (header, length) = match FrameHeader::parse(&mut cursor) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return Ok(None),
            Err(error) => return Err(io::Error::new(io::ErrorKind::InvalidData, error)),
        };
        let start = cursor.position() as usize;
        let length = length as usize;
        if self.input.len() < start + length {
            self.input.reserve(start + length - self.input.len());
            return Ok(None);
        }
        self.input.advance(start);
        match header.opcode {
            OpCode::Data(Data::Text) => {
                self.payload_left = length;
                self.line_end_owed = true;
                return Ok(Some(true));
            }
            OpCode::Control(Control::Ping) => {
                let payload = self.input[..length].to_vec();
                self.queue(Frame::pong(payload));
            }
            OpCode::Control(Control::Close) => self.ended = true,
            _ => {}
        }
        self.input.advance(length);
        Ok(Some(false))
    }

    /// A frame for the server, masked as a client's must be.
    fn queue(&mut self, mut frame: Frame) {
        frame.header_mut().mask = Some(fastrand::u32(..).to_ne_bytes());
        frame
            .format(&mut self.output)
            .expect("writing to a Vec does not fail");
    }

    /// Writes what waits for the socket, as far as it takes it now.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.output.is_empty() {
            let written = ready!(Pin::new(&mut self.io).poll_write(cx, &self.output))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.output.drain(..written);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsLines<S> {
    /// Hands out as many whole lines as the caller's buffer holds (a buffered reader gets a
    /// burst's lines in one call, as from a plain connection), then what is left of a line
    /// longer than its room.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let mut handed = false;
            loop {
                if this.payload_left > 0 {
                    let count = this.payload_left.min(buf.remaining());
                    buf.put_slice(&this.input[..count]);
                    this.input.advance(count);
                    this.payload_left -= count;
                    handed = true;
                }
                if this.payload_left > 0 || buf.remaining() == 0 {
                    break;
                }
                if this.line_end_owed {
                    buf.put_slice(b"\n");
                    this.line_end_owed = false;
                    handed = true;
                }
                if this.ended || this.input.is_empty() || this.take_frame()?.is_none() {
                    break;
                }
            }
            // Pongs leave as soon as the socket takes them.
            if let Poll::Ready(Err(error)) = this.poll_drain(cx) {
                return Poll::Ready(Err(error));
            }
            if handed || this.ended {
                return Poll::Ready(Ok(()));
            }
            if this.input.capacity() - this.input.len() < READ_BUFFER / 4 {
                this.input.reserve(READ_BUFFER);
            }
            let before = this.input.len();
            let mut read = ReadBuf::uninit(this.input.spare_capacity_mut());
            ready!(Pin::new(&mut this.io).poll_read(cx, &mut read))?;
            let filled = read.filled().len();
            if filled == 0 {
                this.ended = true;
                continue;
            }
            // SAFETY: poll_read initialised `filled` bytes of the spare capacity.
            unsafe { this.input.set_len(before + filled) };
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsLines<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let mut taken = 0;
        while let Some(end) = memchr::memchr(b'\n', &buf[taken..]) {
            let mut line = std::mem::take(&mut this.unfinished);
            line.extend_from_slice(&buf[taken..taken + end]);
            this.queue(Frame::message(line, OpCode::Data(Data::Text), true));
            taken += end + 1;
        }
        this.unfinished.extend_from_slice(&buf[taken..]);
        if let Poll::Ready(Err(error)) = this.poll_drain(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
