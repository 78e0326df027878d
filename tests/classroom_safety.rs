//! Classroom safety, as a school configures it and pupils meet it: the private-message
//! policy, sanctions a pupil cannot walk around, private rooms hidden from those outside them.

mod common;

use classcord::config::PrivateMessages;
use common::TestServer;
use serde_json::{json, Value};

async fn hello(client: &mut common::Client) {
    client.send(json!({"type": "hello", "version": 2})).await;
    client.recv_type("hello").await;
}

fn private(to: &str, content: &str) -> Value {
    json!({"type": "message", "subtype": "private", "to": to, "content": content})
}

#[tokio::test]
async fn with_private_messages_for_teachers_pupils_write_privately_only_to_teachers() {
    let server = TestServer::start_with(|c| {
        c.classroom.private_messages = PrivateMessages::Teachers;
        c.server.language = classcord::config::Language::Fr;
    })
    .await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut legacy_pupil = server.user("bob").await;
    let mut web_pupil = server.user("alice").await;
    hello(&mut web_pupil).await;
    teacher.sync().await;
    legacy_pupil.sync().await;

    // A legacy client reads the refusal as a message from the server, in French.
    legacy_pupil.send(private("alice", "psst")).await;
    assert_eq!(
        legacy_pupil.said().await,
        "Les messages privés entre élèves sont désactivés dans cet établissement : vous \
         pouvez écrire en privé à un professeur, ou dans le salon."
    );
    // A v2 client gets a typed error.
    web_pupil.send(private("bob", "psst")).await;
    let refusal = web_pupil.recv_type("error").await;
    assert_eq!(refusal["code"], "private_refused", "{refusal}");
    assert!(refusal["message"]
        .as_str()
        .unwrap()
        .starts_with("Les messages privés"));

    // To a teacher, and from a teacher to anyone, private messages go through.
    web_pupil.send(private("prof", "une question")).await;
    let line = teacher.recv_type("message").await;
    assert_eq!(
        (line["from"].as_str(), line["content"].as_str()),
        (Some("alice"), Some("une question"))
    );
    teacher.send(private("bob", "viens me voir")).await;
    let line = legacy_pupil.recv_type("message").await;
    assert_eq!(
        (line["from"].as_str(), line["content"].as_str()),
        (Some("prof"), Some("viens me voir"))
    );
    // Neither refused message reached the other pupil.
    let pending = web_pupil.sync().await;
    assert_eq!(pending["type"], "users");
    legacy_pupil.expect_nothing_pending().await;
}

#[tokio::test]
async fn with_private_messages_off_pupils_are_told_in_french_and_teachers_still_write() {
    let server = TestServer::start_with(|c| {
        c.classroom.private_messages = PrivateMessages::None;
        c.server.language = classcord::config::Language::Fr;
    })
    .await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut pupil = server.user("bob").await;
    teacher.sync().await;
    pupil.send(private("prof", "bonjour")).await;
    assert_eq!(
        pupil.said().await,
        "Les messages privés sont désactivés dans cet établissement : écrivez dans le salon."
    );
    teacher.send(private("bob", "bonjour bob")).await;
    assert_eq!(pupil.recv_type("message").await["content"], "bonjour bob");
    teacher.expect_nothing_pending().await;
}

#[tokio::test]
async fn a_banned_or_excluded_pupil_cannot_come_back_as_a_guest_from_the_same_address() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut pupil = server.user("eleve3").await;
    pupil.sync().await;
    teacher.say("/ban eleve3 insultes").await;
    teacher.said().await;
    assert!(pupil.closed().await);
    // A legacy client reads why as a message from the server; a v2 client gets the code.
    let mut guest = server.client().await;
    guest.send(json!({"type": "guest", "name": "eleve3"})).await;
    let said = guest.said().await;
    assert!(
        said.contains("banned") || said.contains("excluded"),
        "{said}"
    );
    for name in ["eleve_2", "Eleve_2", "\u{0435}leve_2"] {
        let mut guest = server.client().await;
        hello(&mut guest).await;
        guest.send(json!({"type": "guest", "name": name})).await;
        let refusal = guest.recv_type("error").await;
        assert_eq!(refusal["code"], "excluded", "{name}: {refusal}");
    }
    // Another address is not concerned, and accounts from the same one still log in.
    let stream = common::connect_from("127.0.0.2", server.addr())
        .await
        .unwrap();
    let mut neighbour = common::Client::over(stream);
    neighbour
        .send(json!({"type": "guest", "name": "visiteur"}))
        .await;
    assert_eq!(neighbour.recv_type("guest").await["status"], "ok");
    let mut classmate = server.user("voisin").await;
    classmate.sync().await;

    // Lifting the ban lets guests from that address in again.
    teacher.say("/unban eleve3").await;
    teacher.said().await;
    let mut guest = server.client().await;
    guest
        .send(json!({"type": "guest", "name": "eleve_2"}))
        .await;
    assert_eq!(guest.recv_type("guest").await["status"], "ok");

    // A timed kick of an account covers its address for the same time.
    let mut second = server.user("eleve4").await;
    second.sync().await;
    teacher.say("/kick eleve4 10m").await;
    teacher.said().await;
    let mut guest = server.client().await;
    hello(&mut guest).await;
    guest
        .send(json!({"type": "guest", "name": "eleve4_bis"}))
        .await;
    let refusal = guest.recv_type("error").await;
    assert_eq!(refusal["code"], "excluded", "{refusal}");
    assert!(
        refusal["message"].as_str().unwrap().contains("for another"),
        "{refusal}"
    );
}

#[tokio::test]
async fn a_private_room_is_listed_only_to_its_members_and_teachers() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut member = server.user("alice").await;
    let mut outsider = server.user("bob").await;
    teacher.say("/room create #conseil private").await;
    teacher.said().await;
    teacher.say("/invite alice #conseil").await;
    teacher.said().await;
    let mut guest = server.client().await;
    guest
        .send(json!({"type": "guest", "name": "visiteur"}))
        .await;
    guest.recv_type("guest").await;
    let listed = |line: Value| {
        line["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "#conseil")
    };
    for (client, expected) in [
        (&mut teacher, true),
        (&mut member, true),
        (&mut outsider, false),
        (&mut guest, false),
    ] {
        client.send(json!({"type": "channels"})).await;
        assert_eq!(listed(client.recv_type("channels").await), expected);
    }
}

#[tokio::test]
async fn names_cannot_imitate_a_teachers_marker_or_the_server() {
    let server = TestServer::start().await;
    for name in ["eve (moderator)", "Serveur 2"] {
        let mut client = server.client().await;
        client
            .send(json!({"type": "register", "username": name, "password": "secret"}))
            .await;
        let refusal = client.recv_type("error").await;
        assert_eq!(refusal["code"], "invalid_username", "{name}: {refusal}");
    }
    let mut guest = server.client().await;
    hello(&mut guest).await;
    guest
        .send(json!({"type": "guest", "name": "bob (admin)"}))
        .await;
    let refusal = guest.recv_type("error").await;
    assert_eq!(refusal["code"], "invalid_username", "{refusal}");
    assert!(refusal["message"].as_str().unwrap().contains("parentheses"));
    // The /who a teacher reads shows the only real marker.
    let mut teacher = server.user_with_role("prof", "moderator").await;
    teacher.say("/who").await;
    let who = teacher.said().await;
    assert!(who.contains("prof (moderator)"), "{who}");
    assert!(!who.contains("eve"), "{who}");
}
