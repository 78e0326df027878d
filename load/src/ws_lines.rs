//! A WebSocket client as a byte stream of lines, with no task or pipe in between: each text
//! frame read is one line, each line written one text frame (tungstenite frames them, masks
//! them and answers pings). The scenarios read and write lines whatever the transport.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

/// Bytes of the read buffer (tungstenite's default, 128 KiB, is zeroed at every read).
pub const READ_BUFFER: usize = 4096;

pub struct WsLines<S> {
    socket: WebSocketStream<S>,
    /// The text frame being read out, from `offset`, then its line end.
    reading: Option<(Utf8Bytes, usize)>,
    /// What was written after the last line end.
    unfinished: Vec<u8>,
}

impl<S> WsLines<S> {
    pub fn new(socket: WebSocketStream<S>) -> WsLines<S> {
        WsLines {
            socket,
            reading: None,
            unfinished: Vec::new(),
        }
    }
}

fn broken(error: tokio_tungstenite::tungstenite::Error) -> io::Error {
    io::Error::other(error)
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsLines<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if let Some((text, offset)) = &mut this.reading {
                let rest = &text.as_bytes()[*offset..];
                let taken = rest.len().min(buf.remaining());
                buf.put_slice(&rest[..taken]);
                *offset += taken;
                if *offset == text.len() && buf.remaining() > 0 {
                    buf.put_slice(b"\n");
                    this.reading = None;
                }
                return Poll::Ready(Ok(()));
            }
            match ready!(this.socket.poll_next_unpin(cx)) {
                Some(Ok(Message::Text(text))) => this.reading = Some((text, 0)),
                // The end of the stream: a close frame or the connection's end.
                Some(Ok(Message::Close(_))) | None => return Poll::Ready(Ok(())),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Poll::Ready(Err(broken(error))),
            }
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
            match this.socket.poll_ready_unpin(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(error)) => return Poll::Ready(Err(broken(error))),
                Poll::Pending if taken == 0 => return Poll::Pending,
                Poll::Pending => return Poll::Ready(Ok(taken)),
            }
            let mut line = std::mem::take(&mut this.unfinished);
            line.extend_from_slice(&buf[taken..taken + end]);
            let text = String::from_utf8(line)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a line is not UTF-8"))?;
            this.socket
                .start_send_unpin(Message::text(text))
                .map_err(broken)?;
            taken += end + 1;
        }
        this.unfinished.extend_from_slice(&buf[taken..]);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().socket.poll_flush_unpin(cx).map_err(broken)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().socket.poll_close_unpin(cx).map_err(broken)
    }
}
