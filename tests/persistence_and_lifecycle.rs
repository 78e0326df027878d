//! Storage across restarts, and graceful shutdown.

mod common;

use std::time::Duration;

use common::TestServer;
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
async fn shutdown_warns_users_and_flushes_messages() {
    // 200 messages at once: more than one connection's line budget allows.
    let mut server = TestServer::start_with(|c| c.gate.message_burst_per_connection = 1000).await;
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    alice.recv_type("status").await;
    for n in 0..200 {
        bob.send(json!({"type":"message","content":format!("m{n}")}))
            .await;
    }
    bob.sync().await;
    tokio::time::timeout(common::WAIT, server.stop())
        .await
        .expect("shutdown never finished");
    let notice = loop {
        let line = alice.recv().await;
        if line["from"] == "Serveur" {
            break line;
        }
    };
    assert_eq!(notice["content"], "The server is shutting down.");
    assert!(alice.closed().await);
    let db = rusqlite::Connection::open(server.path("data/classcord.db")).unwrap();
    let count: i64 = db
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_database_refuses_is_never_lost_silently() {
    let server = TestServer::start().await;
    let mut observer = server.user("observer").await;
    let mut senders = Vec::new();
    for name in ["a", "b", "c"] {
        senders.push(server.user(name).await);
    }
    // Drain the presence lines.
    observer.sync().await;
    for sender in &mut senders {
        sender.sync().await;
    }
    // The database refuses one message: a trigger makes its INSERT fail mid-batch.
    let db = rusqlite::Connection::open(server.path("data/classcord.db")).unwrap();
    db.execute_batch(
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON messages WHEN NEW.content = 'boom'
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .unwrap();
    for (sender, content) in senders.iter_mut().zip(["un", "boom", "trois"]) {
        sender
            .send(json!({"type":"message","content":content}))
            .await;
    }
    // Whatever the batching, each message is either delivered and stored, or its sender is
    // told storage_error; "boom" is never delivered. Collect until each is accounted for.
    let mut delivered: Vec<String> = Vec::new();
    let mut refused: Vec<&str> = Vec::new();
    let deadline = std::time::Instant::now() + common::WAIT;
    while refused.len() + delivered.len() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "unaccounted: refused {refused:?}, delivered {delivered:?}"
        );
        for (sender, content) in senders.iter_mut().zip(["un", "boom", "trois"]) {
            if let Some(line) = sender.recv_within(Duration::from_millis(20)).await {
                if line["type"] == "error" {
                    assert_eq!(line["code"], "storage_error", "{line}");
                    refused.push(content);
                }
            }
        }
        while let Some(line) = observer.recv_within(Duration::from_millis(20)).await {
            if line["type"] == "message" {
                delivered.push(line["content"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(refused.contains(&"boom"));
    let stored: Vec<String> = {
        let mut statement = db
            .prepare("SELECT content FROM messages ORDER BY id")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for content in ["un", "boom", "trois"] {
        let was_refused = refused.contains(&content);
        let was_delivered = delivered.iter().any(|d| d == content);
        let was_stored = stored.iter().any(|s| s == content);
        assert!(
            was_refused != was_delivered && was_delivered == was_stored,
            "{content}: refused {was_refused}, delivered {was_delivered}, stored {was_stored}"
        );
    }
}
