//! A teacher's lesson: on the web page before the pupils arrive, in each of their class
//! rooms, reading them; during the arrival they mute one pupil of each room, after it they
//! exclude that pupil for a while.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use classcord_protocol::{Action, Command};
use tokio::io::AsyncWriteExt;

use super::client::{self, Arrival, Seen};
use super::tally::{micros_since, Reader, Transport};
use super::Run;
use crate::conn::{Conn, ConnReader, ConnWriter};

/// A teacher logged in and in their rooms, before the lesson starts.
pub struct Ready {
    reader: ConnReader,
    writer: ConnWriter,
    tally: Reader,
    /// The pupil of each of their rooms they mute, then exclude.
    targets: Vec<String>,
}

/// What a teacher's lesson gave.
pub struct Lesson {
    pub reader: Reader,
    pub seen: Seen,
    /// Moderation commands sent.
    pub commands: u64,
}

/// Logs teacher `t` in over a WebSocket and enters their rooms.
pub async fn prepare(run: &Run, t: usize, connection: usize) -> anyhow::Result<Ready> {
    let name = &run.school.teachers[t].name;
    let Arrival::In(mut conn) = client::arrive(run, Transport::WebSocket, connection, name).await?
    else {
        anyhow::bail!("{name} is refused at login");
    };
    let mut tally = Reader::new(Transport::WebSocket);
    let mut targets = Vec::new();
    for room in run.school.rooms_of_teacher(t) {
        client::enter(&mut conn, Transport::WebSocket, &run.school.room_name(room))
            .await
            .with_context(|| format!("{name} entering their room"))?;
        // Joined before the start: every pupil message of the room counts for them.
        tally.joined(room, 0);
        targets.push(run.school.target_of_room(room).name.clone());
    }
    let Conn { reader, writer } = conn;
    Ok(Ready {
        reader,
        writer,
        tally,
        targets,
    })
}

pub async fn lesson(run: Arc<Run>, ready: Ready) -> anyhow::Result<Lesson> {
    let Ready {
        mut reader,
        mut writer,
        tally,
        targets,
    } = ready;
    let mut lesson = Lesson {
        reader: tally,
        seen: Seen::default(),
        commands: 0,
    };
    let acting = async {
        let at = |us: u64| tokio::time::Instant::from_std(run.epoch + Duration::from_micros(us));
        tokio::time::sleep_until(at(run.mute_at_us)).await;
        let on_each = |action: &dyn Fn(String) -> Action| -> Vec<Command> {
            targets
                .iter()
                .map(|pupil| Command::Act(action(pupil.clone())))
                .collect()
        };
        let mutes = on_each(&|user| Action::Mute {
            user,
            duration_secs: Some(run.mute_secs),
        });
        send(&mut writer, &mutes).await?;
        tokio::time::sleep_until(at(run.kick_at_us)).await;
        let kicks = on_each(&|user| Action::Kick {
            user,
            duration_secs: Some(run.kick_secs),
            reason: Some("bavardage".to_owned()),
        });
        send(&mut writer, &kicks).await?;
        run.stop.cancelled().await;
        anyhow::Ok((mutes.len() + kicks.len()) as u64)
    };
    let reading = async {
        let closed =
            client::read_until_stopped(&run, &mut reader, &mut lesson.reader, &mut lesson.seen)
                .await;
        if closed && micros_since(run.epoch) < run.chat_end_us {
            anyhow::bail!("the server closed a teacher's connection");
        }
        anyhow::Ok(())
    };
    let (commands, read) = tokio::join!(acting, reading);
    read?;
    lesson.commands = commands?;
    Ok(lesson)
}

async fn send(writer: &mut ConnWriter, commands: &[Command]) -> anyhow::Result<()> {
    let mut lines = Vec::new();
    for command in commands {
        lines.extend_from_slice(&command.encode());
    }
    writer.write_all(&lines).await?;
    writer.flush().await?;
    Ok(())
}
