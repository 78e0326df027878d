//! The fan-out scenario: N clients identify, S of them send global messages for D seconds
//! (at a fixed rate, or as fast as a bounded in-flight window allows), everyone counts what
//! arrives, and latency is measured from the send time carried in each message.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::conn::{global_message, Conn, ConnReader, ConnWriter, Identify, Target};
use crate::report::{self, CpuMeter, Latency};

/// Connections opened at the same time while setting up.
pub const CONNECT_CONCURRENCY: usize = 256;
/// How long deliveries may stall before the run stops waiting for stragglers.
const DRAIN_IDLE: Duration = Duration::from_secs(3);
const CONTENT_MARKER: &[u8] = b"\"content\":\"";

#[derive(Debug, Clone)]
pub struct FanoutOptions {
    pub clients: usize,
    pub senders: usize,
    /// Messages per second per sender; `None` = as fast as the window allows.
    pub rate: Option<f64>,
    pub window: u64,
    pub payload: usize,
    pub duration: Duration,
    pub identify: Identify,
}

#[derive(Debug, Clone, Serialize)]
pub struct FanoutResult {
    pub target: String,
    pub clients: usize,
    pub senders: usize,
    pub connected: usize,
    pub sent: u64,
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub seconds: f64,
    pub deliveries_per_sec: f64,
    pub messages_per_sec: f64,
    pub latency: Latency,
    pub server_rss_kib: Option<u64>,
    pub server_cpu_percent: Option<f64>,
    /// Server CPU time (user + system, from /proc, 10 ms ticks) per delivered line.
    pub server_cpu_us_per_delivery: Option<f64>,
    /// This load generator's own CPU time per delivered line, over the same span: what
    /// reading (decrypting, scanning) the target's lines costs the clients.
    pub load_cpu_us_per_delivery: Option<f64>,
}

struct Shared {
    epoch: Instant,
    delivered: AtomicU64,
    last_delivery_ns: AtomicU64,
    /// Messages of each sender seen by the probe client (for the in-flight window).
    probe_seen: Vec<AtomicU64>,
    progress: Notify,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }
}

/// Opens and (optionally) identifies `count` connections, with a progress bar.
/// Connection numbers run from `first` (they choose the source address and the name).
pub async fn connect_all(
    target: &Target,
    first: usize,
    count: usize,
    identify: Identify,
    name_prefix: &str,
) -> anyhow::Result<Vec<Conn>> {
    let bar = indicatif::ProgressBar::new(count as u64).with_message("connecting");
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({elapsed})")
            .expect("valid template"),
    );
    let permits = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for index in first..first + count {
        let target = target.clone();
        let permits = Arc::clone(&permits);
        let name = format!("{name_prefix}{index}");
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let mut conn = Conn::new(target.connect(index).await?);
            conn.greet(identify, &name)
                .await
                .with_context(|| format!("client {index}"))?;
            anyhow::Ok((index, conn))
        });
    }
    let mut conns: Vec<Option<Conn>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (index, conn) = joined??;
        conns[index - first] = Some(conn);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(conns.into_iter().flatten().collect())
}

pub async fn run(
    target: &Target,
    options: &FanoutOptions,
    server_pid: Option<u32>,
    label: &str,
) -> anyhow::Result<FanoutResult> {
    if options.senders == 0 || options.senders >= options.clients {
        bail!("need 1 <= senders < clients (one non-sending client measures the window)");
    }
    let conns = connect_all(target, 0, options.clients, options.identify, "load").await?;
    let connected = conns.len();
    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        delivered: AtomicU64::new(0),
        last_delivery_ns: AtomicU64::new(0),
        probe_seen: (0..options.senders).map(|_| AtomicU64::new(0)).collect(),
        progress: Notify::new(),
    });
    let probe = connected - 1;
    let stop_readers = tokio_util::sync::CancellationToken::new();
    let mut readers = JoinSet::new();
    let mut senders = JoinSet::new();
    // Write halves of the clients that only listen: held so their connections stay open.
    let mut listening_writers = Vec::new();
    for (index, conn) in conns.into_iter().enumerate() {
        let Conn { reader, writer } = conn;
        readers.spawn(read_loop(
            reader,
            Arc::clone(&shared),
            index == probe,
            stop_readers.clone(),
        ));
        if index < options.senders {
            senders.spawn(send_loop(
                writer,
                index,
                options.clone(),
                Arc::clone(&shared),
            ));
        } else {
            listening_writers.push(writer);
        }
    }

    let cpu = server_pid.and_then(CpuMeter::start);
    let own_cpu = CpuMeter::start(std::process::id());
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!("{label}: sending for {:?}", options.duration));
    bar.enable_steady_tick(Duration::from_millis(200));
    let send_start = shared.now_ns();
    let mut sent = 0u64;
    while let Some(joined) = senders.join_next().await {
        sent += joined??;
    }
    let expected = sent * (connected as u64 - 1);
    // Drain: wait for every delivery, or until deliveries stop coming.
    let mut last_count = 0;
    let mut last_change = Instant::now();
    while shared.delivered.load(Ordering::Relaxed) < expected && last_change.elapsed() < DRAIN_IDLE
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = shared.delivered.load(Ordering::Relaxed);
        if now != last_count {
            last_count = now;
            last_change = Instant::now();
        }
    }
    bar.finish_and_clear();
    let server_cpu_percent = cpu.as_ref().and_then(CpuMeter::percent);
    let server_cpu_used = cpu.as_ref().and_then(CpuMeter::used);
    let own_cpu_used = own_cpu.as_ref().and_then(CpuMeter::used);
    let server_rss_kib = server_pid.and_then(report::rss_kib);
    stop_readers.cancel();
    drop(listening_writers);
    let mut histogram = report::new_histogram();
    while let Some(joined) = readers.join_next().await {
        histogram.add(joined?)?;
    }
    let delivered = shared.delivered.load(Ordering::Relaxed);
    let last = shared
        .last_delivery_ns
        .load(Ordering::Relaxed)
        .max(send_start + 1);
    let seconds = (last - send_start) as f64 / 1e9;
    Ok(FanoutResult {
        target: label.to_owned(),
        clients: options.clients,
        senders: options.senders,
        connected,
        sent,
        expected,
        delivered,
        lost: expected.saturating_sub(delivered),
        seconds,
        deliveries_per_sec: delivered as f64 / seconds,
        messages_per_sec: sent as f64 / seconds,
        latency: Latency::from_histogram(&histogram),
        server_rss_kib,
        server_cpu_percent,
        server_cpu_us_per_delivery: per_delivery(server_cpu_used, delivered),
        load_cpu_us_per_delivery: per_delivery(own_cpu_used, delivered),
    })
}

/// CPU time per delivered line, in microseconds.
fn per_delivery(used: Option<Duration>, delivered: u64) -> Option<f64> {
    used.filter(|_| delivered > 0)
        .map(|used| used.as_secs_f64() * 1e6 / delivered as f64)
}

async fn send_loop(
    mut writer: ConnWriter,
    sender: usize,
    options: FanoutOptions,
    shared: Arc<Shared>,
) -> anyhow::Result<u64> {
    let start = Instant::now();
    let interval = options.rate.map(|rate| Duration::from_secs_f64(1.0 / rate));
    let mut sent = 0u64;
    while start.elapsed() < options.duration {
        let stamp_ns = match interval {
            Some(interval) => {
                // Fixed schedule: latency counts from the planned send time, so a server that
                // falls behind cannot hide it (no coordinated omission).
                // Senders are spread evenly over one interval rather than all firing at once.
                let phase = sender as f64 / options.senders as f64;
                let planned = start + interval.mul_f64(sent as f64 + phase);
                tokio::time::sleep_until(planned.into()).await;
                planned.duration_since(shared.epoch).as_nanos() as u64
            }
            None => {
                while sent >= shared.probe_seen[sender].load(Ordering::Acquire) + options.window {
                    if start.elapsed() >= options.duration {
                        return Ok(sent);
                    }
                    let _ =
                        tokio::time::timeout(Duration::from_millis(5), shared.progress.notified())
                            .await;
                }
                shared.now_ns()
            }
        };
        let mut content = format!("s{sender}:{sent}:{stamp_ns}:");
        let padding = options.payload.saturating_sub(content.len());
        content.push_str(&"x".repeat(padding));
        let line = global_message(content).encode();
        writer
            .write_all(&line)
            .await
            .context("server closed a sender's connection")?;
        writer.flush().await?;
        sent += 1;
    }
    Ok(sent)
}

async fn read_loop(
    mut reader: ConnReader,
    shared: Arc<Shared>,
    is_probe: bool,
    stop: tokio_util::sync::CancellationToken,
) -> Histogram<u64> {
    let mut histogram = report::new_histogram();
    let mut line = Vec::with_capacity(512);
    loop {
        line.clear();
        let read = tokio::select! {
            _ = stop.cancelled() => break,
            read = reader.read_until(b'\n', &mut line) => read,
        };
        match read {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let Some((sender, stamp_ns)) = parse_content(&line) else {
            continue;
        };
        let now = shared.now_ns();
        let _ = histogram.record((now.saturating_sub(stamp_ns) / 1000).max(1));
        shared.delivered.fetch_add(1, Ordering::Relaxed);
        shared.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
        if is_probe {
            if let Some(seen) = shared.probe_seen.get(sender) {
                seen.fetch_add(1, Ordering::Release);
                shared.progress.notify_waiters();
            }
        }
    }
    histogram
}

/// Finds `"content":"s<sender>:<seq>:<stamp>:` in a line. This is the hot path of every
/// delivery: it scans for the stamp instead of parsing the whole line, so that the load
/// generator leaves the CPU to the server it measures (the setup paths parse every reply).
fn parse_content(line: &[u8]) -> Option<(usize, u64)> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(CONTENT_MARKER));
    let start = FINDER.find(line)? + CONTENT_MARKER.len();
    let rest = line.get(start..)?.strip_prefix(b"s")?;
    let mut fields = rest.splitn(4, |b| *b == b':');
    let sender = std::str::from_utf8(fields.next()?).ok()?.parse().ok()?;
    let _seq = fields.next()?;
    let stamp = std::str::from_utf8(fields.next()?).ok()?.parse().ok()?;
    Some((sender, stamp))
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_the_content_stamp() {
        let line =
            br#"{"type":"message","from":"load1","content":"s3:17:123456:xxxx","timestamp":"t"}"#;
        assert_eq!(super::parse_content(line), Some((3, 123456)));
        assert_eq!(super::parse_content(br#"{"type":"status"}"#), None);
    }
}
