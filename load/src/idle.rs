//! The idle scenario: N connections identify (as fast as possible, or paced) and stay silent
//! while reading everything they are sent, as real clients do; the server's memory per
//! connection is measured, then one broadcast proves every connection is still alive.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use tokio::io::AsyncBufReadExt;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::conn::{chat_content, global_message, Conn, Identify, Target};
use crate::fanout::CONNECT_CONCURRENCY;
use crate::report;

const ALIVE_MARKER: &str = "alive-check-7f3a";
/// Longest silence a held connection waits through for the broadcast before it counts as
/// lost (cut, or lines lost): waiting for the server to be quiet, settling and the broadcast
/// must fit. Counted from the last line received, not from the identification: under a
/// legacy join storm of 19,900 guests the first ones wait minutes, receiving all along.
const ALIVE_WAIT: Duration = Duration::from_secs(120);
/// Longest wait for the server to be quiet before its memory is read anyway.
const QUIET_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Serialize)]
pub struct IdleResult {
    pub target: String,
    pub connections: usize,
    pub connected: usize,
    pub alive: usize,
    pub setup_seconds: f64,
    /// From the end of the setup until the server was quiet (its memory is read then, after
    /// the settling time).
    pub quiet_seconds: f64,
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
    options: IdleOptions,
    settle: Duration,
    server_pid: Option<u32>,
    label: &str,
    worker_args: &[String],
) -> anyhow::Result<IdleResult> {
    let rss_before = server_pid.and_then(report::rss_kib);
    let started = Instant::now();
    let mut local = None;
    let mut workers = Vec::new();
    if connections <= PER_PROCESS {
        local = Some(hold(target, 0, connections, options).await?);
    } else {
        let shares = connections.div_ceil(PER_PROCESS);
        let share_options = IdleOptions {
            rate: options.rate.map(|rate| rate / shares as f64),
            ..options
        };
        for first in (0..connections).step_by(PER_PROCESS) {
            let count = PER_PROCESS.min(connections - first);
            workers.push(Worker::spawn(first, count, share_options, worker_args)?);
        }
    }
    let mut connected = local.as_ref().map_or(0, |held| held.connected);
    for worker in &mut workers {
        connected += worker.wait_ready().await?;
    }
    let setup_seconds = started.elapsed().as_secs_f64();
    // Idle memory is read once the server is idle: done writing what the arrivals made it
    // send (under a join storm, every client has its own identification answered long
    // before the announcements of later arrivals reach the first ones). Then it settles
    // (allocator, its own housekeeping).
    let quiet_seconds = match server_pid {
        Some(pid) => report::wait_until_quiet(pid, QUIET_WAIT)
            .await
            .as_secs_f64(),
        None => 0.0,
    };
    tokio::time::sleep(settle).await;
    let rss_after = server_pid.and_then(report::rss_kib);

    let mut checker = Conn::new(target.connect(connections).await?);
    checker.greet(options.identify, "idle-checker").await?;
    let broadcast = Instant::now();
    checker
        .send_all(&[global_message(ALIVE_MARKER.to_owned())])
        .await?;
    let mut alive = match local {
        Some(held) => count_alive(held.waiting).await?,
        None => 0,
    };
    for worker in &mut workers {
        alive += worker.wait_alive().await?;
    }
    let broadcast_seconds = broadcast.elapsed().as_secs_f64();
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
        quiet_seconds,
        broadcast_seconds,
        server_rss_before_kib: rss_before,
        server_rss_after_kib: rss_after,
        server_rss_per_connection_kib: per_connection,
    })
}

/// How the idle connections arrive.
#[derive(Debug, Clone, Copy)]
pub struct IdleOptions {
    pub identify: Identify,
    /// New connections per second (this process's share); `None`: as fast as possible.
    pub rate: Option<f64>,
}

/// Connections held by one process, each reading everything the server sends from the moment
/// it is identified (as real clients do), until the broadcast arrives or the wait runs out.
struct Held {
    connected: usize,
    waiting: JoinSet<bool>,
}

/// Opens, identifies and holds `count` connections numbered from `first`, paced at
/// `options.rate`; returns once every one of them is identified.
async fn hold(
    target: &Target,
    first: usize,
    count: usize,
    options: IdleOptions,
) -> anyhow::Result<Held> {
    let bar = indicatif::ProgressBar::new(count as u64).with_message("connecting");
    let permits = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<anyhow::Result<()>>();
    let mut pace = options
        .rate
        .map(|rate| tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.001))));
    let mut waiting = JoinSet::new();
    for index in first..first + count {
        if let Some(pace) = pace.as_mut() {
            pace.tick().await;
        }
        let permit = Arc::clone(&permits).acquire_owned().await?;
        let target = target.clone();
        let ready = ready_tx.clone();
        waiting.spawn(async move {
            let greeted = async {
                let mut conn = Conn::new(target.connect(index).await?);
                conn.greet(options.identify, &format!("idle{index}"))
                    .await
                    .with_context(|| format!("client {index}"))?;
                anyhow::Ok(conn)
            }
            .await;
            drop(permit);
            match greeted {
                Ok(conn) => {
                    let _ = ready.send(Ok(()));
                    read_until_marker(conn).await
                }
                Err(error) => {
                    let _ = ready.send(Err(error));
                    false
                }
            }
        });
    }
    drop(ready_tx);
    let mut connected = 0;
    // Each task says once whether it is identified, then keeps reading.
    for _ in 0..count {
        match ready_rx.recv().await {
            Some(outcome) => outcome?,
            None => anyhow::bail!("a connection task ended without saying whether it connected"),
        }
        connected += 1;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Held { connected, waiting })
}

/// Reads every line until the broadcast's marker (true) or until nothing came for
/// [`ALIVE_WAIT`] (false: it was cut, or lines were lost).
async fn read_until_marker(conn: Conn) -> bool {
    let Conn {
        mut reader,
        writer: _keep_open,
    } = conn;
    let mut line = Vec::new();
    loop {
        line.clear();
        match tokio::time::timeout(ALIVE_WAIT, reader.read_until(b'\n', &mut line)).await {
            Ok(Ok(n)) if n > 0 => {
                if chat_content(&line).as_deref() == Some(ALIVE_MARKER) {
                    return true;
                }
            }
            _ => return false,
        }
    }
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
    options: IdleOptions,
) -> anyhow::Result<()> {
    let held = hold(target, first, count, options).await?;
    println!("ready {}", held.connected);
    let alive = count_alive(held.waiting).await?;
    println!("alive {alive}");
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
        options: IdleOptions,
        args: &[String],
    ) -> anyhow::Result<Worker> {
        let mut command = tokio::process::Command::new(std::env::current_exe()?);
        command
            .arg("idle-worker")
            .args(args)
            .args(["--first", &first.to_string(), "--count", &count.to_string()])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        if let Some(rate) = options.rate {
            command.args(["--rate", &rate.to_string()]);
        }
        match options.identify {
            Identify::RelayBanner => {
                command.arg("--relay-banner");
            }
            Identify::RelayAnnounce => {
                command.args(["--relay-banner", "--legacy"]);
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
