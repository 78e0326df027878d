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
}
