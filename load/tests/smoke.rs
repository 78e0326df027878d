//! Smoke run of `classcord-load` against a real server, so the load generator cannot rot.
//! Small numbers and no timing assertions: only that every scenario runs and loses nothing.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output};

use classcord::config::Config;
use classcord::server::RunningServer;

/// A real ClassCord server in this process, on ephemeral loopback ports, files in a temporary
/// directory, loopback exempt from the per-address limits (as `config/bench.toml` does).
struct TestServer {
    server: RunningServer,
    dir: tempfile::TempDir,
}

impl TestServer {
    fn addr(&self) -> SocketAddr {
        self.server.plain_addrs()[0]
    }

    fn tls_addr(&self) -> SocketAddr {
        self.server.tls_addrs()[0]
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }
}

/// Runs `classcord-load` with a command line (the paths used here hold no spaces).
fn run_load(command_line: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_classcord-load"))
        .args(command_line.split_whitespace())
        .output()
        .expect("classcord-load runs")
}

/// Runs `classcord-load --json …` and returns its report.
fn load(command_line: &str) -> serde_json::Value {
    let output = run_load(&format!("--json {command_line}"));
    assert!(
        output.status.success(),
        "classcord-load {command_line} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON report")
}

async fn bench_server() -> TestServer {
    bench_server_in(tempfile::tempdir().unwrap()).await
}

async fn bench_server_in(dir: tempfile::TempDir) -> TestServer {
    classcord::logging::init_for_tests("error");
    let mut config = Config::default();
    config.listen.plain = vec!["127.0.0.1:0".parse().unwrap()];
    config.listen.tls = vec!["127.0.0.1:0".parse().unwrap()];
    config.listen.web = vec!["127.0.0.1:0".parse().unwrap()];
    config.listen.web_tls = vec!["127.0.0.1:0".parse().unwrap()];
    config.gate.exempt = vec!["127.0.0.0/8".parse().unwrap()];
    config.storage.database = dir.path().join("data/classcord.db");
    config.logging.audit_file = dir.path().join("logs/audit.log");
    config.logging.auth_file = dir.path().join("logs/auth.log");
    for (path, file) in [
        (&mut config.tls.cert, "server.crt"),
        (&mut config.tls.key, "server.key"),
        (&mut config.tls.ca_cert, "ca.crt"),
        (&mut config.tls.ca_key, "ca.key"),
    ] {
        *path = dir.path().join("certs").join(file);
    }
    config.admin.socket = dir.path().join("admin.sock");
    // The load generator's accounts create their channels (by default only teachers do).
    config.limits.max_channels_per_account = 5;
    let server = RunningServer::start(config).await.expect("server starts");
    TestServer { server, dir }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_against_server_and_relay_loses_nothing_and_persists_everything() {
    let server = bench_server().await;
    let addr = server.addr();
    let db = server.path("data/classcord.db");
    let pid = std::process::id();
    let report = load(&format!(
        "fanout --addr {addr} --clients 6 --senders 2 --duration 1 --relay --database {} --server-pid {pid}",
        db.display()
    ));
    for side in ["server", "relay"] {
        let result = &report[side];
        assert!(result["sent"].as_u64().unwrap() > 0, "{side}: {result}");
        assert_eq!(result["lost"], 0, "{side}: {result}");
        assert_eq!(result["delivered"], result["expected"]);
        assert!(result["latency"]["p99_ms"].as_f64().is_some());
    }
    assert_eq!(report["persisted"], report["server"]["sent"]);
    assert!(report["server"]["server_rss_kib"].as_u64().unwrap() > 0);

    let rated = load(&format!(
        "fanout --addr {addr} --clients 4 --senders 1 --rate 20 --duration 1 --payload 200 --login"
    ));
    assert_eq!(rated["server"]["lost"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_tls_logins_and_handshakes_run() {
    let server = bench_server().await;
    let plain = server.addr();
    let tls = server.tls_addr();
    let ca = server.path("certs/ca.crt");
    let ca = ca.display();

    let idle = load(&format!("idle --addr {plain} --connections 30 --relay"));
    assert_eq!(idle["server"]["alive"], 30);
    assert_eq!(idle["relay"]["alive"], 30);

    let idle_tls = load(&format!("idle --addr {tls} --ca {ca} --connections 10"));
    assert_eq!(idle_tls["server"]["alive"], 10);

    // Fan-out over TLS, against a TLS relay serving the server's own certificate.
    let (cert, key) = (
        server.path("certs/server.crt"),
        server.path("certs/server.key"),
    );
    let tls_fanout = load(&format!(
        "fanout --addr {tls} --ca {ca} --clients 6 --senders 2 --duration 1 --relay \
         --relay-cert {} --relay-key {}",
        cert.display(),
        key.display()
    ));
    for side in ["server", "relay"] {
        assert_eq!(tls_fanout[side]["lost"], 0, "{side}: {tls_fanout}");
        assert!(tls_fanout[side]["delivered"].as_u64().unwrap() > 0);
    }

    // A join storm of legacy guests, each announced to everyone already in.
    let storm_idle = load(&format!("idle --addr {plain} --connections 40 --legacy"));
    assert_eq!(storm_idle["server"]["connected"], 40);
    assert_eq!(storm_idle["server"]["alive"], 40);
    // The same, paced (connections per second), every client reading from the start, and
    // the relay measured the same way (each newcomer's line sent to everyone already in).
    let paced = load(&format!(
        "idle --addr {plain} --connections 20 --legacy --rate 200 --relay"
    ));
    assert_eq!(paced["server"]["alive"], 20);
    assert_eq!(paced["relay"]["alive"], 20);
    assert!(
        paced["server"]["setup_seconds"].as_f64().unwrap() >= 0.09,
        "{paced}"
    );

    let storm = load(&format!(
        "logins --addr {plain} --clients 4 --senders 1 --rate 20 --duration 1 --storm 2"
    ));
    assert_eq!(storm["with_storm"]["lost"], 0);
    assert!(storm["logins_ok"].as_u64().unwrap() > 0);
    assert!(storm["logins_failed"].as_u64().unwrap() > 0);

    let handshakes = load(&format!(
        "handshakes --addr {tls} --ca {ca} --duration 1 --concurrency 2"
    ));
    assert!(handshakes["handshakes"].as_u64().unwrap() > 0);
    assert_eq!(handshakes["failures"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_and_idle_run_over_websocket_plain_and_tls() {
    let server = bench_server().await;
    let web = server.server.web_addrs()[0];
    let web_tls = server.server.web_addrs()[1];
    let ca = server.path("certs/ca.crt");
    let db = server.path("data/classcord.db");
    let pid = std::process::id();
    let fanout = load(&format!(
        "fanout --websocket --addr {web} --clients 6 --senders 2 --duration 1 --database {} \
         --server-pid {pid}",
        db.display()
    ));
    assert!(fanout["server"]["sent"].as_u64().unwrap() > 0, "{fanout}");
    assert_eq!(fanout["server"]["lost"], 0, "{fanout}");
    assert_eq!(fanout["persisted"], fanout["server"]["sent"]);
    let tls = load(&format!(
        "fanout --websocket --addr {web_tls} --ca {} --clients 4 --senders 1 --duration 1",
        ca.display()
    ));
    assert_eq!(tls["server"]["lost"], 0, "{tls}");
    assert!(tls["server"]["delivered"].as_u64().unwrap() > 0);
    let idle = load(&format!("idle --websocket --addr {web} --connections 20"));
    assert_eq!(idle["server"]["alive"], 20, "{idle}");
    // Against the WebSocket relay too (text frames, no JSON, no storage).
    let against_relay = load(&format!(
        "fanout --websocket --addr {web} --clients 6 --senders 2 --duration 1 --relay"
    ));
    for side in ["server", "relay"] {
        assert_eq!(against_relay[side]["lost"], 0, "{side}: {against_relay}");
        assert!(against_relay[side]["delivered"].as_u64().unwrap() > 0);
    }
}

/// The school day, small: the class list written by `school-roster` and imported as an
/// admin does (`classcord user import`, before the server starts), then a lesson over plain
/// TCP, TLS and WebSocket with the teachers muting and excluding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_school_day_logs_everyone_in_and_loses_nothing() {
    use clap::Parser;
    let dir = tempfile::tempdir().unwrap();
    let school = "--accounts 44 --teachers 2 --rooms 4";
    let list = dir.path().join("classes.csv");
    let written = run_load(&format!(
        "school-roster {school} --output {}",
        list.display()
    ));
    assert!(written.status.success(), "{written:?}");
    let config = dir.path().join("import.toml");
    std::fs::write(
        &config,
        format!(
            "[storage]\ndatabase = {:?}\n[admin]\nsocket = {:?}\n",
            dir.path().join("data/classcord.db"),
            dir.path().join("admin.sock")
        ),
    )
    .unwrap();
    let import = classcord::cli::Cli::parse_from([
        "classcord".as_ref(),
        "user".as_ref(),
        "import".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        list.as_os_str(),
    ]);
    classcord::cli::run(import.command).expect("the class list imports");

    let server = bench_server_in(dir).await;
    let (plain, tls, web) = (
        server.addr(),
        server.tls_addr(),
        server.server.web_addrs()[0],
    );
    let ca = server.path("certs/ca.crt");
    let db = server.path("data/classcord.db");
    let day = load(&format!(
        "school {school} --addr {plain} --tls-addr {tls} --web-addr {web} --ca {} \
         --arrival 3 --after 4 --per-minute 60 --database {} --server-pid {}",
        ca.display(),
        db.display(),
        std::process::id()
    ));
    assert_eq!(day["logged_in"], 42, "{day}");
    let transports = &day["pupils_by_transport"];
    for transport in ["plain", "tls", "websocket"] {
        assert!(transports[transport].as_u64().unwrap() > 0, "{day}");
    }
    assert!(day["deliveries_expected"].as_u64().unwrap() > 0, "{day}");
    assert_eq!(day["deliveries_lost"], 0, "{day}");
    assert_eq!(day["said_to_counted_pupils"], 0, "{day}");
    // Each teacher muted and excluded the target pupil of each of their rooms, who came
    // back after the exclusion.
    assert_eq!(day["moderation_commands"], 8, "{day}");
    assert_eq!(day["moderation_commands_ok"], 8, "{day}");
    assert_eq!(day["excluded_pupils_back"], 4, "{day}");
    assert!(day["history_answers"].as_u64().unwrap() > 0, "{day}");
    assert!(day["server_rss_peak_kib"].as_u64().unwrap() > 0, "{day}");
    // Everything written was stored but what the muted pupils wrote.
    let stored = day["persisted"].as_u64().unwrap();
    assert!(stored >= day["messages_counted"].as_u64().unwrap(), "{day}");
    assert!(stored <= day["messages_sent"].as_u64().unwrap(), "{day}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_loses_no_connection_and_no_round() {
    let server = bench_server().await;
    let addr = server.addr();
    let pid = std::process::id();
    let soak = load(&format!(
        "soak --addr {addr} --server-pid {pid} --readers 5 --chatters 2 --chat-rate 10 \
         --churners 2 --churn-rate 4 --duration 3 --warmup 0 --sample-every 1"
    ));
    assert_eq!(soak["lost_connections"], 0, "{soak}");
    assert_eq!(soak["churn_failures"], 0, "{soak}");
    assert!(soak["churn_rounds"].as_u64().unwrap() > 0, "{soak}");
    assert!(soak["history_answers"].as_u64().unwrap() > 0, "{soak}");
    assert!(!soak["samples"].as_array().unwrap().is_empty(), "{soak}");
}

#[test]
fn unreachable_server_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = run_load(&format!(
        "fanout --addr 127.0.0.1:{port} --clients 2 --senders 1"
    ));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot connect") && stderr.contains("is the server running"),
        "{stderr}"
    );
}
