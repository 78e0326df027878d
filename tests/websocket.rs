//! The WebSocket transport over real WebSocket connections (tokio-tungstenite as the
//! browser): the v2 protocol in both directions with a legacy TCP client in the same room,
//! one frame per line, bad frames closed with a reason, silent browsers dropped, the Origin
//! check, the allowlist, TLS, and the web client's page.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{connect_from, tls_connect, Client, TestServer, WAIT};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

async fn with_web(edit: impl FnOnce(&mut classcord::config::Config)) -> TestServer {
    TestServer::start_with(|config| {
        config.listen.web = vec!["127.0.0.1:0".parse().unwrap()];
        edit(config);
    })
    .await
}

fn web_addr(server: &TestServer) -> SocketAddr {
    server.running().web_addrs()[0]
}

struct Browser<S> {
    socket: WebSocketStream<S>,
}

async fn open_over<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    addr: SocketAddr,
    origin: Option<&str>,
) -> Result<Browser<S>, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    let (socket, _) = tokio_tungstenite::client_async(request, stream).await?;
    Ok(Browser { socket })
}

async fn browser(addr: SocketAddr) -> Browser<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    // A browser sends the origin of the page the server itself served.
    open_over(tcp, addr, Some(&format!("http://{addr}")))
        .await
        .expect("upgrade")
}

impl<S: AsyncRead + AsyncWrite + Unpin> Browser<S> {
    async fn send(&mut self, value: Value) {
        self.socket
            .send(Message::text(value.to_string()))
            .await
            .unwrap();
    }

    /// The next text frame, as JSON (answers pings on the way, as browsers do).
    async fn recv(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame in time")
                .expect("open")
                .expect("no error");
            match frame {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON frame"),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let value = self.recv().await;
            if value["type"] == kind {
                return value;
            }
        }
    }

    /// The close frame's code and reason.
    async fn closed_with(&mut self) -> (CloseCode, String) {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("closed in time");
            match frame {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (frame.code, frame.reason.to_string())
                }
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                    panic!("closed without a reason")
                }
                Some(Ok(_)) => {}
            }
        }
    }

    async fn v2_user(&mut self, name: &str) {
        self.send(json!({"type": "hello", "version": 2})).await;
        assert_eq!(self.recv().await["type"], "hello");
        self.send(json!({"type": "register", "username": name, "password": "pw"}))
            .await;
        assert_eq!(self.recv().await["status"], "ok");
        self.send(json!({"type": "login", "username": name, "password": "pw"}))
            .await;
        assert_eq!(self.recv_type("login").await["status"], "ok");
    }
}

#[tokio::test]
async fn browsers_and_legacy_clients_talk_in_the_same_room() {
    let server = with_web(|_| {}).await;
    let mut web = browser(web_addr(&server)).await;
    web.v2_user("chloé").await;
    let mut legacy = server.user("bob").await;

    web.send(json!({"type": "message", "channel": "#général", "content": "bonjour"}))
        .await;
    let seen = legacy.recv_type("message").await;
    assert_eq!(
        (&seen["from"], &seen["content"], &seen["subtype"]),
        (&json!("chloé"), &json!("bonjour"), &json!("global"))
    );

    // A burst from the legacy client reaches the browser one frame per message, in order.
    for n in 0..20 {
        legacy
            .send(json!({"type": "message", "subtype": "global", "content": format!("m{n}")}))
            .await;
    }
    for n in 0..20 {
        let message = web.recv_type("message").await;
        assert_eq!(message["content"], format!("m{n}"));
    }

    // Private messages both ways.
    web.send(json!({"type": "message", "subtype": "private", "to": "bob", "content": "psst"}))
        .await;
    assert_eq!(legacy.recv_type("message").await["to"], "bob");
    legacy
        .send(json!({"type": "message", "subtype": "private", "to": "chloé", "content": "oui"}))
        .await;
    assert_eq!(web.recv_type("message").await["content"], "oui");
}

#[tokio::test]
async fn bad_text_gets_an_error_frame_and_the_connection_stays() {
    let server = with_web(|_| {}).await;
    let mut web = browser(web_addr(&server)).await;
    web.socket.send(Message::text("{not json")).await.unwrap();
    assert_eq!(web.recv().await["type"], "error");
    // A frame with newlines inside is still one request.
    web.socket
        .send(Message::text("{\"type\":\n\"hello\",\r\n\"version\":2}"))
        .await
        .unwrap();
    assert_eq!(web.recv().await["type"], "hello");
}

#[tokio::test]
async fn binary_and_oversize_frames_close_with_a_reason() {
    let server = with_web(|config| config.limits.max_line_bytes = 1024).await;
    let mut web = browser(web_addr(&server)).await;
    web.socket
        .send(Message::binary(vec![1, 2, 3]))
        .await
        .unwrap();
    let (code, reason) = web.closed_with().await;
    assert_eq!(code, CloseCode::Unsupported);
    assert!(reason.contains("text frames only"), "{reason}");

    let mut web = browser(web_addr(&server)).await;
    web.socket
        .send(Message::text("x".repeat(5000)))
        .await
        .unwrap();
    let (code, reason) = web.closed_with().await;
    assert_eq!(code, CloseCode::Size);
    assert!(reason.contains("1024"), "{reason}");
}

/// A WebSocket client that never reads nor answers: the upgrade written by hand, then the
/// raw bytes the server sends until it closes the connection.
async fn silent_browser(addr: SocketAddr) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut received = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut received))
        .await
        .expect("closed by the server in time")
        .unwrap();
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    let body = text.find("\r\n\r\n").unwrap() + 4;
    received.split_off(body)
}

#[tokio::test]
async fn a_browser_that_stops_answering_pings_is_disconnected() {
    let server = with_web(|config| config.web.ping_interval_secs = 1).await;
    let mut awake = browser(web_addr(&server)).await;
    awake.v2_user("réveillé").await;
    // The awake browser reads (and so answers pings) meanwhile.
    let awake_reads = async {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(3500);
        while let Ok(frame) = tokio::time::timeout_at(deadline, awake.socket.next()).await {
            assert!(
                matches!(frame, Some(Ok(Message::Ping(_) | Message::Text(_)))),
                "{frame:?}"
            );
        }
    };
    let (frames, ()) = tokio::join!(silent_browser(web_addr(&server)), awake_reads);
    // Unmasked server frames: pings (0x89, empty), then the close frame (0x88) with its code
    // and reason.
    let mut rest = frames.as_slice();
    let mut pings = 0;
    while rest.starts_with(&[0x89, 0x00]) {
        pings += 1;
        rest = &rest[2..];
    }
    assert!(pings >= 2, "{frames:?}");
    assert_eq!(rest[0], 0x88, "{frames:?}");
    let length = usize::from(rest[1]);
    assert_eq!(u16::from_be_bytes([rest[2], rest[3]]), 1001);
    assert_eq!(&rest[4..2 + length], b"no answer to ping");
    // The awake one stays.
    awake.send(json!({"type": "users"})).await;
    assert_eq!(awake.recv_type("users").await["type"], "users");
}

#[tokio::test]
async fn pages_of_other_sites_may_not_open_a_websocket() {
    let server = with_web(|config| {
        config.web.allowed_origins = vec!["https://ent.lycee.fr".into()];
    })
    .await;
    let addr = web_addr(&server);
    let attempt = |origin: &'static str| async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        open_over(tcp, addr, Some(origin)).await.map(|_| ())
    };
    match attempt("http://evil.example").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("cross-site upgrade not refused: {other:?}"),
    }
    attempt("https://ent.lycee.fr")
        .await
        .expect("listed origin");
    // Clients that are not browsers send no Origin.
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    open_over(tcp, addr, None).await.expect("no origin");
    let metrics = server.running().render_metrics();
    assert!(
        metrics.contains(
            "classcord_connections_refused_total{listener=\"web\",reason=\"handshake_failed\"} 1\n"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_allowlist_applies_before_the_upgrade() {
    let server = with_web(|config| {
        config.gate.allow = vec!["127.0.0.2/32".parse().unwrap()];
    })
    .await;
    let addr = web_addr(&server);
    let refused = connect_from("127.0.0.1", addr).await.unwrap();
    assert!(open_over(refused, addr, None).await.is_err());
    let allowed = connect_from("127.0.0.2", addr).await.unwrap();
    let mut web = open_over(allowed, addr, None)
        .await
        .expect("allowed address");
    web.send(json!({"type": "hello", "version": 2})).await;
    assert_eq!(web.recv().await["type"], "hello");
}

#[tokio::test]
async fn websocket_over_tls_uses_the_servers_certificate() {
    let server = TestServer::start_with(|config| {
        config.listen.web_tls = vec!["127.0.0.1:0".parse().unwrap()];
    })
    .await;
    let addr = server.running().web_addrs()[0];
    let tls = tls_connect(addr, &server.path("certs/ca.crt"), "localhost")
        .await
        .expect("TLS handshake");
    let mut request = format!("wss://localhost:{}/ws", addr.port())
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Origin",
        format!("https://localhost:{}", addr.port())
            .parse()
            .unwrap(),
    );
    let (socket, _) = tokio_tungstenite::client_async(request, tls).await.unwrap();
    let mut web = Browser { socket };
    web.v2_user("sécurisé").await;
    let mut legacy: Client = server.user("ancien").await;
    web.send(json!({"type": "message", "channel": "#général", "content": "chiffré"}))
        .await;
    assert_eq!(legacy.recv_type("message").await["content"], "chiffré");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_client_is_served_with_a_strict_content_security_policy() {
    let server = with_web(|_| {}).await;
    let addr = web_addr(&server);
    for (path, kind) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        // Browsers ask for the icon by themselves: no 404 in their console.
        ("/favicon.ico", "image/svg+xml"),
        ("/favicon.svg", "image/svg+xml"),
    ] {
        let output = std::process::Command::new("curl")
            .args(["--silent", "--include", "--max-time", "10"])
            .arg(format!("http://{addr}{path}"))
            .output()
            .expect("curl is installed");
        let text = String::from_utf8_lossy(&output.stdout).to_lowercase();
        assert!(text.starts_with("http/1.1 200"), "{path}: {text}");
        assert!(
            text.contains(&format!("content-type: {kind}")),
            "{path}: {text}"
        );
        assert!(
            text.contains("content-security-policy: default-src 'self'"),
            "{path}: {text}"
        );
    }
}

async fn open_forwarded(
    source: &str,
    addr: SocketAddr,
    forwarded_for: &str,
) -> Browser<tokio::net::TcpStream> {
    let tcp = connect_from(source, addr).await.unwrap();
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("X-Forwarded-For", forwarded_for.parse().unwrap());
    let (socket, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    Browser { socket }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let server = with_web(|config| {
        config.gate.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        config.gate.allow = vec![
            "127.0.0.0/8".parse().unwrap(),
            "192.168.0.0/16".parse().unwrap(),
        ];
    })
    .await;
    let addr = web_addr(&server);
    // Through the proxy: the session is the named client's.
    let mut proxied = open_forwarded("127.0.0.1", addr, "10.9.9.9, 192.168.1.20").await;
    proxied.v2_user("derrière").await;
    // From anyone else the header is ignored.
    let mut direct = open_forwarded("127.0.0.2", addr, "192.168.1.99").await;
    direct.v2_user("devant").await;
    let users = server.admin_ok(&["users"]);
    assert!(users.contains("derrière 192.168.1.20\n"), "{users}");
    assert!(users.contains("devant 127.0.0.2\n"), "{users}");
    // A named client outside the allowlist is refused like a direct one.
    let mut outside = open_forwarded("127.0.0.1", addr, "8.8.8.8").await;
    let frame = tokio::time::timeout(WAIT, outside.socket.next())
        .await
        .unwrap();
    assert!(
        !matches!(frame, Some(Ok(Message::Text(_)))),
        "served: {frame:?}"
    );
    let metrics = server.running().render_metrics();
    assert!(
        metrics.contains(
            "classcord_connections_refused_total{listener=\"web\",reason=\"not_allowed\"} 1\n"
        ),
        "{metrics}"
    );
}

/// A raw upgrade request with the given headers; the status code of the answer.
async fn upgrade_status(addr: SocketAddr, headers: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /ws HTTP/1.1\r\n{headers}Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0; 64];
    let read = tcp.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).to_string();
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

#[tokio::test]
async fn a_site_whose_name_points_here_cannot_pass_for_the_server_dns_rebinding() {
    let server = with_web(|config| config.web.host_names = vec!["chat.lycee.fr".into()]).await;
    let addr = web_addr(&server);
    let port = addr.port();
    // The attack: evil.example resolves to the server, the page's origin matches its Host.
    let rebinding = format!("Host: evil.example:{port}\r\nOrigin: http://evil.example:{port}\r\n");
    assert_eq!(upgrade_status(addr, &rebinding).await, 403);
    // Two Origin headers, one of them the server's own.
    let repeated =
        format!("Host: {addr}\r\nOrigin: http://{addr}\r\nOrigin: http://evil.example:{port}\r\n");
    assert_eq!(upgrade_status(addr, &repeated).await, 403);
    // The server's own addresses and the names it was given are served.
    for host in [
        addr.to_string(),
        format!("localhost:{port}"),
        format!("chat.lycee.fr:{port}"),
    ] {
        let page = format!("Host: {host}\r\nOrigin: http://{host}\r\n");
        assert_eq!(upgrade_status(addr, &page).await, 101, "{host}");
    }
}
