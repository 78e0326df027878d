//! A student slow at the login window keeps the connection: the identify deadline is long and
//! starts again with every well-formed request. Only a connection that leaves a line
//! unfinished, or stays silent past the deadline, is closed; the caps still bound how many
//! such connections one address holds. Minutes pass instantly on tokio's paused clock.

mod common;

use std::time::Duration;

use common::{Client, ManualClock, TestServer};
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

async fn expect_closed_with(client: &mut Client, message_part: &str) {
    let reply = client.recv().await;
    assert_eq!(reply["code"], "identify_timeout", "{reply}");
    assert!(
        reply["message"].as_str().unwrap().contains(message_part),
        "{reply}"
    );
    assert!(client.closed().await);
}

#[tokio::test(start_paused = true)]
async fn a_student_slow_at_the_login_window_stays_connected() {
    let clock = ManualClock::hold();
    let server = TestServer::start().await;
    let mut bystander = server.user("bystander").await;
    let mut student = server.client().await;
    let mut silent = server.client().await;

    // The program opened the connection; the student reads the screen for 20 minutes.
    clock.pass(20 * MINUTE).await;
    student.register("élève", "motdepasse").await;
    // Then asks a neighbour for the password: 25 more minutes (45 since connecting).
    clock.pass(25 * MINUTE).await;
    student.login("élève", "motdepasse").await;
    assert_eq!(
        bystander.recv().await,
        json!({"type":"status","user":"élève","state":"online"})
    );
    // The connection that never sent anything was closed at 30 minutes.
    expect_closed_with(&mut silent, "sooner after connecting").await;

    // Identified connections have no deadline at all.
    clock.pass(120 * MINUTE).await;
    student
        .send(json!({"type":"message","subtype":"global","content":"bonjour"}))
        .await;
    assert_eq!(bystander.recv().await["content"], "bonjour");
}

#[tokio::test(start_paused = true)]
async fn a_guest_who_reads_before_writing_keeps_its_first_message() {
    let clock = ManualClock::hold();
    let server = TestServer::start().await;
    let mut bystander = server.user("bystander").await;
    let mut guest = server.client().await;
    // Polling `users` (one client does it every 3 seconds) keeps the connection open.
    for _ in 0..8 {
        clock.pass(20 * MINUTE).await;
        guest.sync().await;
    }
    guest
        .send(json!({"type":"message","from":"lecteur","content":"me voici"}))
        .await;
    let message = bystander.recv_type("message").await;
    assert_eq!(message["from"], "lecteur");
    assert_eq!(message["content"], "me voici");
}

#[tokio::test(start_paused = true)]
async fn silence_after_the_last_request_closes_at_the_deadline() {
    let clock = ManualClock::hold();
    let server = TestServer::start_with(|c| c.limits.identify_timeout_secs = 10 * 60).await;
    let mut client = server.client().await;
    clock.pass(9 * MINUTE).await;
    client.sync().await;
    // 9 minutes after that request it is still there; 11 minutes after, it is gone.
    clock.pass(9 * MINUTE).await;
    client.sync().await;
    clock.pass(11 * MINUTE).await;
    expect_closed_with(&mut client, "sooner after connecting").await;
}

#[tokio::test(start_paused = true)]
async fn an_unfinished_line_closes_an_unidentified_connection_quickly() {
    let clock = ManualClock::hold();
    let server = TestServer::start().await;
    let mut stalled = server.client().await;
    let mut waiting = server.client().await;
    waiting.sync().await;
    stalled.send_raw(b"{\"type\":\"us").await;
    clock.pass(Duration::from_secs(70)).await;
    expect_closed_with(&mut stalled, "unfinished").await;
    // The connection that sent whole lines is still served.
    waiting.sync().await;
}

#[tokio::test(start_paused = true)]
async fn the_per_address_cap_still_bounds_idle_connections() {
    let clock = ManualClock::hold();
    let server = TestServer::start_with(|c| {
        c.gate.max_connections_per_ip = 3;
        c.gate.trusted_proxies = vec![];
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..3 {
        let mut client = server.client().await;
        client.sync().await;
        idle.push(client);
    }
    let mut fourth = server.client().await;
    assert!(fourth.closed().await, "a fourth connection is refused");
    clock.pass(10 * MINUTE).await;
    for client in &mut idle {
        client.sync().await;
    }
}
