//! The PROXY protocol from a trusted proxy: stunnel in front of the plain port passes the
//! real client address, which the logs and fail2ban then see.

mod common;

use classcord::config::ListenerKind;
use common::{stunnel_on_free_port, Client, TestServer};
use serde_json::json;

async fn tls_server() -> TestServer {
    TestServer::start_with(|c| {
        c.listen.tls = vec!["127.0.0.1:0".parse().unwrap()];
        c.listen.proxy_protocol = vec![ListenerKind::Plain];
        c.gate.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stunnel_in_front_passes_the_real_client_address_with_the_proxy_protocol() {
    let server = tls_server().await;
    let (_stunnel, port) = stunnel_on_free_port(server.dir.path(), "front", |port| {
        format!(
            "accept = 127.0.0.1:{port}\nconnect = {}\ncert = {}\nkey = {}\nprotocol = proxy\n",
            server.addr(),
            server.path("certs/server.crt").display(),
            server.path("certs/server.key").display()
        )
    })
    .await;
    // A TLS client from 127.0.0.7 fails a login through stunnel.
    let tcp = common::connect_from("127.0.0.7", ([127, 0, 0, 1], port).into())
        .await
        .unwrap();
    let config = common::client_config(&server.path("certs/ca.crt"));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .unwrap();
    let mut client = Client::over(stream);
    client
        .send(json!({"type":"login","username":"nobody","password":"x"}))
        .await;
    assert_eq!(client.recv().await["message"], "Login failed.");
    client.register("proxied", "pw").await;
    client.login("proxied", "pw").await;
    let mut server = server;
    server.stop().await;
    let auth = std::fs::read_to_string(server.path("logs/auth.log")).unwrap();
    assert!(auth.contains("auth_failure ip=127.0.0.7 port="), "{auth}");
    let audit = std::fs::read_to_string(server.path("logs/audit.log")).unwrap();
    let login = audit
        .lines()
        .find(|l| l.contains("\"event\":\"login\""))
        .unwrap();
    assert!(login.contains("\"ip\":\"127.0.0.7\""), "{login}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_header_is_believed_only_on_its_listener_and_from_a_trusted_relay() {
    // Trusted loopback relay, but only on the TLS listener: on the plain port a local
    // process cannot claim a student's address (and get it banned by fail2ban).
    let mut server = TestServer::start_with(|c| {
        c.listen.tls = vec!["127.0.0.1:0".parse().unwrap()];
        c.listen.proxy_protocol = vec![ListenerKind::Tls];
        c.gate.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let mut forger = server.client().await;
    forger
        .send_raw(b"PROXY TCP4 10.9.9.9 127.0.0.1 5000 12345\r\n")
        .await;
    assert_eq!(forger.recv().await["code"], "invalid_json");
    forger
        .send(json!({"type":"login","username":"prof","password":"devine"}))
        .await;
    assert_eq!(forger.recv().await["code"], "login_failed");
    server.stop().await;
    let auth = std::fs::read_to_string(server.path("logs/auth.log")).unwrap();
    assert!(
        auth.contains("ip=127.0.0.1 ") && !auth.contains("10.9.9.9"),
        "{auth}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_no_address_is_trusted_to_send_a_proxy_header() {
    let server = TestServer::start().await;
    let mut forger = server.client().await;
    forger
        .send_raw(b"PROXY TCP4 10.9.9.9 127.0.0.1 5000 12345\r\n")
        .await;
    assert_eq!(forger.recv().await["code"], "invalid_json");
    forger.sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_stalls_its_header_is_held_under_its_own_cap() {
    let server = TestServer::start_with(|c| {
        c.listen.proxy_protocol = vec![ListenerKind::Plain];
        c.gate.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.gate.max_connections_per_ip = 2;
    })
    .await;
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut partial = server.client().await;
        partial.send_raw(b"PROXY ").await;
        stalled.push(partial);
    }
    // Both pending headers hold a place in the relay's count.
    let deadline = std::time::Instant::now() + common::WAIT;
    while !server
        .running()
        .render_metrics()
        .contains("classcord_connections_open 2\n")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "pending headers not counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The relay's two pending headers use its whole allowance: a third connection is refused
    // at once, instead of piling up outside the caps.
    let mut third = server.client().await;
    assert!(third.closed().await, "a third pending header was accepted");
}
