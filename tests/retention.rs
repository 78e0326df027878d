//! The retention period, on a clock the test controls (the server run under Debian's
//! libfaketime): messages written "400 days ago" leave the database at a start "10 days
//! ago"; the one written then is still in the database, the history and join replays today.

mod common;

use common::{Client, ServerProcess, WAIT};
use serde_json::json;

async fn user(server: &ServerProcess, name: &str) -> Client {
    let mut client = Client::connect(server.addr()).await;
    // Registered on the first run, already there on the next ones.
    client
        .send(json!({"type": "register", "username": name, "password": "secret"}))
        .await;
    client.recv().await;
    client.login(name, "secret").await;
    client
}

fn stored_contents(dir: &std::path::Path) -> Vec<String> {
    common::stored_texts(dir, "SELECT content FROM messages ORDER BY id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_past_the_retention_period_leave_the_database_at_start() {
    let dir = tempfile::tempdir().unwrap();

    let old = ServerProcess::spawn_faketime(dir.path(), "-400d").await;
    let mut alice = user(&old, "alice").await;
    let mut bob = user(&old, "bob").await;
    alice.say("un vieux message").await;
    alice
        .send(json!({"type": "message", "subtype": "private", "to": "bob", "content": "un vieux secret"}))
        .await;
    bob.recv_type("message").await;
    bob.recv_type("message").await;
    drop((alice, bob));
    old.terminate();

    assert_eq!(
        stored_contents(dir.path()),
        ["un vieux message", "un vieux secret"]
    );

    // Ten days ago: those two are 390 days old, past the default retention_days = 365, and
    // go at start.
    let recent = ServerProcess::spawn_faketime(dir.path(), "-10d").await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while !recent
        .log()
        .contains("messages past the retention period removed")
    {
        assert!(tokio::time::Instant::now() < deadline, "{}", recent.log());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let log = recent.log();
    let line = log
        .lines()
        .find(|line| line.contains("retention period removed"))
        .unwrap();
    assert!(line.contains("removed=2"), "{line}");
    assert_eq!(stored_contents(dir.path()), Vec::<String>::new());
    let mut alice = user(&recent, "alice").await;
    alice.say("un message récent").await;
    alice.sync().await;
    drop(alice);
    recent.terminate();

    // Today: the message of ten days ago stays.
    let today = ServerProcess::spawn(dir.path(), &[]).await;
    let mut probe = Client::connect(today.addr()).await;
    probe.sync().await;
    assert_eq!(stored_contents(dir.path()), ["un message récent"]);
    // A newcomer's join replay has the recent message only.
    let mut carol = Client::connect(today.addr()).await;
    carol.send(json!({"type": "hello", "version": 2})).await;
    carol.recv_type("hello").await;
    carol.register("carol", "secret").await;
    carol.login("carol", "secret").await;
    carol
        .send(json!({"type": "history", "channel": "#général"}))
        .await;
    let history = carol.recv_type("history").await;
    let contents: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["un message récent"]);
    drop((carol, probe));
    let log = today.terminate();
    assert!(!log.contains("retention period removed"), "{log}");
}
