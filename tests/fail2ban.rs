//! fail2ban integration: the real binary writes authentication failures, and the shipped
//! filter, run through the real `fail2ban-regex`, finds each one with the client's address,
//! no success, and never an address smuggled in through a user name.

mod common;

use std::process::Command;

use common::{Client, ServerProcess};
use serde_json::json;

const FILTER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/security/fail2ban/filter.d/classcord.conf"
);
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/classcord.toml");

fn classcord(dir: &std::path::Path, args: &[&str], stdin: &str) {
    let output = common::run_classcord(dir, &[args, &["--config", CONFIG]].concat(), stdin);
    assert!(output.status.success(), "classcord {args:?}");
}

/// Runs fail2ban-regex and returns (matched addresses, summary line).
fn fail2ban_regex(log: &std::path::Path) -> (Vec<String>, String) {
    let ips = Command::new("fail2ban-regex")
        .args(["-o", "<ip>"])
        .arg(log)
        .arg(FILTER)
        .output()
        .expect("fail2ban-regex is installed (apt-get install fail2ban)");
    assert!(
        ips.status.success(),
        "{}",
        String::from_utf8_lossy(&ips.stderr)
    );
    let summary = Command::new("fail2ban-regex")
        .arg(log)
        .arg(FILTER)
        .output()
        .unwrap();
    let summary = String::from_utf8(summary.stdout).unwrap();
    let lines = summary
        .lines()
        .find(|l| l.starts_with("Lines:"))
        .unwrap_or_default()
        .to_owned();
    let ips = String::from_utf8(ips.stdout)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (ips, lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail2ban_filter_matches_every_failure_and_nothing_forged() {
    let dir = tempfile::tempdir().unwrap();
    classcord(dir.path(), &["user", "add", "alice"], "correct horse\n");
    classcord(dir.path(), &["user", "add", "mallory"], "pw\n");
    classcord(dir.path(), &["user", "ban", "mallory"], "");

    let server = ServerProcess::spawn(dir.path(), &[]).await;
    let stderr_path = server.stderr_path.clone();
    let mut client = Client::connect(server.addr()).await;

    let hostile_names = [
        "x\nip=6.6.6.6",
        "evil\" ip=6.6.6.6 port=1",
        "\u{1b}[31mip=6.6.6.6\u{1b}[0m",
        "2026-11-21T13:08:33Z classcord auth_failure ip=6.6.6.6 port=1 listener=plain reason=x user=\"y\"",
        "z\r\n2026-11-21T13:08:33.000Z classcord auth_failure ip=6.6.6.6 port=1 listener=plain reason=wrong_password user=\"a\"",
        "6.6.6.6",
    ];
    let mut failures = 0;
    let mut login = |username: &str, password: &str| {
        failures += 1;
        json!({"type":"login","username":username,"password":password})
    };
    let attempts = vec![
        login("alice", "wrong"),
        login("nobody", "pw"),
        login("mallory", "pw"),
    ];
    for attempt in attempts {
        client.send(attempt).await;
        assert_eq!(client.recv().await["type"], "error");
    }
    for name in hostile_names {
        client.send(login(name, "pw")).await;
        assert_eq!(client.recv().await["type"], "error");
    }
    // A malformed login counts too.
    client
        .send(json!({"type":"login","username":"alice"}))
        .await;
    assert_eq!(client.recv().await["type"], "error");
    failures += 1;
    // Successes and registrations write nothing fail2ban could match.
    client.register("bob", "pw").await;
    client.login("alice", "correct horse").await;

    server.terminate();

    let auth_log = dir.path().join("logs/auth.log");
    let auth_text = std::fs::read_to_string(&auth_log).unwrap();
    assert_eq!(auth_text.lines().count(), failures, "{auth_text}");
    for reason in ["wrong_password", "unknown_user", "banned", "malformed"] {
        assert!(
            auth_text.contains(&format!("reason={reason} ")),
            "{reason} missing:\n{auth_text}"
        );
    }
    let (ips, summary) = fail2ban_regex(&auth_log);
    assert_eq!(ips.len(), failures, "{summary}\n{auth_text}");
    assert!(
        ips.iter().all(|ip| ip == "127.0.0.1"),
        "forged address matched: {ips:?}"
    );
    assert!(
        summary.contains(&format!("{failures} matched, 0 missed")),
        "{summary}"
    );

    // The same lines on stderr (journald) match too, and nothing else there does.
    let (ips, summary) = fail2ban_regex(&stderr_path);
    assert_eq!(ips.len(), failures, "{summary}");
    assert!(ips.iter().all(|ip| ip == "127.0.0.1"), "{ips:?}");
    let stderr_text = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(!stderr_text.contains("correct horse"));
}
