//! The monitoring listener over real HTTP (curl): a scrape after real traffic passes the real
//! `promtool check metrics`, OpenMetrics when asked for it, health and readiness (the
//! database locked by another process makes the server unready), and the allowlist.

mod common;

use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};

use common::TestServer;
use serde_json::json;

async fn with_metrics(edit: impl FnOnce(&mut classcord::config::Config)) -> TestServer {
    TestServer::start_with(|config| {
        config.metrics.listen = vec!["127.0.0.1:0".parse().unwrap()];
        config.listen.tls = vec!["127.0.0.1:0".parse().unwrap()];
        edit(config);
    })
    .await
}

fn metrics_addr(server: &TestServer) -> SocketAddr {
    server.running().metrics_addrs()[0]
}

/// `curl` on the path, off the async threads; `extra` are more curl arguments.
async fn curl(addr: SocketAddr, path: &str, extra: &[&str]) -> Output {
    let url = format!("http://{addr}{path}");
    let mut command = Command::new("curl");
    command
        .args(["--silent", "--show-error", "--max-time", "10", "--include"])
        .args(extra)
        .arg(url);
    tokio::task::spawn_blocking(move || command.output().expect("curl is installed"))
        .await
        .unwrap()
}

/// Status code, headers (lower-cased) and body of an `--include` answer.
fn split(output: &Output) -> (u16, String, String) {
    let text = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
    let (head, body) = text
        .split_once("\n\n")
        .unwrap_or_else(|| panic!("no HTTP answer: {output:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap();
    (status, head.to_lowercase(), body.to_owned())
}

/// Runs `promtool check metrics` on `text`; its complaints on failure.
pub fn promtool_check_metrics(text: &str) -> Result<(), String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (apt-get install prometheus)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Some of everything: an account, a message, a failed login, a refused line.
async fn traffic(server: &TestServer) {
    let mut alice = server.user("alice").await;
    let mut bob = server.user("bob").await;
    alice
        .send(json!({"type": "message", "subtype": "global", "content": "bonjour"}))
        .await;
    bob.recv_type("message").await;
    let mut intruder = server.client().await;
    intruder
        .send(json!({"type": "login", "username": "alice", "password": "wrong"}))
        .await;
    intruder.recv().await;
    intruder.send_raw(b"{not json\n").await;
    intruder.recv().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_after_real_traffic_passes_promtool_and_shows_every_family() {
    let server = with_metrics(|_| {}).await;
    traffic(&server).await;
    let (status, head, body) = split(&curl(metrics_addr(&server), "/metrics", &[]).await);
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    promtool_check_metrics(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    for sample in [
        "classcord_logins_total{result=\"ok\"} 2\n",
        "classcord_logins_total{result=\"failed\"} 1\n",
        "classcord_messages_stored_total 1\n",
        "classcord_commit_latency_seconds_count 1\n",
        "classcord_connections_accepted_total{listener=\"plain\"} 3\n",
        "classcord_bad_input_total 1\n",
    ] {
        assert!(body.contains(sample), "{sample} missing:\n{body}");
    }
    for family in [
        "# TYPE classcord_build_info gauge",
        "# TYPE classcord_certificate_expiry_timestamp_seconds gauge",
        "# TYPE classcord_fanout_seconds histogram",
        "# TYPE classcord_password_hash_seconds histogram",
        "# TYPE classcord_log_lines_dropped_total counter",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_open_fds gauge",
        "# TYPE process_start_time_seconds gauge",
    ] {
        assert!(body.contains(family), "{family} missing:\n{body}");
    }
    // The admin command prints the same registry, in the same format.
    let admin = server.admin_ok(&["metrics"]);
    promtool_check_metrics(&admin).unwrap_or_else(|e| panic!("{e}\n{admin}"));
    assert!(admin.contains("classcord_logins_total{result=\"failed\"} 1\n"));
}

#[tokio::test]
async fn open_metrics_is_served_when_the_scraper_prefers_it() {
    let server = with_metrics(|_| {}).await;
    let prometheus_accept = "Accept: application/openmetrics-text;version=1.0.0,\
        application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (status, head, body) = split(
        &curl(
            metrics_addr(&server),
            "/metrics",
            &["-H", prometheus_accept],
        )
        .await,
    );
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: application/openmetrics-text; version=1.0.0"),
        "{head}"
    );
    assert!(body.ends_with("# EOF\n"), "{body}");
    assert!(body.contains("# TYPE classcord_registrations counter\n"));
}

#[tokio::test]
async fn health_and_readiness_follow_the_database() {
    let server = with_metrics(|_| {}).await;
    let addr = metrics_addr(&server);
    assert_eq!(split(&curl(addr, "/healthz", &[]).await).0, 200);
    let (status, _, body) = split(&curl(addr, "/readyz", &[]).await);
    assert_eq!((status, body.as_str()), (200, "ready\n"));
    assert_eq!(split(&curl(addr, "/nothing", &[]).await).0, 404);

    // Another process holds the database's write lock: the server is alive but not ready.
    let database = server.path("data/classcord.db");
    let mut locker = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys\n\
             db = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             db.execute('BEGIN EXCLUSIVE')\n\
             print('locked', flush=True)\n\
             sys.stdin.read()\n",
        ])
        .arg(&database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut locked = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(locker.stdout.as_mut().unwrap()),
        &mut locked,
    )
    .unwrap();
    assert_eq!(locked, "locked\n");
    let (status, _, body) = split(&curl(addr, "/readyz", &[]).await);
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("database not writable"), "{body}");
    assert_eq!(split(&curl(addr, "/healthz", &[]).await).0, 200);

    drop(locker.stdin.take());
    locker.wait().unwrap();
    // The probe queued behind the lock commits once it is released.
    let (status, _, body) = split(&curl(addr, "/readyz", &[]).await);
    assert_eq!((status, body.as_str()), (200, "ready\n"));
}

#[tokio::test]
async fn addresses_outside_the_allowlist_are_refused_and_counted() {
    let server = with_metrics(|config| {
        config.gate.allow = vec!["127.0.0.2/32".parse().unwrap()];
    })
    .await;
    let addr = metrics_addr(&server);
    let refused = curl(addr, "/metrics", &[]).await;
    assert!(!refused.status.success(), "{refused:?}");
    let (status, _, body) = split(&curl(addr, "/metrics", &["--interface", "127.0.0.2"]).await);
    assert_eq!(status, 200);
    assert!(
        body.contains(
            "classcord_connections_refused_total{listener=\"metrics\",reason=\"not_allowed\"} 1\n"
        ),
        "{body}"
    );
}

/// Every `classcord_*` and `process_*` name in `text`.
fn metric_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for prefix in ["classcord_", "process_"] {
        let mut rest = text;
        while let Some(start) = rest.find(prefix) {
            let tail = &rest[start..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let preceded_by_name = rest[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            if !preceded_by_name {
                names.push(tail[..end].to_owned());
            }
            rest = &tail[end..];
        }
    }
    names.sort();
    names.dedup();
    names
}

#[tokio::test]
async fn every_metric_the_dashboard_and_the_alerts_use_is_in_a_real_scrape() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/deploy/grafana/classcord.json")).unwrap(),
    )
    .unwrap();
    let mut queries = String::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queries.push_str(target["expr"].as_str().unwrap());
            queries.push('\n');
        }
    }
    let rules = std::fs::read_to_string(format!("{root}/deploy/prometheus/alerts.yml")).unwrap();
    for line in rules
        .lines()
        .filter(|l| l.trim_start().starts_with("expr:"))
    {
        queries.push_str(line);
        queries.push('\n');
    }
    let used = metric_names(&queries);
    assert!(used.len() >= 10, "{used:?}");

    let server = with_metrics(|_| {}).await;
    let (_, _, scrape) = split(&curl(metrics_addr(&server), "/metrics", &[]).await);
    let missing: Vec<&String> = used
        .iter()
        .filter(|name| {
            !scrape.lines().any(|line| {
                line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
            })
        })
        .collect();
    assert!(missing.is_empty(), "not in a scrape: {missing:?}\n{scrape}");
}

/// `count` connections from `source` that say nothing (each holds a place until the server's
/// header deadline).
async fn silent_from(source: &str, addr: SocketAddr, count: usize) -> Vec<tokio::net::TcpStream> {
    let mut silent = Vec::new();
    for _ in 0..count {
        silent.push(common::connect_from(source, addr).await.unwrap());
    }
    silent
}

/// Waits until the refusal counter for `reason` reaches `count`, retrying `attempt`.
async fn refused_until(
    server: &TestServer,
    reason: &str,
    count: u32,
    addr: SocketAddr,
    source: &str,
) {
    let line = format!(
        "classcord_connections_refused_total{{listener=\"metrics\",reason=\"{reason}\"}} {count}\n"
    );
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !server.running().render_metrics().contains(&line) {
        let _ = curl(
            addr,
            "/healthz",
            &["--max-time", "2", "--interface", source],
        )
        .await;
        assert!(
            tokio::time::Instant::now() < deadline,
            "never refused: {line}"
        );
    }
}

#[tokio::test]
async fn no_address_can_blind_the_scrapes_and_the_listener_recovers() {
    let server = with_metrics(|config| {
        config.metrics.scrapers = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let addr = metrics_addr(&server);
    // One machine holds at most four places.
    let one = silent_from("127.0.0.2", addr, 4).await;
    refused_until(
        &server,
        "too_many_connections_from_address",
        1,
        addr,
        "127.0.0.2",
    )
    .await;
    // Four machines fill the sixteen shared places: a fifth is refused, the configured
    // Prometheus is still served.
    let mut others = Vec::new();
    for source in ["127.0.0.3", "127.0.0.4", "127.0.0.5"] {
        others.push(silent_from(source, addr, 4).await);
    }
    refused_until(&server, "server_full", 1, addr, "127.0.0.6").await;
    let scrape = curl(addr, "/metrics", &["--interface", "127.0.0.1"]).await;
    assert_eq!(split_status(&scrape), Some(200), "{scrape:?}");
    drop((one, others));
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while split_status(&curl(addr, "/healthz", &["--interface", "127.0.0.6"]).await) != Some(200) {
        assert!(tokio::time::Instant::now() < deadline, "never served again");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn split_status(output: &Output) -> Option<u16> {
    output.status.success().then(|| split(output).0)
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = with_metrics(|_| {}).await;
    let mut slow = tokio::net::TcpStream::connect(metrics_addr(&server))
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: classcord\r\n")
        .await
        .unwrap();
    // The server closes it (hyper may answer 408 first); nothing else ends it.
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(common::WAIT, slow.read_to_end(&mut answer)).await;
    assert!(closed.is_ok(), "still open after {:?}", common::WAIT);
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_secs(4),
        "closed after {waited:?}, before the header deadline: {}",
        String::from_utf8_lossy(&answer)
    );
}
