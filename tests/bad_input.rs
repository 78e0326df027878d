//! Every bad input gets a clear error reply and the connection goes on.

mod common;

use common::TestServer;
use serde_json::json;

/// Sends `raw`, expects an error with `code`, then proves the connection still works.
async fn expect_error_and_continue(server: &TestServer, raw: &[u8], code: &str) {
    let mut client = server.client().await;
    client.send_raw(raw).await;
    let reply = client.recv().await;
    assert_eq!(reply["type"], "error", "for {raw:?}");
    assert_eq!(
        reply["code"],
        code,
        "for {:?}: {reply}",
        String::from_utf8_lossy(raw)
    );
    assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(reply["message"], reply["error"]);
    client.sync().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_lines_are_answered_and_the_connection_continues() {
    let server = TestServer::start().await;
    let deep = format!(
        "{{\"type\":\"users\",\"x\":{}{}}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{not json\n".to_vec(), "invalid_json"),
        (b"[1,2,3]\n".to_vec(), "not_an_object"),
        (b"\"hello\"\n".to_vec(), "not_an_object"),
        (b"42\n".to_vec(), "not_an_object"),
        (b"{\"username\":\"x\"}\n".to_vec(), "missing_type"),
        (b"{\"type\":7}\n".to_vec(), "invalid_field"),
        (
            b"{\"type\":\"login\",\"username\":5,\"password\":\"x\"}\n".to_vec(),
            "invalid_field",
        ),
        (
            b"{\"type\":\"login\",\"username\":\"x\"}\n".to_vec(),
            "invalid_field",
        ),
        (
            b"{\"type\":\"message\",\"content\":[\"x\"]}\n".to_vec(),
            "invalid_field",
        ),
        (
            b"{\"type\":\"message\",\"subtype\":\"shout\",\"content\":\"x\"}\n".to_vec(),
            "invalid_field",
        ),
        (
            b"{\"type\":\"message\",\"subtype\":\"private\",\"content\":\"x\"}\n".to_vec(),
            "invalid_field",
        ),
        (
            b"{\"type\":\"status\",\"state\":null}\n".to_vec(),
            "invalid_field",
        ),
        (b"{\"type\":\"users\"\x00}\n".to_vec(), "nul_byte"),
        (
            b"{\"type\":\"message\",\"content\":\"a\\u0000b\"}\n".to_vec(),
            "nul_byte",
        ),
        (deep.into_bytes(), "nesting_too_deep"),
        (
            b"{\"type\":\"hello\",\"version\":2,\"presence\":\"no\"}\n".to_vec(),
            "invalid_field",
        ),
        (
            b"{\"type\":\"guest\",\"name\":\"a\\nb\"}\n".to_vec(),
            "invalid_username",
        ),
        (
            b"{\"type\":\"guest\",\"name\":\"Serveur\"}\n".to_vec(),
            "invalid_username",
        ),
    ];
    for (raw, code) in cases {
        expect_error_and_continue(&server, &raw, code).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_lines_are_discarded_without_buffering() {
    let server = TestServer::start_with(|c| c.limits.max_line_bytes = 1024).await;
    let mut client = server.client().await;
    // 1 MiB without a newline, in pieces: one error, then the line is skipped to its end.
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..16 {
        client.send_raw(&chunk).await;
    }
    let reply = client.recv().await;
    assert_eq!(reply["code"], "line_too_long");
    client.send_raw(b"still the same line\n").await;
    let users = client.sync().await;
    assert_eq!(users["users"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_over_the_limit_is_refused() {
    let server = TestServer::start_with(|c| c.limits.max_content_chars = 10).await;
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    alice.recv_type("status").await;
    bob.send(json!({"type":"message","content":"x".repeat(11)}))
        .await;
    assert_eq!(bob.recv().await["code"], "content_too_long");
    bob.send(json!({"type":"message","content":"é".repeat(10)}))
        .await;
    assert_eq!(alice.recv().await["content"], "é".repeat(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_never_take_the_server_down() {
    let server = TestServer::start().await;
    let mut bystander = server.user("bystander").await;
    let mut noisy = server.client().await;
    // Invalid UTF-8 that is not JSON either, binary noise, lone surrogates, huge numbers.
    let noise: Vec<&[u8]> = vec![
        b"\xff\xfe\xfd\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n",
        b"{\"type\":\"message\",\"content\":\"\\ud800\"}\n",
        b"{\"type\":\"history\",\"limit\":1e400}\n",
        b"{\"type\":\"hello\",\"version\":-1}\n",
        b"}{][\n",
    ];
    for raw in noise {
        noisy.send_raw(raw).await;
        let reply = noisy.recv().await;
        assert_eq!(reply["type"], "error", "for {raw:?}");
    }
    bystander.sync().await;
}
