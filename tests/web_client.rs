//! The web client in a real browser: headless Chromium from Debian, driven by Playwright
//! (`tests/browser/classroom.mjs`), two students on the web and one legacy TCP client in the
//! same #général. The legacy client sees the web students' messages exactly as it sees
//! another legacy client's, and nothing of their room or private messages. At the end a
//! teacher, in a browser too, kicks a student.

mod common;

use std::process::{Command, Stdio};

use common::TestServer;
use serde_json::{json, Value};

const BROWSER_TESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");

/// The keys of a message line, and the values legacy clients read.
fn shape(line: &Value) -> Vec<String> {
    let mut keys: Vec<String> = line.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_students_on_the_web_and_a_legacy_client_share_the_class() {
    assert!(
        std::path::Path::new(&format!("{BROWSER_TESTS}/node_modules/playwright-core")).exists(),
        "Playwright missing: npm ci --prefix tests/browser (.ci/run does it)"
    );
    let server = TestServer::start_with(|config| {
        config.listen.web = vec!["127.0.0.1:0".parse().unwrap()];
        // The page shows the server's words: the French a class reads.
        config.server.language = classcord::config::Language::Fr;
    })
    .await;
    let url = format!("http://{}", server.running().web_addrs()[0]);
    // The teacher's account, used from a browser at the end.
    drop(server.user_with_role("prof", "moderator").await);
    let mut bob = server.user("bob").await;
    // What a legacy client's message looks like to another legacy client, for comparison.
    let mut carl = server.user("carl").await;
    carl.send(json!({"type": "message", "subtype": "global", "content": "test"}))
        .await;
    let from_legacy = bob.recv_type("message").await;

    let shots = tempfile::tempdir().unwrap();
    let child = Command::new("node")
        .arg("classroom.mjs")
        .arg(&url)
        .arg(shots.path())
        .current_dir(BROWSER_TESTS)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (Debian's nodejs, or the machine's)");
    let browser = tokio::task::spawn_blocking(move || child.wait_with_output());

    // alice's hello reaches the legacy client as a legacy message, shaped as carl's was.
    let hello = loop {
        let line = bob.recv_type("message").await;
        if line["content"] == "Bonjour la classe" {
            break line;
        }
    };
    assert_eq!(hello["from"], "alice");
    assert_eq!(hello["subtype"], "global");
    assert_eq!(
        shape(&hello),
        shape(&from_legacy),
        "{hello} vs {from_legacy}"
    );
    bob.send(json!({"type": "message", "subtype": "global", "content": "Salut depuis Java"}))
        .await;

    let output = browser.await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("step: kicked"), "{stdout}");

    // The legacy client read the end of the class in #général, and nothing of the room or
    // of the private message.
    let mut seen = Vec::new();
    loop {
        let line = bob.recv_type("message").await;
        seen.push(line["content"].as_str().unwrap().to_owned());
        if line["content"] == "Merci !" {
            assert_eq!(line["from"], "chloé");
            break;
        }
    }
    assert_eq!(seen, ["Merci !"], "the legacy client saw more: {seen:?}");

    for shot in ["web-client.png", "web-client-phone.png"] {
        let png = std::fs::read(shots.path().join(shot)).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{shot}");
        // Kept for a look after the run (docs/web-client.png is one of them).
        let kept = concat!(env!("CARGO_TARGET_TMPDIR"), "/");
        std::fs::write(format!("{kept}{shot}"), &png).unwrap();
    }
}
