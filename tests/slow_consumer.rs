//! A client that stops reading is disconnected as a slow consumer, without slowing anyone.

mod common;

use common::{Client, TestServer};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_without_slowing_others() {
    let server = TestServer::start_with(|c| {
        c.limits.outbound_queue = 64;
        c.gate.messages_per_ip_per_second = 100_000;
        c.gate.message_burst_per_ip = 100_000;
        c.gate.messages_per_connection_per_second = 100_000;
        c.gate.message_burst_per_connection = 100_000;
    })
    .await;
    // The slow client has a tiny receive buffer and stops reading once identified.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr()).await.unwrap();
    let mut slow = Client::over(stream);
    slow.send(json!({"type":"message","from":"slowpoke","content":""}))
        .await;
    slow.sync().await;

    let mut reader = server.user("reader").await;
    let mut sender = server.user("sender").await;
    reader.recv_type("status").await;
    let payload = "x".repeat(3000);
    // Send in rounds the reader keeps up with, until the slow client is dropped.
    let mut sent = 0;
    let mut slow_dropped = false;
    while !slow_dropped {
        assert!(sent < 20_000, "slow consumer never disconnected");
        for _ in 0..16 {
            sender
                .send(json!({"type":"message","content":format!("{sent} {payload}")}))
                .await;
            sent += 1;
        }
        let mut received = 0;
        while received < 16 {
            let line = reader.recv().await;
            match line["type"].as_str() {
                Some("message") => {
                    assert_eq!(line["from"], "sender");
                    received += 1;
                }
                Some("status") => {
                    assert_eq!(
                        line,
                        json!({"type":"status","user":"slowpoke","state":"offline"})
                    );
                    slow_dropped = true;
                }
                _ => panic!("unexpected {line}"),
            }
        }
        // The reader may miss that presence line: past its own soft budget (a loaded machine),
        // presence is dropped for it. The server's list of users says it too.
        if !slow_dropped {
            let users = server.admin_request(json!({"command": "users"})).await;
            slow_dropped = !users["users"]
                .as_array()
                .unwrap_or_else(|| panic!("{users}"))
                .iter()
                .any(|user| user["name"] == "slowpoke");
        }
    }
    assert!(slow.closed().await);
    // The others are still served.
    sender
        .send(json!({"type":"message","content":"after"}))
        .await;
    assert_eq!(reader.recv_type("message").await["content"], "after");
}
