//! The real `classcord` binary: starts from the command line, prints its port, serves a
//! legacy client, and exits 0 on SIGTERM after telling users.

mod common;

use common::{Client, ServerProcess};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_its_port_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(dir.path(), &["--database", "db/chat.db"]).await;
    let mut client = Client::connect(server.addr()).await;
    client.register("élève", "pw").await;
    client.login("élève", "pw").await;
    client
        .send(json!({"type":"message","content":"bonjour"}))
        .await;
    client.sync().await;

    let log = server.terminate();
    let notice = client.recv_type("message").await;
    assert_eq!(notice["from"], "Serveur");
    assert!(client.closed().await);
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(dir.path().join("db/chat.db").exists());
    assert!(dir.path().join("logs/audit.log").exists());
    assert!(!log.contains("\"pw\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_without_dropping_tls_clients() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn_with(dir.path(), &[], true, None).await;
    let tls_addr = ([127, 0, 0, 1], server.tls_port.unwrap()).into();
    let ca = dir.path().join("certs/ca.crt");
    let old_ca = dir.path().join("old-ca.crt");
    std::fs::copy(&ca, &old_ca).unwrap();
    let mut alice = Client::over(
        common::tls_connect(tls_addr, &ca, "localhost")
            .await
            .unwrap(),
    );
    alice.register("alice", "pw").await;
    alice.login("alice", "pw").await;

    let renewed = std::process::Command::new(env!("CARGO_BIN_EXE_classcord"))
        .args(["generate-cert", "--force", "--new-ca", "--dir", "certs"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(renewed.status.success());
    server.signal("HUP");
    // New handshakes use the new certificate once the reload is logged.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !server.log().contains("TLS certificate reloaded") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reload in:\n{}",
            server.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(common::tls_connect(tls_addr, &old_ca, "localhost")
        .await
        .is_err());
    let mut bob = Client::over(
        common::tls_connect(tls_addr, &ca, "localhost")
            .await
            .unwrap(),
    );
    // The connection opened before the reload still works both ways.
    common::older_connection_still_talks(&mut alice, &mut bob, "bob").await;
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_out_of_file_descriptors_never_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn_with(dir.path(), &[], false, Some(48)).await;
    // Far more connections than the server may open files: accepts fail with EMFILE.
    let mut crowd = Vec::new();
    for _ in 0..80 {
        crowd.push(tokio::net::TcpStream::connect(server.addr()).await.unwrap());
    }
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !server.log().contains("accept failed; retrying") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no accept error in:\n{}",
            server.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(crowd);
    // Once descriptors are free again, the server serves as before.
    let mut client = Client::connect(server.addr()).await;
    client.register("survivant", "pw").await;
    client.login("survivant", "pw").await;
    server.terminate();
}
