//! Storage across restarts, slow consumers, and graceful shutdown.

mod common;

use std::time::Duration;

use common::{Client, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_messages_survive_a_restart() {
    let mut server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    alice.recv_type("status").await;
    alice
        .send(json!({"type":"message","content":"avant redémarrage"}))
        .await;
    bob.recv_type("message").await;
    bob.send(json!({"type":"message","subtype":"private","to":"alice","content":"secret"}))
        .await;
    alice.recv_type("message").await;
    server.stop().await;
    assert!(alice.closed().await);

    let db = rusqlite::Connection::open(server.path("data/classcord.db")).unwrap();
    let rows: Vec<(String, Option<String>, Option<String>, String)> = db
        .prepare("SELECT sender, channel, recipient, content FROM messages ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "alice".into(),
                Some("#général".into()),
                None,
                "avant redémarrage".into()
            ),
            ("bob".into(), None, Some("alice".into()), "secret".into()),
        ]
    );
    let hash: String = db
        .query_row(
            "SELECT password_hash FROM users WHERE username = 'alice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    drop(db);

    server.restart(|_| {}).await;
    let mut again = server.client().await;
    again.login("alice", "secret").await;
    again.send(json!({"type":"history"})).await;
    let history = again.recv_type("history").await;
    assert_eq!(history["messages"][0]["content"], "avant redémarrage");
    // Registered names stay protected from guests after a restart.
    let mut guest = server.client().await;
    guest
        .send(json!({"type":"message","from":"bob","content":"x"}))
        .await;
    assert_eq!(again.recv_type("message").await["from"], "bob_2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_without_slowing_others() {
    let server = TestServer::start_with(|c| {
        c.limits.outbound_queue = 64;
        c.gate.messages_per_ip_per_second = 100_000;
        c.gate.message_burst_per_ip = 100_000;
    })
    .await;
    // The slow client has a tiny receive buffer and stops reading once identified.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr()).await.unwrap();
    let mut slow = Client::over(stream);
    slow.send(json!({"type":"message","from":"slowpoke","content":""}))
        .await;
    slow.sync().await;

    let mut reader = server.user("reader").await;
    let mut sender = server.user("sender").await;
    reader.recv_type("status").await;
    let payload = "x".repeat(3000);
    // Send in rounds the reader keeps up with, until the slow client is dropped.
    let mut sent = 0;
    let mut slow_dropped = false;
    while !slow_dropped {
        assert!(sent < 20_000, "slow consumer never disconnected");
        for _ in 0..16 {
            sender
                .send(json!({"type":"message","content":format!("{sent} {payload}")}))
                .await;
            sent += 1;
        }
        let mut received = 0;
        while received < 16 {
            let line = reader.recv().await;
            match line["type"].as_str() {
                Some("message") => {
                    assert_eq!(line["from"], "sender");
                    received += 1;
                }
                Some("status") => {
                    assert_eq!(
                        line,
                        json!({"type":"status","user":"slowpoke","state":"offline"})
                    );
                    slow_dropped = true;
                }
                _ => panic!("unexpected {line}"),
            }
        }
    }
    assert!(slow.closed().await);
    // The others are still served.
    sender
        .send(json!({"type":"message","content":"after"}))
        .await;
    assert_eq!(reader.recv_type("message").await["content"], "after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_warns_users_and_flushes_messages() {
    let mut server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    alice.recv_type("status").await;
    for n in 0..200 {
        bob.send(json!({"type":"message","content":format!("m{n}")}))
            .await;
    }
    bob.sync().await;
    let started = std::time::Instant::now();
    server.stop().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let notice = loop {
        let line = alice.recv().await;
        if line["from"] == "Serveur" {
            break line;
        }
    };
    assert!(notice["content"].as_str().unwrap().contains("arrête"));
    assert!(alice.closed().await);
    let db = rusqlite::Connection::open(server.path("data/classcord.db")).unwrap();
    let count: i64 = db
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_records_events_without_passwords_or_content() {
    let mut server = TestServer::start().await;
    let mut alice = server.client().await;
    alice.register("alice", "hunter2-secret").await;
    alice.login("alice", "hunter2-secret").await;
    alice
        .send(json!({"type":"message","content":"contenu privé"}))
        .await;
    alice
        .send(json!({"type":"login","username":"alice","password":"wrong-guess"}))
        .await;
    assert_eq!(alice.recv_type("error").await["code"], "login_failed");
    let mut bad = server.client().await;
    bad.send(json!({"type":"login","username":"alice","password":"wrong-guess"}))
        .await;
    bad.recv().await;
    server.stop().await;
    let audit = std::fs::read_to_string(server.path("logs/audit.log")).unwrap();
    assert!(!audit.contains("hunter2"));
    assert!(!audit.contains("wrong-guess"));
    assert!(!audit.contains("contenu"));
    let events: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    for kind in [
        "connect",
        "register",
        "login",
        "message",
        "login_failed",
        "disconnect",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let failure = events
        .iter()
        .find(|e| e["event"] == "login_failed")
        .unwrap();
    assert_eq!(failure["ip"], "127.0.0.1");
    assert!(failure["port"].as_u64().unwrap() > 0);
    assert_eq!(failure["reason"], "wrong_password");
}
