//! Framing: one line per frame, `\n` or `\r\n` terminated, with a hard maximum length. The
//! rest of an oversized line is discarded as it arrives, never buffered. The codec also
//! remembers since when an unfinished line has been waiting for its end.

use bytes::{Buf, BytesMut};
use tokio::time::Instant;
use tokio_util::codec::Decoder;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A complete line without its terminator.
    Line(BytesMut),
    /// A line went over the limit; its remaining bytes are being skipped.
    TooLong,
}

#[derive(Debug)]
pub(crate) struct LineCodec {
    max_line: usize,
    /// Skipping the rest of an oversized line.
    discarding: bool,
    /// Bytes of the buffer already searched for `\n`.
    searched: usize,
    /// When the bytes of the current unfinished line started to arrive.
    unfinished_since: Option<Instant>,
}

impl LineCodec {
    pub(crate) fn new(max_line: usize) -> LineCodec {
        LineCodec {
            max_line,
            discarding: false,
            searched: 0,
            unfinished_since: None,
        }
    }

    /// Since when received bytes have been waiting for the end of their line, if they are.
    pub(crate) fn unfinished_since(&self) -> Option<Instant> {
        self.unfinished_since
    }
}

impl Decoder for LineCodec {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Self::Error> {
        let frame = self.next_frame(buf);
        self.unfinished_since = match (&frame, buf.is_empty() && !self.discarding) {
            (_, true) => None,
            (Some(_), false) => Some(Instant::now()),
            (None, false) => self.unfinished_since.or_else(|| Some(Instant::now())),
        };
        Ok(frame)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Self::Error> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        // A last line without terminator still counts, unless it was being discarded.
        self.searched = 0;
        if self.discarding || buf.iter().all(u8::is_ascii_whitespace) {
            buf.clear();
            return Ok(None);
        }
        let line = buf.split();
        Ok(Some(Frame::Line(line)))
    }
}

impl LineCodec {
    fn next_frame(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        loop {
            let newline = buf[self.searched..].iter().position(|b| *b == b'\n');
            match newline {
                Some(offset) => {
                    let end = self.searched + offset;
                    self.searched = 0;
                    if self.discarding {
                        buf.advance(end + 1);
                        self.discarding = false;
                        continue;
                    }
                    let mut line = buf.split_to(end + 1);
                    line.truncate(end);
                    if line.last() == Some(&b'\r') {
                        line.truncate(end - 1);
                    }
                    if line.len() > self.max_line {
                        return Some(Frame::TooLong);
                    }
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue; // blank lines are keep-alives, not errors
                    }
                    return Some(Frame::Line(line));
                }
                None if self.discarding => {
                    buf.clear();
                    self.searched = 0;
                    return None;
                }
                None if buf.len() > self.max_line + 1 => {
                    buf.clear();
                    self.searched = 0;
                    self.discarding = true;
                    return Some(Frame::TooLong);
                }
                None => {
                    self.searched = buf.len();
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(codec: &mut LineCodec, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(frame) = codec.decode(&mut buf).unwrap() {
                frames.push(frame);
            }
        }
        frames
    }

    #[test]
    fn splits_lines_across_reads_and_strips_crlf() {
        let mut codec = LineCodec::new(64);
        let frames = decode_all(
            &mut codec,
            &[b"{\"a\":", b"\"\xc3", b"\xa9\"}\r", b"\n\n{}\n"],
        );
        assert_eq!(
            frames,
            vec![
                Frame::Line(BytesMut::from(&b"{\"a\":\"\xc3\xa9\"}"[..])),
                Frame::Line(BytesMut::from(&b"{}"[..]))
            ]
        );
    }

    #[test]
    fn oversized_lines_are_reported_once_and_skipped() {
        let mut codec = LineCodec::new(8);
        let long = vec![b'x'; 100];
        let frames = decode_all(&mut codec, &[&long, &long, b"yy\n{}\n"]);
        assert_eq!(
            frames,
            vec![Frame::TooLong, Frame::Line(BytesMut::from(&b"{}"[..]))]
        );
        let frames = decode_all(&mut codec, &[b"0123456789\n{}\n"]);
        assert_eq!(
            frames,
            vec![Frame::TooLong, Frame::Line(BytesMut::from(&b"{}"[..]))]
        );
    }

    #[test]
    fn an_unfinished_line_is_timed_from_its_first_byte() {
        let mut codec = LineCodec::new(64);
        let mut buf = BytesMut::from(&b"{\"type\""[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        let since = codec.unfinished_since().expect("unfinished line noticed");
        buf.extend_from_slice(b":\"users\"}\n");
        assert!(codec.decode(&mut buf).unwrap().is_some());
        assert_eq!(codec.unfinished_since(), None);
        buf.extend_from_slice(b"{}\n{\"ty");
        assert!(codec.decode(&mut buf).unwrap().is_some());
        assert!(codec.unfinished_since().is_some_and(|t| t >= since));
    }

    proptest! {
        /// Whatever the line contents and however TCP splits them, each line comes out once,
        /// whole, without its terminator; blank lines vanish; long ones are reported once.
        #[test]
        fn lines_survive_any_split(
            lines in proptest::collection::vec(
                proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..80),
                0..20,
            ),
            crlf in any::<bool>(),
            cuts in proptest::collection::vec(1usize..50, 0..40),
        ) {
            let max = 40;
            let mut stream = Vec::new();
            for line in &lines {
                stream.extend_from_slice(line);
                stream.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut rest = &stream[..];
            for cut in cuts {
                if rest.is_empty() {
                    break;
                }
                let (head, tail) = rest.split_at(cut.min(rest.len()));
                chunks.push(head);
                rest = tail;
            }
            chunks.push(rest);
            let mut codec = LineCodec::new(max);
            let frames = decode_all(&mut codec, &chunks);
            let expected: Vec<Frame> = lines
                .iter()
                .map(|line| {
                    let mut line = line.clone();
                    if !crlf && line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    line
                })
                .filter(|line| !line.iter().all(u8::is_ascii_whitespace) || line.len() > max)
                .map(|line| {
                    if line.len() > max {
                        Frame::TooLong
                    } else {
                        Frame::Line(BytesMut::from(&line[..]))
                    }
                })
                .collect();
            prop_assert_eq!(frames, expected);
        }
    }
}
