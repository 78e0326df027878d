//! One person's connection in the `school` scenario: arriving (connect, log in as the web
//! client or a legacy client does), entering a class room, and reading until the run stops.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use classcord_protocol::{Command, ErrorCode, Presence, Reply, Target as MessageTarget};
use tokio::io::AsyncBufReadExt;

use super::tally::{micros_since, Reader, Tag, Transport};
use super::Run;
use crate::conn::{Conn, ConnReader};

/// How an arrival went, when nothing failed.
pub enum Arrival {
    In(Conn),
    /// Refused for now: an excluded pupil waiting for the end of their exclusion.
    NotYet,
}

/// Connects and logs `name` in: v2 with presence lines over a WebSocket (the web page),
/// legacy lines otherwise (the Java clients).
pub async fn arrive(
    run: &Run,
    transport: Transport,
    index: usize,
    name: &str,
) -> anyhow::Result<Arrival> {
    let target = run.target(transport);
    let stream = target.connect(index).await?;
    let mut conn = Conn::new(stream);
    let mut requests = Vec::new();
    if transport == Transport::WebSocket {
        requests.push(Command::Hello {
            version: 2,
            presence: Presence::Receive,
        });
    }
    requests.push(Command::Login {
        username: name.to_owned(),
        password: super::roster::PASSWORD.to_owned(),
    });
    conn.send_all(&requests).await?;
    loop {
        match next_reply(&mut conn.reader).await? {
            Some(Reply::Login { .. }) => return Ok(Arrival::In(conn)),
            Some(Reply::Error { code, message }) => {
                return match code {
                    Some(ErrorCode::Excluded | ErrorCode::Kicked) => Ok(Arrival::NotYet),
                    Some(ErrorCode::LoginFailed) => bail!(
                        "{name}: login failed ({message}): make the accounts first \
                         (classcord-load school-roster, then classcord user import)"
                    ),
                    _ => bail!("{name}: login refused: {message}"),
                };
            }
            // An excluded legacy pupil reads the reason from the server, then the close.
            _ => {}
        }
    }
}

/// Enters a class room (`join` for v2 and, as the web page does, the history of the default
/// room; `/join #room` for a legacy client) and returns when the server said so.
pub async fn enter(conn: &mut Conn, transport: Transport, room: &str) -> anyhow::Result<()> {
    if transport == Transport::WebSocket {
        conn.send_all(&[
            Command::Join {
                channel: room.to_owned(),
            },
            Command::History {
                // No channel: the server's default room, whatever its configuration names it.
                channel: None,
                with: None,
                limit: Some(50),
                before: None,
            },
        ])
        .await?;
        loop {
            match next_reply(&mut conn.reader).await? {
                Some(Reply::Join { channel, .. }) if channel.eq_ignore_ascii_case(room) => {
                    return Ok(())
                }
                Some(Reply::Error { message, .. }) => bail!("join {room} refused: {message}"),
                _ => {}
            }
        }
    }
    conn.send_all(&[Command::Message {
        target: MessageTarget::Global,
        content: format!("/join {room}"),
        from: None,
    }])
    .await?;
    loop {
        if let Some(Reply::Message(line)) = next_reply(&mut conn.reader).await? {
            if line.from == "Serveur" && line.content.contains(room) {
                return Ok(());
            }
        }
    }
}

/// The next line, parsed; `None` for a line of a type this reader does not know.
async fn next_reply(reader: &mut ConnReader) -> anyhow::Result<Option<Reply>> {
    let mut line = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), reader.read_until(b'\n', &mut line))
        .await
        .context("no answer from the server in 60 s")??;
    if read == 0 {
        bail!("the server closed the connection");
    }
    Ok(Reply::parse(&line).ok())
}

/// What a reader counted besides messages.
#[derive(Default, Debug, Clone, Copy)]
pub struct Seen {
    /// Error lines (v2) and messages from the server (legacy): refusals, notices.
    pub server_said: u64,
    /// `history` answers (v2; legacy clients get their replay as messages).
    pub histories: u64,
    /// Moderation commands answered `ok`.
    pub commands_ok: u64,
}

/// Reads until the run stops or the server closes the connection (`true`: closed).
pub async fn read_until_stopped(
    run: &Arc<Run>,
    reader: &mut ConnReader,
    tally: &mut Reader,
    seen: &mut Seen,
) -> bool {
    let mut line = Vec::with_capacity(512);
    loop {
        line.clear();
        // The stop first: the run's end shuts the writers down, and the server's close that
        // follows is no exclusion.
        let read = tokio::select! {
            biased;
            _ = run.stop.cancelled() => return false,
            read = reader.read_until(b'\n', &mut line) => read,
        };
        if !matches!(read, Ok(n) if n > 0) {
            return true;
        }
        if line.starts_with(b"{\"type\":\"history\"") {
            seen.histories += 1;
        } else if let Some(tag) = Tag::find(&line) {
            let now = micros_since(run.epoch);
            tally.receive(
                tag,
                run.room_of_counted(tag.sender),
                now,
                run.arrival_end_us,
            );
            run.delivered.fetch_add(1, Ordering::Relaxed);
        } else if line.starts_with(b"{\"type\":\"error\"")
            || contains(&line, b"\"from\":\"Serveur\"")
        {
            seen.server_said += 1;
        } else if line.starts_with(b"{\"type\":\"command\"")
            && contains(&line, b"\"status\":\"ok\"")
        {
            seen.commands_ok += 1;
        }
    }
}

fn contains(line: &[u8], part: &[u8]) -> bool {
    memchr::memmem::find(line, part).is_some()
}
