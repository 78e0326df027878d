//! TLS full handshakes per second against the TLS port (no session resumption).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinSet;

use crate::conn::Target;
use crate::report::CpuMeter;

#[derive(Debug, Clone, Serialize)]
pub struct HandshakeResult {
    pub concurrency: usize,
    pub handshakes: u64,
    pub failures: u64,
    pub seconds: f64,
    pub handshakes_per_sec: f64,
    pub server_cpu_percent: Option<f64>,
}

pub async fn run(
    target: &Target,
    concurrency: usize,
    duration: Duration,
    server_pid: Option<u32>,
) -> anyhow::Result<HandshakeResult> {
    anyhow::ensure!(target.tls.is_some(), "handshakes needs --ca (a TLS target)");
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu = server_pid.and_then(CpuMeter::start);
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for worker in 0..concurrency {
        let (target, done, failed, stop) =
            (target.clone(), done.clone(), failed.clone(), stop.clone());
        tasks.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match target.connect(worker).await {
                    Ok(stream) => {
                        drop(stream);
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    while tasks.join_next().await.is_some() {}
    let seconds = started.elapsed().as_secs_f64();
    let handshakes = done.load(Ordering::Relaxed);
    Ok(HandshakeResult {
        concurrency,
        handshakes,
        failures: failed.load(Ordering::Relaxed),
        seconds,
        handshakes_per_sec: handshakes as f64 / seconds,
        server_cpu_percent: cpu.and_then(|c| c.percent()),
    })
}
