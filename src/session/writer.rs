//! The write half of a connection: takes everything its queue holds, coalescing the lines
//! into few writes, until the queue is finished and empty.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::chat::LineQueue;

/// Most bytes gathered into a single write.
const COALESCE_BYTES: usize = 64 * 1024;

pub(crate) async fn run<W: AsyncWrite + Unpin>(
    mut writer: W,
    queue: Arc<LineQueue>,
) -> std::io::Result<()> {
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

/// Writes and empties `batch`: a line alone (the common case when a client keeps up) as it
/// is, without a copy; several gathered in buffers of up to [`COALESCE_BYTES`], allocated
/// for the burst only, so an idle connection keeps none.
async fn write_batch<W: AsyncWrite + Unpin>(
    writer: &mut W,
    batch: &mut VecDeque<Bytes>,
) -> std::io::Result<()> {
    if let [line] = batch.make_contiguous() {
        writer.write_all(line).await?;
        batch.clear();
        return Ok(());
    }
    let mut buffer = BytesMut::new();
    while let Some(line) = batch.pop_front() {
        if !buffer.is_empty() && buffer.len() + line.len() > COALESCE_BYTES {
            writer.write_all(&buffer).await?;
            buffer.clear();
        }
        if buffer.is_empty() && line.len() >= COALESCE_BYTES {
            writer.write_all(&line).await?;
        } else {
            buffer.extend_from_slice(&line);
        }
    }
    if !buffer.is_empty() {
        writer.write_all(&buffer).await?;
    }
    Ok(())
}

struct StoppedOnDrop<'a>(&'a LineQueue);

impl Drop for StoppedOnDrop<'_> {
    fn drop(&mut self) {
        self.0.writer_stopped();
    }
}
