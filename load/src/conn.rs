//! Connections to the server under test: plain or TLS, spread over several loopback source
//! addresses when one address's ephemeral ports would run out, and quiet identification.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
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
        Ok(Target { addr, tls })
    }

    /// Connects connection number `index` (which picks its source address).
    pub async fn connect(&self, index: usize) -> anyhow::Result<BoxStream> {
        let tcp = connect_tcp(self.addr, index).await?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some(tls) => {
                let stream = tls
                    .connector
                    .connect(tls.server_name.clone(), tcp)
                    .await
                    .with_context(|| format!("TLS handshake with {} failed", self.addr))?;
                Ok(Box::new(stream))
            }
        }
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
    /// The reference relay: wait for its banner (proof it accepted the connection).
    RelayBanner,
}

/// A connection split for the load generator: buffered reads, direct writes.
pub struct Conn {
    pub reader: BufReader<tokio::io::ReadHalf<BoxStream>>,
    pub writer: tokio::io::WriteHalf<BoxStream>,
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
            Identify::RelayBanner => {
                let mut line = Vec::new();
                if self.reader.read_until(b'\n', &mut line).await? == 0 {
                    bail!("relay closed the connection");
                }
                Ok(())
            }
        }
    }

    /// Creates a fresh account and logs in with it (two password hashes on the server).
    async fn register_and_login(&mut self, name: &str) -> anyhow::Result<()> {
        let name = format!("{name}_{}", std::process::id());
        let lines = format!(
            "{{\"type\":\"hello\",\"version\":2,\"presence\":false}}\n\
             {{\"type\":\"register\",\"username\":\"{name}\",\"password\":\"load-password\"}}\n\
             {{\"type\":\"login\",\"username\":\"{name}\",\"password\":\"load-password\"}}\n"
        );
        self.writer.write_all(lines.as_bytes()).await?;
        self.wait_for("\"type\":\"login\"").await
    }

    /// Reads lines until one contains `marker`; an error line from the server fails.
    async fn wait_for(&mut self, marker: &str) -> anyhow::Result<()> {
        let mut line = Vec::new();
        loop {
            line.clear();
            if self.reader.read_until(b'\n', &mut line).await? == 0 {
                bail!("server closed the connection while identifying");
            }
            let text = String::from_utf8_lossy(&line);
            if text.contains(marker) {
                return Ok(());
            }
            if text.contains("\"type\":\"error\"") {
                bail!("server refused identification: {}", text.trim());
            }
        }
    }

    /// Identifies as a quiet v2 guest (no presence lines, no announce message) and waits for
    /// the server's confirmation.
    async fn identify_quietly(&mut self, name: &str) -> anyhow::Result<()> {
        let lines = format!(
            "{{\"type\":\"hello\",\"version\":2,\"presence\":false}}\n{{\"type\":\"guest\",\"name\":\"{name}\"}}\n"
        );
        self.writer.write_all(lines.as_bytes()).await?;
        self.wait_for("\"type\":\"guest\"").await
    }
}
