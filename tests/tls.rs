//! The TLS transport: the legacy flow over TLS, refusals, stalled handshakes, certificate
//! reload, stunnel in front and behind, and `generate-cert` checked with openssl.

mod common;

use std::process::Command;

use common::{stunnel_on_free_port, tls_connect, Client, TestServer};
use serde_json::json;

async fn tls_server() -> TestServer {
    TestServer::start_with(|c| c.listen.tls = vec!["127.0.0.1:0".parse().unwrap()]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_flow_over_tls_reaches_plain_clients() {
    let server = tls_server().await;
    assert!(
        server.path("certs/server.key").exists(),
        "certificate generated on first start"
    );
    let mut plain = server.user("plain").await;
    let mut secure = server.tls_client().await;
    secure.register("secure", "pw").await;
    secure.login("secure", "pw").await;
    assert_eq!(
        plain.recv().await,
        json!({"type":"status","user":"secure","state":"online"})
    );
    secure
        .send(json!({"type":"message","subtype":"global","content":"chiffré"}))
        .await;
    let message = plain.recv().await;
    assert_eq!(
        (message["from"].as_str(), message["content"].as_str()),
        (Some("secure"), Some("chiffré"))
    );
    plain
        .send(json!({"type":"message","subtype":"private","to":"secure","content":"reçu"}))
        .await;
    assert_eq!(secure.recv().await["to"], "secure");
    assert_eq!(secure.sync().await["users"], json!(["plain", "secure"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_and_old_tls_versions_fail_cleanly_on_the_tls_port() {
    let server = tls_server().await;
    let mut confused = Client::connect(server.tls_addr()).await;
    confused.send(json!({"type":"users"})).await;
    assert!(
        confused.closed().await,
        "plain text on the TLS port is dropped"
    );

    let port = server.tls_addr().port().to_string();
    for old in ["-tls1", "-tls1_1"] {
        let output = Command::new("openssl")
            .args(["s_client", old, "-connect", &format!("127.0.0.1:{port}")])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("openssl runs");
        assert!(!output.status.success(), "{old} handshake must fail");
    }
    let output = Command::new("openssl")
        .args([
            "s_client",
            "-tls1_2",
            "-verify_return_error",
            "-connect",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "-CAfile",
            server.path("certs/ca.crt").to_str().unwrap(),
            "-servername",
            "localhost",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "TLS 1.2 works: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The server still serves a normal client.
    let mut client = server.tls_client().await;
    client.sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_handshakes_time_out_without_delaying_normal_clients() {
    let server = TestServer::start_with(|c| {
        c.listen.tls = vec!["127.0.0.1:0".parse().unwrap()];
        c.tls.handshake_timeout_secs = 3;
        c.gate.trusted_proxies = vec![];
        c.gate.max_connections_per_ip = 2000;
        c.gate.connection_burst_per_ip = 2000;
    })
    .await;
    let mut stalled = Vec::new();
    for n in 0..1000 {
        let mut tcp = tokio::net::TcpStream::connect(server.tls_addr())
            .await
            .unwrap();
        if n % 2 == 0 {
            // Half send the start of a ClientHello and nothing more.
            tokio::io::AsyncWriteExt::write_all(&mut tcp, &[0x16, 0x03, 0x01, 0x02])
                .await
                .unwrap();
        }
        stalled.push(tcp);
    }
    let mut client = server.tls_client().await;
    client.register("pressé", "pw").await;
    client.login("pressé", "pw").await;
    // Served while every stalled handshake is still pending: none has timed out yet.
    let metrics = server.running().render_metrics();
    assert!(
        metrics.contains(
            "classcord_connections_refused_total{listener=\"tls\",reason=\"handshake_timeout\"} 0\n"
        ),
        "the normal client waited for the stalled handshakes to expire"
    );
    // Every stalled connection is closed by the server after the timeout.
    for tcp in stalled.iter_mut() {
        let mut byte = [0u8; 1];
        let read =
            tokio::time::timeout(common::WAIT, tokio::io::AsyncReadExt::read(tcp, &mut byte)).await;
        assert!(
            matches!(read, Ok(Ok(0)) | Ok(Err(_))),
            "stalled handshake still open"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_reload_keeps_live_connections_and_refuses_broken_files() {
    let server = tls_server().await;
    let mut alice = server.tls_client().await;
    alice.register("alice", "pw").await;
    alice.login("alice", "pw").await;
    let old_ca = server.path("old-ca.crt");
    std::fs::copy(server.path("certs/ca.crt"), &old_ca).unwrap();

    // A broken certificate is refused and the current one stays in service.
    std::fs::write(server.path("certs/server.crt"), "not a certificate").unwrap();
    assert!(server.running().reload_tls().await.is_err());
    tls_connect(server.tls_addr(), &old_ca, "localhost")
        .await
        .expect("old certificate still served");

    // A new CA and certificate: new handshakes use them, the live connection goes on.
    let status = Command::new(env!("CARGO_BIN_EXE_classcord"))
        .args(["generate-cert", "--force", "--new-ca", "--dir"])
        .arg(server.path("certs"))
        .output()
        .unwrap();
    assert!(status.status.success());
    server.running().reload_tls().await.expect("reload");
    assert!(
        tls_connect(server.tls_addr(), &old_ca, "localhost")
            .await
            .is_err(),
        "old CA no longer valid"
    );
    let mut bob = server.tls_client().await;
    common::older_connection_still_talks(&mut alice, &mut bob, "bob").await;
}

#[test]
fn generate_cert_writes_a_ca_signed_certificate_that_openssl_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_classcord"))
            .args([
                "generate-cert",
                "--dir",
                "certs",
                "--san",
                "chat.lycee.local",
                "--days",
                "30",
            ])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let first = run(&[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let printed = String::from_utf8(first.stdout).unwrap();
    use std::os::unix::fs::PermissionsExt;
    for key in ["certs/ca.key", "certs/server.key"] {
        let mode = std::fs::metadata(dir.path().join(key))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{key}");
    }
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(openssl(&["verify", "-CAfile", "certs/ca.crt", "certs/server.crt"]).contains("OK"));
    let text = openssl(&["x509", "-in", "certs/server.crt", "-noout", "-text"]);
    for expected in [
        "DNS:localhost",
        "DNS:chat.lycee.local",
        "IP Address:127.0.0.1",
        "prime256v1",
        "TLS Web Server Authentication",
    ] {
        assert!(text.contains(expected), "{expected} missing in\n{text}");
    }
    let dates = openssl(&["x509", "-in", "certs/server.crt", "-noout", "-enddate"]);
    let fingerprint = openssl(&[
        "x509",
        "-in",
        "certs/server.crt",
        "-noout",
        "-fingerprint",
        "-sha256",
    ]);
    let fingerprint = fingerprint.trim().split('=').nth(1).unwrap();
    assert!(
        printed.contains(fingerprint),
        "printed fingerprint {fingerprint} missing:\n{printed}"
    );
    assert!(!dates.is_empty());
    // No silent overwrite; --force renews the server certificate and keeps the CA.
    let ca_before = std::fs::read(dir.path().join("certs/ca.crt")).unwrap();
    assert!(!run(&[]).status.success());
    assert!(run(&["--force"]).status.success());
    assert_eq!(
        std::fs::read(dir.path().join("certs/ca.crt")).unwrap(),
        ca_before
    );
    assert!(openssl(&["verify", "-CAfile", "certs/ca.crt", "certs/server.crt"]).contains("OK"));
}

/// The service section of the shipped `deploy/stunnel-client.conf`, with its accept and
/// connect addresses, CA file and checked host name replaced.
fn shipped_stunnel_client(accept: u16, server: &TestServer, host: &str) -> String {
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/stunnel-client.conf"
    ))
    .unwrap();
    let section = shipped
        .split("[classcord]")
        .nth(1)
        .expect("a [classcord] section");
    let mut lines = Vec::new();
    for line in section.lines().filter(|l| l.contains(" = ")) {
        let (key, _) = line.split_once(" = ").unwrap();
        let value = match key {
            "accept" => format!("127.0.0.1:{accept}"),
            "connect" => server.tls_addr().to_string(),
            "CAfile" => server.path("certs/ca.crt").display().to_string(),
            "checkHost" => host.to_owned(),
            _ => line.split_once(" = ").unwrap().1.to_owned(),
        };
        lines.push(format!("{key} = {value}\n"));
    }
    assert_eq!(lines.len(), 6, "{lines:?}");
    lines.concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stunnel_with_the_shipped_client_file_refuses_a_server_with_another_name() {
    let server = tls_server().await;
    let (_stunnel, port) = stunnel_on_free_port(server.dir.path(), "classcord", |port| {
        shipped_stunnel_client(port, &server, "chat.autre-lycee.example")
    })
    .await;
    let mut legacy = Client::connect(([127, 0, 0, 1], port).into()).await;
    legacy.try_send_raw(b"{\"type\":\"users\"}\r\n").await;
    assert!(
        legacy.closed().await,
        "stunnel accepted a certificate for another name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_plain_client_through_stunnel_client_mode_to_the_tls_port() {
    let server = tls_server().await;
    let (_stunnel, port) = stunnel_on_free_port(server.dir.path(), "classcord", |port| {
        shipped_stunnel_client(port, &server, "localhost")
    })
    .await;
    let mut plain = server.user("plain").await;
    let mut legacy = Client::connect(([127, 0, 0, 1], port).into()).await;
    legacy
        .send_raw(b"{\"type\":\"register\",\"username\":\"java\",\"password\":\"pw\"}\r\n")
        .await;
    assert_eq!(
        legacy.recv_raw().await,
        b"{\"type\":\"register\",\"status\":\"ok\"}\n"
    );
    legacy
        .send_raw(b"{\"type\":\"login\",\"username\":\"java\",\"password\":\"pw\"}\r\n")
        .await;
    assert_eq!(
        legacy.recv_raw().await,
        b"{\"type\":\"login\",\"status\":\"ok\",\"username\":\"java\"}\n"
    );
    plain.recv_type("status").await;
    legacy.send_raw(b"{\"type\":\"message\",\"subtype\":\"global\",\"to\":\"global\",\"from\":\"java\",\"content\":\"via stunnel\"}\r\n").await;
    assert_eq!(plain.recv().await["content"], "via stunnel");
    plain
        .send(json!({"type":"message","subtype":"private","to":"java","content":"bien reçu"}))
        .await;
    let private = legacy.recv().await;
    assert_eq!(
        (private["to"].as_str(), private["content"].as_str()),
        (Some("java"), Some("bien reçu"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_address_sent_as_sni_by_stunnel_is_not_logged_as_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::ServerProcess::spawn_with(dir.path(), &[], true, None).await;
    let port = server.tls_port.expect("TLS port");
    // What stunnel does when `connect =` is an IP address.
    let output = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "127.0.0.1", "-CAfile"])
        .arg(dir.path().join("certs/ca.crt"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = server.terminate();
    assert!(!log.contains("SNI"), "{log}");
    assert!(
        !log.lines()
            .any(|l| l.contains("WARN") && l.contains("rustls")),
        "{log}"
    );
}
