//! The write half of a connection: drains the bounded outbound queue, coalescing queued lines
//! into one write, until every sender is gone.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::chat::QueueBytes;
use std::sync::Arc;

/// Most bytes gathered into a single write.
const COALESCE_BYTES: usize = 64 * 1024;
/// Largest coalescing buffer an idle connection keeps.
const IDLE_BUFFER_BYTES: usize = 4 * 1024;

pub(crate) async fn run<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut queue: mpsc::Receiver<Bytes>,
    queued_bytes: Arc<QueueBytes>,
) -> std::io::Result<()> {
    let mut buffer = BytesMut::new();
    while let Some(first) = queue.recv().await {
        queued_bytes.release(first.len());
        if first.len() >= COALESCE_BYTES || queue.is_empty() {
            // Alone in the queue (the common case when a client keeps up), or large: written
            // as it is, without a copy.
            writer.write_all(&first).await?;
        } else {
            buffer.extend_from_slice(&first);
            while buffer.len() < COALESCE_BYTES {
                match queue.try_recv() {
                    Ok(line) => {
                        queued_bytes.release(line.len());
                        buffer.extend_from_slice(&line);
                    }
                    Err(_) => break,
                }
            }
            writer.write_all(&buffer).await?;
            buffer.clear();
        }
        writer.flush().await?;
        queued_bytes.progressed();
        // A connection going idle gives its coalescing buffer back: thousands of idle
        // connections must not each keep the 64 KiB their last burst needed.
        if buffer.capacity() > COALESCE_BYTES * 2
            || (buffer.capacity() > IDLE_BUFFER_BYTES && queue.is_empty())
        {
            buffer = BytesMut::new();
        }
    }
    writer.shutdown().await
}
