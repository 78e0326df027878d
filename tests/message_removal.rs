//! Teachers removing messages and pupils reporting them, over real sockets: a removed message
//! leaves the database, the history and join replays, and the screens of the room's v2 and
//! web clients at once; `/purge` works from a legacy client; a report reaches the teachers
//! online and `/reports`, and is rate-limited.

mod common;

use common::{Client, TestServer};
use serde_json::{json, Value};

async fn v2(client: &mut Client) {
    client.send(json!({"type": "hello", "version": 2})).await;
    client.recv_type("hello").await;
}

/// Reads messages until one with this content; returns its id.
async fn id_of(client: &mut Client, content: &str) -> i64 {
    loop {
        let line = client.recv_type("message").await;
        if line["content"] == content {
            return line["id"].as_i64().expect("v2 messages carry their id");
        }
    }
}

fn stored_contents(server: &TestServer) -> Vec<String> {
    common::stored_texts(
        server.dir.path(),
        "SELECT content FROM messages ORDER BY id",
    )
}

fn history_contents(line: &Value) -> Vec<String> {
    line["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts that only presence lines were queued for this client before a round trip.
async fn nothing_but_presence(client: &mut Client) {
    client.send(json!({"type": "users"})).await;
    loop {
        let line = client.recv().await;
        match line["type"].as_str() {
            Some("users") => return,
            Some("status") => continue,
            _ => panic!("unexpected line: {line}"),
        }
    }
}

async fn command(client: &mut Client, action: Value) -> Value {
    client.send(action).await;
    loop {
        let line = client.recv().await;
        if line["type"] == "command" || line["type"] == "error" {
            return line;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_message_leaves_the_history_the_database_and_the_screens() {
    let server = TestServer::start().await;
    let mut teacher = server.user("prof").await;
    server.set_role("prof", "moderator").await;
    v2(&mut teacher).await;
    let mut pupil = server.user("eleve").await;
    let mut watcher = server.user("alice").await;
    v2(&mut watcher).await;
    let mut legacy_teacher = server.user_with_role("prof2", "moderator").await;

    for text in ["t'es nul", "vraiment nul", "bonjour"] {
        pupil.say(text).await;
    }
    pupil.sync().await;
    let insult = id_of(&mut watcher, "t'es nul").await;
    id_of(&mut watcher, "bonjour").await;

    let answer = command(
        &mut teacher,
        json!({"type": "command", "action": "delete", "id": insult, "reason": "insulte"}),
    )
    .await;
    assert_eq!(answer["status"], "ok", "{answer}");
    assert_eq!(
        answer["lines"][0],
        format!("Message {insult} of eleve removed.")
    );
    let removed = watcher.recv_type("removed").await;
    assert_eq!(
        removed,
        json!({"type": "removed", "channel": "#général", "ids": [insult]})
    );
    assert_eq!(stored_contents(&server), ["vraiment nul", "bonjour"]);

    // A newcomer's join replay and history pages no longer have it.
    let mut newcomer = server.client().await;
    v2(&mut newcomer).await;
    newcomer.register("zoe", "secret").await;
    newcomer.login("zoe", "secret").await;
    newcomer
        .send(json!({"type": "history", "channel": "#général"}))
        .await;
    let history = newcomer.recv_type("history").await;
    assert_eq!(history_contents(&history), ["vraiment nul", "bonjour"]);

    // From a legacy client, by name (French alias in the catalogue, English texts here).
    legacy_teacher.say("/purge eleve 2").await;
    assert_eq!(legacy_teacher.said().await, "2 messages of eleve removed.");
    let removed = watcher.recv_type("removed").await;
    assert_eq!(removed["ids"].as_array().unwrap().len(), 2, "{removed}");
    assert!(stored_contents(&server).is_empty());
    // A removal is not a message: the legacy pupil's window gets nothing new.
    nothing_but_presence(&mut pupil).await;

    // The moderation log says who removed whose messages and why, without their text.
    let log = server
        .admin_request(json!({"command": "log", "limit": 10}))
        .await;
    let entries = log["entries"].as_array().unwrap();
    let delete = entries.iter().find(|e| e["action"] == "delete").unwrap();
    assert_eq!(delete["actor"], "prof");
    assert_eq!(delete["target"], "eleve");
    assert_eq!(delete["reason"], format!("insulte (ids {insult})"));
    assert!(delete.get("removed_text").is_none(), "{delete}");
    assert!(entries
        .iter()
        .any(|e| e["action"] == "purge" && e["actor"] == "prof2"));

    // Pupils may not remove messages.
    pupil.say("/delete 1").await;
    assert!(pupil.said().await.contains("teachers"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_removed_text_stays_for_administrators_when_the_school_keeps_it() {
    let server = TestServer::start_with(|c| c.classroom.keep_removed_text = true).await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut pupil = server.user("eleve").await;
    v2(&mut pupil).await;
    pupil.say("message déplacé").await;
    let echo = pupil.sync().await;
    assert_eq!(echo["type"], "users");
    teacher.say("/purge eleve").await;
    assert_eq!(teacher.said().await, "1 message of eleve removed.");
    let log = server
        .admin_request(json!({"command": "log", "limit": 10}))
        .await;
    let entries = log["entries"].as_array().unwrap();
    let purge = entries.iter().find(|e| e["action"] == "purge").unwrap();
    assert_eq!(purge["removed_text"], "message déplacé");
    let printed = server.admin_ok(&["log"]);
    assert!(
        printed.contains("removed text: \"message déplacé\""),
        "{printed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_reaches_the_teachers_online_and_the_list() {
    let server = TestServer::start().await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    let mut bully = server.user("eleve").await;
    let mut web_pupil = server.user("alice").await;
    v2(&mut web_pupil).await;
    let mut legacy_pupil = server.user("bob").await;
    teacher.sync().await;
    legacy_pupil.sync().await;

    bully.say("t'es nul").await;
    let id = id_of(&mut web_pupil, "t'es nul").await;

    // A web client reports by id.
    let answer = command(
        &mut web_pupil,
        json!({"type": "command", "action": "report", "id": id, "reason": "insulte"}),
    )
    .await;
    assert_eq!(answer["status"], "ok", "{answer}");
    assert_eq!(
        answer["lines"][0],
        "Thank you: your report was sent to the teachers."
    );
    let told = teacher.said().await;
    assert_eq!(
        told,
        format!(
            "Report from alice: message {id} of eleve in #général: \"t'es nul\", reason: \
             insulte (/delete {id} to remove it)"
        )
    );

    // A legacy client, which shows no ids, reports the person's last message.
    legacy_pupil.say("/report eleve encore").await;
    assert_eq!(
        legacy_pupil.said().await,
        "Thank you: your report was sent to the teachers."
    );
    assert!(teacher.said().await.starts_with("Report from bob: message"));
    // Nobody else hears of it.
    nothing_but_presence(&mut bully).await;

    teacher.say("/reports").await;
    let listed = teacher.said().await;
    assert!(listed.starts_with("Reports: "), "{listed}");
    assert!(listed.contains("bob reports eleve"), "{listed}");
    assert!(listed.contains("alice reports eleve"), "{listed}");
    let printed = server.admin_ok(&["reports"]);
    assert!(printed.contains("alice reported message"), "{printed}");
    assert!(
        printed.contains("in #général: \"t'es nul\" (insulte)"),
        "{printed}"
    );

    // Pupils may not read the reports; nobody may report themselves; reports are limited.
    legacy_pupil.say("/reports").await;
    assert!(legacy_pupil.said().await.contains("teachers"));
    // Five in a row (one above, four here), then the sixth waits.
    for _ in 0..4 {
        legacy_pupil.say("/report eleve").await;
        assert!(legacy_pupil.said().await.starts_with("Thank you"));
    }
    legacy_pupil.say("/report eleve").await;
    assert!(legacy_pupil
        .said()
        .await
        .contains("already sent several reports"),);
    bully.say("/report eleve").await;
    let refused = bully.said().await;
    assert!(!refused.starts_with("Thank you"), "{refused}");
}
