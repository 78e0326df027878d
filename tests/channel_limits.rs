//! Channels cannot fill the server: guests create none, accounts a few each, the server a
//! bounded number, and a channel emptied before anything was said in it goes away.

mod common;

use common::{Client, TestServer};
use serde_json::{json, Value};

async fn v2_user(server: &TestServer, name: &str) -> Client {
    let mut client = server.client().await;
    client.send(json!({"type":"hello","version":2})).await;
    client.recv_type("hello").await;
    client.register(name, "pw").await;
    client.login(name, "pw").await;
    client
}

async fn join(client: &mut Client, channel: &str) -> Value {
    client.send(json!({"type":"join","channel":channel})).await;
    loop {
        let line = client.recv().await;
        if line["type"] == "join" || line["type"] == "error" {
            return line;
        }
    }
}

async fn channel_names(client: &mut Client) -> Vec<String> {
    client.send(json!({"type":"channels"})).await;
    client.recv_type("channels").await["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guests_join_but_never_create_and_accounts_create_a_few() {
    let server = TestServer::start_with(|c| {
        c.limits.max_channels_per_account = 2;
        c.limits.max_channels = 3;
    })
    .await;
    let mut guest = server.client().await;
    guest.send(json!({"type":"guest","name":"visiteur"})).await;
    guest.recv_type("guest").await;
    assert_eq!(join(&mut guest, "#nouveau").await["code"], "forbidden");

    let mut prof = v2_user(&server, "prof").await;
    for channel in ["#maths", "#physique"] {
        assert_eq!(join(&mut prof, channel).await["status"], "ok");
    }
    assert_eq!(
        join(&mut prof, "#chimie").await["code"],
        "too_many_channels"
    );
    // Joining channels that exist is never limited.
    assert_eq!(join(&mut guest, "#maths").await["status"], "ok");
    let mut autre = v2_user(&server, "autre").await;
    assert_eq!(join(&mut autre, "#svt").await["status"], "ok");
    assert_eq!(join(&mut autre, "#info").await["code"], "too_many_channels");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_emptied_before_anyone_spoke_goes_away_and_used_ones_stay() {
    let mut server = TestServer::start().await;
    let mut prof = v2_user(&server, "prof").await;
    join(&mut prof, "#vide").await;
    join(&mut prof, "#actif").await;
    prof.send(json!({"type":"message","channel":"#actif","content":"bonjour"}))
        .await;
    prof.sync().await;
    let mut watcher = server.user("watcher").await;
    watcher.sync().await;
    for channel in ["#vide", "#actif"] {
        prof.send(json!({"type":"leave","channel":channel})).await;
        prof.recv_type("leave").await;
    }
    let names = channel_names(&mut watcher).await;
    assert!(!names.contains(&"#vide".to_owned()), "{names:?}");
    assert!(names.contains(&"#actif".to_owned()), "{names:?}");
    // A channel created and left empty before a restart is gone after it too.
    join(&mut prof, "#oublie").await;
    drop(prof);
    drop(watcher);
    server.stop().await;
    server.restart(|_| {}).await;
    let mut later = server.user("later").await;
    let names = channel_names(&mut later).await;
    assert!(names.contains(&"#actif".to_owned()), "{names:?}");
    assert!(!names.contains(&"#oublie".to_owned()), "{names:?}");
}

#[tokio::test]
async fn teachers_create_rooms_within_the_servers_bound_too() {
    let server = TestServer::start_with(|c| c.limits.max_channels = 2).await;
    let mut teacher = server.user_with_role("prof", "moderator").await;
    teacher.sync().await;
    for room in ["#a", "#b"] {
        teacher.say(&format!("/room create {room} open")).await;
        assert_eq!(teacher.said().await, format!("{room} created (open)."));
    }
    teacher.say("/room create #c private").await;
    assert_eq!(teacher.said().await, "The server has its 2 channels.");
    // Changing the mode of a room that exists is not a new channel.
    teacher.say("/room create #a moderated").await;
    assert!(teacher.said().await.starts_with("#a"));
    let mut student = server.user("eleve").await;
    let names = channel_names(&mut student).await;
    assert_eq!(names.len(), 3, "{names:?}");
}
