//! A pupil's data on request (RGPD), with the real binary: `classcord user export` writes
//! everything stored about them (live through the admin socket, and offline on the file),
//! `classcord user delete --erase` leaves none of their messages, public or private, nor the
//! reports about them, and both are audited.

mod common;

use common::{run_classcord, Client, ServerProcess};
use serde_json::{json, Value};

fn cli(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let config = common::shipped_config_in(dir);
    let mut all = args.to_vec();
    all.extend(["--config", config.to_str().unwrap()]);
    run_classcord(dir, &all, "")
}

fn cli_ok(dir: &std::path::Path, args: &[&str]) -> String {
    let output = cli(dir, args);
    assert!(
        output.status.success(),
        "classcord {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn user(server: &ServerProcess, name: &str) -> Client {
    let mut client = Client::connect(server.addr()).await;
    client.register(name, "motdepasse").await;
    client.login(name, "motdepasse").await;
    client
}

fn private(to: &str, content: &str) -> Value {
    json!({"type": "message", "subtype": "private", "to": to, "content": content})
}

fn contents(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pupils_data_is_exported_and_erased_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(dir.path(), &[]).await;
    let mut alice = user(&server, "alice").await;
    let mut bob = user(&server, "bob").await;
    alice.say("bonjour la classe").await;
    alice.send(private("bob", "un secret pour bob")).await;
    bob.recv_type("message").await;
    bob.recv_type("message").await;
    bob.send(private("alice", "bien reçu")).await;
    alice.recv_type("message").await;
    bob.say("salut").await;
    bob.say("/signaler alice méchant").await;
    bob.said().await;
    alice.sync().await;

    // Live: through the running server's admin socket.
    let export_file = dir.path().join("alice.json");
    let printed = cli_ok(
        dir.path(),
        &[
            "user",
            "export",
            "alice",
            "--output",
            export_file.to_str().unwrap(),
        ],
    );
    assert!(
        printed.contains("2 messages sent and 1 received"),
        "{printed}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&export_file)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let export: Value = serde_json::from_slice(&std::fs::read(&export_file).unwrap()).unwrap();
    assert_eq!(export["name"], "alice");
    assert_eq!(export["account"]["role"], "user");
    assert_eq!(
        contents(&export["messages_sent"]),
        ["bonjour la classe", "un secret pour bob"]
    );
    assert_eq!(export["messages_sent"][1]["to"], "bob");
    assert_eq!(
        contents(&export["private_messages_received"]),
        ["bien reçu"]
    );
    assert_eq!(export["reports_about"][0]["reporter"], "bob");
    // An existing file is never overwritten.
    let again = cli(
        dir.path(),
        &[
            "user",
            "export",
            "alice",
            "--output",
            export_file.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success());

    // Erasure, live: alice is disconnected, her messages and the reports about her go;
    // bob's own messages stay.
    let printed = cli_ok(dir.path(), &["user", "delete", "alice", "--erase"]);
    assert!(
        printed.contains("deleted, with their messages"),
        "{printed}"
    );
    assert!(alice.closed().await);
    assert_eq!(
        common::stored_texts(dir.path(), "SELECT content FROM messages ORDER BY id"),
        ["salut"]
    );
    assert!(common::stored_texts(dir.path(), "SELECT content FROM reports").is_empty());
    drop(bob);
    let log = server.terminate();
    assert!(!log.contains("un secret pour bob"));

    // Offline, on the file: bob's export, then his erasure.
    let offline = dir.path().join("bob.json");
    cli_ok(
        dir.path(),
        &[
            "user",
            "export",
            "bob",
            "--output",
            offline.to_str().unwrap(),
        ],
    );
    let export: Value = serde_json::from_slice(&std::fs::read(&offline).unwrap()).unwrap();
    assert_eq!(contents(&export["messages_sent"]), ["salut"]);
    cli_ok(dir.path(), &["user", "delete", "bob", "--erase"]);
    assert!(common::stored_texts(dir.path(), "SELECT content FROM messages").is_empty());

    let audit = std::fs::read_to_string(dir.path().join("logs/audit.log")).unwrap();
    for action in ["user-export", "user-erase"] {
        assert_eq!(
            audit.matches(&format!("\"action\":\"{action}\"")).count(),
            2,
            "{action} live and offline: {audit}"
        );
    }
}
