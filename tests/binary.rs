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
