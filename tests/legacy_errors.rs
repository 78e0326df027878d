//! Which refusals a legacy connection (one that never said `hello`) is answered with an
//! error line, and which it is not, as `docs/PROTOCOL.md` lists them; over raw sockets.

mod common;

use common::{Client, TestServer};
use serde_json::json;

/// A connection that said `hello` version 2.
async fn v2_client(server: &TestServer) -> Client {
    let mut client = server.client().await;
    client.send(json!({"type":"hello","version":2})).await;
    assert_eq!(client.recv().await["type"], "hello");
    client
}

fn ignored_count(server: &TestServer, code: &str) -> u64 {
    let text = server.running().render_metrics();
    let prefix = format!("classcord_legacy_requests_ignored_total{{code=\"{code}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |value| value.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_original_ignored_get_no_line_on_legacy_connections() {
    let server = TestServer::start().await;
    let mut alice = server.user("alice").await;
    let mut anonymous = server.client().await;

    // A private message to someone who just went offline: silence, as before.
    alice
        .send_raw(b"{\"type\":\"message\",\"subtype\":\"private\",\"to\":\"ghost\",\"content\":\"hello?\"}\n")
        .await;
    alice.expect_nothing_pending().await;
    // A guest changing its status before its first message: silence.
    anonymous
        .send_raw(b"{\"type\":\"status\",\"state\":\"away\"}\n")
        .await;
    // A well-formed object of a kind the server does not know: silence.
    anonymous.send_raw(b"{\"type\":\"typing\"}\n").await;
    anonymous.send_raw(b"{\"type\":\"users\"}\n").await;
    assert_eq!(
        anonymous.recv_raw().await,
        b"{\"type\":\"users\",\"users\":[\"alice\"]}\n"
    );
    assert_eq!(ignored_count(&server, "user_offline"), 1);
    assert_eq!(ignored_count(&server, "not_logged_in"), 1);
    assert_eq!(ignored_count(&server, "unknown_type"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_connections_keep_the_typed_errors() {
    let server = TestServer::start().await;
    let mut v2 = v2_client(&server).await;
    for (line, code) in [
        (json!({"type":"status","state":"away"}), "not_logged_in"),
        (json!({"type":"typing"}), "unknown_type"),
    ] {
        v2.send(line).await;
        assert_eq!(v2.recv().await["code"], code);
    }
    v2.send(json!({"type":"guest","name":"v2"})).await;
    assert_eq!(v2.recv().await["type"], "guest");
    v2.send(json!({"type":"message","subtype":"private","to":"ghost","content":"?"}))
        .await;
    assert_eq!(v2.recv_type("error").await["code"], "user_offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_connections_still_get_the_errors_the_original_sent_or_that_unusable_input_needs() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let long = format!("{}\n", "x".repeat(20_000));
    let cases: [(&[u8], &str); 5] = [
        (
            b"{\"type\":\"login\",\"username\":\"nobody\",\"password\":\"x\"}\n",
            "login_failed",
        ),
        (
            b"{\"type\":\"register\",\"username\":\"\",\"password\":\"x\"}\n",
            "invalid_username",
        ),
        (b"{not json\n", "invalid_json"),
        (b"{\"username\":\"x\"}\n", "missing_type"),
        (long.as_bytes(), "line_too_long"),
    ];
    for (line, code) in cases {
        client.send_raw(line).await;
        let reply = client.recv().await;
        assert_eq!(reply["code"], code, "{reply}");
    }
    client.register("alice", "pw").await;
    client
        .send_raw(b"{\"type\":\"register\",\"username\":\"alice\",\"password\":\"x\"}\n")
        .await;
    assert_eq!(client.recv().await["message"], "Username already exists.");
}
