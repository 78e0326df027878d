//! The login storm: many clients logging in (right and wrong passwords) while a fan-out runs,
//! to show what password hashing does to chat latency.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::conn::{Conn, Target};
use crate::fanout::{self, FanoutOptions, FanoutResult};
use crate::report::CpuMeter;
use classcord_protocol::{Command, Reply};

#[derive(Debug, Clone, Serialize)]
pub struct LoginStormResult {
    pub without_storm: FanoutResult,
    pub with_storm: FanoutResult,
    pub p99_ratio: f64,
    pub logins_ok: u64,
    pub logins_failed: u64,
    pub logins_per_sec: f64,
    pub server_cpu_percent_during_storm: Option<f64>,
}

#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    failed: AtomicU64,
    stop: AtomicBool,
}

pub async fn run(
    target: &Target,
    options: &FanoutOptions,
    storm_clients: usize,
    server_pid: Option<u32>,
) -> anyhow::Result<LoginStormResult> {
    let run_id = std::process::id();
    let accounts: Vec<String> = (0..storm_clients)
        .map(|i| format!("storm{run_id}_{i}"))
        .collect();
    let mut registrar = Conn::new(target.connect(0).await?);
    for name in &accounts {
        let reply = request(
            &mut registrar,
            Command::Register {
                username: name.clone(),
                password: "right-password".into(),
            },
        )
        .await?;
        if !matches!(reply, Reply::Register { .. }) {
            bail!("cannot register {name}: {reply:?}");
        }
    }

    let without_storm = fanout::run(target, options, server_pid, "without storm").await?;

    let counters = Arc::new(Counters::default());
    let mut storm = JoinSet::new();
    for (index, name) in accounts.into_iter().enumerate() {
        let target = target.clone();
        let counters = Arc::clone(&counters);
        storm.spawn(async move {
            let mut attempt = 0u64;
            while !counters.stop.load(Ordering::Relaxed) {
                let password = if attempt.is_multiple_of(2) {
                    "right-password"
                } else {
                    "wrong"
                };
                attempt += 1;
                let mut conn = Conn::new(target.connect(index).await?);
                let reply = request(
                    &mut conn,
                    Command::Login {
                        username: name.clone(),
                        password: password.into(),
                    },
                )
                .await?;
                let counter = if matches!(reply, Reply::Login { .. }) {
                    &counters.ok
                } else {
                    &counters.failed
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        });
    }
    let storm_started = Instant::now();
    let cpu = server_pid.and_then(CpuMeter::start);
    let with_storm = fanout::run(target, options, server_pid, "with storm").await?;
    let server_cpu_percent_during_storm = cpu.and_then(|c| c.percent());
    counters.stop.store(true, Ordering::Relaxed);
    while let Some(joined) = storm.join_next().await {
        joined?.context("storm client")?;
    }
    let seconds = storm_started.elapsed().as_secs_f64();
    let ok = counters.ok.load(Ordering::Relaxed);
    let failed = counters.failed.load(Ordering::Relaxed);
    Ok(LoginStormResult {
        p99_ratio: with_storm.latency.p99_ms / without_storm.latency.p99_ms,
        without_storm,
        with_storm,
        logins_ok: ok,
        logins_failed: failed,
        logins_per_sec: (ok + failed) as f64 / seconds,
        server_cpu_percent_during_storm,
    })
}

/// Sends one line and returns the first reply line.
async fn request(conn: &mut Conn, command: Command) -> anyhow::Result<Reply> {
    conn.send_all(&[command]).await?;
    conn.next_reply().await
}
