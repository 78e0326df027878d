//! A pupil's lesson: arrives at their time, logs in, enters their class room, writes about
//! ten messages a minute (some in bursts) while reading the room; the one their teacher
//! excludes comes back when the exclusion ends.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use classcord_protocol::{Command, Target as MessageTarget};
use tokio::io::AsyncWriteExt;

use super::client::{self, Arrival, Seen};
use super::tally::{micros_since, Reader, Tag, Transport};
use super::Run;
use crate::conn::{Conn, ConnWriter};

/// Chance that a message starts a burst, and the burst's size and pace.
const BURST_CHANCE: f64 = 0.1;
const BURST_MESSAGES: std::ops::RangeInclusive<usize> = 2..=4;
const BURST_GAP: Duration = Duration::from_millis(400);
/// Messages per writing moment on average (bursts included), to keep the asked rate.
const MEAN_PER_MOMENT: f64 = 1.0 - BURST_CHANCE + BURST_CHANCE * 3.0;
/// How long an excluded pupil waits between two attempts to come back.
const RETRY: Duration = Duration::from_secs(2);

pub struct Pupil {
    pub index: usize,
    pub name: String,
    pub room: usize,
    pub transport: Transport,
    /// When they open the client, since the start.
    pub arrives_after: Duration,
    /// Muted then excluded by the teacher: not counted for losses.
    pub target: bool,
}

/// What a pupil's lesson gave.
pub struct Lesson {
    pub index: usize,
    pub target: bool,
    /// µs from opening the client to the login answer, and when that answer came.
    pub login: Option<(u64, u64)>,
    /// Send times of the messages written, in order (µs since the start).
    pub sent: Vec<u64>,
    pub reader: Reader,
    pub seen: Seen,
    /// Times back after the server closed the connection (an exclusion).
    pub came_back: u32,
}

pub async fn lesson(run: Arc<Run>, pupil: Pupil) -> anyhow::Result<Lesson> {
    tokio::time::sleep_until((run.epoch + pupil.arrives_after).into()).await;
    let room = run.school.room_name(pupil.room);
    let mut lesson = Lesson {
        index: pupil.index,
        target: pupil.target,
        login: None,
        sent: Vec::new(),
        reader: Reader::new(pupil.transport),
        seen: Seen::default(),
        came_back: 0,
    };
    let mut times_closed = 0;
    let mut rng = fastrand::Rng::with_seed(pupil.index as u64);
    loop {
        let opened = micros_since(run.epoch);
        let mut conn = match client::arrive(&run, pupil.transport, pupil.index, &pupil.name).await {
            Ok(Arrival::In(conn)) => conn,
            Ok(Arrival::NotYet) if pupil.target => {
                tokio::time::sleep(RETRY).await;
                continue;
            }
            Ok(Arrival::NotYet) => anyhow::bail!("{}: refused at login", pupil.name),
            // Excluded legacy pupils are told, then closed: they try again later.
            Err(_) if pupil.target && times_closed > 0 => {
                tokio::time::sleep(RETRY).await;
                continue;
            }
            Err(error) => return Err(error),
        };
        let logged_in = micros_since(run.epoch);
        if lesson.login.is_none() {
            lesson.login = Some((logged_in - opened, logged_in));
        } else {
            lesson.came_back += 1;
        }
        client::enter(&mut conn, pupil.transport, &room)
            .await
            .with_context(|| format!("{} entering {room}", pupil.name))?;
        lesson.reader.joined(pupil.room, micros_since(run.epoch));
        let Conn { mut reader, writer } = conn;
        let closed = tokio_util::sync::CancellationToken::new();
        let writing = write(
            &run,
            &pupil,
            writer,
            &mut lesson.sent,
            &mut rng,
            closed.clone(),
        );
        let reading = async {
            let was_closed =
                client::read_until_stopped(&run, &mut reader, &mut lesson.reader, &mut lesson.seen)
                    .await;
            if was_closed {
                closed.cancel();
            }
            was_closed
        };
        let (written, was_closed) = tokio::join!(writing, reading);
        written?;
        if !was_closed || run.stop.is_cancelled() {
            return Ok(lesson);
        }
        times_closed += 1;
        if !pupil.target {
            anyhow::bail!("the server closed {}'s connection", pupil.name);
        }
        if micros_since(run.epoch) >= run.chat_end_us {
            return Ok(lesson);
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Writes in the room until the end of the chat or the connection's close; the writer half
/// is kept open until the run stops, so the connection stays for reading.
async fn write(
    run: &Run,
    pupil: &Pupil,
    mut writer: ConnWriter,
    sent: &mut Vec<u64>,
    rng: &mut fastrand::Rng,
    closed: tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let mean_gap = 60.0 / (run.messages_per_minute / MEAN_PER_MOMENT);
    let chat_end = run.epoch + Duration::from_micros(run.chat_end_us);
    // The web page names the room; a legacy client's messages go to its current room.
    let target = match pupil.transport {
        Transport::WebSocket => MessageTarget::Channel(run.school.room_name(pupil.room)),
        Transport::Plain | Transport::Tls => MessageTarget::Global,
    };
    'moments: loop {
        // Exponential gaps: writing moments come as a Poisson process.
        let gap = Duration::from_secs_f64(-mean_gap * (1.0 - rng.f64()).ln());
        let next = tokio::time::Instant::now() + gap;
        if next.into_std() >= chat_end {
            break;
        }
        tokio::select! {
            _ = closed.cancelled() => return Ok(()),
            _ = tokio::time::sleep_until(next) => {}
        }
        let burst = if rng.f64() < BURST_CHANCE {
            rng.usize(BURST_MESSAGES)
        } else {
            1
        };
        for n in 0..burst {
            if n > 0 {
                tokio::select! {
                    _ = closed.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(BURST_GAP) => {}
                }
            }
            let tag = Tag {
                sender: pupil.index as u32,
                seq: sent.len() as u32,
                sent_us: micros_since(run.epoch),
            };
            let line = Command::Message {
                target: target.clone(),
                content: tag.content(run.payload),
                from: None,
            }
            .encode();
            if writer.write_all(&line).await.is_err() || writer.flush().await.is_err() {
                break 'moments;
            }
            sent.push(tag.sent_us);
        }
    }
    // Keep the connection open (for reading) until the run stops or the server closes it.
    tokio::select! {
        _ = closed.cancelled() => {}
        _ = run.stop.cancelled() => {}
    }
    let _ = writer.shutdown().await;
    Ok(())
}
