//! Look-alike, invisible and reserved names, over real sockets: a guest or a new account can
//! never pass for a registered, online or reserved name; accounts made before the rule still
//! log in.

mod common;

use common::TestServer;
use serde_json::json;

const CYRILLIC_ALICE: &str = "\u{430}lice";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_new_can_look_like_an_account_or_the_server() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut impostor = server.client().await;
    impostor
        .send(json!({"type":"message","from":CYRILLIC_ALICE,"content":"c'est moi"}))
        .await;
    let seen = alice.recv_type("message").await;
    assert_eq!(seen["from"], format!("{CYRILLIC_ALICE}_2"));

    let mut registrar = server.client().await;
    for look_alike in [CYRILLIC_ALICE, "al\u{131}ce", "ALICE"] {
        registrar
            .send(json!({"type":"register","username":look_alike,"password":"pw"}))
            .await;
        assert_eq!(
            registrar.recv().await["message"],
            "Username already exists.",
            "{look_alike:?}"
        );
    }
    for fake_server in ["Serv\u{435}ur", "\u{ff33}erveur", "Serveur\u{3164}"] {
        let mut guest = server.client().await;
        guest
            .send(json!({"type":"message","from":fake_server,"content":"Le serveur redémarre"}))
            .await;
        assert_eq!(
            guest.recv().await["code"],
            "invalid_username",
            "{fake_server:?}"
        );
    }
    alice.expect_nothing_pending().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_accounts_made_before_the_rule_both_still_log_in() {
    let mut server = TestServer::start().await;
    server.user("alice").await;
    server.stop().await;
    let db = rusqlite::Connection::open(server.path("data/classcord.db")).unwrap();
    let hash: String = db
        .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
        .unwrap();
    db.execute(
        "INSERT INTO users (username, name_key, password_hash, created_at) VALUES (?1, ?1, ?2, 0)",
        rusqlite::params![CYRILLIC_ALICE, hash],
    )
    .unwrap();
    drop(db);
    server.restart(|_| {}).await;

    let mut latin = server.client().await;
    latin.login("alice", "secret").await;
    let mut cyrillic = server.client().await;
    cyrillic
        .send(json!({"type":"login","username":CYRILLIC_ALICE,"password":"secret"}))
        .await;
    let refused = cyrillic.recv().await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("looks the same"),
        "{refused}"
    );
    drop(latin);
    // Once the other has left, the second account logs in.
    let deadline = std::time::Instant::now() + common::WAIT;
    loop {
        cyrillic
            .send(json!({"type":"login","username":CYRILLIC_ALICE,"password":"secret"}))
            .await;
        let reply = cyrillic.recv().await;
        if reply["status"] == "ok" {
            assert_eq!(reply["username"], CYRILLIC_ALICE);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{reply}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
