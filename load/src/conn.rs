//! Connections to the server under test: plain, TLS, or a WebSocket over either (one line
//! per text frame, `ws_lines.rs`), spread over several loopback source addresses when
//! one address's ephemeral ports would run out, and quiet identification.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use classcord_protocol::{parse_line, Command, Presence, Reply, Target as MessageTarget};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// Connections per source address before moving to the next 127.0.0.x.
const PER_SOURCE: usize = 5_000;

pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}
pub type BoxStream = Box<dyn Stream>;

/// How to reach the server.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub tls: Option<TlsTarget>,
    /// Speak through a WebSocket upgrade on `/ws` (a `web` or `web_tls` listener).
    pub websocket: bool,
}

#[derive(Clone)]
pub struct TlsTarget {
    pub connector: tokio_rustls::TlsConnector,
    pub server_name: rustls_pki_types::ServerName<'static>,
}

impl Target {
    pub fn new(addr: SocketAddr, ca: Option<PathBuf>, server_name: &str) -> anyhow::Result<Target> {
        let tls = match ca {
            None => None,
            Some(ca) => Some(TlsTarget {
                connector: tokio_rustls::TlsConnector::from(client_config(&ca)?),
                server_name: rustls_pki_types::ServerName::try_from(server_name.to_owned())
                    .context("invalid --server-name")?,
            }),
        };
        Ok(Target {
            addr,
            tls,
            websocket: false,
        })
    }

    /// The same server, reached through a WebSocket.
    pub fn over_websocket(self, websocket: bool) -> Target {
        Target { websocket, ..self }
    }

    /// Connects connection number `index` (which picks its source address).
    pub async fn connect(&self, index: usize) -> anyhow::Result<BoxStream> {
        let tcp = connect_tcp(self.addr, index).await?;
        let _ = tcp.set_nodelay(true);
        let stream: BoxStream = match &self.tls {
            None => Box::new(tcp),
            Some(tls) => {
                let stream = tls
                    .connector
                    .connect(tls.server_name.clone(), tcp)
                    .await
                    .with_context(|| format!("TLS handshake with {} failed", self.addr))?;
                Box::new(stream)
            }
        };
        if !self.websocket {
            return Ok(stream);
        }
        let scheme = if self.tls.is_some() { "wss" } else { "ws" };
        let socket = crate::ws_lines::connect(stream, &format!("{scheme}://{}/ws", self.addr))
            .await
            .with_context(|| format!("WebSocket upgrade with {} failed", self.addr))?;
        Ok(Box::new(socket))
    }
}

/// A rustls client trusting only `ca`, without session resumption (every handshake is full).
pub fn client_config(ca: &std::path::Path) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_file_iter(ca)
        .with_context(|| format!("cannot read CA file {}", ca.display()))?
    {
        roots.add(cert.context("invalid CA certificate")?)?;
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(config))
}

async fn connect_tcp(addr: SocketAddr, index: usize) -> anyhow::Result<TcpStream> {
    let stream = if addr.ip().is_loopback() && addr.is_ipv4() {
        // Each slice of connections binds its own loopback address, so one address's
        // ephemeral ports never run out; the second octet changes with every process, so a
        // run never meets the TIME_WAIT ports an earlier run left behind.
        let salt = (std::process::id() % 250) as u8;
        let slice = index / PER_SOURCE;
        let source = Ipv4Addr::new(127, 1 + salt, (slice / 250) as u8, 1 + (slice % 250) as u8);
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
        socket.connect(addr).await
    } else {
        TcpStream::connect(addr).await
    };
    stream.with_context(|| format!("cannot connect to {addr} (is the server running?)"))
}

/// How a fresh connection gets ready before the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identify {
    /// ClassCord: a quiet v2 guest (no presence lines, no announce message).
    Guest,
    /// ClassCord: a fresh account, registered then logged in.
    Account,
    /// ClassCord, as the legacy clients do it: a guest announced by an empty message, seen
    /// by everyone already in (a presence line to each).
    LegacyGuest,
    /// The reference relay: wait for its banner (proof it accepted the connection).
    RelayBanner,
    /// The reference relay, measured as a legacy join storm: after the banner, one line that
    /// the relay sends to everyone already connected (as a legacy guest's announcement is).
    RelayAnnounce,
}

pub type ConnReader = BufReader<tokio::io::ReadHalf<BoxStream>>;
pub type ConnWriter = tokio::io::WriteHalf<BoxStream>;

/// A connection split for the load generator: buffered reads, direct writes.
pub struct Conn {
    pub reader: ConnReader,
    pub writer: ConnWriter,
}

impl Conn {
    pub fn new(stream: BoxStream) -> Conn {
        let (read, write) = tokio::io::split(stream);
        Conn {
            reader: BufReader::with_capacity(16 * 1024, read),
            writer: write,
        }
    }

    /// Readies a fresh connection as `identify` says.
    pub async fn greet(&mut self, identify: Identify, name: &str) -> anyhow::Result<()> {
        match identify {
            Identify::Guest => self.identify_quietly(name).await,
            Identify::Account => self.register_and_login(name).await,
            Identify::LegacyGuest => self.announce_as_legacy_guest(name).await,
            Identify::RelayBanner | Identify::RelayAnnounce => {
                let mut line = Vec::new();
                if self.reader.read_until(b'\n', &mut line).await? == 0 {
                    bail!("relay closed the connection");
                }
                if identify == Identify::RelayAnnounce {
                    self.send_all(&[Command::Status {
                        state: format!("{name} online"),
                    }])
                    .await?;
                }
                Ok(())
            }
        }
    }

    /// Creates a fresh account and logs in with it (two password hashes on the server).
    async fn register_and_login(&mut self, name: &str) -> anyhow::Result<()> {
        let username = format!("{name}_{}", std::process::id());
        let password = "load-password".to_owned();
        self.send_all(&[
            quiet_hello(),
            Command::Register {
                username: username.clone(),
                password: password.clone(),
            },
            Command::Login { username, password },
        ])
        .await?;
        self.wait_for(|reply| matches!(reply, Reply::Login { .. }))
            .await
    }

    /// Identifies as a quiet v2 guest (no presence lines, no announce message) and waits for
    /// the server's confirmation.
    async fn identify_quietly(&mut self, name: &str) -> anyhow::Result<()> {
        self.send_all(&[
            quiet_hello(),
            Command::Guest {
                name: Some(name.to_owned()),
            },
        ])
        .await?;
        self.wait_for(|reply| matches!(reply, Reply::Guest { .. }))
            .await
    }

    /// Announces a legacy guest with an empty message; the `users` answer that follows
    /// proves it is identified (presence lines of others may come before it).
    async fn announce_as_legacy_guest(&mut self, name: &str) -> anyhow::Result<()> {
        self.send_all(&[
            Command::Message {
                target: MessageTarget::Global,
                content: String::new(),
                from: Some(name.to_owned()),
            },
            Command::Users,
        ])
        .await?;
        self.wait_for(|reply| matches!(reply, Reply::Users { .. }))
            .await
    }

    /// Writes requests in one go.
    pub async fn send_all(&mut self, commands: &[Command]) -> anyhow::Result<()> {
        let mut lines = Vec::new();
        for command in commands {
            lines.extend_from_slice(&command.encode());
        }
        self.writer.write_all(&lines).await?;
        self.writer.flush().await?;
        Ok(())
    }

    /// The next line from the server, parsed.
    pub async fn next_reply(&mut self) -> anyhow::Result<Reply> {
        let mut line = Vec::new();
        if self.reader.read_until(b'\n', &mut line).await? == 0 {
            bail!("server closed the connection");
        }
        Reply::parse(&line).with_context(|| {
            format!(
                "unexpected line from the server: {}",
                String::from_utf8_lossy(&line).trim()
            )
        })
    }

    /// Reads replies until one that `wanted` accepts; an error reply fails.
    pub async fn wait_for(&mut self, wanted: impl Fn(&Reply) -> bool) -> anyhow::Result<()> {
        loop {
            match self.next_reply().await? {
                Reply::Error { message, .. } => {
                    bail!("server refused: {message}")
                }
                reply if wanted(&reply) => return Ok(()),
                _ => {}
            }
        }
    }
}

/// `hello` for a v2 client that does not want presence lines.
fn quiet_hello() -> Command {
    Command::Hello {
        version: 2,
        presence: Presence::Quiet,
    }
}

/// The content of a chat line: a message as the server forwards it, or as the reference
/// relay echoes the client's request.
pub fn chat_content(line: &[u8]) -> Option<String> {
    match Reply::parse(line) {
        Ok(Reply::Message(message)) => Some(message.content),
        Ok(_) => None,
        Err(_) => match parse_line(line.strip_suffix(b"\n").unwrap_or(line)) {
            Ok(Command::Message { content, .. }) => Some(content),
            _ => None,
        },
    }
}

/// A global message as the load generator sends it.
pub fn global_message(content: String) -> Command {
    Command::Message {
        target: MessageTarget::Global,
        content,
        from: None,
    }
}
