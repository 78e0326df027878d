//! Rooms as seed 003 had them: open, moderated (joining is a request a teacher answers) and
//! private (members invited by a teacher). Legacy clients take part through slash commands:
//! `/join` makes a room their current one, its messages reach them prefixed with its name,
//! `/leave` brings them back. Memberships survive restarts; requests vanish with their
//! connection.

mod common;

use classcord::config::Config;
use common::{Client, TestServer};
use serde_json::json;

/// A v2 client logged in with a role.
async fn v2(server: &TestServer, name: &str, role: &str) -> Client {
    let mut client = server.user_with_role(name, role).await;
    client.send(json!({"type":"hello","version":2})).await;
    client.recv_type("hello").await;
    client
}

#[tokio::test]
async fn a_moderated_room_from_legacy_clients() {
    let mut server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut student = server.user("eleve").await;
    let mut bystander = server.user("voisin").await;
    let mut assistant = v2(&server, "assistant", "moderator").await;
    teacher.sync().await;
    student.sync().await;
    bystander.sync().await;

    teacher.say("/room create #maths moderated").await;
    assert_eq!(teacher.said().await, "#maths created (moderated).");
    assistant
        .send(json!({"type":"join","channel":"#maths"}))
        .await;
    assert_eq!(assistant.recv_type("join").await["status"], "ok");

    student.say("/join maths").await;
    assert_eq!(
        student.said().await,
        "#maths is moderated: your request was sent to the teachers."
    );
    assert_eq!(
        teacher.said().await,
        "eleve asks to join #maths: /accept eleve #maths or /reject eleve #maths"
    );
    let request = assistant.recv_type("system").await;
    assert_eq!(request["event"], "moderation");
    // For v2 clients the request is also data, to be answered with buttons.
    assert_eq!(
        request["join_request"],
        json!({"user": "eleve", "room": "#maths"})
    );

    teacher.say("/accept eleve #maths").await;
    assert_eq!(teacher.said().await, "eleve joined #maths.");
    assert_eq!(
        student.said().await,
        "You are in #maths: your messages go there. /leave to come back to #général."
    );

    // The student's ordinary messages now go to #maths: v2 members read them with the
    // channel, legacy members prefixed; #général does not see them.
    student.say("bonjour les maths").await;
    let seen = assistant.recv_type("message").await;
    assert_eq!(
        (seen["channel"].as_str(), seen["content"].as_str()),
        (Some("#maths"), Some("bonjour les maths"))
    );
    teacher.say("/join #maths").await;
    assert!(teacher.said().await.starts_with("You are in #maths"));
    // The room's history, as legacy lines.
    let replay = teacher.recv_type("message").await;
    assert_eq!(replay["content"], "[#maths] bonjour les maths");
    student.say("deuxième").await;
    let prefixed = teacher.recv_type("message").await;
    assert_eq!(prefixed["from"], "eleve");
    assert_eq!(prefixed["content"], "[#maths] deuxième");
    bystander.expect_nothing_pending().await;

    student.say("/leave").await;
    assert_eq!(
        student.said().await,
        "You left #maths: you are back in #général."
    );
    student.say("retour").await;
    assert_eq!(bystander.recv_type("message").await["content"], "retour");

    // Membership is stored: after a restart the student enters without asking.
    drop((teacher, student, bystander, assistant));
    server.stop().await;
    server.restart(|_| {}).await;
    let mut student = server.client().await;
    student.login("eleve", "secret").await;
    student.say("/join #maths").await;
    assert!(student.said().await.starts_with("You are in #maths"));
    let replay = student.recv_type("message").await;
    assert_eq!(replay["content"], "[#maths] bonjour les maths");
}

#[tokio::test]
async fn requests_are_answered_or_vanish_with_their_connection() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    teacher.say("/room create #club moderated").await;
    teacher.said().await;

    let mut leaving = server.user("parti").await;
    leaving.say("/join #club").await;
    leaving.said().await;
    assert!(teacher.said().await.starts_with("parti asks to join #club"));
    drop(leaving);
    let mut refused = server.user("refuse").await;
    refused.say("/join #club").await;
    refused.said().await;
    assert!(teacher
        .said()
        .await
        .starts_with("refuse asks to join #club"));

    teacher.say("/room members #club").await;
    let members = teacher.said().await;
    assert!(
        members.starts_with("#club (moderated): members: "),
        "{members}"
    );
    assert!(members.ends_with("; asking to join: refuse"), "{members}");

    teacher.say("/accept parti #club").await;
    assert_eq!(teacher.said().await, "parti has not asked to join #club.");
    teacher.say("/reject refuse #club complet").await;
    assert_eq!(teacher.said().await, "refuse was told no for #club.");
    assert_eq!(
        refused.said().await,
        "Your request to join #club was refused: complet."
    );
    // A v2 client asks with a typed join and gets a typed answer.
    let mut typed = v2(&server, "typed", "user").await;
    typed.send(json!({"type":"join","channel":"#club"})).await;
    assert_eq!(typed.recv_type("error").await["code"], "join_pending");
}

#[tokio::test]
async fn private_rooms_take_invited_members_only() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut member = server.user("delegue").await;
    let mut other = server.user("autre").await;
    teacher.say("/room create #conseil private").await;
    assert_eq!(teacher.said().await, "#conseil created (private).");

    member.say("/join #conseil").await;
    assert_eq!(
        member.said().await,
        "#conseil is private: a teacher must invite you."
    );
    teacher.sync().await;
    teacher.expect_nothing_pending().await;
    other.say("/rooms").await;
    let rooms = other.said().await;
    assert!(rooms.starts_with("Rooms: #général (open, "), "{rooms}");
    assert!(!rooms.contains("#conseil"), "{rooms}");
    other.expect_nothing_pending().await;

    teacher.say("/invite delegue #conseil").await;
    assert_eq!(teacher.said().await, "delegue is now a member of #conseil.");
    assert_eq!(
        member.said().await,
        "You were invited to #conseil: /join #conseil to enter."
    );
    member.say("/join #conseil").await;
    assert!(member.said().await.starts_with("You are in #conseil"));
    member.say("/rooms").await;
    let listed = member.said().await;
    assert!(listed.contains("#conseil (private, 1 in it)"), "{listed}");

    teacher.say("/room close #conseil").await;
    assert_eq!(
        teacher.said().await,
        "#conseil closed; its messages stay in the history."
    );
    assert_eq!(
        member.said().await,
        "#conseil was closed: you are back in #général."
    );
    member.say("de retour").await;
    assert_eq!(other.recv_type("message").await["content"], "de retour");
}

#[tokio::test]
async fn only_teachers_create_rooms_by_default() {
    let server = TestServer::start_with(|c| c.limits = Config::default().limits).await;
    let mut student = v2(&server, "eleve", "user").await;
    student
        .send(json!({"type":"join","channel":"#a-moi"}))
        .await;
    let refused = student.recv_type("error").await;
    assert_eq!(refused["code"], "too_many_channels");
    assert_eq!(
        refused["message"],
        "Only teachers create rooms: join an existing one (/rooms lists them)."
    );
    let mut legacy_student = server.user("autre").await;
    legacy_student.say("/room create #x open").await;
    assert_eq!(
        legacy_student.said().await,
        "/room is for teachers (moderators): nothing was done."
    );
    let mut teacher = v2(&server, "prof", "moderator").await;
    teacher
        .send(json!({"type":"join","channel":"#cours"}))
        .await;
    assert_eq!(teacher.recv_type("join").await["status"], "ok");
    student
        .send(json!({"type":"join","channel":"#cours"}))
        .await;
    assert_eq!(student.recv_type("join").await["status"], "ok");
}

#[tokio::test]
async fn a_deleted_account_leaves_its_rooms_and_sanctions_behind() {
    let mut server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    teacher.say("/room create #conseil private").await;
    teacher.said().await;
    let mut member = server.user("delegue").await;
    teacher.say("/invite delegue #conseil").await;
    teacher.said().await;
    teacher.say("/mute delegue").await;
    teacher.said().await;
    let deleted = server
        .admin_request(json!({"command": "user-delete", "user": "delegue"}))
        .await;
    assert_eq!(deleted["answer"], "done", "{deleted}");
    assert!(member.closed().await);

    // A new account of the same name starts clean, now and after a restart.
    let mut newcomer = server.user("delegue").await;
    newcomer.say("/join #conseil").await;
    assert_eq!(
        newcomer.said().await,
        "#conseil is private: a teacher must invite you."
    );
    newcomer.say("nouveau ici").await;
    assert_eq!(teacher.recv_type("message").await["content"], "nouveau ici");
    drop((teacher, newcomer));
    server.stop().await;
    server.restart(|_| {}).await;
    let mut newcomer = server.client().await;
    newcomer.login("delegue", "secret").await;
    newcomer.say("/join #conseil").await;
    assert_eq!(
        newcomer.said().await,
        "#conseil is private: a teacher must invite you."
    );
}

#[tokio::test]
async fn a_closed_room_names_itself_to_v2_members() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut member = v2(&server, "eleve", "user").await;
    teacher.say("/room create #atelier open").await;
    assert_eq!(teacher.said().await, "#atelier created (open).");
    member
        .send(json!({"type":"join","channel":"#atelier"}))
        .await;
    assert_eq!(member.recv_type("join").await["status"], "ok");
    teacher.say("/room close #atelier").await;
    teacher.said().await;
    // The web client leaves the room on this line, without parsing its words.
    let closed = member.recv_type("system").await;
    assert_eq!(closed["closed_room"], "#atelier", "{closed}");
    assert_eq!(
        closed["message"],
        "#atelier was closed: you are back in #général."
    );
}
