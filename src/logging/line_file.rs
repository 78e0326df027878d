//! Appends lines to a file from a background thread, so logging never blocks a connection.
//! Lines are dropped (and counted) rather than queued without bound when the disk is slow.
//! The file can be reopened by name (after logrotate renamed it).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use crate::log_throttle::Throttle;

const QUEUE_LINES: usize = 64 * 1024;
/// After writing what was queued, the writer thread rests this long before looking again:
/// under load it wakes once per window instead of once per line (a wake-up and a write
/// system call per chat message cost more than the message's SQLite commit). A first line
/// after a quiet period is still written at once.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(5);

#[derive(Clone)]
pub(crate) struct LineFile {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
    path: Arc<PathBuf>,
}

enum Message {
    Line(Vec<u8>),
    Flush(SyncSender<()>),
    Reopen(SyncSender<io::Result<()>>),
}

impl LineFile {
    /// Opens `path` for appending (creating its directory) and starts the writer thread.
    pub(crate) fn open(path: &Path) -> io::Result<LineFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_append(path)?;
        let (queue, receiver) = mpsc::sync_channel(QUEUE_LINES);
        let name = format!(
            "log-{}",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        let reopen_path = path.to_owned();
        let dropped = Arc::new(AtomicU64::new(0));
        let unwritten = Arc::clone(&dropped);
        std::thread::Builder::new()
            .name(name)
            .spawn(move || write_loop(file, &reopen_path, receiver, &unwritten))?;
        Ok(LineFile {
            queue,
            dropped,
            path: Arc::new(path.to_owned()),
        })
    }

    /// Queues one line; `line` must not contain a newline (one is added).
    pub(crate) fn write_line(&self, mut line: Vec<u8>) {
        line.push(b'\n');
        match self.queue.try_send(Message::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    tracing::warn!(path = %self.path.display(), dropped, "log file queue full, lines dropped");
                }
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Writes what is queued, then opens the file by its name again (creating it): after a
    /// rotation, new lines go to the new file.
    pub(crate) fn reopen(&self) -> io::Result<()> {
        let (done, wait) = mpsc::sync_channel(1);
        self.queue
            .send(Message::Reopen(done))
            .map_err(|_| io::Error::other("log writer stopped"))?;
        wait.recv()
            .map_err(|_| io::Error::other("log writer stopped"))?
    }

    /// Waits until every line queued so far is written.
    pub(crate) fn flush(&self) {
        let (done, wait) = mpsc::sync_channel(1);
        if self.queue.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// Lines that never reached the file (queue full, or the write failed).
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn write_loop(file: File, path: &Path, receiver: Receiver<Message>, dropped: &AtomicU64) {
    let mut out = io::BufWriter::new(file);
    let mut failures = Throttle::default();
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Line(line) => {
                    if let Err(error) = out.write_all(&line) {
                        dropped.fetch_add(1, Ordering::Relaxed);
                        if let Some(unreported) = failures.report(std::time::Instant::now()) {
                            eprintln!(
                                "classcord: cannot write log file {} ({unreported} more failures since the last report): {error}",
                                path.display()
                            );
                        }
                    }
                }
                Message::Flush(done) => {
                    let _ = out.flush();
                    let _ = done.send(());
                }
                Message::Reopen(done) => {
                    let _ = out.flush();
                    let reopened = open_append(path).map(|file| out = io::BufWriter::new(file));
                    let _ = done.send(reopened);
                }
            }
            next = receiver.try_recv().ok();
        }
        let _ = out.flush();
        std::thread::sleep(BATCH_WINDOW);
    }
}
