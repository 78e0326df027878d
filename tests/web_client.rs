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
    // More than one page of history: the page shows the last 50 and loads the rest on demand.
    for n in 1..=52 {
        carl.send(
            json!({"type": "message", "subtype": "global", "content": format!("ancien {n}")}),
        )
        .await;
    }
    carl.sync().await;

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
    // Two Chromium pages start first: a minute at most, or the browser's own report.
    let mut browser = Some(browser);
    let hello = loop {
        let Some(line) = bob.recv_within(std::time::Duration::from_secs(60)).await else {
            let output = browser.take().unwrap().await.unwrap().unwrap();
            panic!(
                "no hello from the page: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        };
        if line["type"] == "message" && line["content"] == "Bonjour la classe" {
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

    let output = browser.take().unwrap().await.unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("step: older messages"), "{stdout}");
    assert!(stdout.contains("step: unread and title"), "{stdout}");
    assert!(stdout.contains("step: code and links"), "{stdout}");
    assert!(stdout.contains("step: axe-core"), "{stdout}");
    assert!(stdout.contains("step: reported and removed"), "{stdout}");
    assert!(stdout.contains("step: muted from the list"), "{stdout}");
    assert!(
        stdout.contains("step: join request card, members, closing"),
        "{stdout}"
    );
    assert!(stdout.contains("step: kicked"), "{stdout}");
    assert!(stdout.contains("step: refused message marked"), "{stdout}");
    assert!(stdout.contains("step: excluded and banned"), "{stdout}");
    assert!(stdout.contains("step: unbanned"), "{stdout}");

    // The legacy client read the end of the class in #général (the 2,500 emoji whole), and
    // nothing of the room or of the private message.
    let mut seen = Vec::new();
    loop {
        let line = bob.recv_type("message").await;
        seen.push(line["content"].as_str().unwrap().to_owned());
        if line["content"] == "Merci !" {
            assert_eq!(line["from"], "chloé");
            break;
        }
    }
    assert_eq!(
        seen,
        ["🎉".repeat(2500).as_str(), "/shrug", "Merci !"],
        "the legacy client saw more"
    );
    // The pasted Java snippet reaches the legacy client as the same text, its 5 lines whole.
    let code = loop {
        let line = bob.recv_type("message").await;
        if line["content"].as_str().unwrap().starts_with("Voici :") {
            break line["content"].as_str().unwrap().to_owned();
        }
    };
    assert_eq!(
        code,
        "Voici :\n```java\npublic class Bonjour {\n    public static void main(String[] args) {\n        \
         System.out.println(\"Bonjour\");\n    }\n}\n```\nvoir https://example.org/cours"
    );

    for shot in [
        "web-client.png",
        "web-client-phone.png",
        "web-client-dark.png",
        "web-client-teacher.png",
    ] {
        let png = std::fs::read(shots.path().join(shot)).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{shot}");
        // Kept for a look after the run (docs/web-client.png is one of them).
        let kept = concat!(env!("CARGO_TARGET_TMPDIR"), "/");
        std::fs::write(format!("{kept}{shot}"), &png).unwrap();
    }
}

/// What the admin socket says of a room's members (`/room members`), in one string.
async fn room_members(server: &TestServer, room: &str) -> String {
    let answer = server
        .admin_request(json!({"command": "run", "slash": format!("/room members {room}")}))
        .await;
    answer["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"))
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_server_restart_the_page_joins_again_only_its_rooms() {
    let web_port = common::free_port();
    let configure = move |config: &mut classcord::config::Config| {
        config.listen.web = vec![format!("127.0.0.1:{web_port}").parse().unwrap()];
        config.server.language = classcord::config::Language::Fr;
    };
    let mut server = TestServer::start_with(configure).await;
    let url = format!("http://127.0.0.1:{web_port}");
    let mut lea = server.client().await;
    lea.register("lea", "motdepasse").await;
    drop(lea);
    let teacher = server.user_with_role("prof", "moderator").await;
    drop(teacher);
    for slash in ["/room create #maths moderated", "/room create #sport open"] {
        let answer = server
            .admin_request(json!({"command": "run", "slash": slash}))
            .await;
        assert_ne!(answer["answer"], "refused", "{answer}");
    }

    let mut child = Command::new("node")
        .arg("reconnect.mjs")
        .arg(&url)
        .current_dir(BROWSER_TESTS)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let stdout = child.stdout.take().unwrap();
    let (steps_tx, mut steps) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = steps_tx.send(line);
        }
    });
    let browser = tokio::task::spawn_blocking(move || child.wait_with_output());
    let mut seen = Vec::new();
    loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), steps.recv())
            .await
            .expect("the page gets ready");
        let Some(line) = line else {
            let output = browser.await.unwrap().unwrap();
            panic!(
                "the page stopped: {seen:?} {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        seen.push(line.clone());
        if line == "step: ready" {
            break;
        }
    }
    assert!(room_members(&server, "#sport").await.contains("lea"));

    server.stop().await;
    server.restart(configure).await;
    // She comes back by herself and is in #sport again.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(40);
    while !room_members(&server, "#sport")
        .await
        .contains("présents : lea")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "lea never came back to #sport"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // No request to join #maths was filed for her, the room she had only seen listed.
    let maths = room_members(&server, "#maths").await;
    assert!(!maths.contains("lea"), "{maths}");
    let mut classmate = server.user("bob").await;
    classmate
        .send(json!({"type": "message", "subtype": "global", "content": "Bon retour"}))
        .await;

    let output = browser.await.unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{seen:?} {stderr}");
    let mut rest = Vec::new();
    while let Ok(line) = steps.try_recv() {
        rest.push(line);
    }
    assert!(
        rest.contains(&"step: back".to_owned()),
        "{seen:?} {rest:?} {stderr}"
    );
}
