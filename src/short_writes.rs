//! A test socket that takes little at a time: short vectored writes of chosen sizes, and a
//! full socket (pending, woken at once) now and then. The writers are tried against it.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Takes at most the next of `limits` bytes per write (cycling), and is full every
/// `full_every`th write if set; what it took is in `written`, its write calls in `calls`.
pub(crate) struct ShortWrites {
    pub(crate) limits: Vec<usize>,
    pub(crate) full_every: Option<usize>,
    pub(crate) calls: usize,
    pub(crate) written: Vec<u8>,
}

impl ShortWrites {
    /// At most `limit` bytes per write, never full.
    pub(crate) fn taking(limit: usize) -> ShortWrites {
        ShortWrites {
            limits: vec![limit],
            full_every: None,
            calls: 0,
            written: Vec::new(),
        }
    }
}

/// Nothing ever arrives.
impl AsyncRead for ShortWrites {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Pending
    }
}

impl AsyncWrite for ShortWrites {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.calls += 1;
        if self
            .full_every
            .is_some_and(|every| self.calls.is_multiple_of(every))
        {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut room = self.limits[self.calls % self.limits.len()];
        let mut taken = 0;
        for buf in bufs {
            let part = &buf[..buf.len().min(room)];
            self.written.extend_from_slice(part);
            room -= part.len();
            taken += part.len();
            if room == 0 {
                break;
            }
        }
        Poll::Ready(Ok(taken))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
