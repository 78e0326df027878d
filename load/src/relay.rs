//! The reference relay: reads lines and writes the same bytes to every other connection, with
//! no JSON, no storage and no checks (one banner line on accept is all it says itself), over
//! plain TCP or TLS, or as WebSocket text frames (tungstenite, the server's crate stack). It
//! measures what this machine allows, so every server figure can be given as a ratio to it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Lines queued per connection before a sender waits for it (the relay never drops one).
const QUEUE: usize = 1024;

/// Every connection's queue, by connection: lines (`Bytes`), or text frames' payloads
/// (`Utf8Bytes`, checked once when read, shared with every receiver).
type Peers<T = Bytes> = Arc<Mutex<HashMap<u64, mpsc::Sender<T>>>>;

/// The certificate and key a TLS relay serves (the server's own files do).
#[derive(Debug, Clone)]
pub struct RelayTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn acceptor(tls: &RelayTls) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(&tls.cert)
        .with_context(|| format!("cannot read {}", tls.cert.display()))?
        .collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .with_context(|| format!("cannot read {}", tls.key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(chain, key)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves until the process is killed; prints `listening on ADDR` once bound.
pub async fn serve(
    listen: SocketAddr,
    tls: Option<RelayTls>,
    websocket: bool,
) -> anyhow::Result<()> {
    let acceptor = tls.as_ref().map(acceptor).transpose()?;
    let socket = match listen {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.bind(listen)?;
    // The same backlog as the server, so both absorb connection bursts alike.
    let listener = socket.listen(4096)?;
    println!("listening on {}", listener.local_addr()?);
    let peers: Peers = Arc::default();
    let text_peers: Peers<Utf8Bytes> = Arc::default();
    let next_id = AtomicU64::new(0);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("relay: accept failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        match (&acceptor, websocket) {
            (None, false) => relay_connection(stream, id, Arc::clone(&peers)),
            (None, true) => {
                tokio::spawn(websocket_connection(stream, id, Arc::clone(&text_peers)));
            }
            (Some(acceptor), websocket) => {
                let acceptor = acceptor.clone();
                let (peers, text_peers) = (Arc::clone(&peers), Arc::clone(&text_peers));
                tokio::spawn(async move {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        if websocket {
                            websocket_connection(stream, id, text_peers).await;
                        } else {
                            relay_connection(stream, id, peers);
                        }
                    }
                });
            }
        }
    }
}

/// One connection: a task writes what the others send it, another relays what it sends.
fn relay_connection<S>(stream: S, id: u64, peers: Peers)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (read, mut write) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<Bytes>(QUEUE);
    // A banner tells the load generator the connection was accepted.
    let _ = tx.try_send(Bytes::from_static(b"{\"type\":\"relay\"}\n"));
    peers.lock().unwrap().insert(id, tx);
    tokio::spawn(async move {
        let mut buffer = BytesMut::new();
        while let Some(first) = rx.recv().await {
            buffer.extend_from_slice(&first);
            while let Ok(next) = rx.try_recv() {
                buffer.extend_from_slice(&next);
            }
            if write.write_all(&buffer).await.is_err() {
                break;
            }
            buffer.clear();
        }
    });
    tokio::spawn(async move {
        let mut reader = BufReader::with_capacity(1024, read);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line).await, Ok(n) if n > 0) {
            relay_to_others(&peers, id, Bytes::from(std::mem::take(&mut line))).await;
        }
        peers.lock().unwrap().remove(&id);
    });
}

/// Queues `line` for every connection but `id`. A connection whose queue is full is waited
/// for, outside the lock (the sender's next line waits too, as over a TCP relay): nothing is
/// dropped, so a slow reader costs the relay time, never a line.
async fn relay_to_others<T: Clone>(peers: &Peers<T>, id: u64, line: T) {
    let mut full = Vec::new();
    for (peer, queue) in peers.lock().unwrap().iter() {
        if *peer != id {
            if let Err(mpsc::error::TrySendError::Full(line)) = queue.try_send(line.clone()) {
                full.push((queue.clone(), line));
            }
        }
    }
    for (queue, line) in full {
        let _ = queue.send(line).await;
    }
}

/// Read buffer of a WebSocket connection of the relay.
const RELAY_READ_BUFFER: usize = 4096;

/// One WebSocket connection: each text frame goes to every other connection as a text
/// frame; a task writes what the others send it, every frame waiting in one flush.
async fn websocket_connection<S>(stream: S, id: u64, peers: Peers<Utf8Bytes>)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    // A small read buffer, as the server's (tungstenite's default 128 KiB is zeroed at
    // every read: most of the relay's instructions went there).
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(RELAY_READ_BUFFER);
    let Ok(socket) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (mut frames_out, mut frames_in) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Utf8Bytes>(QUEUE);
    let _ = tx.try_send(Utf8Bytes::from_static("{\"type\":\"relay\"}"));
    peers.lock().unwrap().insert(id, tx);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut next = Some(first);
            while let Some(text) = next {
                if frames_out.feed(Message::Text(text)).await.is_err() {
                    return;
                }
                next = rx.try_recv().ok();
            }
            if frames_out.flush().await.is_err() {
                return;
            }
        }
    });
    while let Some(Ok(frame)) = frames_in.next().await {
        if let Message::Text(text) = frame {
            relay_to_others(&peers, id, text).await;
        }
    }
    peers.lock().unwrap().remove(&id);
}

/// A relay started as a child process of this program, killed on drop.
pub struct RelayProcess {
    child: std::process::Child,
    pub addr: SocketAddr,
}

impl RelayProcess {
    pub fn spawn(tls: Option<&RelayTls>, websocket: bool) -> anyhow::Result<RelayProcess> {
        use std::io::BufRead;
        let mut command = std::process::Command::new(std::env::current_exe()?);
        command.args(["relay", "--listen", "127.0.0.1:0"]);
        if websocket {
            command.arg("--websocket");
        }
        if let Some(tls) = tls {
            command
                .arg("--cert")
                .arg(&tls.cert)
                .arg("--key")
                .arg(&tls.key);
        }
        let mut child = command.stdout(std::process::Stdio::piped()).spawn()?;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| anyhow::anyhow!("relay did not start: {line:?}"))?
            .parse()?;
        Ok(RelayProcess { child, addr })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
