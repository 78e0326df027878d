//! The real `classcord` binary: starts from the command line, prints its port, serves a
//! legacy client, and exits 0 on SIGTERM after telling users.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::Client;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_its_port_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/config/classcord.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_classcord"))
        .args([
            "serve",
            "--config",
            config,
            "--plain-listen",
            "127.0.0.1:0",
            "--no-tls",
        ])
        .args(["--database", "db/chat.db"])
        .current_dir(dir.path())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let port = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited early"
        );
        if let Some(rest) = line.split("listening on 127.0.0.1:").nth(1) {
            break rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse::<u16>()
                .unwrap();
        }
    };
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        for line in stderr.lines() {
            rest.push_str(&line.unwrap());
            rest.push('\n');
        }
        rest
    });

    let mut client = Client::connect(([127, 0, 0, 1], port).into()).await;
    client.register("élève", "pw").await;
    client.login("élève", "pw").await;
    client
        .send(json!({"type":"message","content":"bonjour"}))
        .await;
    client.sync().await;

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let notice = client.recv_type("message").await;
    assert_eq!(notice["from"], "Serveur");
    assert!(client.closed().await);
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    let log = drain.join().unwrap();
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(dir.path().join("db/chat.db").exists());
    assert!(dir.path().join("logs/audit.log").exists());
    assert!(!log.contains("\"pw\""));
}
