//! WebSocket over HTTP/1.1, on plain TCP or TLS: the browsers' transport. The connection's
//! first request is answered by hyper and axum: `GET /ws` with an allowed `Origin` and a
//! valid WebSocket handshake upgrades and becomes a session, read and written as lines by
//! `websocket.rs` (no task or pipe between them); the web client's files are served and the
//! connection ends.

use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use ipnet::IpNet;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::websocket::WebSocketLines;
use super::{Established, ListenerKind, Transport};
use crate::address::normalise;

/// What the web listeners need from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct WebSettings {
    /// Origins allowed besides the page's own (`scheme://host[:port]`, compared without case).
    pub(crate) allowed_origins: Vec<String>,
    /// The names and addresses this server answers to (lower case, without port): a
    /// browser's `Host` must be one of them, or a page of another site whose name was made
    /// to point here (DNS rebinding) would pass for the server's own.
    pub(crate) served_hosts: Vec<String>,
    /// Largest text frame: the longest line a session accepts.
    pub(crate) max_frame_bytes: usize,
    /// A ping every interval; a browser silent for two is gone.
    pub(crate) ping_interval: Duration,
    /// Proxies whose `X-Forwarded-For` names the client (none on a listener that reads
    /// PROXY headers: the header already did).
    pub(crate) forwarded_for_from: Vec<IpNet>,
}

/// A WebSocket listener over another transport (`Plain` or `Tls`).
pub(crate) struct Web<T> {
    inner: Arc<T>,
    kind: ListenerKind,
    settings: Arc<WebSettings>,
}

impl<T: Transport> Web<T> {
    pub(crate) fn new(inner: Arc<T>, kind: ListenerKind, settings: WebSettings) -> Web<T> {
        Web {
            inner,
            kind,
            settings: Arc::new(settings),
        }
    }
}

/// Why a request did not become a session although it asked for one.
#[derive(Debug, thiserror::Error)]
enum UpgradeRefused {
    #[error(
        "WebSocket from origin {0:?} refused (allowed: this page's own and [web] allowed_origins)"
    )]
    Origin(String),
    #[error(
        "WebSocket for host {0:?} refused: not a name of this server (add it to [web] host_names, or to the certificate with generate-cert --san)"
    )]
    Host(String),
    #[error("WebSocket with several Origin headers refused")]
    RepeatedOrigin,
}

/// One connection's request handling state.
struct Exchange {
    settings: Arc<WebSettings>,
    /// Whether the peer is a proxy whose `X-Forwarded-For` is believed.
    from_trusted_proxy: bool,
    /// The client the proxy named.
    forwarded_for: Mutex<Option<IpAddr>>,
    upgraded: Mutex<Option<oneshot::Sender<OnUpgrade>>>,
    refused: Mutex<Option<UpgradeRefused>>,
}

impl<T: Transport> Transport for Web<T> {
    type Stream = WebSocketLines<TokioIo<Upgraded>>;

    fn kind(&self) -> ListenerKind {
        self.kind
    }

    async fn establish(&self, tcp: TcpStream) -> io::Result<Established<Self::Stream>> {
        let from_trusted_proxy = tcp.peer_addr().is_ok_and(|peer| {
            let peer = normalise(peer.ip());
            self.settings
                .forwarded_for_from
                .iter()
                .any(|net| net.contains(&peer))
        });
        let Established::Session(stream) = self.inner.establish(tcp).await? else {
            return Ok(Established::Answered);
        };
        let (upgraded, socket) = oneshot::channel();
        let exchange = Arc::new(Exchange {
            settings: Arc::clone(&self.settings),
            from_trusted_proxy,
            forwarded_for: Mutex::new(None),
            upgraded: Mutex::new(Some(upgraded)),
            refused: Mutex::new(None),
        });
        let router = Router::new()
            .route("/ws", get(upgrade))
            .merge(crate::web_client::routes())
            .with_state(Arc::clone(&exchange));
        // The page's files, then the connection ends after the header deadline idle (within
        // the handshake deadline); or the upgrade, which ends HTTP on this connection.
        crate::http1::connection_builder()
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(router))
            .with_upgrades()
            .await
            .map_err(io::Error::other)?;
        if let Some(refused) = exchange
            .refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, refused));
        }
        let forwarded_for = exchange
            .forwarded_for
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(exchange);
        let Ok(on_upgrade) = socket.await else {
            return Ok(Established::Answered);
        };
        // hyper hands the connection over once the 101 answer is sent.
        let Ok(upgraded) = on_upgrade.await else {
            return Ok(Established::Answered);
        };
        let lines = WebSocketLines::new(
            TokioIo::new(upgraded),
            self.settings.max_frame_bytes,
            self.settings.ping_interval,
        );
        Ok(match forwarded_for {
            Some(client) => Established::Forwarded(lines, client),
            None => Established::Session(lines),
        })
    }
}

async fn upgrade(State(exchange): State<Arc<Exchange>>, mut request: Request) -> Response {
    let headers = request.headers();
    // The WebSocket handshake (RFC 6455, 4.2.1): an upgrade to version 13, with a key.
    let Some(key) = handshake_key(headers) else {
        return (
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake (version 13) expected\n",
        )
            .into_response();
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("").to_owned();
        let settings = &exchange.settings;
        if headers.get_all(header::ORIGIN).iter().count() > 1 {
            *exchange.refused.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(UpgradeRefused::RepeatedOrigin);
            return (StatusCode::FORBIDDEN, "one Origin header expected\n").into_response();
        }
        if !host_served(headers, &settings.served_hosts) {
            let host = headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok())
                .unwrap_or("")
                .to_owned();
            *exchange.refused.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(UpgradeRefused::Host(host));
            return (StatusCode::FORBIDDEN, "host not served\n").into_response();
        }
        if !origin_allowed(&origin, headers, &settings.allowed_origins) {
            *exchange.refused.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(UpgradeRefused::Origin(origin));
            return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
        }
    }
    if exchange.from_trusted_proxy {
        *exchange
            .forwarded_for
            .lock()
            .unwrap_or_else(|p| p.into_inner()) =
            forwarded_client(headers, &exchange.settings.forwarded_for_from);
    }
    let Some(upgraded) = exchange
        .upgraded
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    else {
        return StatusCode::CONFLICT.into_response();
    };
    let _ = upgraded.send(hyper::upgrade::on(&mut request));
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "upgrade")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The `Sec-WebSocket-Key` of a request that asks for a WebSocket, version 13.
fn handshake_key(headers: &HeaderMap) -> Option<String> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    let version = headers.get(header::SEC_WEBSOCKET_VERSION)?;
    if !has_token(header::CONNECTION, "upgrade")
        || !has_token(header::UPGRADE, "websocket")
        || version != "13"
    {
        return None;
    }
    let key = headers.get(header::SEC_WEBSOCKET_KEY)?.to_str().ok()?;
    (!key.is_empty()).then(|| key.to_owned())
}

/// The host name of a `Host` header (`name:port`, `[v6]:port`, `name`), in lower case.
pub(crate) fn host_name(host: &str) -> String {
    let host = host.trim();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether a browser's `Host` is a name or an address this server answers to.
fn host_served(headers: &HeaderMap, served: &[String]) -> bool {
    let hosts = headers.get_all(header::HOST);
    let mut hosts = hosts.iter();
    match (hosts.next(), hosts.next()) {
        (Some(host), None) => host
            .to_str()
            .is_ok_and(|host| served.contains(&host_name(host))),
        _ => false,
    }
}

/// A browser sends its page's origin: the page this listener served (same host and port as
/// the request's `Host`), or one listed in `[web] allowed_origins`. Anything else is another
/// site trying to use the visitor's network position (cross-site WebSocket hijacking).
fn origin_allowed(origin: &str, headers: &HeaderMap, allowed: &[String]) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("");
    let own = origin.split_once("://").is_some_and(|(scheme, rest)| {
        matches!(scheme, "http" | "https") && !host.is_empty() && rest.eq_ignore_ascii_case(host)
    });
    own || allowed
        .iter()
        .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// The client a chain of trusted proxies names: the last `X-Forwarded-For` address that is
/// not one of them (the addresses before it could have been written by the client itself).
fn forwarded_client(headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|address| address.trim().parse::<IpAddr>().map(normalise))
        .collect::<Result<_, _>>()
        .ok()?;
    chain
        .into_iter()
        .rev()
        .find(|address| !trusted.iter().any(|net| net.contains(address)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, value.parse().unwrap());
        headers
    }

    #[test]
    fn the_client_is_the_last_address_no_trusted_proxy_wrote() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let forwarded = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("x-forwarded-for", value.parse().unwrap());
            forwarded_client(&headers, &trusted)
        };
        let client = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        assert_eq!(forwarded("192.168.1.20"), client("192.168.1.20"));
        // A client that writes its own header cannot hide behind it.
        assert_eq!(
            forwarded("1.2.3.4, 192.168.1.20, 10.0.0.7"),
            client("192.168.1.20")
        );
        assert_eq!(forwarded("::ffff:192.168.1.20"), client("192.168.1.20"));
        assert_eq!(forwarded("10.0.0.7"), None);
        assert_eq!(forwarded("not an address, 192.168.1.20"), None);
        assert_eq!(forwarded_client(&HeaderMap::new(), &trusted), None);
    }

    #[test]
    fn host_names_lose_their_port_and_case() {
        assert_eq!(host_name("Chat.Lycee.FR:8080"), "chat.lycee.fr");
        assert_eq!(host_name("[::1]:8080"), "::1");
        assert_eq!(host_name("192.168.1.5"), "192.168.1.5");
        assert_eq!(host_name("chat.lycee.fr."), "chat.lycee.fr");
        let served = vec!["chat.lycee.fr".to_owned()];
        assert!(host_served(&host("chat.lycee.fr:8080"), &served));
        assert!(!host_served(&host("evil.example:8080"), &served));
        assert!(!host_served(&HeaderMap::new(), &served));
    }

    #[test]
    fn only_the_pages_own_origin_and_listed_ones_are_allowed() {
        let listed = vec!["https://ent.lycee.fr".to_owned()];
        let headers = host("192.168.1.5:8080");
        assert!(origin_allowed("http://192.168.1.5:8080", &headers, &[]));
        assert!(origin_allowed("https://192.168.1.5:8080", &headers, &[]));
        assert!(origin_allowed("https://ENT.lycee.fr", &headers, &listed));
        for origin in [
            "http://evil.example",
            "http://192.168.1.5:8081",
            "http://192.168.1.5:8080.evil.example",
            "null",
            "",
        ] {
            assert!(!origin_allowed(origin, &headers, &listed), "{origin}");
        }
        assert!(!origin_allowed("http://anything", &HeaderMap::new(), &[]));
    }
}
