//! What the `school` scenario counts: each message's tag (sender, number, send time), what
//! every reader received after joining its rooms, latencies per transport and phase, and at
//! the end the messages lost.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use hdrhistogram::Histogram;

use crate::report::new_histogram;

/// Where a tag starts in a message's content.
const TAG_START: &[u8] = b"~s";

/// The tag a message carries: who sent it, its number for that sender, when (µs since the
/// run's start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub sender: u32,
    pub seq: u32,
    pub sent_us: u64,
}

impl Tag {
    /// The content of a message: the tag, then words, `payload` bytes in all at least.
    pub fn content(&self, payload: usize) -> String {
        let mut text = format!("~s{}.{}.{}~ ", self.sender, self.seq, self.sent_us);
        let words = "on se retrouve au CDI pour le devoir de maths ? ";
        while text.len() < payload {
            text.push_str(words);
        }
        text
    }

    /// The tag in a server line (a message, live or replayed; legacy lines prefix the room).
    pub fn find(line: &[u8]) -> Option<Tag> {
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(TAG_START));
        let start = FINDER.find(line)? + TAG_START.len();
        let rest = &line[start..];
        let end = rest.iter().position(|&b| b == b'~')?;
        let mut fields = std::str::from_utf8(&rest[..end]).ok()?.split('.');
        let tag = Tag {
            sender: fields.next()?.parse().ok()?,
            seq: fields.next()?.parse().ok()?,
            sent_us: fields.next()?.parse().ok()?,
        };
        fields.next().is_none().then_some(tag)
    }
}

/// How a connection reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Legacy JSON lines over plain TCP (the Java clients).
    Plain,
    /// Legacy JSON lines over TLS.
    Tls,
    /// v2 lines over a WebSocket (the web client).
    WebSocket,
}

/// Before or after the end of the arrival window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Arrival,
    After,
}

/// What one reader saw: for each room it is counted in, when it was in it; the counted
/// messages it received; its latencies.
pub struct Reader {
    pub transport: Transport,
    /// Room index → µs since the start when the reader knew it was in the room.
    joined: HashMap<usize, u64>,
    /// Sender << 32 | seq of the counted messages received.
    received: HashSet<u64>,
    arrival: Histogram<u64>,
    after: Histogram<u64>,
}

impl Reader {
    pub fn new(transport: Transport) -> Reader {
        Reader {
            transport,
            joined: HashMap::new(),
            received: HashSet::new(),
            arrival: new_histogram(),
            after: new_histogram(),
        }
    }

    pub fn joined(&mut self, room: usize, at_us: u64) {
        self.joined.entry(room).or_insert(at_us);
    }

    /// A message line: counted when its sender is counted and it was sent after the reader
    /// knew it was in the sender's room (so the server had to deliver it live, not only in
    /// a replay).
    pub fn receive(
        &mut self,
        tag: Tag,
        room_of_sender: Option<usize>,
        now_us: u64,
        arrival_end_us: u64,
    ) {
        let Some(room) = room_of_sender else {
            return;
        };
        let Some(&joined) = self.joined.get(&room) else {
            return;
        };
        if tag.sent_us <= joined {
            return;
        }
        if self.received.insert(key(tag.sender, tag.seq)) {
            let histogram = if tag.sent_us < arrival_end_us {
                &mut self.arrival
            } else {
                &mut self.after
            };
            let _ = histogram.record(now_us.saturating_sub(tag.sent_us).max(1));
        }
    }
}

fn key(sender: u32, seq: u32) -> u64 {
    (u64::from(sender) << 32) | u64::from(seq)
}

/// What the counted senders sent: per sender, each accepted message's send time, and its
/// room.
#[derive(Default)]
pub struct Sent {
    /// Sender → (room, send times in µs, in order of seq).
    by_sender: HashMap<u32, (usize, Vec<u64>)>,
}

impl Sent {
    pub fn add(&mut self, sender: u32, room: usize, times: Vec<u64>) {
        self.by_sender.insert(sender, (room, times));
    }

    pub fn messages(&self) -> u64 {
        self.by_sender.values().map(|(_, t)| t.len() as u64).sum()
    }

    /// Messages each reader should have received (sent by another counted sender of a room
    /// it was in, after it was in), and how many of those it did not.
    pub fn expected_and_lost(&self, readers: &[(Option<u32>, Reader)]) -> (u64, u64) {
        let mut expected = 0;
        let mut lost = 0;
        for (own, reader) in readers {
            for (&sender, (room, times)) in &self.by_sender {
                if Some(sender) == *own {
                    continue;
                }
                let Some(&joined) = reader.joined.get(room) else {
                    continue;
                };
                for (seq, &sent) in times.iter().enumerate() {
                    if sent > joined {
                        expected += 1;
                        if !reader.received.contains(&key(sender, seq as u32)) {
                            lost += 1;
                        }
                    }
                }
            }
        }
        (expected, lost)
    }
}

/// Latencies merged per transport and phase.
pub fn merged_latencies(
    readers: &[(Option<u32>, Reader)],
) -> Vec<(Transport, Phase, Histogram<u64>)> {
    let mut merged: HashMap<(Transport, Phase), Histogram<u64>> = HashMap::new();
    for (_, reader) in readers {
        for (phase, histogram) in [
            (Phase::Arrival, &reader.arrival),
            (Phase::After, &reader.after),
        ] {
            let _ = merged
                .entry((reader.transport, phase))
                .or_insert_with(new_histogram)
                .add(histogram);
        }
    }
    let mut list: Vec<_> = merged.into_iter().map(|((t, p), h)| (t, p, h)).collect();
    list.sort_by_key(|(t, p, _)| (*t, *p));
    list
}

/// Microseconds since `epoch`.
pub fn micros_since(epoch: Instant) -> u64 {
    epoch.elapsed().as_micros() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_reads_back_from_a_legacy_room_line() {
        let tag = Tag {
            sender: 12,
            seq: 3,
            sent_us: 456_789,
        };
        let content = tag.content(64);
        assert!(content.len() >= 64);
        let line = format!(
            "{{\"type\":\"message\",\"subtype\":\"global\",\"from\":\"eleve0013\",\"content\":\"[#C13] {content}\"}}\n"
        );
        assert_eq!(Tag::find(line.as_bytes()), Some(tag));
        assert_eq!(Tag::find(b"{\"content\":\"~s1.2~\"}"), None);
    }

    #[test]
    fn only_messages_sent_after_the_join_count_and_a_missing_one_is_lost() {
        let mut sent = Sent::default();
        sent.add(1, 0, vec![100, 200, 300]);
        sent.add(2, 1, vec![150]);
        let mut reader = Reader::new(Transport::Plain);
        reader.joined(0, 150);
        // A replayed message sent before the join does not count.
        reader.receive(
            Tag {
                sender: 1,
                seq: 0,
                sent_us: 100,
            },
            Some(0),
            400,
            1_000,
        );
        reader.receive(
            Tag {
                sender: 1,
                seq: 1,
                sent_us: 200,
            },
            Some(0),
            400,
            1_000,
        );
        let readers = vec![(Some(9), reader)];
        assert_eq!(sent.expected_and_lost(&readers), (2, 1));
        assert_eq!(merged_latencies(&readers)[0].2.len(), 1);
    }
}
