//! Encodes server lines: one JSON object, every non-ASCII character escaped as `\uXXXX`, then `\n`.
//!
//! Legacy clients decode with the platform charset, so pure ASCII output is the only safe choice.

use std::io;

use bytes::Bytes;
use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// serde_json formatter that escapes everything outside ASCII.
struct AsciiFormatter;

impl Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Nearly every fragment (field names, names, timestamps) has nothing to escape.
        if fragment.is_ascii() {
            return writer.write_all(fragment.as_bytes());
        }
        let mut plain_start = 0;
        for (index, ch) in fragment.char_indices() {
            if ch.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain_start..index])?;
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            plain_start = index + ch.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain_start..])
    }
}

/// Serialises one server line, newline included. Serialising to memory cannot fail for
/// the plain structs used here (string keys only), so failure is a programming error.
pub fn encode_line<T: Serialize>(value: &T) -> Bytes {
    // Room for a chat message's line (about 210 bytes with 64 characters of content).
    let mut buffer = Vec::with_capacity(256);
    let mut serializer = Serializer::with_formatter(&mut buffer, AsciiFormatter);
    value
        .serialize(&mut serializer)
        .expect("server lines serialise to memory");
    buffer.push(b'\n');
    Bytes::from(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_ascii_and_round_trips() {
        let value = serde_json::json!({"type": "message", "content": "é€😀\n\"\u{2028}"});
        let line = encode_line(&value);
        assert!(line.is_ascii());
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        assert!(std::str::from_utf8(&line)
            .unwrap()
            .contains("\\u00e9\\u20ac\\ud83d\\ude00"));
        let back: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(back, value);
    }
}
