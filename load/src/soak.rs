//! The soak scenario: a steady mixed load for a long time (readers that only read, chatters
//! sending global and channel messages and asking for history, churners that connect,
//! identify, join, read history, speak and leave again) while the server's memory and CPU
//! are sampled, to show that memory stays flat after warm-up and that no connection that
//! kept reading was lost.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use classcord_protocol::{Command, Reply, Target as MessageTarget};
use serde::Serialize;
use tokio::io::AsyncBufReadExt;
use tokio::task::JoinSet;

use crate::conn::{global_message, Conn, ConnReader, ConnWriter, Identify, Target};
use crate::fanout::connect_all;
use crate::report::{self, CpuMeter};

/// Most channels the chatters create and the churners share.
const CHANNELS: usize = 4;
/// Longest wait for one answer during a churn round.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct SoakOptions {
    pub readers: usize,
    pub chatters: usize,
    /// Messages per second per chatter.
    pub chat_rate: f64,
    pub churners: usize,
    /// Connect–identify–join–history–message–leave rounds per second per churner.
    pub churn_rate: f64,
    pub duration: Duration,
    pub warmup: Duration,
    pub sample_every: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub seconds: u64,
    pub rss_kib: u64,
    pub cpu_percent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SoakResult {
    pub seconds: f64,
    pub readers: usize,
    pub chatters: usize,
    pub churners: usize,
    /// Readers and chatters whose connection the server closed while they kept reading.
    pub lost_connections: u64,
    pub chat_sent: u64,
    pub lines_read: u64,
    pub history_answers: u64,
    pub churn_rounds: u64,
    pub churn_failures: u64,
    pub first_failures: Vec<String>,
    pub rss_after_warmup_first_kib: Option<u64>,
    pub rss_after_warmup_min_kib: Option<u64>,
    pub rss_after_warmup_max_kib: Option<u64>,
    pub rss_last_kib: Option<u64>,
    pub cpu_percent_mean: Option<f64>,
    pub samples: Vec<Sample>,
}

#[derive(Default)]
struct Counters {
    stop: AtomicBool,
    lost: AtomicU64,
    chat_sent: AtomicU64,
    lines_read: AtomicU64,
    history_answers: AtomicU64,
    churn_rounds: AtomicU64,
    churn_failures: AtomicU64,
    first_failures: std::sync::Mutex<Vec<String>>,
}

impl Counters {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn churn_failed(&self, error: anyhow::Error) {
        if self.churn_failures.fetch_add(1, Ordering::Relaxed) < 10 {
            let mut first = self.first_failures.lock().expect("failure list");
            first.push(format!("{error:#}"));
        }
    }
}

pub async fn run(
    target: &Target,
    options: &SoakOptions,
    server_pid: Option<u32>,
) -> anyhow::Result<SoakResult> {
    let run_id = std::process::id();
    let counters = Arc::new(Counters::default());
    // Only channels a chatter creates: a churner's guest rounds cannot create one.
    let channel_names: Arc<Vec<String>> = Arc::new(
        (0..CHANNELS.min(options.chatters).max(1))
            .map(|i| format!("#soak{run_id}-{i}"))
            .collect(),
    );

    let mut tasks = JoinSet::new();
    for mut conn in connect_all(target, 0, options.readers, Identify::Guest, "reader").await? {
        let counters = Arc::clone(&counters);
        tasks.spawn(async move { read_until_stopped(&mut conn.reader, counters).await });
    }
    let churn_accounts = register_churn_accounts(target, run_id, options.churners).await?;
    let chatters = connect_all(
        target,
        options.readers,
        options.chatters,
        Identify::Account,
        "chat",
    )
    .await?;
    for (index, mut conn) in chatters.into_iter().enumerate() {
        let channel = channel_names[index % channel_names.len()].clone();
        conn.send_all(&[Command::Join {
            channel: channel.clone(),
        }])
        .await?;
        // The chatter's join creates the channel: the churners' guests may only join it then.
        conn.wait_for(|reply| matches!(reply, Reply::Join { .. }))
            .await?;
        let Conn { mut reader, writer } = conn;
        let reader_counters = Arc::clone(&counters);
        tasks.spawn(async move { read_until_stopped(&mut reader, reader_counters).await });
        tasks.spawn(chat(
            writer,
            channel,
            options.chat_rate,
            Arc::clone(&counters),
        ));
    }
    let started = Instant::now();
    for (index, account) in churn_accounts.into_iter().enumerate() {
        tasks.spawn(churn(
            target.clone(),
            options.readers + options.chatters + index,
            account,
            channel_names[index % channel_names.len()].clone(),
            options.churn_rate,
            Arc::clone(&counters),
        ));
    }

    let samples = sample_until(options, server_pid, started).await;
    counters.stop.store(true, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    while let Some(joined) = tasks.join_next().await {
        joined.context("soak task")??;
    }
    Ok(summarise(options, &counters, samples, seconds))
}

/// Reads everything the server sends until the run stops; a close before that is a lost
/// connection.
async fn read_until_stopped(
    reader: &mut ConnReader,
    counters: Arc<Counters>,
) -> anyhow::Result<()> {
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        let read = tokio::select! {
            read = reader.read_until(b'\n', &mut line) => read,
            () = wait_for_stop(&counters) => return Ok(()),
        };
        match read {
            Ok(0) | Err(_) => {
                if !counters.stopped() {
                    counters.lost.fetch_add(1, Ordering::Relaxed);
                }
                return Ok(());
            }
            Ok(_) => {
                counters.lines_read.fetch_add(1, Ordering::Relaxed);
                if line.starts_with(b"{\"type\":\"history\"") {
                    counters.history_answers.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

async fn wait_for_stop(counters: &Counters) {
    while !counters.stopped() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends global messages at `rate`; every fifth goes to the chatter's channel and every tenth
/// tick also asks for the global history.
async fn chat(
    mut writer: ConnWriter,
    channel: String,
    rate: f64,
    counters: Arc<Counters>,
) -> anyhow::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.01)));
    let mut tick = 0u64;
    while !counters.stopped() {
        ticker.tick().await;
        tick += 1;
        let message = if tick.is_multiple_of(5) {
            Command::Message {
                target: MessageTarget::Channel(channel.clone()),
                content: format!("soak channel message {tick}"),
                from: None,
            }
        } else {
            global_message(format!("soak message {tick}"))
        };
        let mut bytes = message.encode().to_vec();
        if tick.is_multiple_of(10) {
            bytes.extend_from_slice(
                &Command::History {
                    channel: None,
                    with: None,
                    limit: Some(50),
                    before: None,
                }
                .encode(),
            );
        }
        if writer.write_all(&bytes).await.is_err() {
            // The reader half counts the loss.
            return Ok(());
        }
        counters.chat_sent.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

async fn register_churn_accounts(
    target: &Target,
    run_id: u32,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let mut registrar = Conn::new(target.connect(0).await?);
    let mut accounts = Vec::with_capacity(count);
    for index in 0..count {
        let username = format!("churn{run_id}_{index}");
        registrar
            .send_all(&[Command::Register {
                username: username.clone(),
                password: "churn-password".into(),
            }])
            .await?;
        match registrar.next_reply().await? {
            Reply::Register { .. } => accounts.push(username),
            other => bail!("cannot register {username}: {other:?}"),
        }
    }
    Ok(accounts)
}

/// Rounds of connect, identify (account, v2 guest or legacy guest in turn), join, history,
/// one channel message, disconnect, at `rate` per second.
async fn churn(
    target: Target,
    index: usize,
    account: String,
    channel: String,
    rate: f64,
    counters: Arc<Counters>,
) -> anyhow::Result<()> {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.01)));
    let mut round = 0u64;
    while !counters.stopped() {
        ticker.tick().await;
        round += 1;
        let outcome = tokio::time::timeout(
            ANSWER_WAIT,
            churn_round(&target, index, &account, &channel, round),
        )
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {ANSWER_WAIT:?}")));
        match outcome {
            Ok(()) => {
                counters.churn_rounds.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => counters.churn_failed(error.context(format!("churn round {round}"))),
        }
    }
    Ok(())
}

async fn churn_round(
    target: &Target,
    index: usize,
    account: &str,
    channel: &str,
    round: u64,
) -> anyhow::Result<()> {
    let mut conn = Conn::new(target.connect(index).await?);
    let identify = match round % 3 {
        0 => Identify::LegacyGuest,
        1 => Identify::Guest,
        _ => Identify::Account,
    };
    match identify {
        Identify::Account => {
            conn.send_all(&[Command::Login {
                username: account.to_owned(),
                password: "churn-password".into(),
            }])
            .await?;
            conn.wait_for(|reply| matches!(reply, Reply::Login { .. }))
                .await?;
        }
        other => conn.greet(other, &format!("churner{index}")).await?,
    }
    conn.send_all(&[
        Command::Join {
            channel: channel.to_owned(),
        },
        Command::History {
            channel: Some(channel.to_owned()),
            with: None,
            limit: Some(50),
            before: None,
        },
        Command::Message {
            target: MessageTarget::Channel(channel.to_owned()),
            content: format!("churn round {round}"),
            from: None,
        },
    ])
    .await?;
    conn.wait_for(|reply| matches!(reply, Reply::History { .. }))
        .await
}

/// Samples the server's memory and CPU every `sample_every` until the run's duration is over.
async fn sample_until(
    options: &SoakOptions,
    server_pid: Option<u32>,
    started: Instant,
) -> Vec<Sample> {
    let bar = indicatif::ProgressBar::new(options.duration.as_secs()).with_message("soak");
    let mut samples = Vec::new();
    let mut ticker = tokio::time::interval(options.sample_every);
    ticker.tick().await;
    let mut cpu = server_pid.and_then(CpuMeter::start);
    while started.elapsed() < options.duration {
        ticker.tick().await;
        bar.set_position(started.elapsed().as_secs());
        let Some(pid) = server_pid else { continue };
        if let (Some(rss_kib), Some(cpu_percent)) = (
            report::rss_kib(pid),
            cpu.as_ref().and_then(CpuMeter::percent),
        ) {
            samples.push(Sample {
                seconds: started.elapsed().as_secs(),
                rss_kib,
                cpu_percent,
            });
        }
        cpu = CpuMeter::start(pid);
    }
    bar.finish_and_clear();
    samples
}

fn summarise(
    options: &SoakOptions,
    counters: &Counters,
    samples: Vec<Sample>,
    seconds: f64,
) -> SoakResult {
    let warm: Vec<&Sample> = samples
        .iter()
        .filter(|sample| sample.seconds >= options.warmup.as_secs())
        .collect();
    let cpu_percent_mean = (!samples.is_empty())
        .then(|| samples.iter().map(|s| s.cpu_percent).sum::<f64>() / samples.len() as f64);
    SoakResult {
        seconds,
        readers: options.readers,
        chatters: options.chatters,
        churners: options.churners,
        lost_connections: counters.lost.load(Ordering::Relaxed),
        chat_sent: counters.chat_sent.load(Ordering::Relaxed),
        lines_read: counters.lines_read.load(Ordering::Relaxed),
        history_answers: counters.history_answers.load(Ordering::Relaxed),
        churn_rounds: counters.churn_rounds.load(Ordering::Relaxed),
        churn_failures: counters.churn_failures.load(Ordering::Relaxed),
        first_failures: counters.first_failures.lock().expect("failures").clone(),
        rss_after_warmup_first_kib: warm.first().map(|s| s.rss_kib),
        rss_after_warmup_min_kib: warm.iter().map(|s| s.rss_kib).min(),
        rss_after_warmup_max_kib: warm.iter().map(|s| s.rss_kib).max(),
        rss_last_kib: samples.last().map(|s| s.rss_kib),
        cpu_percent_mean,
        samples,
    }
}
