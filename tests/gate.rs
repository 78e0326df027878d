//! The gate: allowlist, per-address rate limits and caps, each triggering and releasing,
//! and a classroom behind one address working normally with the defaults.

mod common;

use std::time::Duration;

use common::{connect_from, Client, ManualClock, TestServer};
use serde_json::json;

/// Gate settings for tests: no trusted proxy, so refusals are immediate.
fn strict(
    edit: impl FnOnce(&mut classcord::config::GateSection),
) -> impl FnOnce(&mut classcord::config::Config) {
    move |c| {
        c.gate.trusted_proxies = vec![];
        edit(&mut c.gate);
    }
}

async fn client_from(server: &TestServer, source: &str) -> Client {
    Client::over(connect_from(source, server.addr()).await.unwrap())
}

/// True when the server closed the connection without answering a request.
async fn refused(client: &mut Client) -> bool {
    !client.try_send_raw(b"{\"type\":\"users\"}\n").await || client.try_recv_raw().await.is_none()
}

/// Retries `attempt` until it succeeds, for limits that release over (a short) time.
async fn eventually<F, Fut>(mut attempt: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !attempt().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "limit never released"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowlist_refuses_other_addresses_before_reading() {
    let mut server =
        TestServer::start_with(strict(|g| g.allow = vec!["127.0.0.1/32".parse().unwrap()])).await;
    let mut outsider = client_from(&server, "127.0.0.2").await;
    assert!(refused(&mut outsider).await);
    let mut insider = client_from(&server, "127.0.0.1").await;
    insider.sync().await;
    server.stop().await;
    let audit = std::fs::read_to_string(server.path("logs/audit.log")).unwrap();
    let refusal = audit
        .lines()
        .find(|l| l.contains("\"refused\""))
        .expect("refusal logged");
    assert!(
        refusal.contains("\"ip\":\"127.0.0.2\"") && refusal.contains("not_allowed"),
        "{refusal}"
    );
    assert!(refusal.contains("\"listener\":\"plain\""));
}

#[tokio::test(start_paused = true)]
async fn connection_rate_per_address_triggers_and_releases() {
    let clock = ManualClock::hold();
    let server = TestServer::start_with(strict(|g| {
        g.connections_per_ip_per_minute = 30; // one every 2 s
        g.connection_burst_per_ip = 3;
    }))
    .await;
    let mut kept = Vec::new();
    for _ in 0..3 {
        let mut client = client_from(&server, "127.0.0.1").await;
        client.sync().await;
        kept.push(client);
    }
    let mut fourth = client_from(&server, "127.0.0.1").await;
    assert!(refused(&mut fourth).await);
    let mut other = client_from(&server, "127.0.0.2").await;
    other.sync().await;
    // One more connection is allowed 2 seconds later, not before.
    clock.pass(Duration::from_millis(1900)).await;
    let mut early = client_from(&server, "127.0.0.1").await;
    assert!(refused(&mut early).await);
    clock.pass(Duration::from_millis(100)).await;
    let mut allowed = client_from(&server, "127.0.0.1").await;
    allowed.sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connection_caps_per_address_and_in_total() {
    let server = TestServer::start_with(strict(|g| {
        g.max_connections_per_ip = 2;
        g.max_connections = 3;
    }))
    .await;
    let mut a1 = client_from(&server, "127.0.0.1").await;
    a1.sync().await;
    let mut a2 = client_from(&server, "127.0.0.1").await;
    a2.sync().await;
    let mut a3 = client_from(&server, "127.0.0.1").await;
    assert!(refused(&mut a3).await, "per-address cap");
    let mut b1 = client_from(&server, "127.0.0.2").await;
    b1.sync().await;
    let mut c1 = client_from(&server, "127.0.0.3").await;
    assert!(refused(&mut c1).await, "global cap");
    drop(a1);
    eventually(|| async {
        let mut client = client_from(&server, "127.0.0.1").await;
        !refused(&mut client).await
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn message_flood_is_refused_then_disconnected_and_releases() {
    let clock = ManualClock::hold();
    let server = TestServer::start_with(strict(|g| {
        g.messages_per_ip_per_second = 1;
        g.message_burst_per_ip = 5;
        g.flood_disconnect_after = 10;
    }))
    .await;
    let mut flooder = client_from(&server, "127.0.0.1").await;
    for _ in 0..5 {
        flooder.sync().await;
    }
    flooder.send(json!({"type":"users"})).await;
    assert_eq!(flooder.recv().await["code"], "rate_limited");
    let mut neighbour = client_from(&server, "127.0.0.2").await;
    neighbour.sync().await;
    for _ in 0..20 {
        flooder.try_send_raw(b"{\"type\":\"users\"}\n").await;
    }
    assert!(
        flooder.closed().await,
        "persistent flooding closes the connection"
    );
    // The budget comes back at one line per second.
    clock.pass(Duration::from_secs(1)).await;
    let mut client = client_from(&server, "127.0.0.1").await;
    client.send(json!({"type":"users"})).await;
    assert_eq!(client.recv().await["type"], "users");
    client.send(json!({"type":"users"})).await;
    assert_eq!(client.recv().await["code"], "rate_limited");
}

#[tokio::test(start_paused = true)]
async fn authentication_attempts_are_limited_per_address() {
    let clock = ManualClock::hold();
    let mut server = TestServer::start_with(strict(|g| {
        g.auth_attempts_per_ip_per_minute = 30; // one every 2 s
        g.auth_burst_per_ip = 3;
    }))
    .await;
    let mut guesser = server.client().await;
    for _ in 0..3 {
        guesser
            .send(json!({"type":"login","username":"admin","password":"guess"}))
            .await;
        assert_eq!(guesser.recv().await["code"], "login_failed");
    }
    guesser
        .send(json!({"type":"login","username":"admin","password":"guess"}))
        .await;
    let limited = guesser.recv().await;
    assert_eq!(limited["code"], "rate_limited");
    // One more attempt is allowed 2 seconds later.
    clock.pass(Duration::from_secs(2)).await;
    guesser
        .send(json!({"type":"login","username":"admin","password":"guess"}))
        .await;
    assert_eq!(guesser.recv().await["code"], "login_failed");
    server.stop().await;
    let auth = std::fs::read_to_string(server.path("logs/auth.log")).unwrap();
    assert!(
        auth.contains("reason=rate_limited user=\"admin\""),
        "{auth}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_behind_one_address_works_with_the_defaults() {
    let server = TestServer::start().await;
    let mut students = Vec::new();
    for n in 0..30 {
        let mut client = server.client().await;
        let name = format!("élève{n}");
        client.register(&name, "motdepasse").await;
        client.login(&name, "motdepasse").await;
        students.push(client);
    }
    // Every student polls `users` and writes a few messages; nobody is limited.
    for round in 0..3 {
        for (n, student) in students.iter_mut().enumerate() {
            student.send(json!({"type":"users"})).await;
            student
                .send(json!({"type":"message","content":format!("{n}:{round}")}))
                .await;
        }
    }
    for student in students.iter_mut() {
        let mut users_replies = 0;
        let mut messages = 0;
        while users_replies < 3 || messages < 29 * 3 {
            let line = student.recv().await;
            match line["type"].as_str().unwrap() {
                "users" => users_replies += 1,
                "message" => messages += 1,
                "status" => {}
                other => panic!("unexpected {other}: {line}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_names_cannot_probe_for_accounts_faster_than_logins() {
    let server = TestServer::start_with(strict(|g| {
        g.auth_attempts_per_ip_per_minute = 1;
        g.auth_burst_per_ip = 3;
    }))
    .await;
    let mut owner = server.client().await;
    owner.register("alice", "pw").await; // one attempt of the budget
                                         // Asking for a free name costs nothing.
    for n in 0..5 {
        let mut guest = server.client().await;
        guest
            .send(json!({"type":"message","from":format!("libre{n}"),"content":""}))
            .await;
        guest.sync().await;
    }
    // Each guest asking for an account's name spends one attempt: two are left.
    let mut probers = Vec::new();
    for expected in ["alice_2", "alice_3"] {
        let mut prober = server.client().await;
        prober.send(json!({"type":"guest","name":"alice"})).await;
        // Presence lines of the guests above may come first.
        assert_eq!(prober.recv_type("guest").await["username"], expected);
        probers.push(prober);
    }
    let mut prober = server.client().await;
    prober
        .send(json!({"type":"message","from":"alice","content":"?"}))
        .await;
    assert_eq!(prober.recv_type("error").await["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_student_is_slowed_alone_not_the_classroom_behind_the_same_address() {
    let server = TestServer::start_with(strict(|_| {})).await;
    let mut teacher = server.user("prof").await;
    let mut flooder = server.client().await;
    let mut classmate = server.client().await;
    classmate
        .send(json!({"type":"message","from":"camarade","content":"0"}))
        .await;
    assert_eq!(teacher.recv_type("message").await["content"], "0");
    // Same address: the flooder spends its own budget, not the room's.
    for _ in 0..300 {
        flooder.try_send_raw(b"{\"type\":\"users\"}\n").await;
    }
    for n in 1..=24 {
        classmate
            .send(json!({"type":"message","content":n.to_string()}))
            .await;
    }
    for n in 1..=24 {
        assert_eq!(teacher.recv_type("message").await["content"], n.to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_queue_more_than_its_share_of_password_hashes() {
    let server = TestServer::start_with(strict(|_| {})).await;
    let mut crowd = Vec::new();
    for _ in 0..12 {
        crowd.push(Client::over(
            connect_from("127.0.0.2", server.addr()).await.unwrap(),
        ));
    }
    for client in &mut crowd {
        client
            .send(json!({"type":"login","username":"nobody","password":"x"}))
            .await;
    }
    let mut busy = 0;
    for client in &mut crowd {
        let reply = client.recv().await;
        if reply["code"] == "rate_limited" {
            busy += 1;
        } else {
            assert_eq!(reply["code"], "login_failed", "{reply}");
        }
    }
    assert!(busy >= 6, "only {busy} of 12 refused at once");
    // Someone else is not kept waiting behind them.
    let mut other = Client::over(connect_from("127.0.0.3", server.addr()).await.unwrap());
    other.register("eleve", "pw").await;
    other.login("eleve", "pw").await;
}

/// Eight guest connections from one address, each sending 20 lines every 20 ms and coming
/// back as soon as it is closed for flooding, as the attack was run.
fn reconnecting_flood(addr: std::net::SocketAddr) -> Vec<tokio::task::JoinHandle<()>> {
    (0..8)
        .map(|n| {
            tokio::spawn(async move {
                let line = format!(
                    "{{\"type\":\"message\",\"from\":\"flot{n}\",\"content\":\"flood\"}}\n"
                )
                .repeat(20);
                loop {
                    let Ok(mut stream) = connect_from("127.0.0.2", addr).await else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    use tokio::io::AsyncWriteExt;
                    while stream.write_all(line.as_bytes()).await.is_ok() {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnecting_flood_does_not_silence_its_neighbour_on_the_same_address() {
    let server = TestServer::start_with(strict(|_| {})).await;
    let mut teacher = server.user("prof").await;
    let mut neighbour = client_from(&server, "127.0.0.2").await;
    neighbour.register("voisin", "secret").await;
    neighbour.login("voisin", "secret").await;
    teacher.sync().await;

    let flood = reconnecting_flood(server.addr());
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The neighbour writes at 2 messages a second, as a pupil might in a lively class.
    let mut refused_lines = 0;
    for n in 1..=24 {
        neighbour
            .send(json!({"type":"message","content":format!("voisin {n}")}))
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for task in &flood {
        task.abort();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    neighbour
        .send(json!({"type":"message","content":"fin"}))
        .await;
    let mut delivered = 0;
    loop {
        let line = teacher.recv_type("message").await;
        if line["from"] != "voisin" {
            continue;
        }
        if line["content"] == "fin" {
            break;
        }
        delivered += 1;
    }
    loop {
        match neighbour.recv_within(Duration::from_millis(200)).await {
            Some(line) if line["code"] == "rate_limited" => refused_lines += 1,
            Some(_) => continue,
            None => break,
        }
    }
    eprintln!("neighbour: {delivered} of 24 delivered, {refused_lines} refused");
    assert!(
        delivered >= 22,
        "the neighbour got {delivered} of 24 messages through ({refused_lines} refused)"
    );
}
