//! `classcord admin` against a running server: notices, kick, ban, users, through the real
//! binary and the server's Unix socket.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use common::TestServer;
use serde_json::json;

fn admin(server: &TestServer, args: &[&str]) -> Output {
    server.admin(args)
}

fn admin_ok(server: &TestServer, args: &[&str]) -> String {
    server.admin_ok(args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notice_users_kick_and_ban_act_on_the_running_server() {
    let server = TestServer::start().await;
    assert_eq!(admin_ok(&server, &["users"]), "nobody is online\n");
    let mode = std::fs::metadata(server.path("admin.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "socket open to other users");
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    alice.recv_type("status").await;

    admin_ok(&server, &["notice", "Maintenance à 18h"]);
    let notice = alice.recv().await;
    assert_eq!(
        (notice["from"].as_str(), notice["content"].as_str()),
        (Some("Serveur"), Some("Maintenance à 18h"))
    );
    bob.recv_type("message").await;

    let users = admin_ok(&server, &["users"]);
    assert!(
        users.contains("alice 127.0.0.1") && users.contains("bob 127.0.0.1"),
        "{users}"
    );

    admin_ok(&server, &["kick", "alice"]);
    // A legacy client reads why as a message from the server (an error line would show as
    // raw JSON in some legacy windows).
    assert_eq!(alice.said().await, "You were disconnected by a teacher.");
    assert!(alice.closed().await);
    assert_eq!(
        bob.recv().await,
        json!({"type":"status","user":"alice","state":"offline"})
    );

    admin_ok(&server, &["ban", "bob"]);
    assert_eq!(bob.said().await, "You were banned by an administrator.");
    assert!(bob.closed().await);
    let mut again = server.client().await;
    again
        .send(json!({"type":"login","username":"bob","password":"secret"}))
        .await;
    assert_eq!(again.recv().await["code"], "login_failed");
    admin_ok(&server, &["unban", "bob"]);
    again.login("bob", "secret").await;

    let missing = admin(&server, &["kick", "nobody"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("neither online nor an account"));
    let no_tls = admin(&server, &["reload-tls"]);
    assert!(String::from_utf8_lossy(&no_tls.stderr).contains("TLS is not enabled"));
    let empty = admin(&server, &["notice", "  "]);
    assert!(!empty.status.success());
    assert!(String::from_utf8_lossy(&empty.stderr).contains("empty"));

    again
        .send(json!({"type":"message","content":"compté"}))
        .await;
    again.sync().await;
    let metrics = admin_ok(&server, &["metrics"]);
    for expected in [
        "classcord_logins_total{result=\"ok\"} 3\n",
        "classcord_logins_total{result=\"failed\"} 1\n",
        "classcord_registrations_total 2\n",
        "classcord_connections_closed_total{reason=\"kicked\"} 2\n",
        "classcord_connections_accepted_total{listener=\"plain\"} 3\n",
        "classcord_users_online 1\n",
    ] {
        assert!(
            metrics.contains(expected),
            "{expected:?} missing from:\n{metrics}"
        );
    }
}

#[test]
fn admin_without_a_running_server_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_classcord"))
        .args(["admin", "--socket"])
        .arg(dir.path().join("none.sock"))
        .arg("users")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is it running?"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_admin_requests_are_answered_and_a_live_socket_is_never_stolen() {
    use std::io::{BufRead, BufReader, Write};
    let server = TestServer::start().await;
    let socket = server.path("admin.sock");
    let stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    for request in [
        &b"not json"[..],
        br#"{"command":"reboot"}"#,
        br#"{"command":"kick"}"#,
        b"{\"command\":\"notice\",\"text\":\"\xff\xfe\"}",
    ] {
        (&stream).write_all(request).unwrap();
        (&stream).write_all(b"\n").unwrap();
        let mut answer = String::new();
        reader.read_line(&mut answer).unwrap();
        let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer["answer"], "refused", "{request:?}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .starts_with("invalid request"),
            "{answer}"
        );
    }
    // The connection still serves a good request after bad ones.
    writeln!(&stream, r#"{{"command":"users"}}"#).unwrap();
    let mut answer = String::new();
    reader.read_line(&mut answer).unwrap();
    assert!(answer.contains("\"answer\":\"users\""), "{answer}");

    // A second server configured with the same socket refuses to start.
    let second = classcord::server::RunningServer::start({
        let dir = server.dir.path().join("second");
        let mut config = common::test_config(&dir);
        config.admin.socket = socket.clone();
        config
    })
    .await;
    let error = second
        .err()
        .expect("second server must not start")
        .to_string();
    assert!(error.contains("admin socket"), "{error}");
    admin_ok(&server, &["users"]);
}
