//! No reply can be made huge (history of long messages, replay on join, long lists), a
//! connection's queue is bounded in bytes, and database reads come from a budget: a 31-byte
//! request can no longer make the server hold megabytes for a client that never reads.

mod common;

use common::{Client, TestServer};
use serde_json::{json, Value};

/// A v2 client identified as a guest.
async fn v2_guest(server: &TestServer, name: &str) -> Client {
    let mut client = server.client().await;
    client.send(json!({"type":"hello","version":2})).await;
    client.recv_type("hello").await;
    client.send(json!({"type":"guest","name":name})).await;
    client.recv_type("guest").await;
    client
}

/// Posts `count` messages of 4,000 astral characters (12 bytes each once escaped).
async fn post_long_messages(writer: &mut Client, count: usize) {
    for n in 0..count {
        let content = format!("{n:04}{}", "😀".repeat(3996));
        writer
            .send(json!({"type":"message","subtype":"global","content":content}))
            .await;
    }
    writer.sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_comes_in_pages_under_the_reply_limit() {
    let server = TestServer::start().await;
    let mut writer = v2_guest(&server, "writer").await;
    let mut reader = v2_guest(&server, "reader").await;
    post_long_messages(&mut writer, 12).await;
    // Delivered means committed: all twelve are in the database now.
    for _ in 0..12 {
        reader.recv_type("message").await;
    }
    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut request = json!({"type":"history","limit":500});
        if let Some(id) = before {
            request["before"] = json!(id);
        }
        reader.send(request).await;
        let raw = loop {
            let raw = reader.recv_raw().await;
            if raw.starts_with(b"{\"type\":\"history\"") {
                break raw;
            }
        };
        assert!(raw.len() <= 64 * 1024, "a {} byte reply", raw.len());
        let page: Value = serde_json::from_slice(&raw).unwrap();
        assert!(
            page["messages"].is_array(),
            "{}",
            String::from_utf8_lossy(&raw[..raw.len().min(300)])
        );
        let messages = page["messages"].as_array().unwrap();
        assert!(!messages.is_empty());
        let ids: Vec<i64> = messages.iter().map(|m| m["id"].as_i64().unwrap()).collect();
        seen.splice(0..0, ids.iter().copied());
        before = ids.first().copied();
        if page.get("more").is_none() {
            break;
        }
        assert_eq!(page["more"], true);
    }
    assert_eq!(seen.len(), 12, "every message reachable, once: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_cut_by_bytes_not_after_gigabytes() {
    let server = TestServer::start_with(|c| {
        c.limits.read_burst = 10_000;
        c.limits.reads_per_second = 10_000;
        c.gate.exempt = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let mut writer = v2_guest(&server, "writer").await;
    let mut hoarder = v2_guest(&server, "hoarder").await;
    post_long_messages(&mut writer, 6).await;
    for _ in 0..6 {
        hoarder.recv_type("message").await;
    }
    // 600 replies of ~48 KiB: 29 MB, more than the kernel buffers hold; the connection's
    // queue (256 KiB) overflows and it is closed as a slow consumer.
    for _ in 0..600 {
        if !hoarder
            .try_send_raw(b"{\"type\":\"history\",\"limit\":500}\n")
            .await
        {
            break;
        }
    }
    let deadline = std::time::Instant::now() + common::WAIT;
    loop {
        let metrics = server.running().render_metrics();
        if metrics.contains("classcord_connections_closed_total{reason=\"slow_consumer\"} 1") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    writer.sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_requests_spend_a_per_connection_budget() {
    let server = TestServer::start().await;
    let mut reader = v2_guest(&server, "reader").await;
    let mut limited = 0;
    for _ in 0..40 {
        reader.send(json!({"type":"history"})).await;
        let reply = reader.recv().await;
        if reply["code"] == "rate_limited" {
            limited += 1;
        }
    }
    assert!(limited >= 15, "{limited} of 40 refused");
    // Other requests are not affected.
    reader.sync().await;
}
