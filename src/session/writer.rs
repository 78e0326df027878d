//! The write half of a connection: takes everything its queue holds and hands the lines to
//! the stream as they are, in vectored writes (TCP: one `writev`; TLS: one run of records),
//! until the queue is finished and empty. Nothing is copied or allocated per burst.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::chat::LineQueue;

/// Most lines handed to one vectored write (Linux takes up to 1,024 buffers).
const LINES_PER_WRITE: usize = 64;
/// Most bytes handed to one vectored write.
const BYTES_PER_WRITE: usize = 64 * 1024;

pub(crate) async fn run<W: AsyncWrite + Unpin>(
    mut writer: W,
    queue: Arc<LineQueue>,
) -> io::Result<()> {
    // However the writer ends (error, end of the connection, or aborted), the queue stops
    // taking lines and lets go of those waiting: nobody would write them.
    let _stopped = StoppedOnDrop(&queue);
    let mut batch = VecDeque::new();
    while queue.take_all(&mut batch).await {
        write_batch(&mut writer, &mut batch).await?;
        writer.flush().await?;
        queue.progressed(&mut batch);
    }
    writer.shutdown().await
}

/// Writes and empties `batch`, up to [`LINES_PER_WRITE`] lines or [`BYTES_PER_WRITE`]
/// bytes per call, resuming in the middle of a line after a short write.
async fn write_batch<W: AsyncWrite + Unpin>(
    writer: &mut W,
    batch: &mut VecDeque<Bytes>,
) -> io::Result<()> {
    while !batch.is_empty() {
        // The slices live on the stack of one poll, not in the task: an idle connection's
        // writer task stays small.
        let written = std::future::poll_fn(|cx| {
            let mut slices = [IoSlice::new(&[]); LINES_PER_WRITE];
            let count = point_at(&mut slices, batch);
            Pin::new(&mut *writer).poll_write_vectored(cx, &slices[..count])
        })
        .await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        consume(batch, written);
    }
    Ok(())
}

/// Points `slices` at the first lines of the batch, up to [`BYTES_PER_WRITE`]; how many.
fn point_at<'a>(slices: &mut [IoSlice<'a>], batch: &'a VecDeque<Bytes>) -> usize {
    let mut count = 0;
    let mut bytes = 0;
    for (slice, line) in slices.iter_mut().zip(batch.iter()) {
        *slice = IoSlice::new(line);
        count += 1;
        bytes += line.len();
        if bytes >= BYTES_PER_WRITE {
            break;
        }
    }
    count
}

/// Drops the first `written` bytes of the batch: whole lines, then part of the next.
fn consume(batch: &mut VecDeque<Bytes>, mut written: usize) {
    while let Some(line) = batch.front_mut() {
        if line.len() > written {
            line.advance(written);
            return;
        }
        written -= line.len();
        batch.pop_front();
    }
}

struct StoppedOnDrop<'a>(&'a LineQueue);

impl Drop for StoppedOnDrop<'_> {
    fn drop(&mut self) {
        self.0.writer_stopped();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::short_writes::ShortWrites;

    fn lines(count: usize) -> (VecDeque<Bytes>, Vec<u8>) {
        let lines: VecDeque<Bytes> = (0..count)
            .map(|n| Bytes::from(format!("{{\"n\":{n}}}\n")))
            .collect();
        let expected = lines.iter().flat_map(|line| line.to_vec()).collect();
        (lines, expected)
    }

    #[tokio::test]
    async fn short_writes_resume_inside_a_line_and_keep_the_order() {
        let (mut batch, expected) = lines(300);
        let mut sink = ShortWrites::taking(7);
        write_batch(&mut sink, &mut batch).await.unwrap();
        assert!(batch.is_empty());
        assert_eq!(sink.written, expected);
    }

    /// Every connection holds its writer task, idle or not: what the task keeps across its
    /// awaits is memory per connection (a buffer of slices kept there cost 1 KiB each).
    #[test]
    fn the_writer_task_stays_small() {
        let queue = LineQueue::new(crate::chat::QueueLimits {
            lines: 8,
            presence_bytes: 1024,
            soft_bytes: 1024,
            hard_bytes: 4096,
            stall: std::time::Duration::from_secs(1),
        });
        let (stream, _peer) = tokio::io::duplex(64);
        let (_, write_half) = tokio::io::split(stream);
        let task = run(write_half, queue);
        let size = std::mem::size_of_val(&task);
        assert!(size <= 256, "the writer's future takes {size} bytes");
    }

    #[tokio::test]
    async fn a_burst_goes_out_in_few_vectored_writes() {
        let (mut batch, expected) = lines(300);
        let mut sink = ShortWrites::taking(usize::MAX);
        write_batch(&mut sink, &mut batch).await.unwrap();
        assert_eq!(sink.written, expected);
        assert_eq!(sink.calls, 300usize.div_ceil(LINES_PER_WRITE));
    }
}
