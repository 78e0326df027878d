//! The audit log: one JSON object per event, with addresses and listeners, never a
//! password or a message's content.

mod common;

use common::TestServer;
use serde_json::json;

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
    for event in &events {
        common::assert_fixed_width_timestamp(event["ts"].as_str().unwrap());
    }
    let auth = std::fs::read_to_string(server.path("logs/auth.log")).unwrap();
    for line in auth.lines() {
        common::assert_fixed_width_timestamp(line.split(' ').next().unwrap());
    }
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
