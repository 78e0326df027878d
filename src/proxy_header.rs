//! PROXY protocol (v1 text and v2 binary) from trusted proxies such as stunnel or haproxy:
//! the header they put before the client's bytes carries the real client address.
//!
//! The header is detected with `peek`, so a connection without one loses nothing, and only
//! the header's own bytes are consumed.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use ppp::{v1, v2, HeaderResult, PartialResult};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// The largest header accepted (v1 is at most 107 bytes; v2 with a few TLVs fits easily).
const MAX_HEADER: usize = 1024;
const V1_PREFIX: &[u8] = b"PROXY ";
const V2_SIGNATURE: &[u8] = b"\r\n\r\n\0\r\nQUIT\n";
/// First pause between two looks at a header that has only partly arrived; it doubles at
/// each look, up to [`PARTIAL_RETRY_MAX`], so a connection that stops mid-header costs a few
/// dozen looks before its deadline, not hundreds per second (a real proxy sends the header
/// whole, in its first packet).
const PARTIAL_RETRY: Duration = Duration::from_millis(5);
const PARTIAL_RETRY_MAX: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub(crate) enum ProxyHeaderError {
    #[error("malformed PROXY protocol header: {0}")]
    Malformed(String),
    #[error("incomplete PROXY protocol header")]
    Incomplete,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// What the first bytes of a connection say.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Look {
    /// Not a PROXY header: leave the bytes alone.
    NotProxy,
    /// Could still become a header: wait for more bytes.
    Partial,
    /// A complete header of `length` bytes; `source` is `None` for LOCAL/UNKNOWN headers.
    Header {
        length: usize,
        source: Option<SocketAddr>,
    },
}

pub(crate) fn look(bytes: &[u8]) -> Result<Look, ProxyHeaderError> {
    let starts = |signature: &[u8]| {
        let n = bytes.len().min(signature.len());
        bytes[..n] == signature[..n]
    };
    if !starts(V1_PREFIX) && !starts(V2_SIGNATURE) {
        return Ok(Look::NotProxy);
    }
    if bytes.len() < V1_PREFIX.len().min(V2_SIGNATURE.len()) {
        return Ok(Look::Partial);
    }
    let parsed = HeaderResult::parse(bytes);
    if parsed.is_incomplete() {
        return Ok(Look::Partial);
    }
    match parsed {
        HeaderResult::V1(Ok(header)) => Ok(Look::Header {
            length: header.header.len(),
            source: match header.addresses {
                v1::Addresses::Tcp4(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
                v1::Addresses::Tcp6(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
                v1::Addresses::Unknown => None,
            },
        }),
        HeaderResult::V2(Ok(header)) => Ok(Look::Header {
            length: header.len(),
            source: match (header.command, header.addresses) {
                (v2::Command::Proxy, v2::Addresses::IPv4(a)) => {
                    Some(SocketAddr::from((a.source_address, a.source_port)))
                }
                (v2::Command::Proxy, v2::Addresses::IPv6(a)) => {
                    Some(SocketAddr::from((a.source_address, a.source_port)))
                }
                _ => None,
            },
        }),
        HeaderResult::V1(Err(error)) => Err(ProxyHeaderError::Malformed(error.to_string())),
        HeaderResult::V2(Err(error)) => Err(ProxyHeaderError::Malformed(error.to_string())),
    }
}

/// What the start of a connection from a trusted proxy said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProxyOutcome {
    /// No header (or none before the wait ran out, as with a direct client that has not
    /// spoken yet): nothing was consumed.
    NoHeader,
    /// A LOCAL or UNKNOWN header, consumed, without a client address.
    Local,
    /// A header giving the client's address, consumed.
    Client(SocketAddr),
}

/// Reads a PROXY header if the connection starts with one.
pub(crate) async fn read_header(
    tcp: &mut TcpStream,
    deadline: tokio::time::Instant,
) -> Result<ProxyOutcome, ProxyHeaderError> {
    let mut buffer = [0u8; MAX_HEADER];
    let mut pause = PARTIAL_RETRY;
    loop {
        let peeked = match tokio::time::timeout_at(deadline, tcp.peek(&mut buffer)).await {
            Err(_) => return Ok(ProxyOutcome::NoHeader),
            Ok(result) => result?,
        };
        match look(&buffer[..peeked])? {
            Look::NotProxy => return Ok(ProxyOutcome::NoHeader),
            Look::Header { length, source } => {
                tcp.read_exact(&mut buffer[..length]).await?;
                return Ok(source.map_or(ProxyOutcome::Local, ProxyOutcome::Client));
            }
            Look::Partial if peeked == 0 => return Ok(ProxyOutcome::NoHeader),
            Look::Partial if peeked == MAX_HEADER => {
                return Err(ProxyHeaderError::Malformed("header too long".into()))
            }
            Look::Partial => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(ProxyHeaderError::Incomplete);
                }
                tokio::time::sleep_until(deadline.min(tokio::time::Instant::now() + pause)).await;
                pause = (pause * 2).min(PARTIAL_RETRY_MAX);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_headers() {
        let line = b"PROXY TCP4 192.168.1.20 127.0.0.1 51000 12345\r\n{\"type\":\"users\"}\n";
        assert_eq!(
            look(line).unwrap(),
            Look::Header {
                length: 47,
                source: Some("192.168.1.20:51000".parse().unwrap())
            }
        );
        assert_eq!(look(b"PROXY TCP4 192.168").unwrap(), Look::Partial);
        assert_eq!(look(b"PRO").unwrap(), Look::Partial);
        assert_eq!(look(b"{\"type\"").unwrap(), Look::NotProxy);
        assert_eq!(look(&[0x16, 0x03, 0x01]).unwrap(), Look::NotProxy);
        assert!(look(b"PROXY TCP4 nonsense here 1 2\r\n").is_err());
        assert_eq!(
            look(b"PROXY UNKNOWN\r\n").unwrap(),
            Look::Header {
                length: 15,
                source: None
            }
        );
    }

    #[test]
    fn v2_headers() {
        let header = v2::Builder::with_addresses(
            v2::Version::Two | v2::Command::Proxy,
            v2::Protocol::Stream,
            (
                "10.1.2.3:4000".parse::<SocketAddr>().unwrap(),
                "127.0.0.1:12346".parse::<SocketAddr>().unwrap(),
            ),
        )
        .build()
        .unwrap();
        let mut bytes = header.clone();
        bytes.extend_from_slice(b"rest");
        assert_eq!(
            look(&bytes).unwrap(),
            Look::Header {
                length: header.len(),
                source: Some("10.1.2.3:4000".parse().unwrap())
            }
        );
        assert_eq!(look(&header[..14]).unwrap(), Look::Partial);
    }

    proptest::proptest! {
        /// Any bytes: a verdict, never a panic.
        #[test]
        fn any_start_of_a_connection_is_judged(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
            let _ = look(&raw);
            let mut prefixed = b"PROXY ".to_vec();
            prefixed.extend_from_slice(&raw);
            let _ = look(&prefixed);
        }

        /// A well-formed v1 header gives back the address it carries, and its length.
        #[test]
        fn v1_headers_give_their_source(source in proptest::prelude::any::<[u8; 4]>(), port in 1u16.., rest in "[a-z{}\"]{0,20}") {
            let ip = std::net::Ipv4Addr::from(source);
            let header = format!("PROXY TCP4 {ip} 127.0.0.1 {port} 12345\r\n");
            let bytes = format!("{header}{rest}");
            proptest::prop_assert_eq!(
                look(bytes.as_bytes()).unwrap(),
                Look::Header { length: header.len(), source: Some(SocketAddr::from((ip, port))) }
            );
        }
    }
}
