//! The `school` scenario: a lesson starts. The accounts of a school's class lists (30
//! teachers, 50 class rooms) are on the server; the teachers are on the web page first, then
//! every pupil arrives within the arrival window (half through the web client's WebSocket,
//! half as legacy TCP clients, a few over TLS), logs in, enters their class room (and reads
//! its history), and writes about ten messages a minute with bursts, while each teacher
//! mutes one pupil of each room during the arrival and excludes them after it. Reported:
//! logins per second and their latency, chat latency per transport during the arrival and
//! after, messages lost, server CPU and memory.

mod client;
mod pupil;
pub mod roster;
mod tally;
mod teacher;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::conn::Target;
use crate::report::{self, CpuMeter, Latency};
use roster::School;
use tally::{micros_since, Phase, Sent, Transport};

/// How long deliveries may stall after the chat before the run stops waiting.
const DRAIN_IDLE: Duration = Duration::from_secs(3);
/// One pupil in this many comes over TLS (a legacy client through stunnel, or a newer one).
const TLS_EVERY: usize = 20;

/// Where each transport reaches the server.
pub struct Targets {
    pub plain: Target,
    pub tls: Option<Target>,
    pub web: Target,
}

pub struct SchoolOptions {
    pub accounts: usize,
    pub teachers: usize,
    pub rooms: usize,
    /// Pupils open their client within this window, most of them early in it.
    pub arrival: Duration,
    /// Chat after the arrival window.
    pub after: Duration,
    pub messages_per_minute: f64,
    pub payload: usize,
}

/// What every task of the run shares.
pub struct Run {
    epoch: Instant,
    school: School,
    targets: Targets,
    arrival_end_us: u64,
    chat_end_us: u64,
    mute_at_us: u64,
    mute_secs: u64,
    kick_at_us: u64,
    kick_secs: u64,
    messages_per_minute: f64,
    payload: usize,
    stop: CancellationToken,
    delivered: AtomicU64,
}

impl Run {
    fn target(&self, transport: Transport) -> &Target {
        match transport {
            Transport::Plain => &self.targets.plain,
            Transport::Tls => self.targets.tls.as_ref().unwrap_or(&self.targets.plain),
            Transport::WebSocket => &self.targets.web,
        }
    }

    /// The room of a sender whose messages are counted (not a teacher's target).
    fn room_of_counted(&self, sender: u32) -> Option<usize> {
        let index = sender as usize;
        let pupil = self.school.pupils.get(index)?;
        (!self.school.is_target(index)).then_some(pupil.room)
    }
}

#[derive(Debug, Serialize)]
pub struct SchoolResult {
    pub pupils: usize,
    pub teachers: usize,
    pub rooms: usize,
    pub pupils_by_transport: BTreeMap<Transport, usize>,
    pub logged_in: usize,
    /// Seconds from the start to the last pupil's login answer.
    pub all_logged_in_after_secs: f64,
    pub logins_per_sec: f64,
    /// From opening the connection to the login answer (TLS and WebSocket handshakes in).
    pub login_latency: Latency,
    pub messages_sent: u64,
    /// Sent by the pupils counted (all but the one muted then excluded in each room).
    pub messages_counted: u64,
    pub deliveries_expected: u64,
    pub deliveries_lost: u64,
    pub deliveries_total: u64,
    /// Chat latency, by the reader's transport and by phase (`arrival`: sent within the
    /// arrival window).
    pub chat_latency: Vec<ChatLatency>,
    pub moderation_commands: u64,
    pub moderation_commands_ok: u64,
    /// Lines the server addressed to the pupils it muted then excluded (refusals, notices).
    pub said_to_excluded_pupils: u64,
    pub excluded_pupils_back: u32,
    /// Refusals and server notices to the pupils counted (0 expected).
    pub said_to_counted_pupils: u64,
    pub history_answers: u64,
    pub server_cpu_percent_arrival: Option<f64>,
    pub server_cpu_percent_after: Option<f64>,
    pub server_rss_peak_kib: Option<u64>,
    pub server_rss_end_kib: Option<u64>,
    /// Messages the server stored during the run (with --database).
    pub persisted: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct ChatLatency {
    pub transport: Transport,
    pub phase: Phase,
    pub latency: Latency,
}

/// The transport of pupil `index`: one in [`TLS_EVERY`] over TLS (when there is a TLS
/// target), half of the others over a WebSocket, the rest plain legacy TCP.
fn transport_of(index: usize, tls: bool) -> Transport {
    if tls && index % TLS_EVERY == TLS_EVERY - 1 {
        Transport::Tls
    } else if index.is_multiple_of(2) {
        Transport::WebSocket
    } else {
        Transport::Plain
    }
}

pub async fn run(
    targets: Targets,
    options: &SchoolOptions,
    server_pid: Option<u32>,
) -> anyhow::Result<SchoolResult> {
    let school = School::new(options.accounts, options.teachers, options.rooms)?;
    let arrival_us = options.arrival.as_micros() as u64;
    let chat_end_us = arrival_us + options.after.as_micros() as u64;
    let has_tls = targets.tls.is_some();
    let mut run = Run {
        epoch: Instant::now(),
        school,
        targets,
        arrival_end_us: arrival_us,
        chat_end_us,
        // Muted two thirds into the arrival, for a third of it; excluded a quarter into the
        // rest, for a quarter of it.
        mute_at_us: arrival_us * 2 / 3,
        mute_secs: (options.arrival.as_secs() / 3).max(1),
        kick_at_us: arrival_us + options.after.as_micros() as u64 / 4,
        kick_secs: (options.after.as_secs() / 4).max(1),
        messages_per_minute: options.messages_per_minute,
        payload: options.payload,
        stop: CancellationToken::new(),
        delivered: AtomicU64::new(0),
    };

    // The teachers, on the web page before the lesson.
    let mut ready = Vec::new();
    for t in 0..run.school.teachers.len() {
        let connection = run.school.pupils.len() + t;
        ready.push(teacher::prepare(&run, t, connection).await?);
    }
    run.epoch = Instant::now();
    let run = Arc::new(run);
    let mut teachers = JoinSet::new();
    for prepared in ready {
        teachers.spawn(teacher::lesson(Arc::clone(&run), prepared));
    }

    let mut by_transport = BTreeMap::new();
    let mut pupils = JoinSet::new();
    let mut rng = fastrand::Rng::with_seed(2026);
    for (index, person) in run.school.pupils.iter().enumerate() {
        let transport = transport_of(index, has_tls);
        *by_transport.entry(transport).or_insert(0) += 1;
        // Most open their client at the start of the lesson: the square of a uniform number
        // puts half of them in the first quarter of the window.
        let spread = rng.f64().powi(2) * 0.9;
        pupils.spawn(pupil::lesson(
            Arc::clone(&run),
            pupil::Pupil {
                index,
                name: person.name.clone(),
                room: person.room,
                transport,
                arrives_after: options.arrival.mul_f64(spread),
                target: run.school.is_target(index),
            },
        ));
    }

    let sampler = server_pid.map(|pid| tokio::spawn(sample(Arc::clone(&run), pid)));
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(500));
    bar.set_message(format!(
        "school: {} pupils arriving within {:?}, then {:?} of chat",
        run.school.pupils.len(),
        options.arrival,
        options.after
    ));
    // Until the end of the chat, then until deliveries stop.
    tokio::time::sleep_until((run.epoch + Duration::from_micros(chat_end_us)).into()).await;
    let mut last = run.delivered.load(Ordering::Relaxed);
    loop {
        tokio::time::sleep(DRAIN_IDLE).await;
        let now = run.delivered.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
    }
    let rss_end = server_pid.and_then(report::rss_kib);
    run.stop.cancel();
    bar.finish_and_clear();

    let mut sent = Sent::default();
    let mut readers = Vec::new();
    let mut logins = Vec::new();
    let (mut messages_sent, mut histories, mut came_back) = (0, 0, 0);
    let (mut said_to_targets, mut said_to_counted) = (0, 0);
    while let Some(joined) = pupils.join_next().await {
        let lesson = joined?.context("a pupil's lesson failed")?;
        messages_sent += lesson.sent.len() as u64;
        histories += lesson.seen.histories;
        logins.extend(lesson.login);
        if lesson.target {
            // Away part of the time: neither their messages nor what they read count.
            said_to_targets += lesson.seen.server_said;
            came_back += lesson.came_back;
        } else {
            said_to_counted += lesson.seen.server_said;
            let sender = lesson.index as u32;
            sent.add(sender, run.school.pupils[lesson.index].room, lesson.sent);
            readers.push((Some(sender), lesson.reader));
        }
    }
    let (mut moderation_commands, mut moderation_ok) = (0, 0);
    while let Some(joined) = teachers.join_next().await {
        let lesson = joined?.context("a teacher's lesson failed")?;
        moderation_commands += lesson.commands;
        moderation_ok += lesson.seen.commands_ok;
        histories += lesson.seen.histories;
        readers.push((None, lesson.reader));
    }
    let (cpu_arrival, cpu_after, rss_peak) = match sampler {
        Some(task) => task.await?,
        None => (None, None, None),
    };
    let (expected, lost) = sent.expected_and_lost(&readers);
    let mut login_histogram = report::new_histogram();
    for (latency, _) in &logins {
        let _ = login_histogram.record((*latency).max(1));
    }
    let first_login = logins.iter().map(|(_, at)| *at).min().unwrap_or(0);
    let last_login = logins.iter().map(|(_, at)| *at).max().unwrap_or(0);
    let span = (last_login.saturating_sub(first_login)).max(1) as f64 / 1e6;
    Ok(SchoolResult {
        pupils: run.school.pupils.len(),
        teachers: run.school.teachers.len(),
        rooms: run.school.rooms,
        pupils_by_transport: by_transport,
        logged_in: logins.len(),
        all_logged_in_after_secs: last_login as f64 / 1e6,
        logins_per_sec: logins.len() as f64 / span,
        login_latency: Latency::from_histogram(&login_histogram),
        messages_sent,
        messages_counted: sent.messages(),
        deliveries_expected: expected,
        deliveries_lost: lost,
        deliveries_total: run.delivered.load(Ordering::Relaxed),
        chat_latency: tally::merged_latencies(&readers)
            .into_iter()
            .map(|(transport, phase, histogram)| ChatLatency {
                transport,
                phase,
                latency: Latency::from_histogram(&histogram),
            })
            .collect(),
        moderation_commands,
        moderation_commands_ok: moderation_ok,
        said_to_excluded_pupils: said_to_targets,
        excluded_pupils_back: came_back,
        said_to_counted_pupils: said_to_counted,
        history_answers: histories,
        server_cpu_percent_arrival: cpu_arrival,
        server_cpu_percent_after: cpu_after,
        server_rss_peak_kib: rss_peak,
        server_rss_end_kib: rss_end,
        persisted: None,
    })
}

/// Samples the server every second: CPU during the arrival window and after it, peak RSS.
async fn sample(run: Arc<Run>, pid: u32) -> (Option<f64>, Option<f64>, Option<u64>) {
    let mut peak = report::rss_kib(pid);
    let arrival = CpuMeter::start(pid);
    let mut cpu_arrival = None;
    let mut after = None;
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = run.stop.cancelled() => break,
            _ = ticks.tick() => {}
        }
        peak = peak.max(report::rss_kib(pid));
        let now = micros_since(run.epoch);
        if after.is_none() && now >= run.arrival_end_us {
            cpu_arrival = arrival.as_ref().and_then(CpuMeter::percent);
            after = CpuMeter::start(pid);
        }
        if now >= run.chat_end_us {
            break;
        }
    }
    let cpu_after = after.as_ref().and_then(CpuMeter::percent);
    (cpu_arrival, cpu_after, peak)
}

impl SchoolResult {
    pub fn print(&self) {
        let by_transport = self
            .pupils_by_transport
            .iter()
            .map(|(transport, count)| format!("{count} {}", transport_label(*transport)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut rows = vec![
            (
                "pupils / teachers / rooms",
                format!("{} / {} / {}", self.pupils, self.teachers, self.rooms),
            ),
            ("pupils by transport", by_transport),
            (
                "logged in",
                format!(
                    "{} of {}, the last {:.1} s after the start",
                    self.logged_in, self.pupils, self.all_logged_in_after_secs
                ),
            ),
            ("logins per second", format!("{:.1}", self.logins_per_sec)),
            (
                "login p50 / p99 / max",
                format!(
                    "{:.0} / {:.0} / {:.0} ms",
                    self.login_latency.p50_ms, self.login_latency.p99_ms, self.login_latency.max_ms
                ),
            ),
            (
                "messages sent (counted)",
                format!("{} ({})", self.messages_sent, self.messages_counted),
            ),
            (
                "deliveries expected / lost",
                format!("{} / {}", self.deliveries_expected, self.deliveries_lost),
            ),
            (
                "moderation commands ok",
                format!(
                    "{} of {}",
                    self.moderation_commands_ok, self.moderation_commands
                ),
            ),
            (
                "excluded pupils back",
                self.excluded_pupils_back.to_string(),
            ),
            (
                "server lines to counted pupils",
                self.said_to_counted_pupils.to_string(),
            ),
            ("history answers", self.history_answers.to_string()),
            (
                "server CPU arrival / after",
                format!(
                    "{} / {} % of one core",
                    report::optional(self.server_cpu_percent_arrival.map(|c| format!("{c:.0}"))),
                    report::optional(self.server_cpu_percent_after.map(|c| format!("{c:.0}")))
                ),
            ),
            (
                "server RSS peak / end",
                format!(
                    "{} / {} KiB",
                    report::optional(self.server_rss_peak_kib),
                    report::optional(self.server_rss_end_kib)
                ),
            ),
            ("messages stored", report::optional(self.persisted)),
        ];
        let latencies: Vec<(String, String)> = self
            .chat_latency
            .iter()
            .map(|row| {
                (
                    format!(
                        "chat p50 / p99 / max, {} {}",
                        transport_label(row.transport),
                        match row.phase {
                            Phase::Arrival => "arrival",
                            Phase::After => "after",
                        }
                    ),
                    format!(
                        "{:.1} / {:.1} / {:.1} ms ({} deliveries)",
                        row.latency.p50_ms,
                        row.latency.p99_ms,
                        row.latency.max_ms,
                        row.latency.samples
                    ),
                )
            })
            .collect();
        rows.extend(
            latencies
                .iter()
                .map(|(label, value)| (label.as_str(), value.clone())),
        );
        report::print_table("school day", &rows);
    }
}

fn transport_label(transport: Transport) -> &'static str {
    match transport {
        Transport::Plain => "plain",
        Transport::Tls => "TLS",
        Transport::WebSocket => "WebSocket",
    }
}
