//! Sessions that survive a reload, and private conversations read back: a token given to an
//! account's connection logs a new connection in without the password; a logout, a ban and
//! a password change end it; an unknown token is a failed login for fail2ban, an expired
//! one (the server under libfaketime) is not. The database keeps the token's hash only.

mod common;

use common::{Client, ServerProcess, TestServer, WAIT};
use serde_json::{json, Value};

/// A connection that speaks v2, as the web client does.
async fn v2(server: &TestServer) -> Client {
    let mut client = server.client().await;
    client.send(json!({"type": "hello", "version": 2})).await;
    client.recv_type("hello").await;
    client
}

async fn token_of(client: &mut Client) -> String {
    client.send(json!({"type": "session"})).await;
    let reply = client.recv_type("session").await;
    let token = reply["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64, "{reply}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{reply}");
    token
}

async fn resume(server: &TestServer, token: &str) -> (Client, Value) {
    let mut client = v2(server).await;
    client.send(json!({"type": "resume", "token": token})).await;
    let reply = client.recv().await;
    (client, reply)
}

fn database_bytes(server: &TestServer) -> Vec<u8> {
    let mut bytes = std::fs::read(server.path("data/classcord.db")).unwrap();
    if let Ok(wal) = std::fs::read(server.path("data/classcord.db-wal")) {
        bytes.extend(wal);
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_logs_in_again_without_the_password_until_logout() {
    let server = TestServer::start().await;
    let mut page = v2(&server).await;
    page.register("alice", "secret").await;
    page.login("alice", "secret").await;
    let token = token_of(&mut page).await;
    assert!(
        !database_bytes(&server)
            .windows(token.len())
            .any(|w| w == token.as_bytes()),
        "the token itself is in the database"
    );
    assert_eq!(
        common::stored_texts(server.dir.path(), "SELECT account_key FROM sessions"),
        ["alice"]
    );

    // The page reloads: a new connection comes back with the token, and the old one (which
    // the browser may not have closed yet) is replaced.
    let (mut reloaded, reply) = resume(&server, &token).await;
    assert_eq!(
        reply,
        json!({"type": "login", "status": "ok", "username": "alice", "role": "user"})
    );
    assert!(page.closed().await, "the old connection stays");
    reloaded.say("de retour").await;
    reloaded.sync().await;

    // A logout ends it: the token opens nothing, and trying it is a failed login.
    reloaded.send(json!({"type": "logout"})).await;
    assert_eq!(
        reloaded.recv_type("logout").await,
        json!({"type": "logout", "status": "ok"})
    );
    let (_, reply) = resume(&server, &token).await;
    assert_eq!(reply["code"], "session_expired", "{reply}");
    assert_eq!(
        reply["message"],
        "Your session is over: log in again with your password."
    );
    let auth = std::fs::read_to_string(server.path("logs/auth.log")).unwrap();
    assert!(
        auth.lines()
            .any(|line| line.contains("reason=unknown_session user=\"\"")),
        "{auth}"
    );
    assert!(!auth.contains(&token), "the token is in the log");
    let (_, reply) = resume(&server, "0".repeat(64).as_str()).await;
    assert_eq!(reply["code"], "session_expired", "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_and_a_password_change_end_the_sessions() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut alice = v2(&server).await;
    alice.register("alice", "secret").await;
    alice.login("alice", "secret").await;
    // Guests have no session (before the ban, which keeps guests of alice's address out).
    let mut guest = v2(&server).await;
    guest
        .send(json!({"type": "guest", "name": "visiteur"}))
        .await;
    guest.recv_type("guest").await;
    guest.send(json!({"type": "session"})).await;
    assert_eq!(guest.recv_type("error").await["code"], "forbidden");
    let first = token_of(&mut alice).await;
    let second = token_of(&mut alice).await;
    assert_ne!(first, second);

    // A new password (the old one may be known): every session of the account ends.
    // (The new hash is a throwaway account's, made with that password.)
    server
        .client()
        .await
        .register("modele", "nouveau-secret")
        .await;
    let hash = common::stored_texts(
        server.dir.path(),
        "SELECT password_hash FROM users WHERE name_key = 'modele'",
    )
    .remove(0);
    let answer = server
        .admin_request(json!({"command": "user-passwd", "user": "alice", "password_hash": hash}))
        .await;
    assert_eq!(answer["answer"], "done", "{answer}");
    for token in [&first, &second] {
        let (_, reply) = resume(&server, token).await;
        assert_eq!(reply["code"], "session_expired", "{reply}");
    }

    let mut alice = v2(&server).await;
    alice.login("alice", "nouveau-secret").await;
    let token = token_of(&mut alice).await;
    teacher.say("/ban alice insultes").await;
    teacher.sync().await;
    let (_, reply) = resume(&server, &token).await;
    assert_eq!(reply["code"], "session_expired", "{reply}");

    // A server with session_hours = 0 gives none.
    let off = TestServer::start_with(|config| config.accounts.session_hours = 0).await;
    let mut bob = off.user("bob").await;
    bob.send(json!({"type": "session"})).await;
    let refused = bob.recv_type("error").await;
    assert_eq!(refused["code"], "forbidden");
    assert_eq!(
        refused["message"],
        "This server keeps no sessions: log in with your password."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_conversations_are_read_back_by_their_two_people_only() {
    let server = TestServer::start().await;
    let mut alice = server.user("Alice").await;
    let mut bob = server.user("bob").await;
    let mut carol = server.user("carol").await;
    let private = |to: &str, content: &str| json!({"type": "message", "subtype": "private", "to": to, "content": content});
    alice.send(private("bob", "un")).await;
    bob.recv_type("message").await;
    bob.send(private("Alice", "deux")).await;
    alice.recv_type("message").await;
    alice.send(private("carol", "trois")).await;
    carol.recv_type("message").await;
    alice.send(private("bob", "quatre")).await;
    bob.recv_type("message").await;

    // After a reload, bob's page asks whom he talked to, then that conversation; the name
    // may be typed in another case.
    let mut page = v2(&server).await;
    page.login("bob", "secret").await;
    page.send(json!({"type": "conversations"})).await;
    assert_eq!(
        page.recv_type("conversations").await,
        json!({"type": "conversations", "people": ["Alice"]})
    );
    page.send(json!({"type": "history", "with": "alice"})).await;
    let history = page.recv_type("history").await;
    assert_eq!(history["with"], "Alice", "{history}");
    assert!(history.get("channel").is_none(), "{history}");
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["un", "deux", "quatre"]);
    assert!(history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["subtype"] == "private"));
    // Pages: the newest first, then older ones with `before`.
    page.send(json!({"type": "history", "with": "Alice", "limit": 1}))
        .await;
    let newest = page.recv_type("history").await;
    assert_eq!(newest["messages"][0]["content"], "quatre");
    assert_eq!(newest["more"], true);
    let before = newest["messages"][0]["id"].as_i64().unwrap();
    page.send(json!({"type": "history", "with": "Alice", "limit": 5, "before": before}))
        .await;
    let older = page.recv_type("history").await;
    assert_eq!(older["messages"].as_array().unwrap().len(), 2, "{older}");
    assert!(older.get("more").is_none(), "{older}");

    // alice's conversations, most recent first; carol reads nothing of alice and bob's.
    alice.send(json!({"type": "conversations"})).await;
    assert_eq!(
        alice.recv_type("conversations").await["people"],
        json!(["bob", "carol"])
    );
    carol.send(json!({"type": "history", "with": "bob"})).await;
    assert_eq!(carol.recv_type("history").await["messages"], json!([]));

    // A guest's name goes to the next guest: guests read no private history.
    let mut guest = server.client().await;
    guest.send(json!({"type": "guest", "name": "bob2"})).await;
    guest.recv_type("guest").await;
    guest.send(json!({"type": "conversations"})).await;
    assert_eq!(guest.recv_type("error").await["code"], "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_of_people_shows_teachers_and_guests() {
    let server = TestServer::start().await;
    let mut alice = v2(&server).await;
    alice.register("alice", "secret").await;
    alice.login("alice", "secret").await;
    let _teacher = server.user_with_role("prof", "moderator").await;
    let arrival = alice.recv_type("status").await;
    assert_eq!(
        arrival,
        json!({"type": "status", "user": "prof", "state": "online", "badge": "teacher"})
    );
    let mut guest = server.client().await;
    guest
        .send(json!({"type": "guest", "name": "visiteur"}))
        .await;
    guest.recv_type("guest").await;
    assert_eq!(alice.recv_type("status").await["badge"], "guest");
    let users = alice.sync().await;
    assert_eq!(users["users"], json!(["alice", "prof", "visiteur"]));
    assert_eq!(
        users["badges"],
        json!({"prof": "teacher", "visiteur": "guest"})
    );
}

/// Runs the server under libfaketime at `when`, with one-hour sessions.
async fn at(dir: &std::path::Path, when: &str) -> ServerProcess {
    ServerProcess::spawn_faketime_with(dir, when, &[("session_hours = 12", "session_hours = 1")])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_expires_and_an_expired_token_is_no_attack() {
    let dir = tempfile::tempdir().unwrap();
    let morning = at(dir.path(), "@2026-12-07 08:00:00").await;
    let mut page = Client::connect(morning.addr()).await;
    page.send(json!({"type": "hello", "version": 2})).await;
    page.recv_type("hello").await;
    page.register("alice", "secret").await;
    page.login("alice", "secret").await;
    page.send(json!({"type": "session"})).await;
    let session = page.recv_type("session").await;
    assert_eq!(session["expires_in_secs"], 3600);
    let token = session["token"].as_str().unwrap().to_owned();
    drop(page);
    morning.terminate();

    // 08:40: still good.
    let later = at(dir.path(), "@2026-12-07 08:40:00").await;
    let mut page = Client::connect(later.addr()).await;
    page.send(json!({"type": "resume", "token": token})).await;
    assert_eq!(page.recv().await["status"], "ok");
    drop(page);
    later.terminate();

    // 09:30: the hour is over. The pupil is asked for the password, and no auth failure
    // line counts it against the school's address.
    let after = at(dir.path(), "@2026-12-07 09:30:00").await;
    let mut page = Client::connect(after.addr()).await;
    page.send(json!({"type": "resume", "token": token})).await;
    let reply = tokio::time::timeout(WAIT, page.recv()).await.unwrap();
    assert_eq!(reply["code"], "session_expired", "{reply}");
    page.send(json!({"type": "users"})).await;
    page.recv_type("users").await;
    let log = after.terminate();
    assert!(!log.contains("auth_failure"), "{log}");
    let auth = std::fs::read_to_string(dir.path().join("logs/auth.log")).unwrap_or_default();
    assert!(!auth.contains("unknown_session"), "{auth}");
}
