//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, off by default): the
//! parsers that see untrusted bytes first. Not an interface for anything else.

use bytes::BytesMut;
use tokio_util::codec::Decoder;

/// The line codec, fed `data` in pieces cut where a byte is `0xff`.
pub fn line_codec(data: &[u8]) {
    let mut codec = crate::session::frame::LineCodec::new(64);
    let mut buffer = BytesMut::new();
    for piece in data.split(|b| *b == 0xff) {
        buffer.extend_from_slice(piece);
        while let Ok(Some(_)) = codec.decode(&mut buffer) {}
    }
    let _ = codec.decode_eof(&mut buffer);
}

/// The name, channel and state rules, and the look-alike key.
pub fn name_rules(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::names::username_error(text, 64, "Serveur");
        let _ = crate::names::NameKey::of(text);
        let _ = crate::names::channel_name_error(text);
        let _ = crate::names::state_error(text, 64);
    }
}

/// The PROXY protocol header reader.
pub fn proxy_header(data: &[u8]) {
    let _ = crate::proxy_header::look(data);
}
