//! Measurements around a run: server RSS and CPU from /proc, latency histograms, and the
//! human-readable table.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// CPU time (user + system) of a process so far.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports in clock ticks; 100 per second on every common configuration.
    Some(Duration::from_millis(ticks * 10))
}

/// Waits until a process is quiet (under [`QUIET_CPU`] of a core over a [`QUIET_WINDOW`]),
/// at most `limit`; returns how long that took. A server still writing a backlog to its
/// connections is not idle yet, whatever its clients have seen.
pub async fn wait_until_quiet(pid: u32, limit: Duration) -> Duration {
    /// Window over which CPU use is judged.
    const QUIET_WINDOW: Duration = Duration::from_millis(500);
    /// CPU time in a window under which the process counts as quiet (6 % of a core; the
    /// kernel counts in 10 ms ticks).
    const QUIET_CPU: Duration = Duration::from_millis(30);
    let started = Instant::now();
    while started.elapsed() < limit {
        let Some(meter) = CpuMeter::start(pid) else {
            break;
        };
        tokio::time::sleep(QUIET_WINDOW).await;
        if meter.used().is_none_or(|used| used < QUIET_CPU) {
            break;
        }
    }
    started.elapsed()
}

/// CPU use of a process between `start` and `finish`.
pub struct CpuMeter {
    pid: u32,
    cpu_start: Duration,
    wall_start: Instant,
}

impl CpuMeter {
    pub fn start(pid: u32) -> Option<CpuMeter> {
        Some(CpuMeter {
            pid,
            cpu_start: cpu_time(pid)?,
            wall_start: Instant::now(),
        })
    }

    /// Average CPU use since start, in percent of one core (200 % = both cores busy).
    pub fn percent(&self) -> Option<f64> {
        Some(100.0 * self.used()?.as_secs_f64() / self.wall_start.elapsed().as_secs_f64())
    }

    /// CPU time (user + system) the process used since start.
    pub fn used(&self) -> Option<Duration> {
        cpu_time(self.pid)?.checked_sub(self.cpu_start)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub samples: u64,
}

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

impl Latency {
    /// From a histogram of microseconds.
    pub fn from_histogram(histogram: &Histogram<u64>) -> Latency {
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
            samples: histogram.len(),
        }
    }
}

/// Prints `label: value` rows aligned.
pub fn print_table(title: &str, rows: &[(&str, String)]) {
    println!("{title}");
    let width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    for (label, value) in rows {
        println!("  {label:<width$}  {value}");
    }
}

pub fn optional<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}
