//! The real `classcord` binary: starts from the command line, prints its port, serves a
//! legacy client, and exits 0 on SIGTERM after telling users.

mod common;

use common::{Client, ServerProcess};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_its_port_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(dir.path(), &["--database", "db/chat.db"]).await;
    let mut client = Client::connect(server.addr()).await;
    client.register("élève", "pw").await;
    client.login("élève", "pw").await;
    client
        .send(json!({"type":"message","content":"bonjour"}))
        .await;
    client.sync().await;

    let log = server.terminate();
    let notice = client.recv_type("message").await;
    assert_eq!(notice["from"], "Serveur");
    assert!(client.closed().await);
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(dir.path().join("db/chat.db").exists());
    assert!(dir.path().join("logs/audit.log").exists());
    assert!(!log.contains("\"pw\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_without_dropping_tls_clients() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn_with(dir.path(), &[], true, None).await;
    let tls_addr = ([127, 0, 0, 1], server.tls_port.unwrap()).into();
    let ca = dir.path().join("certs/ca.crt");
    let old_ca = dir.path().join("old-ca.crt");
    std::fs::copy(&ca, &old_ca).unwrap();
    let mut alice = Client::over(
        common::tls_connect(tls_addr, &ca, "localhost")
            .await
            .unwrap(),
    );
    alice.register("alice", "pw").await;
    alice.login("alice", "pw").await;

    let renewed = std::process::Command::new(env!("CARGO_BIN_EXE_classcord"))
        .args(["generate-cert", "--force", "--new-ca", "--dir", "certs"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(renewed.status.success());
    server.signal("HUP");
    // New handshakes use the new certificate once the reload is logged.
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !server.log().contains("TLS certificate reloaded") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reload in:\n{}",
            server.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(common::tls_connect(tls_addr, &old_ca, "localhost")
        .await
        .is_err());
    let mut bob = Client::over(
        common::tls_connect(tls_addr, &ca, "localhost")
            .await
            .unwrap(),
    );
    // The connection opened before the reload still works both ways.
    common::older_connection_still_talks(&mut alice, &mut bob, "bob").await;
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_out_of_file_descriptors_never_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn_with(dir.path(), &[], false, Some(48)).await;
    // Far more connections than the server may open files: accepts fail with EMFILE.
    let mut crowd = Vec::new();
    for _ in 0..80 {
        crowd.push(tokio::net::TcpStream::connect(server.addr()).await.unwrap());
    }
    let deadline = tokio::time::Instant::now() + common::WAIT;
    while !server.log().contains("accept failed; retrying") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no accept error in:\n{}",
            server.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    drop(crowd);
    // Once descriptors are free again, the server serves as before.
    let mut client = Client::connect(server.addr()).await;
    client.register("survivant", "pw").await;
    client.login("survivant", "pw").await;
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_filter_hides_the_lines_fail2ban_reads() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        ServerProcess::spawn_logging(dir.path(), &[], "error,classcord::server=info").await;
    let mut client = Client::connect(server.addr()).await;
    client
        .send(json!({"type":"login","username":"nobody","password":"x"}))
        .await;
    assert_eq!(client.recv().await["code"], "login_failed");
    let log = server.terminate();
    assert!(
        log.contains("auth_failure ip=127.0.0.1") && log.contains("reason=unknown_user"),
        "{log}"
    );
}

#[test]
fn a_typo_in_the_log_level_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[logging]\nlevel = \"inof\"\n").unwrap();
    let output = common::run_classcord(dir.path(), &["serve", "--config", "bad.toml"], "");
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("logging.level") && error.contains("inof"),
        "{error}"
    );
    assert_eq!(
        error.matches("inof").count(),
        1,
        "the error is printed once: {error}"
    );
    assert!(!dir.path().join("data").exists(), "nothing created");
}

#[test]
fn under_systemd_each_line_carries_its_syslog_priority() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_classcord"))
        .args(["serve", "--plain-listen", "127.0.0.1:0", "--no-tls"])
        .current_dir(dir.path())
        .env("JOURNAL_STREAM", "8:12345")
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("listening on");
        seen.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.iter().any(|l| l.contains("listening on")), "{seen:?}");
    assert!(
        seen.iter()
            .all(|l| l.starts_with("<6>") || l.starts_with("<4>")),
        "{seen:?}"
    );
}

#[test]
fn errors_are_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::run_classcord(dir.path(), &["serve", "--config", "missing.toml"], "");
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert_eq!(error.matches("No such file").count(), 1, "{error}");
    std::fs::write(dir.path().join("broken.toml"), "[limits\n").unwrap();
    let output = common::run_classcord(dir.path(), &["serve", "--config", "broken.toml"], "");
    let error = String::from_utf8_lossy(&output.stderr);
    assert_eq!(error.matches("unclosed table").count(), 1, "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logrotate_with_the_shipped_rules_moves_new_lines_to_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::spawn(dir.path(), &[]).await;
    let fail_login = |name: &'static str| {
        let addr = server.addr();
        async move {
            let mut client = Client::connect(addr).await;
            client
                .send(json!({"type":"login","username":name,"password":"x"}))
                .await;
            assert_eq!(client.recv().await["code"], "login_failed");
        }
    };
    fail_login("before_rotation").await;
    let logs = dir.path().join("logs");
    let deadline = std::time::Instant::now() + common::WAIT;
    while !std::fs::read_to_string(logs.join("auth.log"))
        .unwrap_or_default()
        .contains("before_rotation")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the failure never reached auth.log"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The shipped rules, pointed at this server's files and process.
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/logrotate.conf"
    ))
    .unwrap();
    let rules = shipped
        .replace(
            "/var/log/classcord/*.log",
            &format!("{}/*.log", logs.display()),
        )
        .replace("    su classcord classcord\n", "")
        .replace("create 0600 classcord classcord", "create 0600")
        .replace(
            "systemctl kill --signal=USR1 --kill-whom=main classcord.service",
            &format!("kill -USR1 {}", server.child.id()),
        );
    assert!(rules.contains("kill -USR1"), "postrotate changed: {rules}");
    std::fs::write(dir.path().join("rules.conf"), rules).unwrap();
    let rotated = std::process::Command::new("logrotate")
        .arg("-f")
        .arg("-s")
        .arg(dir.path().join("logrotate.state"))
        .arg(dir.path().join("rules.conf"))
        .output()
        .expect("logrotate is installed (apt-get install logrotate)");
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let deadline = std::time::Instant::now() + common::WAIT;
    while server.log().matches("log file reopened").count() < 2 {
        assert!(std::time::Instant::now() < deadline, "{}", server.log());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    fail_login("after_rotation").await;
    server.terminate();
    let old = std::fs::read_to_string(logs.join("auth.log.1")).unwrap();
    let new = std::fs::read_to_string(logs.join("auth.log")).unwrap();
    assert!(
        old.contains("before_rotation") && !old.contains("after_rotation"),
        "{old}"
    );
    assert!(
        new.contains("after_rotation") && !new.contains("before_rotation"),
        "{new}"
    );
}

#[test]
fn files_are_private_whatever_the_umask() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new("sh")
        .args(["-c", "umask 000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_classcord"))
        .args(["serve", "--plain-listen", "127.0.0.1:0", "--no-tls"])
        .current_dir(dir.path())
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines {
        if line.unwrap().contains("listening on") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mode = |path: &str| {
        std::fs::metadata(dir.path().join(path))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    for directory in ["data", "logs"] {
        assert_eq!(mode(directory), 0o750, "{directory}");
    }
    for file in ["data/classcord.db", "logs/audit.log", "logs/auth.log"] {
        assert_eq!(
            mode(file) & 0o027,
            0,
            "{file} is open to others: {:o}",
            mode(file)
        );
    }
}
