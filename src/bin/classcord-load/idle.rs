//! The idle scenario: N connections identify and stay silent; the server's memory per
//! connection is measured, then one broadcast proves every connection is still alive.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

use crate::conn::{Conn, Target};
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

pub async fn run(
    target: &Target,
    connections: usize,
    identify: bool,
    server_pid: Option<u32>,
    label: &str,
) -> anyhow::Result<IdleResult> {
    let rss_before = server_pid.and_then(report::rss_kib);
    let started = Instant::now();
    let conns = connect_all(target, connections, identify, "idle").await?;
    let setup_seconds = started.elapsed().as_secs_f64();
    // Let the server settle (allocator, queues) before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = server_pid.and_then(report::rss_kib);
    let connected = conns.len();

    let mut checker = Conn::new(target.connect(connections).await?);
    if identify {
        checker.identify_quietly("idle-checker").await?;
    }
    let mut waiting = JoinSet::new();
    let mut writers = Vec::with_capacity(connected);
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
                        if String::from_utf8_lossy(&line).contains(ALIVE_MARKER) {
                            return true;
                        }
                    }
                    _ => return false,
                }
            }
        });
    }
    let broadcast = Instant::now();
    let line =
        format!("{{\"type\":\"message\",\"subtype\":\"global\",\"content\":\"{ALIVE_MARKER}\"}}\n");
    checker.writer.write_all(line.as_bytes()).await?;
    checker.writer.flush().await?;
    let mut alive = 0;
    while let Some(joined) = waiting.join_next().await {
        alive += usize::from(joined?);
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

/// Lets this process open as many sockets as the hard limit allows.
pub fn raise_fd_limit() {
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("warning: cannot raise the open files limit: {error}");
    }
}
