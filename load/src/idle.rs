//! The idle scenario: N connections identify and stay silent; the server's memory per
//! connection is measured, then one broadcast proves every connection is still alive.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::AsyncBufReadExt;
use tokio::task::JoinSet;

use crate::conn::{chat_content, global_message, Conn, ConnWriter, Identify, Target};
use crate::fanout::connect_all;
use crate::report;

const ALIVE_MARKER: &str = "alive-check-7f3a";
const ALIVE_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Serialize)]
pub struct IdleResult {
    pub target: String,
    pub connections: usize,
    pub connected: usize,
    pub alive: usize,
    pub setup_seconds: f64,
    pub broadcast_seconds: f64,
    pub server_rss_before_kib: Option<u64>,
    pub server_rss_after_kib: Option<u64>,
    pub server_rss_per_connection_kib: Option<f64>,
}

/// Connections one process holds; more are spread over worker processes, because a
/// process may not be allowed more open files than that (ulimit -Hn).
const PER_PROCESS: usize = 15_000;

pub async fn run(
    target: &Target,
    connections: usize,
    identify: Identify,
    server_pid: Option<u32>,
    label: &str,
    worker_args: &[String],
) -> anyhow::Result<IdleResult> {
    let rss_before = server_pid.and_then(report::rss_kib);
    let started = Instant::now();
    let mut local = Vec::new();
    let mut workers = Vec::new();
    if connections <= PER_PROCESS {
        local = connect_all(target, 0, connections, identify, "idle").await?;
    } else {
        for first in (0..connections).step_by(PER_PROCESS) {
            let count = PER_PROCESS.min(connections - first);
            workers.push(Worker::spawn(first, count, identify, worker_args)?);
        }
    }
    let mut connected = local.len();
    for worker in &mut workers {
        connected += worker.wait_ready().await?;
    }
    let setup_seconds = started.elapsed().as_secs_f64();
    // Let the server settle (allocator, queues) before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = server_pid.and_then(report::rss_kib);

    let mut checker = Conn::new(target.connect(connections).await?);
    checker.greet(identify, "idle-checker").await?;
    let (waiting, writers) = wait_for_marker(local);
    let broadcast = Instant::now();
    checker
        .send_all(&[global_message(ALIVE_MARKER.to_owned())])
        .await?;
    let mut alive = count_alive(waiting).await?;
    for worker in &mut workers {
        alive += worker.wait_alive().await?;
    }
    let broadcast_seconds = broadcast.elapsed().as_secs_f64();
    drop(writers);
    let per_connection = match (rss_before, rss_after) {
        (Some(before), Some(after)) if connected > 0 => {
            Some(after.saturating_sub(before) as f64 / connected as f64)
        }
        _ => None,
    };
    Ok(IdleResult {
        target: label.to_owned(),
        connections,
        connected,
        alive,
        setup_seconds,
        broadcast_seconds,
        server_rss_before_kib: rss_before,
        server_rss_after_kib: rss_after,
        server_rss_per_connection_kib: per_connection,
    })
}

/// One task per connection waiting for the broadcast; the write halves keep them open.
fn wait_for_marker(conns: Vec<Conn>) -> (JoinSet<bool>, Vec<ConnWriter>) {
    let mut waiting = JoinSet::new();
    let mut writers = Vec::with_capacity(conns.len());
    for conn in conns {
        let Conn { mut reader, writer } = conn;
        writers.push(writer);
        waiting.spawn(async move {
            let mut line = Vec::new();
            let deadline = tokio::time::Instant::now() + ALIVE_WAIT;
            loop {
                line.clear();
                match tokio::time::timeout_at(deadline, reader.read_until(b'\n', &mut line)).await {
                    Ok(Ok(n)) if n > 0 => {
                        if chat_content(&line).as_deref() == Some(ALIVE_MARKER) {
                            return true;
                        }
                    }
                    _ => return false,
                }
            }
        });
    }
    (waiting, writers)
}

async fn count_alive(mut waiting: JoinSet<bool>) -> anyhow::Result<usize> {
    let mut alive = 0;
    while let Some(joined) = waiting.join_next().await {
        alive += usize::from(joined?);
    }
    Ok(alive)
}

/// The worker side (`classcord-load idle-worker`): connects its share, prints `ready N`,
/// then `alive M` once the broadcast arrived (or the wait ran out).
pub async fn worker(
    target: &Target,
    first: usize,
    count: usize,
    identify: Identify,
) -> anyhow::Result<()> {
    let conns = connect_all(target, first, count, identify, "idle").await?;
    println!("ready {}", conns.len());
    let (waiting, writers) = wait_for_marker(conns);
    let alive = count_alive(waiting).await?;
    println!("alive {alive}");
    drop(writers);
    Ok(())
}

/// A child process holding part of the connections.
struct Worker {
    child: tokio::process::Child,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl Worker {
    fn spawn(
        first: usize,
        count: usize,
        identify: Identify,
        args: &[String],
    ) -> anyhow::Result<Worker> {
        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        command
            .arg("idle-worker")
            .args(args)
            .args(["--first", &first.to_string(), "--count", &count.to_string()])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        match identify {
            Identify::RelayBanner => {
                command.arg("--relay-banner");
            }
            Identify::LegacyGuest => {
                command.arg("--legacy");
            }
            Identify::Guest | Identify::Account => {}
        }
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().expect("piped stdout");
        Ok(Worker {
            child,
            lines: tokio::io::BufReader::new(stdout).lines(),
        })
    }

    async fn expect(&mut self, word: &str) -> anyhow::Result<usize> {
        let line = self
            .lines
            .next_line()
            .await?
            .ok_or_else(|| anyhow::anyhow!("idle worker exited before saying {word:?}"))?;
        line.strip_prefix(word)
            .and_then(|rest| rest.trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("unexpected idle worker output {line:?}"))
    }

    async fn wait_ready(&mut self) -> anyhow::Result<usize> {
        self.expect("ready").await
    }

    async fn wait_alive(&mut self) -> anyhow::Result<usize> {
        let alive = self.expect("alive").await;
        let _ = self.child.wait().await;
        alive
    }
}

/// Lets this process open as many sockets as the hard limit allows.
pub fn raise_fd_limit() {
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("warning: cannot raise the open files limit: {error}");
    }
}
