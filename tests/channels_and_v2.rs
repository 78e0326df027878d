//! Channels, history replay, and the v2 lines that legacy clients must never see.

mod common;

use common::{Client, TestServer};
use serde_json::json;

async fn v2_user(server: &TestServer, name: &str) -> Client {
    let mut client = server.client().await;
    client
        .send(json!({"type":"hello","version":2,"client":"test"}))
        .await;
    let hello = client.recv().await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["version"], 2);
    client.register(name, "secret").await;
    client.login(name, "secret").await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_messages_reach_members_only_and_legacy_clients_see_only_general() {
    let server = TestServer::start().await;
    let mut legacy = server.user("legacy").await;
    let mut dev1 = v2_user(&server, "dev1").await;
    let mut dev2 = v2_user(&server, "dev2").await;
    dev1.send(json!({"type":"join","channel":"#dev"})).await;
    assert_eq!(
        dev1.recv_type("join").await,
        json!({"type":"join","status":"ok","channel":"#dev"})
    );
    assert_eq!(dev1.recv_type("history").await["messages"], json!([]));
    dev2.send(json!({"type":"join","channel":"#DEV"})).await;
    assert_eq!(dev2.recv_type("join").await["channel"], "#dev");
    dev2.recv_type("history").await;
    assert_eq!(
        dev1.recv_type("channel").await,
        json!({"type":"channel","event":"join","channel":"#dev","user":"dev2"})
    );
    dev1.send(json!({"type":"message","channel":"#dev","content":"build cassé"}))
        .await;
    let message = dev2.recv_type("message").await;
    assert_eq!(message["channel"], "#dev");
    assert_eq!(message["from"], "dev1");
    // The legacy client saw presence only, no channel line and no channel message.
    legacy.send(json!({"type":"users"})).await;
    loop {
        let line = legacy.recv().await;
        match line["type"].as_str().unwrap() {
            "status" => continue,
            "users" => break,
            other => panic!("legacy client got a {other} line: {line}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writing_to_a_channel_requires_membership_and_general_cannot_be_left() {
    let server = TestServer::start().await;
    let mut dev = v2_user(&server, "dev").await;
    dev.send(json!({"type":"message","channel":"#secret","content":"x"}))
        .await;
    assert_eq!(dev.recv().await["code"], "not_in_channel");
    dev.send(json!({"type":"join","channel":"no hash"})).await;
    assert_eq!(dev.recv().await["code"], "invalid_channel");
    dev.send(json!({"type":"leave","channel":"#général"})).await;
    assert_eq!(dev.recv().await["code"], "invalid_channel");
    dev.send(json!({"type":"join","channel":"#a"})).await;
    dev.recv_type("history").await;
    dev.send(json!({"type":"leave","channel":"#a"})).await;
    assert_eq!(
        dev.recv().await,
        json!({"type":"leave","status":"ok","channel":"#a"})
    );
    dev.send(json!({"type":"channels"})).await;
    let channels = dev.recv().await;
    // Nothing was said in #a: it went away with its last member.
    assert_eq!(
        channels["channels"],
        json!([{"name":"#général","members":1}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_replays_the_last_messages_from_the_database() {
    let server = TestServer::start_with(|c| c.storage.history_replay = 3).await;
    let mut writer = v2_user(&server, "writer").await;
    writer.send(json!({"type":"join","channel":"#hist"})).await;
    writer.recv_type("history").await;
    for n in 1..=5 {
        writer
            .send(json!({"type":"message","channel":"#hist","content":format!("m{n}")}))
            .await;
    }
    let mut reader = v2_user(&server, "reader").await;
    // Wait until the five are committed: the writer's own history shows them.
    loop {
        writer
            .send(json!({"type":"history","channel":"#hist","limit":10}))
            .await;
        if writer.recv_type("history").await["messages"]
            .as_array()
            .unwrap()
            .len()
            == 5
        {
            break;
        }
    }
    reader.send(json!({"type":"join","channel":"#hist"})).await;
    reader.recv_type("join").await;
    let history = reader.recv_type("history").await;
    let contents: Vec<_> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(contents, ["m3", "m4", "m5"]);
    assert_eq!(history["messages"][0]["from"], "writer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_system_lines_for_v2_and_messages_from_serveur_for_legacy() {
    let server = TestServer::start().await;
    let mut legacy = server.user("legacy").await;
    let mut modern = v2_user(&server, "modern").await;
    legacy.recv_type("status").await;
    server.admin_ok(&["notice", "Maintenance à 18h"]);
    let line = legacy.recv().await;
    assert_eq!(line["type"], "message");
    assert_eq!(line["subtype"], "global");
    assert_eq!(line["from"], "Serveur");
    assert_eq!(line["content"], "Maintenance à 18h");
    assert_eq!(
        modern.recv().await,
        json!({"type":"system","event":"admin","message":"Maintenance à 18h"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_v2_guests_identify_without_a_message_and_skip_presence_lines() {
    let server = TestServer::start().await;
    let mut bot = server.client().await;
    bot.send(json!({"type":"hello","version":2,"presence":false}))
        .await;
    bot.recv_type("hello").await;
    bot.send(json!({"type":"guest","name":"robot"})).await;
    assert_eq!(
        bot.recv().await,
        json!({"type":"guest","status":"ok","username":"robot"})
    );
    let mut human = server.user("humain").await;
    human.send(json!({"type":"status","state":"away"})).await;
    human
        .send(json!({"type":"message","content":"bonjour robot"}))
        .await;
    // The bot got the message but none of the status lines.
    let first = bot.recv().await;
    assert_eq!(first["type"], "message", "{first}");
    bot.expect_nothing_pending().await;
    assert_eq!(human.sync().await["users"], json!(["humain", "robot"]));
}
