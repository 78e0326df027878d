//! Account commands run while the server runs reach it at once: `classcord user …` goes
//! through the admin socket, so the live name registry and the connected users change with
//! the database. Real binary, real CLI, real sockets.

mod common;

use common::{run_classcord, Client, ServerProcess};
use serde_json::json;

/// Runs `classcord ARGS --config <shipped config>` in `dir`; returns stdout, asserting success.
fn cli_ok(dir: &std::path::Path, args: &[&str], stdin: &str) -> String {
    let config = common::shipped_config_in(dir);
    let mut all = args.to_vec();
    all.extend(["--config", config.to_str().unwrap()]);
    let output = run_classcord(dir, &all, stdin);
    assert!(
        output.status.success(),
        "classcord {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A legacy guest, announced by an empty message, that has seen its own announcement served.
async fn guest(server: &ServerProcess, name: &str) -> Client {
    let mut client = Client::connect(server.addr()).await;
    client
        .send(json!({"type":"message","from":name,"content":""}))
        .await;
    client.sync().await;
    client
}

async fn login(server: &ServerProcess, name: &str, password: &str) -> (Client, serde_json::Value) {
    let mut client = Client::connect(server.addr()).await;
    client
        .send(json!({"type":"login","username":name,"password":password}))
        .await;
    let reply = client.recv().await;
    (client, reply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_made_with_the_cli_while_the_server_runs_is_protected_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(dir.path(), &[]).await;
    let mut watcher = guest(&server, "watcher").await;

    cli_ok(dir.path(), &["user", "add", "alice"], "motdepasse\n");
    // A guest asking for that name now gets another one: it cannot post as alice.
    let mut impostor = Client::connect(server.addr()).await;
    impostor
        .send(json!({"type":"message","from":"alice","content":"c'est moi"}))
        .await;
    let seen = watcher.recv_type("message").await;
    assert_eq!(seen["from"], "alice_2");
    assert_eq!(seen["content"], "c'est moi");

    let (mut alice, reply) = login(&server, "alice", "motdepasse").await;
    assert_eq!(reply["status"], "ok", "{reply}");
    let listed = cli_ok(dir.path(), &["user", "list"], "");
    assert!(listed.contains("alice"), "{listed}");

    // `user ban` on a running server disconnects, as `admin ban` does (the binary speaks
    // French by default).
    cli_ok(dir.path(), &["user", "ban", "alice"], "");
    assert_eq!(
        alice.said().await,
        "Vous avez été banni par un administrateur."
    );
    assert!(alice.closed().await);
    let (_, reply) = login(&server, "alice", "motdepasse").await;
    assert_eq!(reply["message"], "Connexion refusée : ce compte est banni.");

    cli_ok(dir.path(), &["user", "unban", "alice"], "");
    cli_ok(dir.path(), &["user", "passwd", "alice"], "nouveau\n");
    let (_, reply) = login(&server, "alice", "motdepasse").await;
    assert_eq!(reply["code"], "login_failed");
    let (mut alice, reply) = login(&server, "alice", "nouveau").await;
    assert_eq!(reply["status"], "ok", "{reply}");

    // A deleted account is disconnected and its name is free again at once.
    cli_ok(dir.path(), &["user", "delete", "alice"], "");
    assert_eq!(alice.said().await, "Compte supprimé par un administrateur.");
    let mut newcomer = Client::connect(server.addr()).await;
    newcomer
        .send(json!({"type":"register","username":"alice","password":"x"}))
        .await;
    assert_eq!(
        newcomer.recv().await,
        json!({"type":"register","status":"ok"})
    );

    let log = server.terminate();
    assert!(
        log.contains("admin command") && log.contains("user-add"),
        "{log}"
    );
    let audit = std::fs::read_to_string(dir.path().join("logs/audit.log")).unwrap();
    for action in ["user-add", "ban", "unban", "user-passwd", "user-delete"] {
        assert!(
            audit.contains(&format!("\"action\":\"{action}\"")),
            "{action} not audited:\n{audit}"
        );
    }
    assert!(
        !audit.contains("argon2"),
        "a password hash reached the audit log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_held_by_a_guest_online_cannot_become_an_account_behind_its_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(dir.path(), &[]).await;
    let mut watcher = guest(&server, "watcher").await;
    let guest = guest(&server, "bob").await;
    let config = common::shipped_config_in(dir.path());
    let args = ["user", "add", "bob", "--config", config.to_str().unwrap()];
    let output = run_classcord(dir.path(), &args, "pw\n");
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("taken"), "{error}");
    // Once the guest has left, the name can be registered.
    drop(guest);
    loop {
        let line = watcher.recv_type("status").await;
        if line == json!({"type":"status","user":"bob","state":"offline"}) {
            break;
        }
    }
    cli_ok(dir.path(), &args[..3], "pw\n");
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_countdown_stops_the_real_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::spawn(dir.path(), &[]).await;
    let mut student = guest(&server, "eleve").await;

    cli_ok(
        dir.path(),
        &["admin", "shutdown", "2", "--message", "fin du TP"],
        "",
    );
    assert_eq!(student.said().await, "Arrêt du serveur dans 2 s. fin du TP");
    assert_eq!(student.said().await, "Arrêt du serveur dans 1 s. fin du TP");
    assert_eq!(student.said().await, "Le serveur s'arrête.");
    assert!(student.closed().await);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "still running");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
    let log = server.log();
    assert!(
        log.contains("stop requested by a shutdown countdown"),
        "{log}"
    );
    assert!(log.contains("stopped"), "{log}");
}
